package hostcrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"
)

// Pure implements Provider with the Go standard library (math/big, crypto/rsa, crypto/ecdsa).
// It is the fallback on every host and the reference the other implementations are tested
// against. The zero value is ready to use and safe for concurrent use.
//
// ECDSA nonces come from crypto/rand (the Provider interface carries no randomness; since
// Go 1.26 crypto/ecdsa ignores a caller's reader anyway). RSASSA-PKCS1-v1_5 is deterministic.
type Pure struct{}

var _ Provider = Pure{}

// ModExp returns base^exp mod mod; SRP's generator to an exponent of up to 256 bits modulo its
// group's N comes from a table of the generator's powers (srpPowers).
func (Pure) ModExp(base, exp, mod []byte) ([]byte, error) {
	if err := checkModExp(base, exp, mod); err != nil {
		return nil, err
	}
	if r, ok := srpPower(base, exp, mod); ok {
		return r, nil
	}
	m := new(big.Int).SetBytes(mod)
	r := new(big.Int).Exp(new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), m)
	return r.Bytes(), nil
}

// checkModExp enforces the operand rules every Provider shares.
func checkModExp(base, exp, mod []byte) error {
	for _, op := range []struct {
		name string
		b    []byte
	}{{"base", base}, {"exponent", exp}, {"modulus", mod}} {
		if len(op.b) > MaxOperandBytes {
			return fmt.Errorf("hostcrypto: modexp %s is %d bytes, longer than %d", op.name, len(op.b), MaxOperandBytes)
		}
	}
	if len(mod) == 0 || mod[len(mod)-1]&1 == 0 {
		// An all-zero modulus is even too.
		return errors.New("hostcrypto: modexp modulus must be odd")
	}
	return nil
}

// SignRSA returns the RSASSA-PKCS1-v1_5 SHA-256 signature of digest.
func (Pure) SignRSA(privPKCS1 []byte, digest []byte) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("hostcrypto: RSA digest is %d bytes, want %d", len(digest), sha256.Size)
	}
	key, err := cachedKey(kindRSAPrivate, privPKCS1, func() (any, error) {
		return x509.ParsePKCS1PrivateKey(privPKCS1)
	})
	if err != nil {
		return nil, fmt.Errorf("hostcrypto: RSA private key: %w", err)
	}
	sig, err := rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA256, digest)
	if err != nil {
		return nil, fmt.Errorf("hostcrypto: RSA sign: %w", err)
	}
	return sig, nil
}

// VerifyRSA checks an RSASSA-PKCS1-v1_5 SHA-256 signature.
func (Pure) VerifyRSA(pubPKIX []byte, digest, sig []byte) error {
	if len(digest) != sha256.Size {
		return fmt.Errorf("hostcrypto: RSA digest is %d bytes, want %d", len(digest), sha256.Size)
	}
	key, err := cachedKey(kindRSAPublic, pubPKIX, func() (any, error) {
		k, err := x509.ParsePKIXPublicKey(pubPKIX)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, not RSA", k)
		}
		return rk, nil
	})
	if err != nil {
		return fmt.Errorf("hostcrypto: RSA public key: %w", err)
	}
	if rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, digest, sig) != nil {
		return ErrVerify
	}
	return nil
}

// SignECDSA returns the P-256 ECDSA signature of digest as r||s (32 bytes each).
func (Pure) SignECDSA(privSEC1 []byte, digest []byte) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("hostcrypto: ECDSA digest is %d bytes, want %d", len(digest), sha256.Size)
	}
	key, err := cachedKey(kindECPrivate, privSEC1, func() (any, error) {
		k, err := x509.ParseECPrivateKey(privSEC1)
		if err != nil {
			return nil, err
		}
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("curve %s, want P-256", k.Curve.Params().Name)
		}
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("hostcrypto: ECDSA private key: %w", err)
	}
	r, s, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), digest)
	if err != nil {
		return nil, fmt.Errorf("hostcrypto: ECDSA sign: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// VerifyECDSA checks a P-256 ECDSA signature given as r||s.
func (Pure) VerifyECDSA(pubPKIX []byte, digest, sig []byte) error {
	if len(digest) != sha256.Size {
		return fmt.Errorf("hostcrypto: ECDSA digest is %d bytes, want %d", len(digest), sha256.Size)
	}
	key, err := cachedKey(kindECPublic, pubPKIX, func() (any, error) {
		k, err := x509.ParsePKIXPublicKey(pubPKIX)
		if err != nil {
			return nil, err
		}
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, not ECDSA", k)
		}
		if ek.Curve != elliptic.P256() {
			return nil, fmt.Errorf("curve %s, want P-256", ek.Curve.Params().Name)
		}
		return ek, nil
	})
	if err != nil {
		return fmt.Errorf("hostcrypto: ECDSA public key: %w", err)
	}
	if len(sig) != 64 {
		return ErrVerify
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key.(*ecdsa.PublicKey), digest, r, s) {
		return ErrVerify
	}
	return nil
}

// singleDER rejects anything but exactly one DER element: some x509 parsers ignore
// trailing bytes, and a key with a tail is not the key the caller meant.
func singleDER(der []byte) error {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d bytes after the key", len(rest))
	}
	return nil
}

// keyKind separates the parsed-key cache by what the DER was parsed as.
type keyKind byte

const (
	kindRSAPrivate keyKind = iota + 1
	kindRSAPublic
	kindECPrivate
	kindECPublic
)

// maxCachedKeys bounds the parsed-key cache; a pool has a handful of keys, so a full cache
// means churn and is simply emptied.
const maxCachedKeys = 64

// keyCache holds parsed keys by the SHA-256 of kind||DER: parsing (and validating) an RSA
// private key costs about a tenth of a signature, and the same few keys sign every token.
var keyCache struct {
	sync.Mutex
	m map[[sha256.Size]byte]any
}

// cachedKey returns the key parsed from der, parsing it with parse on a miss.
// Parse failures are not cached.
func cachedKey(kind keyKind, der []byte, parse func() (any, error)) (any, error) {
	h := sha256.New()
	h.Write([]byte{byte(kind)})
	h.Write(der)
	var id [sha256.Size]byte
	h.Sum(id[:0])

	keyCache.Lock()
	k, ok := keyCache.m[id]
	keyCache.Unlock()
	if ok {
		return k, nil
	}
	if err := singleDER(der); err != nil {
		return nil, err
	}
	k, err := parse()
	if err != nil {
		return nil, err
	}
	keyCache.Lock()
	if keyCache.m == nil || len(keyCache.m) >= maxCachedKeys {
		keyCache.m = make(map[[sha256.Size]byte]any)
	}
	keyCache.m[id] = k
	keyCache.Unlock()
	return k, nil
}

// GenerateRSA returns a new RSA private key as PKCS#1 DER.
func (Pure) GenerateRSA(bits int) ([]byte, error) {
	if err := CheckRSABits(bits); err != nil {
		return nil, err
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("hostcrypto: generating RSA key: %w", err)
	}
	return x509.MarshalPKCS1PrivateKey(priv), nil
}

// CheckRSABits rejects key sizes GenerateRSA does not offer.
func CheckRSABits(bits int) error {
	if bits < 2048 || bits > 4096 || bits%8 != 0 {
		return fmt.Errorf("hostcrypto: RSA key size %d not in 2048..4096 (multiple of 8)", bits)
	}
	return nil
}
