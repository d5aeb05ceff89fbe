package jose

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestClaimReaders(t *testing.T) {
	c, err := DecodeClaims([]byte(`{"s":"one","l":["x","y"],"nul":null,"mixed":["a",1],"n":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.String("s") != "one" || c.String("n") != "" || c.String("missing") != "" {
		t.Error("String")
	}
	if v, ok := c.Strings("s"); !ok || len(v) != 1 || v[0] != "one" {
		t.Errorf("string claim: %v %v", v, ok)
	}
	if v, ok := c.Strings("l"); !ok || len(v) != 2 {
		t.Errorf("list claim: %v %v", v, ok)
	}
	if v, ok := c.Strings("missing"); !ok || v != nil {
		t.Errorf("missing claim: %v %v", v, ok)
	}
	for _, name := range []string{"nul", "mixed", "n"} {
		if _, ok := c.Strings(name); ok {
			t.Errorf("%s is not a string list", name)
		}
	}
	if c.Expiry != nil || c.NotBefore != nil || c.IssuedAt != nil {
		t.Error("absent times must be nil")
	}
}

// TestCheckTimes pins the one time rule: fractional now against the exact claim, exp
// exclusive, nbf inclusive, iat up to skew + IssuedAtGrace ahead.
func TestCheckTimes(t *testing.T) {
	now := time.Unix(1_900_000_000, 500_000_000) // x.5 s
	claims := func(s string) *Claims {
		c, err := DecodeClaims([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		claims string
		skew   time.Duration
		want   error
	}{
		{`{"exp":1900000001}`, 0, nil},
		{`{"exp":1900000000.6}`, 0, nil},
		{`{"exp":1900000000.5}`, 0, ErrExpired}, // exclusive, at sub-second resolution
		{`{"exp":1900000000}`, 0, ErrExpired},
		{`{"exp":1900000000}`, time.Second, nil},
		{`{"exp":1899999999}`, time.Second, ErrExpired},
		{`{"exp":-1}`, 0, ErrExpired},
		{`{"exp":1e300}`, 0, nil},
		{`{}`, time.Hour, ErrMalformed},
		{`{"exp":1900000100,"nbf":1900000000.5}`, 0, nil}, // inclusive
		{`{"exp":1900000100,"nbf":1900000000.6}`, 0, ErrNotYetValid},
		{`{"exp":1900000100,"nbf":1900000030}`, 30 * time.Second, nil},
		{`{"exp":1900000100,"nbf":1900000031}`, 30 * time.Second, ErrNotYetValid},
		{`{"exp":1900000100,"iat":1900000001.5}`, 0, nil}, // IssuedAtGrace
		{`{"exp":1900000100,"iat":1900000001.6}`, 0, ErrNotYetValid},
		{`{"exp":1900000100,"iat":1900000031.5}`, 30 * time.Second, nil},
		{`{"exp":1900000100,"iat":1900000032}`, 30 * time.Second, ErrNotYetValid},
	} {
		err := claims(tc.claims).CheckTimes(now, tc.skew)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s skew %v: %v, want %v", tc.claims, tc.skew, err, tc.want)
		}
	}
	// A number written with thousands of digits does not make a long error.
	long := claims(`{"exp":0.` + strings.Repeat("0", 5000) + `1}`)
	if err := long.CheckTimes(now, 0); !errors.Is(err, ErrExpired) || len(err.Error()) > 200 {
		t.Errorf("long exp: %d bytes: %.80v", len(err.Error()), err)
	}
}

func TestExpect(t *testing.T) {
	c, err := DecodeClaims([]byte(`{"iss":"https://i","aud":["a","b"],"token_use":"id"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e    Expect
		want error
	}{
		{Expect{}, nil},
		{Expect{Issuers: []string{"x", "https://i"}, Audiences: []string{"b"}, TokenUse: "id"}, nil},
		{Expect{Issuers: []string{"https://i/"}}, ErrWrongIssuer},
		{Expect{Audiences: []string{"c"}}, ErrWrongAudience},
		{Expect{TokenUse: "access"}, ErrWrongTokenUse},
	} {
		err := c.Check(tc.e)
		if tc.want == nil && err != nil || tc.want != nil && (!errors.Is(err, tc.want) || !errors.Is(err, ErrInvalid)) {
			t.Errorf("%+v: %v, want %v", tc.e, err, tc.want)
		}
	}
}
