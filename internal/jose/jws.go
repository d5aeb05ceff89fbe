package jose

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// MaxTokenLen bounds the length of a token Parse looks at. Cognito's tokens are a few
// kilobytes; the bound keeps hostile input from buying unbounded decoding work.
const MaxTokenLen = 32 << 10

// b64 is base64url without padding, refusing non-canonical trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// JWS is a compact JWS that Parse has split and decoded. Nothing in it is trusted until a
// signature check with a configured key has passed: its claims are reachable only through
// UnverifiedClaims, or as the result of Verifier.Verify and Verifier.VerifyParsed.
type JWS struct {
	Alg string // the header's alg (any string; the allow-list judges it)
	Kid string // the header's kid, "" when absent
	// SigningInput is header "." payload as received: the bytes the signature covers.
	SigningInput string
	// Payload is the payload segment as received (base64url of the claims JSON).
	Payload   string
	Signature []byte
	claims    *Claims
}

// UnverifiedClaims returns the token's claims WITHOUT any signature, algorithm or time check.
// Use them only to choose how to verify (which pool or issuer's keys), never to trust them.
func (t *JWS) UnverifiedClaims() *Claims { return t.claims }

// Parse parses the structure of a compact JWS, strictly, so that one token has exactly one
// reading for every party:
//   - at most MaxTokenLen bytes, three segments of the base64url alphabet separated by dots
//     (no padding, no whitespace; non-canonical trailing bits are refused), header and payload
//     non-empty; the signature may be empty (alg "none" is then refused by the allow-list);
//   - header and payload are each exactly one JSON object with no member name twice (at the
//     top level), nothing after it;
//   - the header has a string alg, a string kid if any, and no crit (no extension is
//     understood); jwk, jku, x5u and x5c are ignored: keys come only from configured sets;
//   - registered claims have their registered types (see Claims).
//
// Every error matches ErrMalformed.
func Parse(raw string) (*JWS, error) {
	if len(raw) > MaxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenLen)
	}
	// base64's decoder skips CR and LF even in strict mode: allow only the alphabet and dots.
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; !isBase64URL(c) && c != '.' {
			return nil, fmt.Errorf("%w: byte %#x at %d", ErrMalformed, c, i)
		}
	}
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, fmt.Errorf("%w: not three dot-separated parts", ErrMalformed)
	}
	if h == "" || p == "" {
		return nil, fmt.Errorf("%w: empty header or payload", ErrMalformed)
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	sig, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	header, err := decodeObject(hb)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	t := &JWS{SigningInput: raw[:len(h)+1+len(p)], Payload: p, Signature: sig}
	var ok bool
	if t.Alg, ok = header["alg"].(string); !ok {
		return nil, fmt.Errorf("%w: header has no string alg", ErrMalformed)
	}
	if v, present := header["kid"]; present {
		if t.Kid, ok = v.(string); !ok {
			return nil, fmt.Errorf("%w: kid is not a string", ErrMalformed)
		}
	}
	if _, present := header["crit"]; present {
		return nil, fmt.Errorf("%w: header has crit", ErrMalformed)
	}
	if t.claims, err = DecodeClaims(pb); err != nil {
		return nil, err
	}
	return t, nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Encode is base64url without padding, the encoding of every JWS segment.
func Encode(b []byte) string { return b64.EncodeToString(b) }

// Decode decodes one JWS segment (base64url, no padding, canonical).
func Decode(seg string) ([]byte, error) { return b64.DecodeString(seg) }
