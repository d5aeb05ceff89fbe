package identitypool_test

import (
	"crypto/rand"
	"testing"

	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/jose/josetest"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/token/tokentest"
)

// TestUserPoolLoginForgeries feeds the shared forged-token corpus (internal/jose/josetest)
// to identity-pool Logins from a user pool, in both key forms: every forgery, signed with the
// pool's own ID-token key where it needs an authentic signature, is NotAuthorizedException.
func TestUserPoolLoginForgeries(t *testing.T) {
	e := newEnv(t, envOptions{})
	good, err := jose.Parse(e.user(userPool, clientID, "forgery-target"))
	if err != nil {
		t.Fatal(err)
	}
	// The service seals its keys at rest under this derivation of the master key.
	atRest, err := seal.New(seal.DeriveKey(masterKey, "poolgate at-rest v1"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sign, kid, pub, err := tokentest.Signer(ctx, e.store, atRest, userPool, "id", e.clock.Now())
	if err != nil || kid != good.Kid {
		t.Fatalf("signing key: %v (kid %s, token's %s)", err, kid, good.Kid)
	}
	is := &josetest.Issuer{Sign: sign, Kid: kid, Public: pub, Claims: good.UnverifiedClaims().Raw, Now: e.clock.Now()}
	e.mustID(guestPool, map[string]string{canonical(userPool): is.Good()})
	for _, f := range is.Forgeries() {
		t.Run(f.Name, func(t *testing.T) {
			for _, key := range []string{canonical(userPool), e.amplify(userPool)} {
				_, err := e.getID(guestPool, map[string]string{key: f.Token})
				wantAPIError(t, err, "NotAuthorizedException", "")
			}
		})
	}
}
