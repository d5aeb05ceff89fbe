package userpool

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// hostedFixture is a pool with a resource server, a managed-login client and alice.
func hostedFixture(t *testing.T, clientIn map[string]any) (*testEnv, *Pool, *Client) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	env.call("CreateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "rs", "Name": "RS",
		"Scopes": []map[string]string{{"ScopeName": "read", "ScopeDescription": "r"}}})
	in := map[string]any{"CallbackURLs": []string{"https://app.example/cb"}, "AllowedOAuthFlows": []string{"code"},
		"AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthScopes": []string{"openid", "email", "rs/read"},
		"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}
	for k, v := range clientIn {
		in[k] = v
	}
	clientID, _ := env.createClient(pool, in)
	env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "alice", "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": "alice@example.com"}}})
	env.call("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice", "Password": testPassword, "Permanent": true})
	p, c, err := env.svc.HostedClient(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	return env, p, c
}

// TestHostedSignInParity: the page's sign-in answers every case as USER_PASSWORD_AUTH does.
func TestHostedSignInParity(t *testing.T) {
	for _, pue := range []string{"LEGACY", "ENABLED"} {
		env, p, c := hostedFixture(t, map[string]any{"PreventUserExistenceErrors": pue})
		ctx := context.Background()
		try := func(name, password string) {
			t.Helper()
			_, hostedErr := env.svc.HostedSignIn(ctx, p, c, name, password)
			apiTyp, apiMsg := env.callErr("InitiateAuth", map[string]any{"ClientId": c.ClientId, "AuthFlow": "USER_PASSWORD_AUTH",
				"AuthParameters": map[string]string{"USERNAME": name, "PASSWORD": password}})
			var ae *awsjson.Error
			if !errors.As(hostedErr, &ae) || string(ae.Type) != apiTyp || ae.Message != apiMsg {
				t.Errorf("%s %s/%s: hosted %v, API %s %q", pue, name, password, hostedErr, apiTyp, apiMsg)
			}
		}
		try("nobody", testPassword)
		try("alice", "Wrong-passw0rd")
		env.call("AdminDisableUser", map[string]any{"UserPoolId": p.Id, "Username": "alice"})
		try("alice", testPassword)
	}
}

// TestOAuthTokens: scopes in the access token, an ID token only with openid, the nonce, and
// the scopes kept by the JSON API's refresh too.
func TestOAuthTokens(t *testing.T) {
	env, p, c := hostedFixture(t, nil)
	ctx := context.Background()
	u := env.user(p.Id, "alice")
	res, err := env.svc.IssueOAuthTokens(ctx, p, c, &OAuthGrant{Username: u.Username, Sub: u.Sub, Scopes: []string{"rs/read"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.IdToken != "" || jwtClaims(t, env, p, res.AccessToken)["scope"] != "rs/read" {
		t.Fatalf("without openid: %+v", res)
	}
	res, err = env.svc.IssueOAuthTokens(ctx, p, c, &OAuthGrant{Username: u.Username, Sub: u.Sub, Scopes: []string{"openid", "rs/read"},
		Nonce: "n1", AuthTime: env.clock.Now().Add(-time.Minute)}, true)
	if err != nil {
		t.Fatal(err)
	}
	id := jwtClaims(t, env, p, res.IdToken)
	if id["nonce"] != "n1" || id["at_hash"] == nil || !authTimeIs(id, env.clock.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("ID token %v", id)
	}
	out := env.call("InitiateAuth", map[string]any{"ClientId": c.ClientId, "AuthFlow": "REFRESH_TOKEN_AUTH",
		"AuthParameters": map[string]string{"REFRESH_TOKEN": res.RefreshToken}})
	refreshed := out["AuthenticationResult"].(map[string]any)["AccessToken"].(string)
	if got := jwtClaims(t, env, p, refreshed)["scope"]; got != "openid rs/read" {
		t.Fatalf("refreshed scope %v", got)
	}
	// API sign-ins keep Cognito's API scope.
	out = env.call("InitiateAuth", map[string]any{"ClientId": c.ClientId, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "alice", "PASSWORD": testPassword}})
	if got := jwtClaims(t, env, p, out["AuthenticationResult"].(map[string]any)["AccessToken"].(string))["scope"]; got != accessScope {
		t.Fatalf("API scope %v", got)
	}
	// userInfo by scope: openid without email shows no email.
	info, err := env.svc.UserInfo(ctx, res.AccessToken)
	if err != nil || info["sub"] != u.Sub || info["email"] != "" {
		t.Fatalf("userInfo %v %v", info, err)
	}
}

func TestClientCredentialsToken(t *testing.T) {
	env, p, c := hostedFixture(t, nil)
	res, err := env.svc.ClientCredentialsToken(context.Background(), p, c, []string{"rs/read"})
	if err != nil {
		t.Fatal(err)
	}
	cl := jwtClaims(t, env, p, res.AccessToken)
	if res.IdToken != "" || res.RefreshToken != "" || cl["sub"] != c.ClientId || cl["client_id"] != c.ClientId || cl["username"] != nil {
		t.Fatalf("%+v %v", res, cl)
	}
}

func TestSpendAuthorizationCodeOnce(t *testing.T) {
	env, p, _ := hostedFixture(t, nil)
	ctx := context.Background()
	if err := env.svc.SpendAuthorizationCode(ctx, p.Id, "id-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := env.svc.SpendAuthorizationCode(ctx, p.Id, "id-1", time.Minute); !errors.Is(err, ErrCodeSpent) {
		t.Fatalf("second spend: %v", err)
	}
}

func TestPoolForHost(t *testing.T) {
	env, p, _ := hostedFixture(t, nil)
	ctx := context.Background()
	env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": p.Id, "Domain": "myprefix"})
	env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": p.Id, "Domain": "auth.example.com",
		"CustomDomainConfig": map[string]string{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}})
	for host, want := range map[string]string{
		"auth.example.com": p.Id, "AUTH.example.com:8443": p.Id, "myprefix.auth.us-east-1.amazoncognito.com": p.Id,
		"myprefix": "", "auth.example.com.auth.us-east-1.amazoncognito.com": "", "127.0.0.1:8787": "", "[::1]:8787": "",
		"other.auth.us-east-1.amazoncognito.com": "", strings.Repeat("a", 300): "",
	} {
		if got, err := env.svc.PoolForHost(ctx, host); err != nil || got != want {
			t.Errorf("PoolForHost(%.40q) = %q, %v; want %q", host, got, err, want)
		}
	}
}

func authTimeIs(claims map[string]any, want int64) bool {
	got, ok := claimInt(claims, "auth_time")
	return ok && got == want
}

// jwtClaims verifies a token of pool p with the keyring and returns its claims.
func jwtClaims(t *testing.T, env *testEnv, p *Pool, raw string) map[string]any {
	t.Helper()
	c, err := env.keys.Verify(context.Background(), p.Id, raw)
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	return c.Raw
}
