package oauth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/userpool"
)

// fakeFederator stands for internal/federation: it "signs in" at the provider when the code
// (or SAMLResponse) is "good" and the Pending is the one Begin returned.
type fakeFederator struct{ begun int }

func (f *fakeFederator) Begin(ctx context.Context, poolID string, ip *userpool.IdentityProvider, callback, state string) (string, Pending, error) {
	f.begun++
	if ip.ProviderName == "Broken" {
		return "", Pending{}, fmt.Errorf("discovery failed: %w", ErrProvider)
	}
	return "https://idp.example.com/authorize?" + url.Values{"state": {state}, "redirect_uri": {callback}}.Encode(),
		Pending{Nonce: fmt.Sprint("nonce-", f.begun), Verifier: "verifier"}, nil
}

func (f *fakeFederator) finish(ip *userpool.IdentityProvider, proof string, p Pending) (*ExternalIdentity, error) {
	if proof != "good" || !strings.HasPrefix(p.Nonce, "nonce-") || p.Verifier != "verifier" {
		return nil, fmt.Errorf("the provider refused: %w", ErrProvider)
	}
	return &ExternalIdentity{ProviderName: ip.ProviderName, ProviderType: ip.ProviderType, UserID: "123",
		Attributes: map[string]string{"email": "fed@example.com"}}, nil
}

func (f *fakeFederator) FinishOAuth(ctx context.Context, poolID string, ip *userpool.IdentityProvider, callback, code string, p Pending) (*ExternalIdentity, error) {
	if callback != "https://login.oauth.test/oauth2/idpresponse" {
		return nil, fmt.Errorf("callback %s", callback)
	}
	return f.finish(ip, code, p)
}

func (f *fakeFederator) FinishSAML(ctx context.Context, poolID string, ip *userpool.IdentityProvider, acsURL, samlResponse string, p Pending) (*ExternalIdentity, error) {
	if acsURL != "https://login.oauth.test/saml2/idpresponse" {
		return nil, fmt.Errorf("ACS %s", acsURL)
	}
	return f.finish(ip, samlResponse, p)
}

func (f *fakeFederator) SPMetadata(poolID, acsURL string) ([]byte, error) {
	return []byte(`<EntityDescriptor entityID="urn:amazon:cognito:sp:` + poolID + `"/>`), nil
}

// newFederatedFixture is a fixture whose server federates through a fakeFederator, with an
// OIDC and a SAML provider the client supports and one it does not.
func newFederatedFixture(t *testing.T) *fixture {
	f := newFixture(t, fixtureOpts{noUser: true})
	for _, p := range []struct{ name, typ string }{{"MyOIDC", "OIDC"}, {"Corp", "SAML"}, {"Other", "OIDC"}, {"Broken", "OIDC"}} {
		details := map[string]string{"client_id": "c", "client_secret": "s", "attributes_request_method": "GET",
			"oidc_issuer": "https://idp.example.com", "authorize_scopes": "openid"}
		if p.typ == "SAML" {
			details = map[string]string{"MetadataFile": "<EntityDescriptor/>"}
		}
		in := map[string]any{"UserPoolId": f.pool, "ProviderName": p.name, "ProviderType": p.typ, "ProviderDetails": details}
		if p.name == "MyOIDC" {
			in["IdpIdentifiers"] = []string{"example.com"}
		}
		f.call("CreateIdentityProvider", in)
	}
	f.call("UpdateUserPoolClient", map[string]any{"UserPoolId": f.pool, "ClientId": f.client,
		"CallbackURLs": []string{callbackURL}, "LogoutURLs": []string{logoutURL},
		"AllowedOAuthFlows": []string{"code", "implicit"}, "AllowedOAuthFlowsUserPoolClient": true,
		"AllowedOAuthScopes": []string{"openid", "email"}, "SupportedIdentityProviders": []string{"COGNITO", "MyOIDC", "Corp", "Broken"}})
	f.srv.cfg.Base = "https://login.oauth.test"
	f.srv.cfg.Federator = &fakeFederator{}
	// The fake sign-in makes a confirmed native user named like a federated one.
	f.srv.cfg.FederatedSignIn = func(ctx context.Context, p *userpool.Pool, c *userpool.Client, id *ExternalIdentity) (*userpool.User, error) {
		name := id.ProviderName + "_" + id.UserID
		if _, err := f.callErr("AdminGetUser", map[string]any{"UserPoolId": p.Id, "Username": name}); err != nil {
			f.createUser(name, id.Attributes["email"], true)
		}
		res, err := f.up.HostedSignIn(ctx, p, c, name, testPassword)
		if err != nil {
			return nil, err
		}
		return res.User, nil
	}
	return f
}

// startFederated follows authorize to the provider and returns our state there.
func startFederated(t *testing.T, f *fixture, b *browser, mod func(url.Values)) string {
	t.Helper()
	w := b.do("GET", "/oauth2/authorize?"+f.authQuery(mod).Encode(), nil)
	u := mustURL(t, w.Header().Get("Location"))
	if w.Code != http.StatusFound || u.Host != "idp.example.com" || u.Query().Get("state") == "" {
		t.Fatalf("authorize with a provider: %d %s", w.Code, u)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == fedCookie && (c.SameSite != http.SameSiteNoneMode || !c.Secure || !c.HttpOnly) {
			t.Fatalf("federation cookie: %+v", c)
		}
	}
	return u.Query().Get("state")
}

func TestFederatedSignIn(t *testing.T) {
	f := newFederatedFixture(t)
	b := f.browser()
	state := startFederated(t, f, b, func(q url.Values) { q.Set("identity_provider", "MyOIDC") })
	w := b.do("GET", "/oauth2/idpresponse?"+url.Values{"code": {"good"}, "state": {state}}.Encode(), nil)
	u := mustURL(t, w.Header().Get("Location"))
	if w.Code != http.StatusFound || u.Query().Get("code") == "" || u.Query().Get("state") != "st-123" {
		t.Fatalf("idpresponse: %d %s %s", w.Code, u, w.Body.String())
	}
	status, tok := f.redeem(u.Query().Get("code"), nil)
	if status != http.StatusOK || claims(t, tok["id_token"].(string))["cognito:username"] != "MyOIDC_123" {
		t.Fatalf("tokens: %d %v", status, tok)
	}
	// The state is spent with its cookie: replaying the callback does nothing.
	if w := b.do("GET", "/oauth2/idpresponse?"+url.Values{"code": {"good"}, "state": {state}}.Encode(), nil); w.Code != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d", w.Code)
	}

	// By IdpIdentifier, and with a SAML provider answering by POST.
	state = startFederated(t, f, b, func(q url.Values) { q.Set("idp_identifier", "example.com") })
	if w := b.do("GET", "/oauth2/idpresponse?"+url.Values{"code": {"good"}, "state": {state}}.Encode(), nil); w.Code != http.StatusFound || !strings.Contains(w.Header().Get("Location"), "code=") {
		t.Fatalf("by identifier: %d %s", w.Code, w.Header().Get("Location"))
	}
	state = startFederated(t, f, b, func(q url.Values) { q.Set("identity_provider", "Corp") })
	w = b.do("POST", "/saml2/idpresponse", url.Values{"SAMLResponse": {"good"}, "RelayState": {state}})
	if w.Code != http.StatusFound || !strings.Contains(w.Header().Get("Location"), "code=") {
		t.Fatalf("SAML: %d %s", w.Code, w.Header().Get("Location"))
	}
	// The login page offers the client's providers, and only those.
	page := b.do("GET", "/login?"+f.authQuery(nil).Encode(), nil).Body.String()
	if !strings.Contains(page, "Sign in with MyOIDC") || !strings.Contains(page, "identity_provider=Corp") || strings.Contains(page, "Sign in with Other") {
		t.Fatalf("provider links:\n%s", page)
	}
	// The SP metadata.
	if w := b.do("GET", "/"+f.pool+"/saml2/metadata", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "urn:amazon:cognito:sp:"+f.pool) {
		t.Fatalf("metadata: %d %s", w.Code, w.Body.String())
	}
}

func TestFederationForgeries(t *testing.T) {
	f := newFederatedFixture(t)
	b := f.browser()
	fed := func(q url.Values) { q.Set("identity_provider", "MyOIDC") }

	// A state that was tampered with, or that another browser started, is refused with a page.
	state := startFederated(t, f, b, fed)
	for name, tc := range map[string]struct {
		state string
		b     *browser
	}{
		"tampered":      {state[:len(state)-3] + "xyz", b},
		"other browser": {state, f.browser()},
		"empty":         {"", b},
	} {
		w := tc.b.do("GET", "/oauth2/idpresponse?"+url.Values{"code": {"good"}, "state": {tc.state}}.Encode(), nil)
		if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
			t.Errorf("%s state: %d %q", name, w.Code, w.Header().Get("Location"))
		}
	}
	// Another browser's cookie with this state (the nonces differ).
	other := f.browser()
	startFederated(t, f, other, fed)
	b.cookies[fedCookie] = other.cookies[fedCookie]
	if w := b.do("GET", "/oauth2/idpresponse?"+url.Values{"code": {"good"}, "state": {state}}.Encode(), nil); w.Code != http.StatusBadRequest {
		t.Errorf("state with another sign-in's cookie: %d", w.Code)
	}
	// Expired.
	state = startFederated(t, f, b, fed)
	f.clock.Advance(fedTTL + 1e9)
	if w := b.do("GET", "/oauth2/idpresponse?"+url.Values{"code": {"good"}, "state": {state}}.Encode(), nil); w.Code != http.StatusBadRequest {
		t.Errorf("expired state: %d", w.Code)
	}
	// The provider's refusal, and its error, go back to the app as invalid_request.
	for _, v := range []url.Values{{"code": {"bad"}}, {"error": {"access_denied"}, "error_description": {"no"}}} {
		v.Set("state", startFederated(t, f, b, fed))
		w := b.do("GET", "/oauth2/idpresponse?"+v.Encode(), nil)
		if u := mustURL(t, w.Header().Get("Location")); w.Code != http.StatusFound || u.Query().Get("error") != errInvalidRequest || u.Query().Get("state") != "st-123" {
			t.Errorf("%v: %d %s", v, w.Code, u)
		}
	}
	// Providers the client does not support, that do not exist, or fail at Begin.
	for provider, want := range map[string]string{"Other": errUnauthorizedClient, "Nope": errInvalidRequest, "Broken": errInvalidRequest} {
		w := b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("identity_provider", provider) }).Encode(), nil)
		if u := mustURL(t, w.Header().Get("Location")); u.Query().Get("error") != want || !strings.HasPrefix(u.String(), callbackURL) {
			t.Errorf("provider %s: %s", provider, u)
		}
	}
}
