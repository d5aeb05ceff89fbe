package federation

import (
	"net/url"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Login with Amazon and Facebook are plain OAuth 2.0 code flows followed by a profile
// request with the access token. No implementation of either provider runs here, so these
// tests point their endpoints at oidc-provider (its token endpoint and its user info
// endpoint as the profile API): the code exchange, client authentication, PKCE (Amazon) or
// its absence (Facebook), the bearer request and the mapping run against a real OAuth server.

func TestLoginWithAmazonAgainstOAuthServer(t *testing.T) {
	op := startOP(t, []map[string]any{opClient("lwa", "lwa-secret-0123456789", "client_secret_post")}, fedAccount)
	e := newEnv(t, nil)
	ip := &userpool.IdentityProvider{ProviderName: "LoginWithAmazon", ProviderType: "LoginWithAmazon",
		ProviderDetails: map[string]string{"client_id": "lwa", "client_secret": "lwa-secret-0123456789", "authorize_scopes": "openid email",
			"authorize_url": op.issuer + "/auth", "token_url": op.issuer + "/token", "attributes_url": op.issuer + "/me"},
		// Amazon's profile names the user user_id; the OP's user info names it sub.
		AttributeMapping: map[string]string{"username": "sub", "email": "email"}}
	id, err := e.roundTrip(ip)
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != "user-1" || id.Issuer != "" || id.Attributes["email"] != "fed.user@example.com" {
		t.Fatalf("identity %+v", id)
	}
	if attrs := e.signIn(id); attrs["email"] != "fed.user@example.com" {
		t.Fatalf("user attributes %v", attrs)
	}
}

func TestFacebookAgainstOAuthServer(t *testing.T) {
	op := startOP(t, []map[string]any{opClient("graph", "graph-secret-0123456789", "client_secret_post")}, fedAccount, "graph")
	e := newEnv(t, nil)
	ip := &userpool.IdentityProvider{ProviderName: "Facebook", ProviderType: "Facebook",
		ProviderDetails: map[string]string{"client_id": "graph", "client_secret": "graph-secret-0123456789", "authorize_scopes": "openid",
			"authorize_url": op.issuer + "/auth", "token_url": op.issuer + "/token", "attributes_url": op.issuer + "/me?fields="},
		AttributeMapping: map[string]string{"username": "sub"}}
	redirect, p, err := e.fed.Begin(t.Context(), e.pool.Id, ip, callbackURL, "st")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(redirect); u.Query().Get("code_challenge") != "" || p.Nonce != "" {
		t.Fatalf("Facebook request carries PKCE or a nonce: %s", redirect)
	}
	id, err := e.roundTrip(ip)
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != "user-1" || id.ProviderName != "Facebook" {
		t.Fatalf("identity %+v", id)
	}
	e.signIn(id)
}

func TestFacebookFieldsURL(t *testing.T) {
	ip := &userpool.IdentityProvider{ProviderDetails: map[string]string{"api_version": "v19.0"},
		AttributeMapping: map[string]string{"username": "id", "email": "email", "name": "name"}}
	got, err := facebookFieldsURL(ip, "https://graph.facebook.com/me?fields=")
	if err != nil || got != "https://graph.facebook.com/v19.0/me?fields="+url.QueryEscape("id,email,name") {
		t.Fatalf("%s, %v", got, err)
	}
	if _, err := facebookFieldsURL(ip, "http://graph.example/me"); err == nil {
		t.Fatal("plain http to a remote host accepted")
	}
}

func TestBeginScopesPerProvider(t *testing.T) {
	f := New(Config{Crypto: hostcrypto.Pure{}, Now: nil, Rand: strings.NewReader(strings.Repeat("r", 1024))})
	for typ, want := range map[string]string{"Facebook": "public_profile,email", "Google": "public_profile email"} {
		ip := &userpool.IdentityProvider{ProviderName: typ, ProviderType: typ, ProviderDetails: map[string]string{"client_id": "c",
			"authorize_scopes": "public_profile, email", "authorize_url": "https://idp.example/auth", "token_url": "https://idp.example/token"}}
		redirect, _, err := f.Begin(t.Context(), "us-east-1_x", ip, callbackURL, "s")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(redirect)
		if got := u.Query().Get("scope"); got != want {
			t.Errorf("%s: scope %q, want %q", typ, got, want)
		}
	}
	apple := &userpool.IdentityProvider{ProviderName: "SignInWithApple", ProviderType: "SignInWithApple", ProviderDetails: map[string]string{
		"client_id": "c", "authorize_scopes": "name email", "authorize_url": "https://appleid.apple.com/auth/authorize", "token_url": "https://appleid.apple.com/auth/token"}}
	redirect, p, err := f.Begin(t.Context(), "us-east-1_x", apple, callbackURL, "s")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(redirect); u.Query().Get("response_mode") != "form_post" || u.Query().Get("nonce") != p.Nonce || p.Nonce == "" {
		t.Fatalf("Apple request %s", redirect)
	}
}
