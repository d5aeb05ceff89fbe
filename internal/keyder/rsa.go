package keyder

import (
	"errors"
	"fmt"
	"math/big"
)

// oidRSA is rsaEncryption (1.2.840.113549.1.1.1), the algorithm of an RSA public key in PKIX
// and of an RSA private key in PKCS #8; its parameters are NULL.
var oidRSA = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}

// rsaAlgorithm is the encoded AlgorithmIdentifier {rsaEncryption, NULL}.
var rsaAlgorithm = element(tagSequence, element(tagOID, oidRSA), element(tagNull))

// RSAPublicKey is an RSA public key. E is at most 2^31-1, as crypto/rsa requires.
type RSAPublicKey struct {
	N *big.Int
	E int
}

// RSAPrivateKey is a two-prime RSA private key with its CRT values, as PKCS #1 stores it.
// The parser checks the encoding, not the arithmetic: keys come from the host's generator
// and are sealed at rest, and the signer (BoringSSL in the Worker) checks consistency when
// it imports one.
type RSAPrivateKey struct {
	RSAPublicKey
	D, P, Q, Dp, Dq, Qinv *big.Int
}

// MarshalPKIXRSA encodes pub as a SubjectPublicKeyInfo, byte for byte what
// x509.MarshalPKIXPublicKey writes.
func MarshalPKIXRSA(pub *RSAPublicKey) []byte {
	pkcs1 := element(tagSequence, uintElement(pub.N.Bytes()), uintElement(big.NewInt(int64(pub.E)).Bytes()))
	return element(tagSequence, rsaAlgorithm, bitStringElement(pkcs1))
}

// ParsePKIXRSA decodes an RSA SubjectPublicKeyInfo (algorithm parameters NULL).
func ParsePKIXRSA(der []byte) (*RSAPublicKey, error) {
	r, err := sequence(der)
	if err != nil {
		return nil, err
	}
	if err := r.expect(tagSequence, rsaAlgorithm[2:], "an RSA algorithm identifier"); err != nil {
		return nil, err
	}
	key, err := r.bitString()
	if err != nil {
		return nil, err
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	k, err := sequence(key)
	if err != nil {
		return nil, fmt.Errorf("keyder: RSA public key: %w", err)
	}
	pub, err := k.rsaPublic()
	if err != nil {
		return nil, err
	}
	return pub, k.end()
}

// ParsePKCS1RSA decodes a two-prime PKCS #1 RSAPrivateKey (version 0).
func ParsePKCS1RSA(der []byte) (*RSAPrivateKey, error) {
	r, err := sequence(der)
	if err != nil {
		return nil, err
	}
	if err := r.small(0); err != nil {
		return nil, fmt.Errorf("%w (multi-prime keys are not supported)", err)
	}
	pub, err := r.rsaPublic()
	if err != nil {
		return nil, err
	}
	k := &RSAPrivateKey{RSAPublicKey: *pub}
	for _, f := range []**big.Int{&k.D, &k.P, &k.Q, &k.Dp, &k.Dq, &k.Qinv} {
		if *f, err = r.bigInt(); err != nil {
			return nil, err
		}
		if (*f).Sign() == 0 {
			return nil, errors.New("keyder: RSA private key has a zero value")
		}
	}
	return k, r.end()
}

// ParsePKCS8RSA decodes an RSA key wrapped in PKCS #8 (what WebCrypto's exportKey("pkcs8")
// returns) and returns the PKCS #1 key inside along with its parse.
func ParsePKCS8RSA(der []byte) (pkcs1 []byte, key *RSAPrivateKey, err error) {
	r, err := sequence(der)
	if err != nil {
		return nil, nil, err
	}
	if err := r.small(0); err != nil {
		return nil, nil, err
	}
	if err := r.expect(tagSequence, rsaAlgorithm[2:], "an RSA algorithm identifier"); err != nil {
		return nil, nil, err
	}
	if pkcs1, err = r.read(tagOctetString); err != nil {
		return nil, nil, err
	}
	if err := r.end(); err != nil {
		return nil, nil, err
	}
	if key, err = ParsePKCS1RSA(pkcs1); err != nil {
		return nil, nil, err
	}
	return pkcs1, key, nil
}

// rsaPublic reads the modulus and public exponent.
func (r *reader) rsaPublic() (*RSAPublicKey, error) {
	n, err := r.bigInt()
	if err != nil {
		return nil, err
	}
	e, err := r.uint()
	if err != nil {
		return nil, err
	}
	if n.Sign() == 0 {
		return nil, errors.New("keyder: RSA modulus is zero")
	}
	if len(e) == 0 || len(e) > 4 || (len(e) == 4 && e[0]&0x80 != 0) {
		return nil, errors.New("keyder: RSA exponent is zero or above 2^31-1")
	}
	var ev int
	for _, c := range e {
		ev = ev<<8 | int(c)
	}
	return &RSAPublicKey{N: n, E: ev}, nil
}
