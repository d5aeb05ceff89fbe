package userpool

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/jose/josetest"
	"github.com/poolgate/poolgate/internal/token/tokentest"
)

// TestGetUserForgeries feeds the shared forged-token corpus (internal/jose/josetest) to
// GetUser's access-token check: every forgery, signed with the pool's own access key where
// the forgery needs an authentic signature, is NotAuthorizedException; a token with a
// character outside AccessToken's pattern ([A-Za-z0-9-_=.]+) is refused before it is read,
// with Cognito's InvalidParameterException.
func TestGetUserForgeries(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("quin", "quin@example.com")
	access, _, _ := a.tokens(a.passwordLogin("quin", testPassword))
	good, err := jose.Parse(access)
	if err != nil {
		t.Fatal(err)
	}
	is := a.issuer(t, "access", good)
	a.call("GetUser", map[string]any{"AccessToken": is.Good()})
	for _, f := range is.Forgeries() {
		t.Run(f.Name, func(t *testing.T) {
			want := "NotAuthorizedException"
			const pattern = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=."
			if strings.ContainsFunc(f.Token, func(r rune) bool { return !strings.ContainsRune(pattern, r) }) {
				want = "InvalidParameterException"
			}
			if typ, msg := a.callErr("GetUser", map[string]any{"AccessToken": f.Token}); typ != want {
				t.Fatalf("got %s %q, want %s", typ, msg, want)
			}
		})
	}
}

// TestCheckIDTokenForgeries feeds the corpus to the ID-token check identity pools call for
// user-pool Logins. The audience is the identity pool's to judge (it compares aud with its
// providers' clients, see identitypool's logins.go), so that forgery is left to it.
func TestCheckIDTokenForgeries(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("quin", "quin@example.com")
	_, id, _ := a.tokens(a.passwordLogin("quin", testPassword))
	good, err := jose.Parse(id)
	if err != nil {
		t.Fatal(err)
	}
	is := a.issuer(t, "id", good)
	if _, err := a.svc.CheckIDToken(context.Background(), a.pool, is.Good(), true); err != nil {
		t.Fatalf("the good token: %v", err)
	}
	for _, f := range is.Forgeries() {
		if f.Name == "wrong audience" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			_, err := a.svc.CheckIDToken(context.Background(), a.pool, f.Token, true)
			if !errors.Is(err, ErrLoginInvalid) && !errors.Is(err, ErrLoginExpired) {
				t.Fatalf("%v, want ErrLoginInvalid or ErrLoginExpired", err)
			}
		})
	}
}

// issuer describes tokens like good, signed with the pool's stored key of use.
func (a *authSetup) issuer(t *testing.T, use string, good *jose.JWS) *josetest.Issuer {
	t.Helper()
	sign, kid, pub, err := tokentest.Signer(context.Background(), a.store, a.svc.d.AtRest, a.pool, use, a.clock.Now())
	if err != nil || kid != good.Kid {
		t.Fatalf("signing key: %v (kid %s, token's %s)", err, kid, good.Kid)
	}
	return &josetest.Issuer{Sign: sign, Kid: kid, Public: pub, Claims: good.UnverifiedClaims().Raw, Now: a.clock.Now()}
}
