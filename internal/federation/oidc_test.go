package federation

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/poolgate/poolgate/internal/userpool"
)

// opClient is a client registration at the test OP.
func opClient(id, secret, authMethod string) map[string]any {
	return map[string]any{"client_id": id, "client_secret": secret, "redirect_uris": []string{callbackURL},
		"response_types": []string{"code"}, "grant_types": []string{"authorization_code"},
		"token_endpoint_auth_method": authMethod}
}

var fedAccount = map[string]any{"sub": "user-1", "email": "fed.user@example.com", "email_verified": true,
	"name": "Fed User", "given_name": "Fed", "family_name": "User"}

func oidcProvider(details map[string]string) *userpool.IdentityProvider {
	return &userpool.IdentityProvider{ProviderName: "MyOIDC", ProviderType: "OIDC", ProviderDetails: details,
		AttributeMapping: map[string]string{"username": "sub", "email": "email", "email_verified": "email_verified",
			"name": "name", "family_name": "family_name"}}
}

// roundTrip runs Begin, the provider's login and FinishOAuth.
func (e *env) roundTrip(ip *userpool.IdentityProvider) (*userpool.ExternalIdentity, error) {
	e.t.Helper()
	ctx := context.Background()
	redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, callbackURL, "opaque-state")
	if err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	back := browse(e.t, redirect)
	if back.Get("state") != "opaque-state" || back.Get("code") == "" {
		e.t.Fatalf("callback %v", back)
	}
	return e.fed.FinishOAuth(ctx, e.pool.Id, ip, callbackURL, back.Get("code"), p)
}

func TestOIDCDiscoveryBasicAuthUserInfo(t *testing.T) {
	op := startOP(t, []map[string]any{opClient("rp-basic", "basic-secret-0123456789", "client_secret_basic")}, fedAccount)
	e := newEnv(t, nil)
	for _, method := range []string{"GET", "POST"} {
		ip := oidcProvider(map[string]string{"client_id": "rp-basic", "client_secret": "basic-secret-0123456789",
			"oidc_issuer": op.issuer, "authorize_scopes": "openid email profile", "attributes_request_method": method})

		redirect, p, err := e.fed.Begin(context.Background(), e.pool.Id, ip, callbackURL, "s")
		if err != nil {
			t.Fatal(err)
		}
		q, _ := url.Parse(redirect)
		if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("nonce") != p.Nonce || p.Nonce == "" || p.Verifier == "" {
			t.Fatalf("authorize request %s, pending %+v", redirect, p)
		}

		id, err := e.roundTrip(ip)
		if err != nil {
			t.Fatalf("%s: FinishOAuth: %v", method, err)
		}
		if id.UserID != "user-1" || id.Issuer != op.issuer || id.ProviderName != "MyOIDC" || id.ProviderType != "OIDC" {
			t.Fatalf("identity %+v", id)
		}
		want := map[string]string{"email": "fed.user@example.com", "email_verified": "true", "name": "Fed User", "family_name": "User"}
		for k, v := range want {
			if id.Attributes[k] != v {
				t.Fatalf("attribute %s = %q, want %q (%v)", k, id.Attributes[k], v, id.Attributes)
			}
		}
		if _, mapped := id.Attributes["given_name"]; mapped {
			t.Fatalf("unmapped claim given_name came through: %v", id.Attributes)
		}
		attrs := e.signIn(id)
		if attrs["email"] != "fed.user@example.com" || attrs["identities"] == "" {
			t.Fatalf("user attributes %v", attrs)
		}
	}

	// The next sign-in maps the provider's changed claims onto the same user.
	changed := map[string]any{}
	for k, v := range fedAccount {
		changed[k] = v
	}
	changed["email"] = "changed@example.com"
	op.setAccount(t, changed)
	id, err := e.roundTrip(oidcProvider(map[string]string{"client_id": "rp-basic", "client_secret": "basic-secret-0123456789",
		"oidc_issuer": op.issuer, "authorize_scopes": "openid email profile", "attributes_request_method": "GET"}))
	if err != nil {
		t.Fatal(err)
	}
	if attrs := e.signIn(id); attrs["email"] != "changed@example.com" {
		t.Fatalf("after the second sign-in: %v", attrs)
	}
}

func TestOIDCExplicitEndpointsPostAuth(t *testing.T) {
	op := startOP(t, []map[string]any{opClient("rp-post", "post-secret-0123456789", "client_secret_post")}, fedAccount)
	e := newEnv(t, nil)
	ip := oidcProvider(map[string]string{"client_id": "rp-post", "client_secret": "post-secret-0123456789",
		"oidc_issuer": op.issuer, "authorize_scopes": "openid email", "attributes_request_method": "GET",
		"authorize_url": op.issuer + "/auth", "token_url": op.issuer + "/token", "jwks_uri": op.issuer + "/jwks"})
	id, err := e.roundTrip(ip)
	if err != nil {
		t.Fatal(err)
	}
	// No attributes_url: the attributes are the ID token's.
	if id.UserID != "user-1" || id.Attributes["email"] != "fed.user@example.com" {
		t.Fatalf("identity %+v", id)
	}
	e.signIn(id)
}

func TestOIDCRefusals(t *testing.T) {
	op := startOP(t, []map[string]any{opClient("rp-basic", "basic-secret-0123456789", "client_secret_basic"),
		opClient("rp-other", "other-secret-0123456789", "client_secret_basic")}, fedAccount)
	e := newEnv(t, nil)
	ctx := context.Background()
	good := map[string]string{"client_id": "rp-basic", "client_secret": "basic-secret-0123456789",
		"oidc_issuer": op.issuer, "authorize_scopes": "openid email", "attributes_request_method": "GET"}
	with := func(k, v string) *userpool.IdentityProvider {
		d := map[string]string{}
		for kk, vv := range good {
			d[kk] = vv
		}
		d[k] = v
		return oidcProvider(d)
	}
	login := func(ip *userpool.IdentityProvider) (string, Pending) {
		redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, callbackURL, "s")
		if err != nil {
			t.Fatal(err)
		}
		return browse(t, redirect).Get("code"), p
	}
	wantProviderErr := func(what string, err error) {
		t.Helper()
		t.Logf("%s: %v", what, err)
		if !errors.Is(err, ErrProvider) {
			t.Errorf("%s: %v, want ErrProvider", what, err)
		} else if len(err.Error()) > 1000 {
			t.Errorf("%s: message of %d bytes", what, len(err.Error()))
		}
	}

	code, p := login(oidcProvider(good))
	bad := p
	bad.Nonce = "another-nonce"
	_, err := e.fed.FinishOAuth(ctx, e.pool.Id, oidcProvider(good), callbackURL, code, bad)
	wantProviderErr("wrong nonce", err)
	// The code was spent by the refused attempt: redeeming it again fails at the OP.
	_, err = e.fed.FinishOAuth(ctx, e.pool.Id, oidcProvider(good), callbackURL, code, p)
	wantProviderErr("code replayed", err)

	code, p = login(oidcProvider(good))
	bad = p
	// Another first character (a verifier that began with "A" was once "changed" to itself:
	// one run in 64 then failed).
	first := "A"
	if p.Verifier[0] == 'A' {
		first = "B"
	}
	bad.Verifier = first + p.Verifier[1:]
	_, err = e.fed.FinishOAuth(ctx, e.pool.Id, oidcProvider(good), callbackURL, code, bad)
	wantProviderErr("wrong PKCE verifier", err)

	code, p = login(oidcProvider(good))
	_, err = e.fed.FinishOAuth(ctx, e.pool.Id, with("client_secret", "wrong-secret"), callbackURL, code, p)
	wantProviderErr("wrong client secret", err)

	// An ID token for another audience: the other client's code, redeemed by that client,
	// but checked as this provider's (client_id rp-basic).
	code, p = login(with("client_id", "rp-other"))
	other := with("client_id", "rp-other")
	other.ProviderDetails["client_secret"] = "other-secret-0123456789"
	if _, err := e.fed.FinishOAuth(ctx, e.pool.Id, other, callbackURL, code, p); err != nil {
		t.Fatalf("rp-other's own sign-in: %v", err)
	}

	// Wrong issuer configured: discovery names another issuer.
	_, _, err = e.fed.Begin(ctx, e.pool.Id, with("oidc_issuer", op.issuer+"/elsewhere"), callbackURL, "s")
	wantProviderErr("wrong issuer", err)
	// A JWKS that does not hold the OP's key: the signature cannot be verified.
	code, p = login(oidcProvider(good))
	ip := with("jwks_uri", op.issuer+"/me")
	_, err = e.fed.FinishOAuth(ctx, e.pool.Id, ip, callbackURL, code, p)
	wantProviderErr("foreign key set", err)
	// Empty and oversized codes never reach the provider.
	_, err = e.fed.FinishOAuth(ctx, e.pool.Id, oidcProvider(good), callbackURL, "", p)
	wantProviderErr("no code", err)
}
