package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseJWS(t *testing.T) {
	h := b64s(`{"alg":"RS256","kid":"k1"}`)
	p := b64s(`{"sub":"a","exp":1e10,"n":12345678901234567890}`)
	sig := b64s("signature")
	tok, err := parseJWS(h + "." + p + "." + sig)
	if err != nil {
		t.Fatal(err)
	}
	if tok.alg != "RS256" || tok.kid != "k1" || string(tok.sig) != "signature" || tok.signingInput != h+"."+p || tok.payloadB64 != p {
		t.Fatalf("parsed %+v", tok)
	}
	if tok.claims["n"].(interface{ String() string }).String() != "12345678901234567890" {
		t.Fatalf("numbers must stay exact: %v", tok.claims["n"])
	}
	if _, err := parseJWS(h + "." + p + "."); err != nil {
		t.Fatalf("an empty signature parses (alg none is refused later, by the allow-list): %v", err)
	}

	bad := map[string]string{
		"empty":               "",
		"one part":            h,
		"two parts":           h + "." + p,
		"four parts":          h + "." + p + "." + sig + "." + sig,
		"empty header":        "." + p + "." + sig,
		"empty payload":       h + ".." + sig,
		"padding":             h + "=." + p + "." + sig,
		"standard base64":     h + "." + p + "." + "ab+/",
		"space":               h + " ." + p + "." + sig,
		"newline":             h + "\n." + p + "." + sig,
		"non-canonical b64":   h + "." + p + "." + "AB",
		"header not object":   b64s(`["RS256"]`) + "." + p + "." + sig,
		"header not JSON":     b64s(`{alg:RS256}`) + "." + p + "." + sig,
		"no alg":              b64s(`{"kid":"k"}`) + "." + p + "." + sig,
		"alg number":          b64s(`{"alg":256}`) + "." + p + "." + sig,
		"kid number":          b64s(`{"alg":"RS256","kid":1}`) + "." + p + "." + sig,
		"crit":                b64s(`{"alg":"RS256","crit":["b64"],"b64":false}`) + "." + p + "." + sig,
		"duplicate alg":       b64s(`{"alg":"none","alg":"RS256"}`) + "." + p + "." + sig,
		"duplicate claim":     h + "." + b64s(`{"sub":"a","sub":"b"}`) + "." + sig,
		"claims array":        h + "." + b64s(`[1]`) + "." + sig,
		"claims null":         h + "." + b64s(`null`) + "." + sig,
		"trailing data":       h + "." + b64s(`{"a":1} {}`) + "." + sig,
		"truncated claims":    h + "." + b64s(`{"a":`) + "." + sig,
		"too long":            h + "." + strings.Repeat("A", MaxTokenBytes) + "." + sig,
		"not UTF-8 separator": h + "\u2024" + p + "." + sig,
	}
	for name, raw := range bad {
		if _, err := parseJWS(raw); !errors.Is(err, errMalformed) {
			t.Errorf("%s: err %v, want errMalformed", name, err)
		}
	}
}

func TestNumericAndListClaims(t *testing.T) {
	tok, err := parseJWS(b64s(`{"alg":"RS256"}`) + "." + b64s(`{"exp":1.5,"iat":"x","aud":["a",1],"s":"one","l":["x","y"],"nul":null}`) + ".")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := numericDate(tok.claims, "exp"); v != 1.5 || !ok || err != nil {
		t.Errorf("exp: %v %v %v", v, ok, err)
	}
	if _, ok, err := numericDate(tok.claims, "iat"); !ok || err == nil {
		t.Error("a string iat must be an error")
	}
	if _, ok, err := numericDate(tok.claims, "nbf"); ok || err != nil {
		t.Error("a missing nbf is absent, not an error")
	}
	if _, ok := claimStrings(tok.claims, "aud"); ok {
		t.Error("an array with a number is not a string list")
	}
	if v, ok := claimStrings(tok.claims, "s"); !ok || len(v) != 1 || v[0] != "one" {
		t.Errorf("string claim: %v %v", v, ok)
	}
	if v, ok := claimStrings(tok.claims, "l"); !ok || len(v) != 2 {
		t.Errorf("list claim: %v %v", v, ok)
	}
	if v, ok := claimStrings(tok.claims, "missing"); !ok || v != nil {
		t.Errorf("missing claim: %v %v", v, ok)
	}
	if _, ok := claimStrings(tok.claims, "nul"); ok {
		t.Error("a null claim is not a string list")
	}
}

// FuzzParseJWS: no input panics, and what parses re-assembles into the input.
func FuzzParseJWS(f *testing.F) {
	h := b64s(`{"alg":"RS256","kid":"k1"}`)
	p := b64s(`{"sub":"a","exp":1e10,"aud":["x"],"cognito:groups":["g"]}`)
	for _, s := range []string{
		h + "." + p + "." + b64s("sig"),
		h + "." + p + ".",
		"a.b.c", "..", "", "eyJhbGciOiJub25lIn0.e30.",
		b64s(`{"alg":"RS256","alg":"x"}`) + "." + p + ".AA",
		h + "." + b64s(`{"a":{"a":1,"a":2}}`) + ".AA",
		h + "." + b64s(`{"a\"":":","b":["{",":"]}`) + ".AA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := parseJWS(raw)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v does not wrap errMalformed", err)
			}
			return
		}
		if tok.signingInput+"."+base64.RawURLEncoding.EncodeToString(tok.sig) != raw {
			t.Fatalf("%q does not re-assemble", raw)
		}
		if !strings.HasSuffix(tok.signingInput, "."+tok.payloadB64) || tok.claims == nil {
			t.Fatalf("%q: payload segment %q, claims %v", raw, tok.payloadB64, tok.claims)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(tok.payloadB64)
		if n, ok := referenceMembers(payload); !ok || n != len(tok.claims) {
			t.Fatalf("%q: %d claims decoded, the reference decoder sees %d (ok %v)", payload, len(tok.claims), n, ok)
		}
		// The checks that read claims never panic on whatever shapes they hold.
		checkTimes(tok.claims, newClock().Now(), DefaultClockSkew)
		clientAccepted(tok.claims, claimString(tok.claims, "token_use"), []string{"x"})
		tokenScopes(tok.claims)
		(&verified{t: tok, is: &issuer{groupsClaim: "cognito:groups"}}).identityHeaders("r")
	})
}

func TestHeaderValue(t *testing.T) {
	for in, want := range map[string]string{
		"alice":          "alice",
		"a b":            "a%20b",
		"100%":           "100%25",
		"ünï":            "%C3%BCn%C3%AF",
		"x\r\nX-Evil: 1": "x%0D%0AX-Evil:%201",
	} {
		if got := headerValue(in, ""); got != want {
			t.Errorf("headerValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := headerList([]string{"a,b", "c d", "e"}, ","); got != "a%2Cb,c%20d,e" {
		t.Errorf("headerList = %q", got)
	}
	if got := headerList([]string{"read", "write"}, " "); got != "read write" {
		t.Errorf("headerList scopes = %q", got)
	}
}

// referenceMembers counts the distinct top-level member names of a JSON object with the
// streaming decoder; ok is false when a name repeats or the input is not one object.
func referenceMembers(b []byte) (n int, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		name, isString := tok.(string)
		if err != nil || !isString || seen[name] {
			return 0, false
		}
		seen[name] = true
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return 0, false
		}
	}
	return len(seen), true
}
