package userpool

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"

	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/jose/josetest"
)

// TestGetUserForgeries feeds the shared forged-token corpus (internal/jose/josetest) to
// GetUser's access-token check: every forgery, signed with the pool's own access key where
// the forgery needs an authentic signature, is NotAuthorizedException.
func TestGetUserForgeries(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("quin", "quin@example.com")
	access, _, _ := a.tokens(a.passwordLogin("quin", testPassword))
	good, err := jose.Parse(access)
	if err != nil {
		t.Fatal(err)
	}
	is := &josetest.Issuer{Kid: good.Kid, Claims: good.UnverifiedClaims().Raw, Now: a.clock.Now()}
	is.Sign, is.Public = a.poolSigningKey(t, "access", good.Kid)
	a.call("GetUser", map[string]any{"AccessToken": is.Good()})
	for _, f := range is.Forgeries() {
		t.Run(f.Name, func(t *testing.T) {
			if typ, msg := a.callErr("GetUser", map[string]any{"AccessToken": f.Token}); typ != "NotAuthorizedException" {
				t.Fatalf("got %s %q, want NotAuthorizedException", typ, msg)
			}
		})
	}
}

// poolSigningKey opens the pool's stored signing key of use (as internal/token stores it:
// key/<pool>/<use>, sealed at rest) and returns a signer with it and its public key.
func (a *authSetup) poolSigningKey(t *testing.T, use, kid string) (func(header, payload string) string, []byte) {
	t.Helper()
	b, err := a.store.Get(context.Background(), "key/"+a.pool+"/"+use)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Keys []struct {
			Kid     string `json:"kid"`
			Public  []byte `json:"public"`
			Private []byte `json:"private"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || len(rec.Keys) == 0 || rec.Keys[0].Kid != kid {
		t.Fatalf("key record: %v", err)
	}
	der, err := a.svc.d.AtRest.Open("token/signing-key/"+a.pool+"/"+use+"/"+kid, rec.Keys[0].Private, a.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	return josetest.SignRS256(priv), rec.Keys[0].Public
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
	is := &josetest.Issuer{Kid: good.Kid, Claims: good.UnverifiedClaims().Raw, Now: a.clock.Now()}
	is.Sign, is.Public = a.poolSigningKey(t, "id", good.Kid)
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
