package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	h := b64s(`{"alg":"RS256","kid":"k1","jwk":{"kty":"oct"},"jku":"http://x","x5u":"http://x","x5c":["AA"]}`)
	p := b64s(`{"sub":"a","exp":1e10,"n":12345678901234567890,"aud":"c"}`)
	sig := b64s("signature")
	tok, err := Parse(h + "." + p + "." + sig)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Alg != "RS256" || tok.Kid != "k1" || string(tok.Signature) != "signature" || tok.SigningInput != h+"."+p || tok.Payload != p {
		t.Fatalf("parsed %+v", tok)
	}
	c := tok.UnverifiedClaims()
	if c.Subject != "a" || *c.Expiry != 1e10 || len(c.Audience) != 1 || c.Audience[0] != "c" {
		t.Fatalf("claims %+v", c)
	}
	if c.Raw["n"].(json.Number).String() != "12345678901234567890" {
		t.Fatalf("numbers must stay exact: %v", c.Raw["n"])
	}
	if _, err := Parse(h + "." + p + "."); err != nil {
		t.Fatalf("an empty signature parses (alg none is refused by the allow-list): %v", err)
	}

	bad := map[string]string{
		"empty":               "",
		"one part":            h,
		"two parts":           h + "." + p,
		"four parts":          h + "." + p + "." + sig + "." + sig,
		"trailing dot":        h + "." + p + "." + sig + ".",
		"empty header":        "." + p + "." + sig,
		"empty payload":       h + ".." + sig,
		"padding":             h + "=." + p + "." + sig,
		"padded signature":    h + "." + p + "." + sig + "==",
		"standard base64":     h + "." + p + "." + "ab+/",
		"space":               h + " ." + p + "." + sig,
		"newline":             h + "\n." + p + "." + sig,
		"CR":                  h + "." + p + "." + sig[:3] + "\r" + sig[3:],
		"non-canonical b64":   h + "." + p + "." + "AB",
		"dangling character":  h + "." + p + "." + "ABCDE",
		"header not object":   b64s(`["RS256"]`) + "." + p + "." + sig,
		"header null":         b64s(`null`) + "." + p + "." + sig,
		"header not JSON":     b64s(`{alg:RS256}`) + "." + p + "." + sig,
		"header with junk":    b64s(`{"alg":"RS256"}x`) + "." + p + "." + sig,
		"no alg":              b64s(`{"kid":"k"}`) + "." + p + "." + sig,
		"alg number":          b64s(`{"alg":256}`) + "." + p + "." + sig,
		"kid number":          b64s(`{"alg":"RS256","kid":1}`) + "." + p + "." + sig,
		"crit":                b64s(`{"alg":"RS256","crit":["b64"],"b64":false}`) + "." + p + "." + sig,
		"duplicate alg":       b64s(`{"alg":"none","alg":"RS256"}`) + "." + p + "." + sig,
		"duplicate claim":     h + "." + b64s(`{"sub":"a","sub":"b"}`) + "." + sig,
		"duplicate escaped":   h + "." + b64s(`{"sub":"a","s\u0075b":"b"}`) + "." + sig,
		"duplicate exp":       h + "." + b64s(`{"exp":1,"exp":99999999999}`) + "." + sig,
		"claims array":        h + "." + b64s(`[1]`) + "." + sig,
		"claims null":         h + "." + b64s(`null`) + "." + sig,
		"trailing data":       h + "." + b64s(`{"a":1} {}`) + "." + sig,
		"truncated claims":    h + "." + b64s(`{"a":`) + "." + sig,
		"too long":            h + "." + strings.Repeat("A", MaxTokenLen) + "." + sig,
		"not UTF-8 separator": h + "\u2024" + p + "." + sig,
		"exp string":          h + "." + b64s(`{"exp":"1"}`) + "." + sig,
		"exp null":            h + "." + b64s(`{"exp":null}`) + "." + sig,
		"exp overflows":       h + "." + b64s(`{"exp":1e400}`) + "." + sig,
		"nbf bool":            h + "." + b64s(`{"nbf":true}`) + "." + sig,
		"iat array":           h + "." + b64s(`{"iat":[1]}`) + "." + sig,
		"iss number":          h + "." + b64s(`{"iss":1}`) + "." + sig,
		"sub null":            h + "." + b64s(`{"sub":null}`) + "." + sig,
		"token_use array":     h + "." + b64s(`{"token_use":["id"]}`) + "." + sig,
		"client_id number":    h + "." + b64s(`{"client_id":7}`) + "." + sig,
		"jti object":          h + "." + b64s(`{"jti":{}}`) + "." + sig,
		"aud with a number":   h + "." + b64s(`{"aud":["a",1]}`) + "." + sig,
		"aud null":            h + "." + b64s(`{"aud":null}`) + "." + sig,
	}
	for name, raw := range bad {
		_, err := Parse(raw)
		if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("%s: error of %d bytes: outside input must not make it long", name, len(err.Error()))
		}
	}
}

// FuzzParse: no input panics; what parses re-assembles into the input, its claims are the
// members a reference decoder sees (no duplicates), and the claim checks never panic.
func FuzzParse(f *testing.F) {
	h := b64s(`{"alg":"RS256","kid":"k1"}`)
	p := b64s(`{"sub":"a","exp":1e10,"aud":["x"],"cognito:groups":["g"]}`)
	for _, s := range []string{
		h + "." + p + "." + b64s("sig"),
		h + "." + p + ".",
		"a.b.c", "..", "", "eyJhbGciOiJub25lIn0.e30.",
		b64s(`{"alg":"RS256","alg":"x"}`) + "." + p + ".AA",
		h + "." + b64s(`{"a":{"a":1,"a":2}}`) + ".AA",
		h + "." + b64s(`{"a\"":":","b":["{",":"]}`) + ".AA",
		h + "." + b64s(`{"exp":1,"nbf":2,"iat":3,"iss":"i","token_use":"id","client_id":"c"}`) + ".AA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if tok.SigningInput+"."+Encode(tok.Signature) != raw {
			t.Fatalf("%q does not re-assemble", raw)
		}
		c := tok.UnverifiedClaims()
		if !strings.HasSuffix(tok.SigningInput, "."+tok.Payload) || c == nil {
			t.Fatalf("%q: payload segment %q, claims %v", raw, tok.Payload, c)
		}
		payload, _ := Decode(tok.Payload)
		if n, ok := referenceMembers(payload); !ok || n != len(c.Raw) {
			t.Fatalf("%q: %d claims decoded, the reference decoder sees %d (ok %v)", payload, len(c.Raw), n, ok)
		}
		c.CheckTimes(time.Unix(1_900_000_000, 0), time.Minute)
		c.Check(Expect{Issuers: []string{"i"}, Audiences: []string{"x"}, TokenUse: "id"})
	})
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
