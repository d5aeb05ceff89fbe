package oauth

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/seal"
)

// Fuzz targets for the parsers of outside input: the authorization request, the token
// request and the session cookie. Their seeds run in every go test.

func FuzzAuthRequest(f *testing.F) {
	for _, s := range []string{
		"response_type=code&client_id=abc&redirect_uri=https%3A%2F%2Fa.example%2Fcb&scope=openid+email&state=x&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		"response_type=token&scope=&nonce=" + strings.Repeat("n", 2000),
		"scope=a&scope=b", "%zz", ";;;", "code_challenge_method=plain&code_challenge=abc",
		"scope=" + strings.Repeat("s+", 100),
	} {
		f.Add(s)
	}
	allowed := []string{"openid", "email", "rs/read"}
	f.Fuzz(func(t *testing.T, raw string) {
		p, e := parseAuthParams(raw)
		if e != nil {
			if e.Code != errInvalidRequest || e.Status != http.StatusBadRequest || len(e.Description) > 1000 {
				t.Fatalf("refusal %+v", e)
			}
			return
		}
		if len(raw) > maxQuery {
			t.Fatal("an oversized query was accepted")
		}
		scopes, e := grantScopes(p.Scope, allowed)
		if e == nil {
			for _, s := range scopes {
				if !strings.Contains(" openid email rs/read ", " "+s+" ") {
					t.Fatalf("granted %q", s)
				}
			}
		} else if e.Code != errInvalidScope {
			t.Fatalf("scope refusal %+v", e)
		}
		if e := checkChallenge(p.CodeChallenge, p.CodeChallengeMethod); e == nil && p.CodeChallenge != "" {
			if p.CodeChallengeMethod != "S256" || len(p.CodeChallenge) != 43 {
				t.Fatalf("accepted challenge %q method %q", p.CodeChallenge, p.CodeChallengeMethod)
			}
		}
	})
}

func FuzzTokenRequest(f *testing.F) {
	basic := "Basic " + "Y2xpZW50OnNlY3JldA==" // client:secret
	for _, s := range []struct{ authz, ct, body string }{
		{"", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x&client_id=c&redirect_uri=https%3A%2F%2Fa%2F"},
		{basic, "application/x-www-form-urlencoded; charset=UTF-8", "grant_type=client_credentials&scope=rs%2Fread"},
		{basic, "application/x-www-form-urlencoded", "client_secret=s"},
		{"Basic !!!", "application/x-www-form-urlencoded", ""},
		{"Bearer x", "application/x-www-form-urlencoded", "client_id=c"},
		{"", "application/json", `{"grant_type":"x"}`},
		{"", "application/x-www-form-urlencoded", "a=1&a=2&client_id=c"},
		{"", "application/x-www-form-urlencoded", "%"},
	} {
		f.Add(s.authz, s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, authz, ct string, body []byte) {
		req, e := parseTokenRequest(authz, ct, body)
		if e != nil {
			if e.Status != http.StatusBadRequest && e.Status != http.StatusUnauthorized {
				t.Fatalf("status %d", e.Status)
			}
			if e.Code != errInvalidRequest && e.Code != errInvalidClient {
				t.Fatalf("code %s", e.Code)
			}
			return
		}
		if req.clientID == "" {
			t.Fatal("a request without a client was accepted")
		}
		if req.basic && req.form.Get("client_secret") != "" {
			t.Fatal("two client authentication methods were accepted")
		}
		for _, vs := range req.form {
			if len(vs) != 1 {
				t.Fatal("a repeated parameter was accepted")
			}
		}
	})
}

func FuzzSessionCookie(f *testing.F) {
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	sl, err := seal.New(make([]byte, 32), strings.NewReader(strings.Repeat("r", 1<<16)))
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cfg: Config{Seal: sl, Now: clock.Now}}
	good, err := s.sealJSON(purposeSession, &sessionState{Pool: "us-east-1_A", Username: "alice", Sub: "s", AuthTime: 1}, clock.Now().Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	code, _ := s.sealJSON(purposeCode, &codeState{Pool: "us-east-1_A"}, clock.Now().Add(time.Hour))
	for _, seed := range []string{good, code, "", "AAAA", good[:len(good)-1], good + "A", strings.Repeat("_", 100)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		st := s.openSession(raw, "us-east-1_A")
		if st == nil {
			return
		}
		if raw != good {
			t.Fatalf("a forged cookie opened: %q", raw)
		}
		if s.openSession(raw, "us-east-1_B") != nil {
			t.Fatal("a cookie opened for another pool")
		}
		if !utf8.ValidString(st.Username) {
			t.Fatal("invalid username")
		}
	})
}
