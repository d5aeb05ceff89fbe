// Package keyder reads and writes the few DER key encodings poolgate stores and exchanges
// (PKCS #1 RSA keys, PKIX SubjectPublicKeyInfo for RSA and P-256, SEC 1 and PKCS #8 P-256
// private keys) without crypto/x509, whose parsers for every key type and certificate
// would otherwise be linked into the Worker. Only those fixed shapes are accepted, in strict
// DER (definite minimal lengths, minimal integers, nothing after the key); the tests check
// every shape against crypto/x509.
package keyder

import (
	"errors"
	"fmt"
	"math/big"
)

// DER tags used by the key shapes.
const (
	tagInteger     = 0x02
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagContext0    = 0xa0 // [0] EXPLICIT, constructed
	tagContext1    = 0xa1 // [1] EXPLICIT, constructed
)

// maxLength bounds a single element: the largest key poolgate handles (RSA-8192 PKCS #1) is
// under 5 KB, so a 3-byte length is always enough.
const maxLength = 1 << 16

var errTrailing = errors.New("keyder: bytes after the key")

// reader walks the contents of one constructed element.
type reader []byte

// read returns the contents of the next element, which must have tag.
func (r *reader) read(tag byte) ([]byte, error) {
	b := *r
	if len(b) < 2 {
		return nil, errors.New("keyder: truncated element")
	}
	if b[0] != tag {
		return nil, fmt.Errorf("keyder: tag %#x, want %#x", b[0], tag)
	}
	n, hdr := int(b[1]), 2
	if n >= 0x80 {
		size := n & 0x7f
		if size == 0 || size > 3 || len(b) < 2+size {
			return nil, errors.New("keyder: bad length")
		}
		n = 0
		for _, c := range b[2 : 2+size] {
			n = n<<8 | int(c)
		}
		// DER: the shortest form, so no leading zero byte and no long form under 128.
		if b[2] == 0 || n < 0x80 || n > maxLength {
			return nil, errors.New("keyder: non-minimal or oversized length")
		}
		hdr += size
	}
	if len(b)-hdr < n {
		return nil, errors.New("keyder: truncated element")
	}
	*r = b[hdr+n:]
	return b[hdr : hdr+n], nil
}

// peek reports whether the next element has tag.
func (r reader) peek(tag byte) bool { return len(r) > 0 && r[0] == tag }

// end checks that nothing is left.
func (r reader) end() error {
	if len(r) != 0 {
		return errTrailing
	}
	return nil
}

// sequence reads der as exactly one SEQUENCE and returns a reader over its contents.
func sequence(der []byte) (reader, error) {
	r := reader(der)
	body, err := r.read(tagSequence)
	if err != nil {
		return nil, err
	}
	return reader(body), r.end()
}

// uint reads a non-negative INTEGER in minimal encoding and returns its magnitude without
// the leading zero byte a high bit needs.
func (r *reader) uint() ([]byte, error) {
	b, err := r.read(tagInteger)
	if err != nil {
		return nil, err
	}
	switch {
	case len(b) == 0:
		return nil, errors.New("keyder: empty integer")
	case b[0]&0x80 != 0:
		return nil, errors.New("keyder: negative integer")
	case len(b) > 1 && b[0] == 0 && b[1]&0x80 == 0:
		return nil, errors.New("keyder: non-minimal integer")
	case b[0] == 0:
		return b[1:], nil
	}
	return b, nil
}

// bigInt reads a non-negative INTEGER as a big.Int.
func (r *reader) bigInt() (*big.Int, error) {
	b, err := r.uint()
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}

// small reads a non-negative INTEGER that must equal want (a version field).
func (r *reader) small(want byte) error {
	b, err := r.uint()
	if err != nil {
		return err
	}
	if !(len(b) == 0 && want == 0) && !(len(b) == 1 && b[0] == want) {
		return fmt.Errorf("keyder: version %x, want %d", b, want)
	}
	return nil
}

// expect reads an element that must be exactly tag and contents.
func (r *reader) expect(tag byte, contents []byte, what string) error {
	b, err := r.read(tag)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, what)
	}
	if string(b) != string(contents) {
		return fmt.Errorf("keyder: not %s", what)
	}
	return nil
}

// bitString reads a BIT STRING of whole bytes.
func (r *reader) bitString() ([]byte, error) {
	b, err := r.read(tagBitString)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[0] != 0 {
		return nil, errors.New("keyder: bit string with unused bits")
	}
	return b[1:], nil
}

// element encodes one element from its contents.
func element(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n+5)
	out = append(out, tag)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// uintElement encodes a non-negative integer given as big-endian magnitude.
func uintElement(mag []byte) []byte {
	for len(mag) > 0 && mag[0] == 0 {
		mag = mag[1:]
	}
	if len(mag) == 0 || mag[0]&0x80 != 0 {
		return element(tagInteger, []byte{0}, mag)
	}
	return element(tagInteger, mag)
}

// bitStringElement encodes whole bytes as a BIT STRING.
func bitStringElement(b []byte) []byte { return element(tagBitString, []byte{0}, b) }
