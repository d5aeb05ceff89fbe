package jose

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

func TestParseJWKS(t *testing.T) {
	keys, ec := testKeys(t)
	r := rsaJWK("r", &keys[0].PublicKey)
	e := ecJWK("e", &ec.PublicKey)
	with := func(m map[string]any, k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range m {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	small := new(big.Int).Lsh(big.NewInt(1), 1023)
	small.Add(small, big.NewInt(1))
	huge := new(big.Int).Lsh(big.NewInt(1), 8200)
	huge.Add(huge, big.NewInt(1))
	offCurve := with(e, "y", Encode(make([]byte, 32)))
	set, skipped, err := ParseJWKS(jwksJSON(
		r, e,
		with(r, "kid", nil),                        // no kid
		with(with(r, "kid", "enc"), "use", "enc"),  // encryption key
		with(with(r, "kid", "hs"), "alg", "HS256"), // RSA key claiming HS256
		map[string]any{"kid": "oct", "kty": "oct", "k": "c2VjcmV0"},
		with(with(r, "kid", "small"), "n", Encode(small.Bytes())),
		with(with(r, "kid", "huge"), "n", Encode(huge.Bytes())),
		with(with(r, "kid", "even-e"), "e", "AAE"),
		with(with(r, "kid", "e-1"), "e", "AQ"),
		with(with(r, "kid", "bad-n"), "n", "!!"),
		with(with(e, "kid", "p384"), "crv", "P-384"),
		with(with(e, "kid", "es384"), "alg", "ES384"),
		with(with(e, "kid", "short-x"), "x", "AA"),
		with(offCurve, "kid", "off"),
		map[string]any{"kid": "okp", "kty": "OKP", "crv": "Ed25519", "x": "AA"},
		with(r, "kid", "dup"), with(with(e, "kid", "dup"), "alg", nil),
	))
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 2 || skipped != 16 {
		t.Fatalf("kept %d keys, skipped %d", set.Len(), skipped)
	}
	rk, err1 := set.Lookup("r")
	ek, err2 := set.Lookup("e")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !rk.Fits(RS256) || rk.Fits(ES256) || !ek.Fits(ES256) || ek.Fits(RS256) || rk.Fits("HS256") || rk.Fits("none") {
		t.Fatal("Fits")
	}
	if _, err := set.Lookup(""); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("no kid with two keys: %v", err)
	}
	if _, err := set.Lookup("dup"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("a kid given twice must name no key: %v", err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"keys":{}}`, `{"keys":null}`, `nope`, ``} {
		if _, _, err := ParseJWKS([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if s, _, err := ParseJWKS([]byte(`{"keys":[]}`)); err != nil || s.Len() != 0 {
		t.Errorf("an empty key set is valid: %v", err)
	}
	// Padded integers are tolerated (some providers publish them).
	if s, _, err := ParseJWKS(jwksJSON(with(r, "n", r["n"].(string)+"=="))); err != nil || s.Len() != 1 {
		t.Errorf("padded n: %v", err)
	}
	many := make([]map[string]any, MaxJWKSKeys+1)
	for i := range many {
		many[i] = with(r, "kid", fmt.Sprint(i))
	}
	if _, _, err := ParseJWKS(jwksJSON(many...)); err == nil {
		t.Error("a JWKS with too many keys accepted")
	}
	if _, _, err := ParseJWKS([]byte(`{"keys":[],"x":"` + strings.Repeat("a", MaxJWKSBytes) + `"}`)); err == nil {
		t.Error("an oversized JWKS accepted")
	}
	one, _, _ := ParseJWKS(jwksJSON(r))
	if k, err := one.Lookup(""); err != nil || k.Kid != "r" {
		t.Errorf("no kid with a single key: %v %v", k, err)
	}
	if !set.Equal(set) || set.Equal(one) {
		t.Error("Equal")
	}
}

// FuzzParseJWKS: a JWKS from the network never panics the parser, and every key it keeps is
// usable: a PKIX key of the type its kty says, under a non-empty kid.
func FuzzParseJWKS(f *testing.F) {
	keys, ec := testKeys(f)
	f.Add(jwksJSON(rsaJWK("r", &keys[0].PublicKey), ecJWK("e", &ec.PublicKey)))
	f.Add([]byte(`{"keys":[{"kid":"a","kty":"oct","k":"AA"},{"kid":"b","kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kid":"a","kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, _, err := ParseJWKS(b)
		if err != nil {
			return
		}
		for kid, k := range set.byKid {
			pub, err := x509.ParsePKIXPublicKey(k.DER)
			if err != nil || kid != k.Kid || kid == "" {
				t.Fatalf("key %q: %v", kid, err)
			}
			switch pub.(type) {
			case *rsa.PublicKey:
				if k.Kty != "RSA" || !k.Fits(RS256) {
					t.Fatalf("RSA key with kty %q alg %q", k.Kty, k.Alg)
				}
			case *ecdsa.PublicKey:
				if k.Kty != "EC" || !k.Fits(ES256) {
					t.Fatalf("EC key with kty %q alg %q", k.Kty, k.Alg)
				}
			default:
				t.Fatalf("key of type %T", pub)
			}
		}
	})
}
