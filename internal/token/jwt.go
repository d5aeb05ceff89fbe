// Package token owns user-pool JWTs: RS256 signing and verification through the host's
// crypto provider, the per-pool signing keys (generation, encrypted storage, rotation)
// and the JWKS that publishes them.
package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The two uses a pool has a signing key for; each token_use gets its own key, as in Cognito.
const (
	UseID     = "id"
	UseAccess = "access"
)

// Alg is the only JWS algorithm poolgate issues or accepts.
const Alg = "RS256"

// MaxTokenLen bounds the length of a token Verify and ParseUnverified will look at.
const MaxTokenLen = 64 << 10

var (
	// ErrInvalid is returned (wrapped, with detail) for a token that is malformed, uses another
	// algorithm, names an unknown key, does not verify or whose claims are unusable.
	ErrInvalid = errors.New("token: invalid token")
	// ErrExpired is returned (wrapped) for an authentic token whose exp has passed.
	ErrExpired = errors.New("token: token expired")
)

var b64 = base64.RawURLEncoding.Strict()

// parsed is a JWS compact serialization split and decoded, not yet verified.
type parsed struct {
	header       map[string]any
	alg, kid     string
	signingInput string // header "." payload, as received
	payload      []byte
	sig          []byte
}

// split parses the structure of a compact JWS: three non-empty base64url segments without
// padding, a JSON object header. The payload is decoded from base64 but not parsed.
func split(raw string) (*parsed, error) {
	if len(raw) > MaxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, MaxTokenLen)
	}
	// base64's decoder skips CR and LF; allow only the alphabet and the separators, so that
	// one token has exactly one spelling.
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; !isBase64URL(c) && c != '.' {
			return nil, fmt.Errorf("%w: byte %#x at %d", ErrInvalid, c, i)
		}
	}
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, fmt.Errorf("%w: not three dot-separated parts", ErrInvalid)
	}
	if h == "" || p == "" || s == "" {
		return nil, fmt.Errorf("%w: empty part", ErrInvalid)
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrInvalid, err)
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	sb, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrInvalid, err)
	}
	header, err := decodeObject(hb)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrInvalid, err)
	}
	t := &parsed{header: header, signingInput: raw[:len(h)+1+len(p)], payload: pb, sig: sb}
	t.alg, _ = header["alg"].(string)
	t.kid, _ = header["kid"].(string)
	return t, nil
}

// checkHeader enforces what Verify accepts: RS256, a string kid, no critical extensions.
func (t *parsed) checkHeader() error {
	if t.alg != Alg {
		return fmt.Errorf("%w: alg %v is not %s", ErrInvalid, t.header["alg"], Alg)
	}
	if t.kid == "" {
		return fmt.Errorf("%w: header has no kid", ErrInvalid)
	}
	if _, ok := t.header["crit"]; ok {
		return fmt.Errorf("%w: header has crit", ErrInvalid)
	}
	return nil
}

// ParseUnverified decodes a token's header and claims WITHOUT checking its signature,
// algorithm or expiry. Use it for diagnostics and to pick the key to verify with (e.g.
// reading iss), never to trust the claims. Errors wrap ErrInvalid.
func ParseUnverified(raw string) (header, claims map[string]any, err error) {
	t, err := split(raw)
	if err != nil {
		return nil, nil, err
	}
	claims, err = decodeObject(t.payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: claims: %v", ErrInvalid, err)
	}
	return t.header, claims, nil
}

// decodeObject decodes exactly one JSON object, numbers as json.Number.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// checkClaims checks the claims' shape: exp is required and numeric, nbf numeric when
// present, token_use (when present) matches the key's use.
func checkClaims(claims map[string]any, use string) error {
	if _, err := numericDate(claims, "exp", true); err != nil {
		return err
	}
	if _, err := numericDate(claims, "nbf", false); err != nil {
		return err
	}
	if tu, ok := claims["token_use"]; ok && tu != use {
		return fmt.Errorf("%w: token_use %v signed with the %s key", ErrInvalid, tu, use)
	}
	return nil
}

// checkTimes checks exp (ErrExpired at or after it) and nbf against now.
func checkTimes(claims map[string]any, now time.Time) error {
	exp, err := numericDate(claims, "exp", true)
	if err != nil {
		return err
	}
	t := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	if t >= exp {
		return fmt.Errorf("%w: exp %v, now %d", ErrExpired, claims["exp"], now.Unix())
	}
	nbf, err := numericDate(claims, "nbf", false)
	if err != nil {
		return err
	}
	if t < nbf {
		return fmt.Errorf("%w: not valid before %v, now %d", ErrInvalid, claims["nbf"], now.Unix())
	}
	return nil
}

// numericDate reads an RFC 7519 NumericDate claim (decoded with UseNumber); a missing
// optional claim reads as 0, the epoch, which no check trips on.
func numericDate(claims map[string]any, name string, required bool) (float64, error) {
	v, ok := claims[name]
	if !ok {
		if required {
			return 0, fmt.Errorf("%w: no %s claim", ErrInvalid, name)
		}
		return 0, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a number", ErrInvalid, name)
	}
	f, err := n.Float64()
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	return f, nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// encodeJSON marshals v without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
