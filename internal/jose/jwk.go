package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/poolgate/poolgate/internal/keyder"
)

// The algorithms poolgate verifies. Nothing else can pass: there is no code path for "none"
// or for HMAC, and a key verifies only the algorithm of its type.
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
	ES256 = "ES256" // ECDSA on P-256 with SHA-256
)

// Limits on what a JWKS may hold.
const (
	MaxJWKSBytes = 256 << 10
	MaxJWKSKeys  = 64
	minRSABits   = 2048
	maxRSABits   = 8192
)

// Key is one public key a token may be verified with.
type Key struct {
	Kid string
	Alg string // the JWK's alg; "" when it names none
	Kty string // "RSA" or "EC" (P-256)
	DER []byte // PKIX SubjectPublicKeyInfo, as hostcrypto takes it
}

// Fits reports whether the key may verify a token whose header says alg: RS256 needs an RSA
// key, ES256 a P-256 key, and a key naming an alg verifies only that one.
func (k *Key) Fits(alg string) bool {
	if k.Alg != "" && k.Alg != alg {
		return false
	}
	switch alg {
	case RS256:
		return k.Kty == "RSA"
	case ES256:
		return k.Kty == "EC"
	}
	return false
}

// Equal reports whether k and o are the same key under the same kid and alg.
func (k *Key) Equal(o *Key) bool {
	return k.Kid == o.Kid && k.Alg == o.Alg && k.Kty == o.Kty && bytes.Equal(k.DER, o.DER)
}

// Keys is an immutable set of keys by kid.
type Keys struct {
	byKid map[string]*Key
}

// NewKeys returns a set of keys; a kid given twice keeps neither (no token can name one of
// them safely).
func NewKeys(keys ...*Key) *Keys {
	s := &Keys{byKid: make(map[string]*Key, len(keys))}
	dup := map[string]bool{}
	for _, k := range keys {
		if _, seen := s.byKid[k.Kid]; seen || dup[k.Kid] {
			delete(s.byKid, k.Kid)
			dup[k.Kid] = true
			continue
		}
		s.byKid[k.Kid] = k
	}
	return s
}

// Len is the number of keys in the set.
func (s *Keys) Len() int { return len(s.byKid) }

// Lookup returns the key named kid. A token without a kid may use the set's only key; when
// the set holds more than one, a kid is required.
func (s *Keys) Lookup(kid string) (*Key, error) {
	if kid == "" {
		if len(s.byKid) == 1 {
			for _, k := range s.byKid {
				return k, nil
			}
		}
		return nil, fmt.Errorf("%w: the token has no kid and the key set holds %d keys", ErrUnknownKey, len(s.byKid))
	}
	if k, ok := s.byKid[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %s", ErrUnknownKey, quote(kid))
}

// Equal reports whether s and o hold the same keys.
func (s *Keys) Equal(o *Keys) bool {
	if len(s.byKid) != len(o.byKid) {
		return false
	}
	for kid, k := range s.byKid {
		ok, found := o.byKid[kid]
		if !found || !k.Equal(ok) {
			return false
		}
	}
	return true
}

// ParseJWKS reads a JSON Web Key Set of at most MaxJWKSBytes and MaxJWKSKeys keys and keeps
// the keys poolgate can verify with: RSA (2048 to 8192 bits, odd modulus, odd exponent
// 3..2^31-1) and EC P-256 keys (on the curve) with a kid, whose use, if given, is "sig" and
// whose alg, if given, fits their type. Other keys (symmetric "oct", OKP, encryption keys,
// keys without kid, two keys under one kid) are skipped and counted in skipped, so no token
// can be checked against a shared secret. A set that is not a JSON object with a "keys" array
// is an error.
func ParseJWKS(b []byte) (keys *Keys, skipped int, err error) {
	if len(b) > MaxJWKSBytes {
		return nil, 0, fmt.Errorf("jose: JWKS of %d bytes; at most %d", len(b), MaxJWKSBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, 0, fmt.Errorf("jose: JWKS: %w", err)
	}
	if set.Keys == nil {
		return nil, 0, errors.New("jose: JWKS has no keys member")
	}
	if len(set.Keys) > MaxJWKSKeys {
		return nil, 0, fmt.Errorf("jose: JWKS has %d keys; at most %d", len(set.Keys), MaxJWKSKeys)
	}
	usable := make([]*Key, 0, len(set.Keys))
	count := map[string]int{}
	for _, raw := range set.Keys {
		k, err := parseJWK(raw)
		if err != nil {
			skipped++
			continue
		}
		count[k.Kid]++
		usable = append(usable, k)
	}
	keys = NewKeys(usable...)
	for _, n := range count {
		if n > 1 {
			skipped += n
		}
	}
	return keys, skipped, nil
}

func parseJWK(raw json.RawMessage) (*Key, error) {
	var j struct {
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		Alg string `json:"alg"`
		Use string `json:"use"`
		N   string `json:"n"`
		E   string `json:"e"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if j.Kid == "" {
		return nil, errors.New("no kid")
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("use %s", quote(j.Use))
	}
	k := &Key{Kid: j.Kid, Alg: j.Alg, Kty: j.Kty}
	switch j.Kty {
	case "RSA":
		if j.Alg != "" && j.Alg != RS256 {
			return nil, fmt.Errorf("RSA key for %s", quote(j.Alg))
		}
		n, err1 := decodeB64Int(j.N)
		e, err2 := decodeB64Int(j.E)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad n or e")
		}
		der, err := rsaKeyDER(n, e)
		if err != nil {
			return nil, err
		}
		k.DER = der
	case "EC":
		if j.Crv != "P-256" || (j.Alg != "" && j.Alg != ES256) {
			return nil, fmt.Errorf("EC key on %s for %s", quote(j.Crv), quote(j.Alg))
		}
		x, err1 := b64.DecodeString(j.X)
		y, err2 := b64.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC coordinates")
		}
		der, err := keyder.MarshalPKIXP256(x, y)
		if err != nil {
			return nil, err // not on the curve
		}
		k.DER = der
	default:
		return nil, fmt.Errorf("kty %s", quote(j.Kty))
	}
	return k, nil
}

// rsaKeyDER checks an RSA public key (2048 to 8192 bits, odd modulus, odd exponent
// 3..2^31-1) and returns it as PKIX DER.
func rsaKeyDER(n, e *big.Int) ([]byte, error) {
	if n.BitLen() < minRSABits || n.BitLen() > maxRSABits || n.Bit(0) == 0 {
		return nil, fmt.Errorf("RSA modulus of %d bits", n.BitLen())
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	return keyder.MarshalPKIXRSA(&keyder.RSAPublicKey{N: n, E: int(e.Int64())}), nil
}

// decodeB64Int decodes a JWK integer. Trailing "=" padding is tolerated here (some
// providers publish it); the digits themselves must be canonical base64url.
func decodeB64Int(s string) (*big.Int, error) {
	b, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}
