package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// MaxTokenBytes bounds the bearer tokens the gateway looks at.
const MaxTokenBytes = 32 << 10

// errMalformed is wrapped by every parse failure.
var errMalformed = errors.New("gateway: malformed token")

var b64 = base64.RawURLEncoding.Strict()

// jws is a compact JWS split and decoded, not yet verified.
type jws struct {
	alg, kid     string
	signingInput string // header "." payload, as received
	payloadB64   string // the payload segment, as received (base64url of the claims)
	sig          []byte
	claims       map[string]any // numbers as json.Number
}

// parseJWS parses the structure of a compact JWS: three base64url segments (no padding, no
// other bytes), a JSON object header with a string alg, no crit, and a JSON object payload.
// Duplicate member names are refused in both objects, so every reader of the token sees the
// same claims. Header parameters that point at keys (jwk, jku, x5u, x5c) are ignored: keys
// come only from the configured issuer.
func parseJWS(raw string) (*jws, error) {
	if len(raw) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", errMalformed, MaxTokenBytes)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; !isBase64URL(c) && c != '.' {
			return nil, fmt.Errorf("%w: byte %#x at %d", errMalformed, c, i)
		}
	}
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, fmt.Errorf("%w: not three dot-separated parts", errMalformed)
	}
	if h == "" || p == "" {
		return nil, fmt.Errorf("%w: empty part", errMalformed)
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", errMalformed, err)
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", errMalformed, err)
	}
	sig, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", errMalformed, err)
	}
	header, err := decodeObject(hb)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", errMalformed, err)
	}
	t := &jws{signingInput: raw[:len(h)+1+len(p)], payloadB64: p, sig: sig}
	var ok bool
	if t.alg, ok = header["alg"].(string); !ok {
		return nil, fmt.Errorf("%w: header has no string alg", errMalformed)
	}
	if v, present := header["kid"]; present {
		if t.kid, ok = v.(string); !ok {
			return nil, fmt.Errorf("%w: kid is not a string", errMalformed)
		}
	}
	if _, present := header["crit"]; present {
		return nil, fmt.Errorf("%w: header has crit", errMalformed)
	}
	if t.claims, err = decodeObject(pb); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", errMalformed, err)
	}
	return t, nil
}

// decodeObject decodes exactly one JSON object, numbers as json.Number, refusing duplicate
// member names at its top level.
func decodeObject(b []byte) (map[string]any, error) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, errors.New("data after the JSON object")
	}
	// The map keeps the last of duplicate members: count the members to notice.
	if countMembers(b) != len(m) {
		return nil, errors.New("a member name appears twice")
	}
	return m, nil
}

// countMembers counts the top-level members of b, a valid JSON object: the colons outside
// strings at depth one.
func countMembers(b []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// numericDate reads an RFC 7519 NumericDate claim; present reports whether it was there.
func numericDate(claims map[string]any, name string) (v float64, present bool, err error) {
	raw, ok := claims[name]
	if !ok {
		return 0, false, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return 0, true, fmt.Errorf("%s is not a number", name)
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, fmt.Errorf("%s is not a finite number", name)
	}
	return f, true, nil
}

// claimString returns a string claim ("" when absent or not a string).
func claimString(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// claimStrings returns a claim that is a string or an array of strings; ok is false when it
// is present with another shape.
func claimStrings(claims map[string]any, name string) (vals []string, ok bool) {
	switch v := claims[name].(type) {
	case nil:
		_, present := claims[name]
		return nil, !present
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, isString := e.(string)
			if !isString {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// clip shortens s for error messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
