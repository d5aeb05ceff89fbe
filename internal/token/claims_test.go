package token

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/poolgate/poolgate/internal/jose"
)

// agreesWithDecoder fails t when checkClaims accepts claims that, encoded as Sign encodes
// them, jose.DecodeClaims would not read as a token of use with a numeric exp.
func agreesWithDecoder(t *testing.T, claims map[string]any, use string) bool {
	t.Helper()
	if checkClaims(claims, use) != nil {
		return false
	}
	payload, err := encodeJSON(claims)
	if err != nil {
		return false // Sign reports the encoding error: no token is issued
	}
	c, err := jose.DecodeClaims(payload)
	if err != nil {
		t.Fatalf("checkClaims accepted %v, the decoder refuses %s: %v", claims, payload, err)
	}
	if c.Expiry == nil || (c.TokenUse != "" && c.TokenUse != use) {
		t.Fatalf("checkClaims accepted %s for use %s: exp %v, token_use %q", payload, use, c.Expiry, c.TokenUse)
	}
	return true
}

// TestCheckClaimsTypes: the Go types Sign's callers pass, accepted and refused as the
// decoder reads their encoding.
func TestCheckClaimsTypes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]any
		ok     bool
	}{
		{"int64 exp", map[string]any{"exp": int64(1)}, true},
		{"float exp", map[string]any{"exp": 1.5}, true},
		{"json.Number exp", map[string]any{"exp": json.Number("17e8")}, true},
		{"uint64 iat", map[string]any{"exp": 1, "iat": uint64(math.MaxUint64)}, true},
		{"aud string", map[string]any{"exp": 1, "aud": "client"}, true},
		{"aud list", map[string]any{"exp": 1, "aud": []string{"a", "b"}}, true},
		{"aud empty list", map[string]any{"exp": 1, "aud": []string{}}, true},
		{"token_use of the key", map[string]any{"exp": 1, "token_use": "id"}, true},
		{"no exp", map[string]any{"iat": 1}, false},
		{"NaN exp", map[string]any{"exp": math.NaN()}, false},
		{"infinite exp", map[string]any{"exp": json.Number("1e999")}, false},
		{"exp string", map[string]any{"exp": "1"}, false},
		{"exp bool", map[string]any{"exp": true}, false},
		{"nbf string", map[string]any{"exp": 1, "nbf": "1"}, false},
		{"sub number", map[string]any{"exp": 1, "sub": 7}, false},
		{"iss pointer", map[string]any{"exp": 1, "iss": new(string)}, false},
		{"aud nil list", map[string]any{"exp": 1, "aud": []string(nil)}, false},
		{"aud numbers", map[string]any{"exp": 1, "aud": []int{1}}, false},
		{"aud null", map[string]any{"exp": 1, "aud": nil}, false},
		{"token_use of the other key", map[string]any{"exp": 1, "token_use": "access"}, false},
	} {
		if got := agreesWithDecoder(t, tc.claims, UseID); got != tc.ok {
			t.Errorf("%s: accepted %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// FuzzCheckClaims: whatever claims checkClaims accepts (decoded from JSON with numbers as
// float64 or json.Number, as callers build them), the verifier's decoder reads the token
// Sign would encode from them.
func FuzzCheckClaims(f *testing.F) {
	for _, seed := range []string{
		`{"exp":1,"token_use":"id","aud":"c","sub":"s"}`,
		`{"exp":1e308,"nbf":-1,"iat":0.5}`,
		`{"exp":"1"}`,
		`{"exp":1,"aud":["a",1]}`,
		`{"exp":1,"jti":null}`,
		`{"exp":123456789012345678901234567890}`,
		`{"exp":1,"token_use":"access"}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, useNumber bool) {
		dec := json.NewDecoder(bytes.NewReader(b))
		if useNumber {
			dec.UseNumber()
		}
		var claims map[string]any
		if dec.Decode(&claims) != nil || claims == nil {
			return
		}
		if aud, ok := claims["aud"].([]any); ok { // callers pass lists as []string
			list := make([]string, 0, len(aud))
			for _, v := range aud {
				if s, ok := v.(string); ok {
					list = append(list, s)
				}
			}
			claims["aud"] = list
		}
		agreesWithDecoder(t, claims, UseID)
		agreesWithDecoder(t, claims, UseAccess)
	})
}
