package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// fedSetup is a pool with a client for the federated sign-in tests.
func fedSetup(t *testing.T, poolIn map[string]any) (*authSetup, *Pool, *Client) {
	t.Helper()
	a := newAuthSetup(t, poolIn, passwordClient)
	ctx := context.Background()
	p, err := a.svc.getPool(ctx, a.pool)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.svc.getClient(ctx, a.pool, a.client)
	if err != nil {
		t.Fatal(err)
	}
	return a, p, c
}

func googleIdentity(sub string, attrs map[string]string) *ExternalIdentity {
	return &ExternalIdentity{ProviderName: "Google", ProviderType: "Google", UserID: sub,
		Issuer: "https://accounts.google.com", Attributes: attrs}
}

func TestFederatedSignInCreatesThenUpdates(t *testing.T) {
	a, p, c := fedSetup(t, nil)
	ctx := t.Context()
	u, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("1234", map[string]string{
		"email": "fed@example.com", "name": "Fed One", "custom:unknown": "dropped", "username": "1234"}))
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "Google_1234" || u.Status != StatusExternalProvider || !looksLikeUUID(u.Sub) {
		t.Fatalf("user %+v", u)
	}
	if u.Attributes["email"] != "fed@example.com" || u.Attributes["name"] != "Fed One" || u.Attributes["custom:unknown"] != "" {
		t.Fatalf("attributes %v", u.Attributes)
	}
	var ids []map[string]any
	if err := json.Unmarshal([]byte(u.Attributes["identities"]), &ids); err != nil || len(ids) != 1 {
		t.Fatalf("identities %q: %v", u.Attributes["identities"], err)
	}
	want := map[string]any{"userId": "1234", "providerName": "Google", "providerType": "Google",
		"issuer": "https://accounts.google.com", "primary": "true",
		"dateCreated": fmt.Sprint(a.clock.Now().UnixMilli())}
	for k, v := range want {
		if ids[0][k] != v {
			t.Fatalf("identities[0].%s = %v, want %v (%v)", k, ids[0][k], v, ids[0])
		}
	}

	// AdminGetUser shows the user as Cognito does.
	out := a.call("AdminGetUser", map[string]any{"UserPoolId": a.pool, "Username": "Google_1234"})
	if out["UserStatus"] != "EXTERNAL_PROVIDER" {
		t.Fatalf("AdminGetUser %v", out)
	}

	// A second sign-in updates the mapped attributes on the same user.
	a.clock.Advance(60e9)
	u2, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("1234", map[string]string{"email": "new@example.com", "name": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if u2.Sub != u.Sub || u2.Attributes["email"] != "new@example.com" || u2.Attributes["name"] != "" {
		t.Fatalf("second sign-in %+v", u2)
	}
	if got := a.user(a.pool, "Google_1234"); got.Attributes["email"] != "new@example.com" {
		t.Fatalf("stored %v", got.Attributes)
	}

	// The ID token carries identities as a JSON array.
	ev, err := a.svc.newAuthEvent(u2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.svc.issueTokens(ctx, p, c, u2, ev, false)
	if err != nil {
		t.Fatal(err)
	}
	claims := a.verify(res.IdToken)
	arr, ok := claims["identities"].([]any)
	if !ok || len(arr) != 1 || arr[0].(map[string]any)["userId"] != "1234" {
		t.Fatalf("identities claim %#v", claims["identities"])
	}
	if claims["cognito:username"] != "Google_1234" {
		t.Fatalf("cognito:username %v", claims["cognito:username"])
	}
}

// TestFederatedUserCompletesHostedSignIn: the managed login completes a federated sign-in
// with HostedUser and IssueOAuthTokens; a user in status EXTERNAL_PROVIDER passes both.
func TestFederatedUserCompletesHostedSignIn(t *testing.T) {
	a, p, c := fedSetup(t, nil)
	ctx := t.Context()
	u, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("777", map[string]string{"email": "fed@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.HostedUser(ctx, p, u.Username, u.Sub, a.clock.Now()); err != nil {
		t.Fatalf("HostedUser: %v", err)
	}
	res, err := a.svc.IssueOAuthTokens(ctx, p, c, &OAuthGrant{Username: u.Username, Sub: u.Sub, Scopes: []string{"openid", "email"},
		AuthTime: a.clock.Now()}, true)
	if err != nil {
		t.Fatalf("IssueOAuthTokens: %v", err)
	}
	if claims := a.verify(res.IdToken); claims["cognito:username"] != "Google_777" || claims["email"] != "fed@example.com" {
		t.Fatalf("ID token %v", claims)
	}
}

func TestFederatedSignInRefusals(t *testing.T) {
	a, p, c := fedSetup(t, map[string]any{"UsernameAttributes": []string{"email"}})
	ctx := t.Context()
	// A federated user may share a native user's email: it takes no sign-in index.
	a.signUpConfirmed("native@example.com", "native@example.com")
	if _, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("1", map[string]string{"email": "native@example.com"})); err != nil {
		t.Fatal(err)
	}
	if status, out := a.passwordLogin("native@example.com", testPassword); status != 200 {
		t.Fatalf("native sign-in after a federated user took the same email: %d %v", status, out)
	}

	for _, tc := range []struct {
		name string
		id   *ExternalIdentity
		typ  string
	}{
		{"no subject", googleIdentity("", nil), "InvalidParameterException"},
		{"bad email", googleIdentity("2", map[string]string{"email": "not an email"}), "InvalidParameterException"},
		{"nil", nil, "InvalidParameterException"},
	} {
		_, err := a.svc.FederatedSignIn(ctx, p, c, tc.id)
		if got := errType(err); got != tc.typ {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.typ)
		}
	}

	// Disabled: NotAuthorizedException "User is disabled.".
	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "Google_1"})
	_, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("1", nil))
	var ae *awsjson.Error
	if !errors.As(err, &ae) || ae.Type != awsjson.ErrNotAuthorized || ae.Message != "User is disabled." {
		t.Fatalf("disabled: %v", err)
	}
}

func TestFederatedSignInNeverTakesANativeUser(t *testing.T) {
	a, p, c := fedSetup(t, nil)
	a.signUpConfirmed("Google_77", "g77@example.com")
	_, err := a.svc.FederatedSignIn(t.Context(), p, c, googleIdentity("77", nil))
	if errType(err) != "InvalidParameterException" {
		t.Fatalf("federated sign-in onto native user Google_77: %v", err)
	}
	if u := a.user(a.pool, "Google_77"); u.Status != StatusConfirmed {
		t.Fatalf("native user changed: %+v", u)
	}
}

func TestRaceFederatedFirstSignIn(t *testing.T) {
	a, p, c := fedSetup(t, nil)
	ctx := t.Context()
	subs := make([]string, 20)
	errs := a.race(20, func(i int) error {
		u, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("racer", map[string]string{"email": fmt.Sprintf("r%d@example.com", i)}))
		if err == nil {
			subs[i] = u.Sub
		}
		return err
	})
	if got := tally(errs); got[""] != 20 {
		t.Fatalf("20 first sign-ins of one identity: %v", got)
	}
	for _, s := range subs {
		if s != subs[0] {
			t.Fatalf("sign-ins saw different users: %v", subs)
		}
	}
	if users := a.keysUnder(userKey(a.pool, "")); len(users) != 1 {
		t.Fatalf("user records: %v", users)
	}
	if n := a.checkIndex(a.pool); n != 1 { // the sub
		t.Fatalf("%d index keys, want 1", n)
	}
}
