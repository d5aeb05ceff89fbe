package keyder

import (
	"errors"
	"fmt"
	"math/big"
)

var (
	// oidECPublicKey is id-ecPublicKey (1.2.840.10045.2.1).
	oidECPublicKey = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}
	// oidP256 is prime256v1 / secp256r1 (1.2.840.10045.3.1.7).
	oidP256 = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

	// p256Algorithm is the encoded AlgorithmIdentifier {id-ecPublicKey, prime256v1}.
	p256Algorithm = element(tagSequence, element(tagOID, oidECPublicKey), element(tagOID, oidP256))
	p256Curve     = element(tagOID, oidP256)
)

// The P-256 domain parameters (FIPS 186-5 / SEC 2) the key checks need: the field prime,
// the curve's b (a is -3) and the group order.
var (
	p256P = mustBig("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")
	p256B = mustBig("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b")
	p256N = mustBig("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
)

func mustBig(h string) *big.Int {
	n, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic("keyder: bad constant " + h)
	}
	return n
}

// P256Size is the length of a P-256 coordinate or scalar.
const P256Size = 32

// MarshalPKIXP256 encodes the P-256 public point (x, y) as a SubjectPublicKeyInfo, byte for
// byte what x509.MarshalPKIXPublicKey writes. The point must be on the curve: a JWK's
// coordinates come from outside.
func MarshalPKIXP256(x, y []byte) ([]byte, error) {
	if err := checkP256Point(x, y); err != nil {
		return nil, err
	}
	return element(tagSequence, p256Algorithm, bitStringElement(uncompressed(x, y))), nil
}

// ParsePKIXP256 decodes a P-256 SubjectPublicKeyInfo with an uncompressed point on the
// curve and returns the point's coordinates.
func ParsePKIXP256(der []byte) (x, y []byte, err error) {
	r, err := sequence(der)
	if err != nil {
		return nil, nil, err
	}
	if err := r.expect(tagSequence, p256Algorithm[2:], "a P-256 algorithm identifier"); err != nil {
		return nil, nil, err
	}
	point, err := r.bitString()
	if err != nil {
		return nil, nil, err
	}
	if err := r.end(); err != nil {
		return nil, nil, err
	}
	return parsePoint(point)
}

// P256PrivateKey is a P-256 private scalar, with the public point when the encoding
// carried one (Public is the 65-byte uncompressed point, or nil).
type P256PrivateKey struct {
	D      []byte // P256Size bytes, 1 <= D < n
	Public []byte
}

// ParseSEC1P256 decodes a SEC 1 ECPrivateKey on P-256 (the "EC PRIVATE KEY" PEM block).
// Its curve parameters, when present, must name P-256.
func ParseSEC1P256(der []byte) (*P256PrivateKey, error) {
	r, err := sequence(der)
	if err != nil {
		return nil, err
	}
	if err := r.small(1); err != nil {
		return nil, err
	}
	d, err := r.read(tagOctetString)
	if err != nil {
		return nil, err
	}
	k := &P256PrivateKey{}
	if k.D, err = checkScalar(d); err != nil {
		return nil, err
	}
	if r.peek(tagContext0) {
		params, err := r.read(tagContext0)
		if err != nil {
			return nil, err
		}
		if string(params) != string(p256Curve) {
			return nil, errors.New("keyder: EC private key is not on P-256")
		}
	}
	if r.peek(tagContext1) {
		pub, err := r.read(tagContext1)
		if err != nil {
			return nil, err
		}
		pr := reader(pub)
		point, err := pr.bitString()
		if err != nil {
			return nil, err
		}
		if err := pr.end(); err != nil {
			return nil, err
		}
		if _, _, err := parsePoint(point); err != nil {
			return nil, err
		}
		k.Public = point
	}
	return k, r.end()
}

// ParsePKCS8P256 decodes a P-256 private key wrapped in PKCS #8 (the "PRIVATE KEY" PEM
// block, the form Sign in with Apple hands out).
func ParsePKCS8P256(der []byte) (*P256PrivateKey, error) {
	r, err := sequence(der)
	if err != nil {
		return nil, err
	}
	if err := r.small(0); err != nil {
		return nil, err
	}
	if err := r.expect(tagSequence, p256Algorithm[2:], "a P-256 algorithm identifier"); err != nil {
		return nil, err
	}
	sec1, err := r.read(tagOctetString)
	if err != nil {
		return nil, err
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	return ParseSEC1P256(sec1)
}

// MarshalSEC1 encodes k as a SEC 1 ECPrivateKey naming P-256, byte for byte what
// x509.MarshalECPrivateKey writes for a key with its public point.
func (k *P256PrivateKey) MarshalSEC1() []byte { return k.sec1(true) }

// MarshalPKCS8 encodes k in PKCS #8 (what WebCrypto's importKey("pkcs8") takes), byte for
// byte what x509.MarshalPKCS8PrivateKey writes for a key with its public point.
func (k *P256PrivateKey) MarshalPKCS8() []byte {
	return element(tagSequence, uintElement(nil), p256Algorithm, element(tagOctetString, k.sec1(false)))
}

// sec1 is the ECPrivateKey, with the curve named inside when withCurve (PKCS #8 names it
// in its algorithm identifier instead).
func (k *P256PrivateKey) sec1(withCurve bool) []byte {
	parts := [][]byte{uintElement([]byte{1}), element(tagOctetString, k.D)}
	if withCurve {
		parts = append(parts, element(tagContext0, p256Curve))
	}
	if k.Public != nil {
		parts = append(parts, element(tagContext1, bitStringElement(k.Public)))
	}
	return element(tagSequence, parts...)
}

// checkScalar checks a private scalar (at most P256Size bytes, 1 <= d < n) and returns it
// left-padded to P256Size bytes.
func checkScalar(d []byte) ([]byte, error) {
	if len(d) > P256Size {
		return nil, fmt.Errorf("keyder: P-256 private key of %d bytes", len(d))
	}
	v := new(big.Int).SetBytes(d)
	if v.Sign() == 0 || v.Cmp(p256N) >= 0 {
		return nil, errors.New("keyder: P-256 private key out of range")
	}
	return v.FillBytes(make([]byte, P256Size)), nil
}

// parsePoint checks an uncompressed point (0x04 || x || y) on P-256.
func parsePoint(point []byte) (x, y []byte, err error) {
	if len(point) != 1+2*P256Size || point[0] != 4 {
		return nil, nil, errors.New("keyder: not an uncompressed P-256 point")
	}
	x, y = point[1:1+P256Size], point[1+P256Size:]
	if err := checkP256Point(x, y); err != nil {
		return nil, nil, err
	}
	return x, y, nil
}

// checkP256Point checks that (x, y) is a point on P-256: both coordinates P256Size bytes and
// below p, and y² = x³ - 3x + b (mod p). Public data, so math/big's variable time is fine.
func checkP256Point(x, y []byte) error {
	if len(x) != P256Size || len(y) != P256Size {
		return errors.New("keyder: P-256 coordinates must be 32 bytes")
	}
	bx, by := new(big.Int).SetBytes(x), new(big.Int).SetBytes(y)
	if bx.Cmp(p256P) >= 0 || by.Cmp(p256P) >= 0 {
		return errors.New("keyder: P-256 coordinate out of range")
	}
	rhs := new(big.Int).Mul(bx, bx)
	rhs.Mul(rhs, bx)
	rhs.Sub(rhs, new(big.Int).Mul(bx, big.NewInt(3)))
	rhs.Add(rhs, p256B)
	rhs.Mod(rhs, p256P)
	lhs := new(big.Int).Mul(by, by)
	lhs.Mod(lhs, p256P)
	if lhs.Cmp(rhs) != 0 {
		return errors.New("keyder: point is not on P-256")
	}
	return nil
}

func uncompressed(x, y []byte) []byte {
	out := make([]byte, 0, 1+2*P256Size)
	return append(append(append(out, 4), x...), y...)
}
