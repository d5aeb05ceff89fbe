package userpool

import (
	"fmt"
	"testing"
)

// linkSetup is a pool with a Google provider and a native user "alice".
func linkSetup(t *testing.T) (*authSetup, *Pool, *Client) {
	t.Helper()
	a, p, c := fedSetup(t, nil)
	a.call("CreateIdentityProvider", map[string]any{"UserPoolId": a.pool, "ProviderName": "Google", "ProviderType": "Google",
		"ProviderDetails": map[string]string{"client_id": "g", "client_secret": "s", "authorize_scopes": "openid email"}})
	a.signUpConfirmed("alice", "alice@example.com")
	return a, p, c
}

func linkBody(pool, dest, provider, attr, value string) map[string]any {
	return map[string]any{"UserPoolId": pool,
		"DestinationUser": map[string]any{"ProviderName": "Cognito", "ProviderAttributeValue": dest},
		"SourceUser":      map[string]any{"ProviderName": provider, "ProviderAttributeName": attr, "ProviderAttributeValue": value}}
}

func TestAdminLinkProviderForUser(t *testing.T) {
	a, p, c := linkSetup(t)
	ctx := t.Context()
	a.call("AdminLinkProviderForUser", linkBody(a.pool, "alice", "Google", "Cognito_Subject", "g-1"))
	// Linking again to the same user changes nothing.
	a.call("AdminLinkProviderForUser", linkBody(a.pool, "alice", "Google", "Cognito_Subject", "g-1"))

	u, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("g-1", map[string]string{"email": "other@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "alice" || u.Attributes["email"] != "alice@example.com" {
		t.Fatalf("linked sign-in landed on %s %v", u.Username, u.Attributes)
	}
	ids := userIdentities(u)
	if len(ids) != 1 || ids[0].UserID != "g-1" || ids[0].ProviderType != "Google" || ids[0].Primary != "false" || ids[0].Issuer != nil {
		t.Fatalf("identities %+v", ids)
	}
	if users := a.keysUnder(userKey(a.pool, "")); len(users) != 1 {
		t.Fatalf("a federated user was created: %v", users)
	}

	// Disabling the provider for the subject removes the link: the next sign-in is a
	// federated user of its own.
	a.call("AdminDisableProviderForUser", map[string]any{"UserPoolId": a.pool,
		"User": map[string]any{"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "g-1"}})
	if ids := userIdentities(a.user(a.pool, "alice")); len(ids) != 0 {
		t.Fatalf("identities after disable %+v", ids)
	}
	u, err = a.svc.FederatedSignIn(ctx, p, c, googleIdentity("g-1", nil))
	if err != nil || u.Username != "Google_g-1" {
		t.Fatalf("after disable: %v %v", u, err)
	}

	// Now that the subject has a federated user, it cannot be linked (no merging); disabling
	// it again disables that user.
	a.wantErr("AdminLinkProviderForUser", linkBody(a.pool, "alice", "Google", "Cognito_Subject", "g-1"), "InvalidParameterException", "")
	a.call("AdminDisableProviderForUser", map[string]any{"UserPoolId": a.pool,
		"User": map[string]any{"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "g-1"}})
	if _, err := a.svc.FederatedSignIn(ctx, p, c, googleIdentity("g-1", nil)); errType(err) != "NotAuthorizedException" {
		t.Fatalf("sign-in of a disabled subject: %v", err)
	}
}

func TestAdminLinkProviderForUserErrors(t *testing.T) {
	a, _, _ := linkSetup(t)
	a.signUpConfirmed("bob", "bob@example.com")
	a.call("AdminLinkProviderForUser", linkBody(a.pool, "alice", "Google", "Cognito_Subject", "taken"))
	for _, tc := range []struct {
		name string
		body map[string]any
		typ  string
	}{
		{"unknown destination", linkBody(a.pool, "nobody", "Google", "Cognito_Subject", "x"), "UserNotFoundException"},
		{"unknown provider", linkBody(a.pool, "alice", "Nope", "Cognito_Subject", "x"), "ResourceNotFoundException"},
		{"attribute other than the subject", linkBody(a.pool, "alice", "Google", "email", "x"), "InvalidParameterException"},
		{"source Cognito", linkBody(a.pool, "alice", "Cognito", "Cognito_Subject", "bob"), "InvalidParameterException"},
		{"source linked to another user", linkBody(a.pool, "bob", "Google", "Cognito_Subject", "taken"), "AliasExistsException"},
		{"no source", map[string]any{"UserPoolId": a.pool, "DestinationUser": map[string]any{"ProviderName": "Cognito", "ProviderAttributeValue": "alice"}}, "InvalidParameterException"},
		{"long provider name", linkBody(a.pool, "alice", fmt.Sprintf("%040d", 1), "Cognito_Subject", "x"), "InvalidParameterException"},
	} {
		a.wantErr("AdminLinkProviderForUser", tc.body, tc.typ, "")
	}
	for i := 2; i <= 5; i++ {
		a.call("AdminLinkProviderForUser", linkBody(a.pool, "alice", "Google", "Cognito_Subject", fmt.Sprint("s", i)))
	}
	a.wantErr("AdminLinkProviderForUser", linkBody(a.pool, "alice", "Google", "Cognito_Subject", "s6"), "LimitExceededException", "")
	a.wantErr("AdminDisableProviderForUser", map[string]any{"UserPoolId": a.pool,
		"User": map[string]any{"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "never"}},
		"UserNotFoundException", "")

	// DeleteUserPool takes the links with it.
	if n := len(a.keysUnder("ufl/" + a.pool + "/")); n != 5 {
		t.Fatalf("%d link keys, want 5", n)
	}
	a.call("DeleteUserPool", map[string]any{"UserPoolId": a.pool})
	if keys := a.keysUnder("ufl/" + a.pool + "/"); len(keys) != 0 {
		t.Fatalf("link keys left after DeleteUserPool: %v", keys)
	}
}

func TestRaceLinkOneSource(t *testing.T) {
	a, _, _ := linkSetup(t)
	ctx := t.Context()
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprint("user", i)
		a.signUpConfirmed(names[i], names[i]+"@example.com")
	}
	errs := a.race(20, func(i int) error {
		_, err := a.svc.adminLinkProviderForUser(ctx, &AdminLinkProviderForUserInput{UserPoolId: a.pool,
			DestinationUser: &ProviderUserIdentifier{ProviderName: "Cognito", ProviderAttributeValue: names[i]},
			SourceUser:      &ProviderUserIdentifier{ProviderName: "Google", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: "contested"}})
		return err
	})
	if got := tally(errs); got[""] != 1 || got["AliasExistsException"] != 19 {
		t.Fatalf("20 links of one source: %v", got)
	}
	holders := 0
	for _, n := range names {
		if len(userIdentities(a.user(a.pool, n))) > 0 {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("%d users hold the identity", holders)
	}
}
