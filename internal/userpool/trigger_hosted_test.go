package userpool

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// TestTriggersOnManagedLogin: the managed-login pages' sign-in runs Pre/PostAuthentication
// and their tokens PreTokenGeneration as TokenGeneration_HostedAuth, through the same code.
func TestTriggersOnManagedLogin(t *testing.T) {
	env, p, c := hostedFixture(t, nil)
	ctx := context.Background()
	env.call("UpdateUserPool", map[string]any{"UserPoolId": p.Id, "LambdaConfig": map[string]any{
		"PreAuthentication": arnOf("pre"), "PostAuthentication": arnOf("post"),
		"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V2_0", "LambdaArn": arnOf("token")}}})
	tr := env.withTriggers(map[string]lambdaFunc{
		"pre": func(ev map[string]any) any { return ev }, "post": func(ev map[string]any) any { return ev },
		"token": preTokenV2Handler,
	})
	p, err := env.svc.getPool(ctx, p.Id)
	if err != nil {
		t.Fatal(err)
	}
	in, err := env.svc.HostedSignIn(ctx, p, c, "alice", testPassword)
	if err != nil || in.User == nil {
		t.Fatalf("HostedSignIn: %v %+v", err, in)
	}
	res, err := env.svc.IssueOAuthTokens(ctx, p, c, &OAuthGrant{Username: in.User.Username, Sub: in.User.Sub, Scopes: []string{"openid", "rs/read"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.sources(); !slices.Equal(got, []string{"PreAuthentication_Authentication", "PostAuthentication_Authentication", "TokenGeneration_HostedAuth"}) {
		t.Fatalf("sources %v", got)
	}
	wantEvent(t, tr.last("TokenGeneration_HostedAuth"), "2", "TokenGeneration_HostedAuth", p.Id, "alice", c.ClientId)
	if scopes := tr.last("TokenGeneration_HostedAuth")["request"].(map[string]any)["scopes"]; jsonOf(scopes) != `["openid","rs/read"]` {
		t.Fatalf("scopes %v", scopes)
	}
	if claims := jwtClaims(t, env, p, res.AccessToken); claims["scope"] != "openid rs/read solar-system-data/asteroids.add" {
		t.Fatalf("scope %v", claims["scope"])
	}
}

// TestPreSignUpExternalProvider: a federated first sign-in runs PreSignUp_ExternalProvider
// once (not for later sign-ins); a rejection creates no user.
func TestPreSignUpExternalProvider(t *testing.T) {
	a, p, c := fedSetup(t, map[string]any{"LambdaConfig": map[string]any{"PreSignUp": arnOf("pre")}})
	tr := a.withTriggers(map[string]lambdaFunc{"pre": func(ev map[string]any) any {
		if ev["request"].(map[string]any)["userAttributes"].(map[string]any)["email"] == "no@example.com" {
			return rawAnswer{500, `{"errorType":"Error","errorMessage":"Not this one"}`}
		}
		return respond(ev, map[string]any{"autoVerifyEmail": true})
	}})
	ctx := t.Context()
	u, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("42", map[string]string{"email": "fed@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != StatusExternalProvider || u.Attributes["email_verified"] != "true" {
		t.Fatalf("user %s %v", u.Status, u.Attributes)
	}
	ev := tr.last("PreSignUp_ExternalProvider")
	wantEvent(t, ev, "1", "PreSignUp_ExternalProvider", p.Id, "Google_42", c.ClientId)
	if got := jsonOf(ev["request"]); got != `{"userAttributes":{"email":"fed@example.com"},"validationData":null}` {
		t.Fatalf("request %s", got)
	}
	if _, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("42", map[string]string{"email": "fed@example.com"})); err != nil {
		t.Fatal(err)
	}
	if n := len(tr.sources()); n != 1 {
		t.Fatalf("%d PreSignUp calls for one identity", n)
	}
	_, err = a.svc.FederatedSignIn(ctx, p, c, googleIdentity("43", map[string]string{"email": "no@example.com"}))
	var ae *awsjson.Error
	if !errors.As(err, &ae) || ae.Type != awsjson.ErrUserLambdaValidation || ae.Message != "PreSignUp failed with error Not this one." {
		t.Fatalf("rejected: %v", err)
	}
	if _, err := a.svc.getUser(ctx, p, "Google_43"); err == nil {
		t.Fatal("a rejected federated user was created")
	}
}
