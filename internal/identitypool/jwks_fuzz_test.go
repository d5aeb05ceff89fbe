package identitypool

import (
	"strings"
	"testing"
)

// FuzzParseJWKS: a provider's JWKS is outside input; parsing never panics, and every key it
// keeps is usable (a PKIX key for RS256 or ES256 under a non-empty kid).
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"},{"kty":"RSA","kid":"r","alg":"RS512","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseJWKS(b)
		if err != nil {
			return
		}
		for kid, k := range keys {
			if kid == "" || len(k.pkix) == 0 || (k.alg != "RS256" && k.alg != "ES256") {
				t.Fatalf("unusable key %q: %+v", kid, k)
			}
		}
	})
}

func TestParseJWKSKeepsOnlyUsableKeys(t *testing.T) {
	keys, err := parseJWKS([]byte(`{"keys":[
		{"kty":"EC","kid":"e","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"},
		{"kty":"EC","kid":"off-curve","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyQ"},
		{"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"},
		{"kty":"oct","kid":"h","k":"c2VjcmV0"},
		{"kty":"RSA","kid":"short","n":"AQAB","e":"AQAB"},
		{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys["e"].alg != "ES256" {
		t.Fatalf("kept %v", keys)
	}
	if _, err := parseJWKS([]byte(`{"keys":[` + repeatKeys(65) + `]}`)); err == nil {
		t.Fatal("a JWKS with 65 keys was accepted")
	}
}

func repeatKeys(n int) string {
	return strings.TrimSuffix(strings.Repeat(`{"kty":"oct","kid":"k"},`, n), ",")
}
