package userpool

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAccessTokenSeenAgain: an access token used again is answered from the instance's
// memory of its verified signature (jose.SeenTokens) and still meets every other check: a
// copy with another signature is not taken for it, and it is refused once expired, once its
// user is disabled or signed out, and once the pool's key that verified it is gone.
func TestAccessTokenSeenAgain(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("sam", "sam@example.com")
	access, _, _ := a.tokens(a.passwordLogin("sam", testPassword))
	for range 3 {
		a.call("GetUser", map[string]any{"AccessToken": access})
	}
	if n := a.svc.cache.accessTokens.Len(); n != 1 {
		t.Fatalf("%d access tokens kept, want 1", n)
	}

	// Same header and claims, another signature.
	dot := strings.LastIndexByte(access, '.')
	forged := access[:dot+1] + strings.Repeat("A", len(access)-dot-1)
	a.wantErr("GetUser", map[string]any{"AccessToken": forged}, "NotAuthorizedException", "Invalid Access Token")

	// The user disabled, then enabled and signed out.
	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "sam"})
	a.wantErr("GetUser", map[string]any{"AccessToken": access}, "NotAuthorizedException", "User is disabled.")
	a.call("AdminEnableUser", map[string]any{"UserPoolId": a.pool, "Username": "sam"})
	a.clock.Advance(2 * time.Second)
	access2, _, _ := a.tokens(a.passwordLogin("sam", testPassword))
	a.call("GetUser", map[string]any{"AccessToken": access2})
	a.call("AdminUserGlobalSignOut", map[string]any{"UserPoolId": a.pool, "Username": "sam"})
	a.wantErr("GetUser", map[string]any{"AccessToken": access2}, "NotAuthorizedException", "Access Token has been revoked")

	// Expired, though kept.
	a.clock.Advance(2 * time.Second)
	access3, _, _ := a.tokens(a.passwordLogin("sam", testPassword))
	a.call("GetUser", map[string]any{"AccessToken": access3})
	a.clock.Advance(time.Hour + time.Second)
	a.wantErr("GetUser", map[string]any{"AccessToken": access3}, "NotAuthorizedException", "Access Token has expired")

	// The key that verified it is gone from the store: once the keyring reads the store again
	// (its cache lasts cacheTTL), the kept token counts for nothing.
	access4, _, _ := a.tokens(a.passwordLogin("sam", testPassword))
	a.call("GetUser", map[string]any{"AccessToken": access4})
	if err := a.store.Delete(context.Background(), "key/"+a.pool+"/access"); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(cacheTTLForTests + time.Second)
	a.wantErr("GetUser", map[string]any{"AccessToken": access4}, "NotAuthorizedException", "Invalid Access Token")
}

// cacheTTLForTests is token.Keyring's cache life (internal to package token).
const cacheTTLForTests = 5 * time.Minute

// TestAccessTokenSeenRace: many requests with one token, some of them its first sight, while
// the user is signed out: each answer is a user or a refusal, never anything else (-race).
func TestAccessTokenSeenRace(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("ray", "ray@example.com")
	access, _, _ := a.tokens(a.passwordLogin("ray", testPassword))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			action := "GetUser"
			if i == 8 {
				action = "GlobalSignOut"
			}
			status, out := a.dispatch(action, map[string]any{"AccessToken": access})
			if status != 200 {
				if typ, _ := a.errOf(status, out); typ != "NotAuthorizedException" {
					t.Errorf("%s: %d %v", action, status, out)
				}
			}
		})
	}
	wg.Wait()
	a.wantErr("GetUser", map[string]any{"AccessToken": access}, "NotAuthorizedException", "Access Token has been revoked")
}
