package gateway

import (
	"encoding/base64"
	"testing"

	"github.com/poolgate/poolgate/internal/jose"
)

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzClaimReaders: whatever claims a parsed token holds, the gateway's readers of them
// (client, scopes, identity headers) never panic. Parsing itself is fuzzed in internal/jose.
func FuzzClaimReaders(f *testing.F) {
	h := b64s(`{"alg":"RS256","kid":"k1"}`)
	for _, p := range []string{
		`{"sub":"a","exp":1e10,"aud":["x"],"cognito:groups":["g"]}`,
		`{"token_use":"access","client_id":"x","scope":"a b","scp":["c d"],"username":"\u0000"}`,
		`{"aud":"x","cognito:groups":"g","scp":[1],"exp":1}`,
	} {
		f.Add(h + "." + b64s(p) + ".AA")
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := jose.Parse(raw)
		if err != nil {
			return
		}
		c := tok.UnverifiedClaims()
		clientAccepted(c, []string{"x"})
		tokenScopes(c)
		h := (&verified{t: tok, claims: c, is: &issuer{groupsClaim: "cognito:groups"}}).identityHeaders("r")
		if got := h.Get(HeaderClaims); got != tok.Payload {
			t.Fatalf("claims header %q, payload %q", got, tok.Payload)
		}
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
