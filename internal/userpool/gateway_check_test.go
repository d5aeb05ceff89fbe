package userpool

import (
	"context"
	"testing"
)

// TestGatewayChecks: the state the gateway reads for revocation follows sign-out, RevokeToken,
// disabling and deletion.
func TestGatewayChecks(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	ctx := context.Background()
	a.signUpConfirmed("gwuser", "gw@example.com")
	access, _, refresh := a.tokens(a.passwordLogin("gwuser", testPassword))
	claims := a.verify(access)
	username := claims["username"].(string)

	st, err := a.svc.TokenUserState(ctx, a.pool, username)
	if err != nil || !st.Found || !st.Enabled || st.Sub != claims["sub"] || !st.TokensValidAfter.IsZero() {
		t.Fatalf("fresh user: %+v, %v", st, err)
	}
	origin := claims["origin_jti"].(string)
	if rv, err := a.svc.TokenFamilyRevoked(ctx, a.pool, origin); rv || err != nil {
		t.Fatalf("family revoked before RevokeToken: %v %v", rv, err)
	}
	a.call("RevokeToken", map[string]any{"ClientId": a.client, "Token": refresh})
	if rv, err := a.svc.TokenFamilyRevoked(ctx, a.pool, origin); !rv || err != nil {
		t.Fatalf("family not revoked after RevokeToken: %v %v", rv, err)
	}

	access2, _, _ := a.tokens(a.passwordLogin("gwuser", testPassword))
	a.call("GlobalSignOut", map[string]any{"AccessToken": access2})
	st, _ = a.svc.TokenUserState(ctx, a.pool, username)
	iat := jsonInt64(t, a.verify(access2)["iat"])
	if st.TokensValidAfter.Unix() <= iat {
		t.Fatalf("after GlobalSignOut TokensValidAfter %v is not past iat %d", st.TokensValidAfter, iat)
	}

	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "gwuser"})
	if st, _ = a.svc.TokenUserState(ctx, a.pool, username); st.Enabled || !st.Found {
		t.Fatalf("disabled user: %+v", st)
	}
	a.call("AdminDeleteUser", map[string]any{"UserPoolId": a.pool, "Username": "gwuser"})
	if st, err = a.svc.TokenUserState(ctx, a.pool, username); st.Found || err != nil {
		t.Fatalf("deleted user: %+v %v", st, err)
	}
	if st, err = a.svc.TokenUserState(ctx, "us-east-1_NoSuchPool", username); st.Found || err != nil {
		t.Fatalf("missing pool: %+v %v", st, err)
	}
}
