package jose

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// NumericDate is an RFC 7519 NumericDate: seconds since the epoch, a fraction allowed.
type NumericDate float64

// Time returns d as a time, clamped to what time.Time holds in nanoseconds since the epoch.
func (d NumericDate) Time() time.Time {
	const maxSecs = math.MaxInt64 / 1e9
	switch s := float64(d); {
	case s >= maxSecs:
		return time.Unix(0, math.MaxInt64)
	case s <= -maxSecs:
		return time.Unix(0, math.MinInt64)
	default:
		return time.Unix(0, int64(s*1e9))
	}
}

// Claims are a token's payload, decoded once: the registered claims poolgate reads, typed,
// and every claim in Raw (numbers as json.Number, so large integers stay exact).
type Claims struct {
	Issuer   string   // iss
	Subject  string   // sub
	Audience []string // aud (a string or an array of strings)
	ClientID string   // client_id (Cognito access tokens carry it instead of aud)
	TokenUse string   // token_use (Cognito: "id" or "access")
	// Expiry, NotBefore and IssuedAt are exp, nbf and iat; nil when absent.
	Expiry, NotBefore, IssuedAt *NumericDate
	Raw                         map[string]any
}

// DecodeClaims decodes a JWT payload (JSON, not base64): one JSON object without duplicate
// members, whose registered claims have their registered types when present: iss, sub,
// client_id, token_use and jti strings, aud a string or an array of strings, exp, nbf and
// iat finite numbers. Errors match ErrMalformed.
func DecodeClaims(payload []byte) (*Claims, error) {
	raw, err := decodeObject(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	c := &Claims{Raw: raw}
	var jti string
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"iss", &c.Issuer}, {"sub", &c.Subject}, {"client_id", &c.ClientID}, {"token_use", &c.TokenUse}, {"jti", &jti}} {
		name, dst := f.name, f.dst
		v, present := raw[name]
		if !present {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%w: claim %s is not a string", ErrMalformed, name)
		}
		*dst = s
	}
	if _, present := raw["aud"]; present {
		aud, ok := c.Strings("aud")
		if !ok {
			return nil, fmt.Errorf("%w: claim aud is not a string or an array of strings", ErrMalformed)
		}
		c.Audience = aud
	}
	for _, f := range [...]struct {
		name string
		dst  **NumericDate
	}{{"exp", &c.Expiry}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}} {
		name, dst := f.name, f.dst
		v, present := raw[name]
		if !present {
			continue
		}
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%w: claim %s is not a number", ErrMalformed, name)
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%w: claim %s is not a finite number", ErrMalformed, name)
		}
		d := NumericDate(f)
		*dst = &d
	}
	return c, nil
}

// String returns a string claim ("" when absent or not a string).
func (c *Claims) String(name string) string {
	s, _ := c.Raw[name].(string)
	return s
}

// Strings returns a claim that is a string or an array of strings; ok is false when the
// claim is present with another shape (null included), true with nil when it is absent.
func (c *Claims) Strings(name string) (vals []string, ok bool) {
	v, present := c.Raw[name]
	if !present {
		return nil, true
	}
	switch v := v.(type) {
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

// IssuedAtGrace is how far beyond the skew a token's iat may lie ahead of now. Issuers write
// whole seconds, and poolgate itself rounds iat up to the next second for sign-ins right
// after a sign-out (internal/userpool revoke.go), so an authentic token can carry an iat up
// to a second ahead of the clock that checks it.
const IssuedAtGrace = time.Second

// CheckTimes checks exp (required), nbf and iat against now, each with leeway skew.
//
// One resolution everywhere: now is taken with its nanoseconds and compared with the claim's
// exact (possibly fractional) value. exp is exclusive: a token is expired from the instant
// now >= exp + skew (ErrExpired). nbf is inclusive: refused while now < nbf - skew; a token
// issued in the future, iat > now + skew + IssuedAtGrace, is refused too (both
// ErrNotYetValid). A missing exp is ErrMalformed: poolgate reads no token that never expires.
func (c *Claims) CheckTimes(now time.Time, skew time.Duration) error {
	t := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	leeway := skew.Seconds()
	switch {
	case c.Expiry == nil:
		return fmt.Errorf("%w: no exp claim", ErrMalformed)
	case t >= float64(*c.Expiry)+leeway:
		return fmt.Errorf("%w: exp %s, now %v", ErrExpired, c.number("exp"), now.Unix())
	case c.NotBefore != nil && t < float64(*c.NotBefore)-leeway:
		return fmt.Errorf("%w: nbf %s, now %v", ErrNotYetValid, c.number("nbf"), now.Unix())
	case c.IssuedAt != nil && float64(*c.IssuedAt) > t+leeway+IssuedAtGrace.Seconds():
		return fmt.Errorf("%w: issued in the future (iat %s, now %v)", ErrNotYetValid, c.number("iat"), now.Unix())
	}
	return nil
}

// number returns a numeric claim as the token wrote it, cut for an error message.
func (c *Claims) number(name string) string {
	s := fmt.Sprint(c.Raw[name])
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return s
}

// Expect is what a caller accepts beyond a good signature and good times. Empty fields are
// not checked.
type Expect struct {
	Issuers   []string // iss must equal one of them
	Audiences []string // aud must name one of them
	TokenUse  string   // token_use must equal it
}

// Check checks the claims against e: ErrWrongIssuer, ErrWrongTokenUse, ErrWrongAudience.
func (c *Claims) Check(e Expect) error {
	if len(e.Issuers) > 0 && !slices.Contains(e.Issuers, c.Issuer) {
		return fmt.Errorf("%w: %s", ErrWrongIssuer, quote(c.Issuer))
	}
	if e.TokenUse != "" && c.TokenUse != e.TokenUse {
		return fmt.Errorf("%w: %s, want %s", ErrWrongTokenUse, quote(c.TokenUse), e.TokenUse)
	}
	if len(e.Audiences) > 0 && !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(e.Audiences, a) }) {
		return fmt.Errorf("%w: %d audience(s), none accepted", ErrWrongAudience, len(c.Audience))
	}
	return nil
}
