package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
)

// The managed-login (OAuth 2.0) endpoints driven as a browser and an app would: the browser
// fetches /oauth2/authorize, reads the login form (its CSRF field) and posts username and
// password; the app redeems the code with PKCE, refreshes, calls userInfo, revokes, and the
// browser signs out. Go's cookie jar sends no Secure cookie over http://, so oauthBrowser
// keeps the cookies itself.

const (
	oauthCallback = "http://localhost:3000/callback"
	oauthSignOut  = "http://localhost:3000/signed-out"
	oauthVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	oauthPassword = "Passw0rd-oauth"
)

// oauthFixture is a pool with a resource server, a public client for the hosted pages and a
// user alice.
type oauthFixture struct {
	*fixture
	t testing.TB
}

func newOAuthFixture(t testing.TB, ep *Endpoint, clientMod func(*cip.CreateUserPoolClientInput)) *oauthFixture {
	t.Helper()
	p := newPool(t, ep, nil)
	pool := aws.ToString(p.Id)
	call(ep.Admin().CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(pool),
		Identifier: aws.String("orders"), Name: aws.String("Orders"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read")},
			{ScopeName: aws.String("write"), ScopeDescription: aws.String("Write")}}})).must(t)
	c := newClient(t, ep, pool, func(in *cip.CreateUserPoolClientInput) {
		in.CallbackURLs = []string{oauthCallback}
		in.LogoutURLs = []string{oauthSignOut}
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeCode, types.OAuthFlowTypeImplicit}
		in.AllowedOAuthScopes = []string{"openid", "email", "profile", "orders/read"}
		in.AllowedOAuthFlowsUserPoolClient = true
		in.SupportedIdentityProviders = []string{"COGNITO"}
		if clientMod != nil {
			clientMod(in)
		}
	})
	f := &oauthFixture{fixture: &fixture{ep: ep, pool: pool, client: aws.ToString(c.ClientId), secret: aws.ToString(c.ClientSecret)}, t: t}
	f.createUser(t, "alice", oauthPassword, attr("email", "alice@example.com"), attr("email_verified", "true"))
	return f
}

// oauthBrowser follows no redirect by itself and keeps cookies by name.
type oauthBrowser struct {
	t       testing.TB
	ep      *Endpoint
	c       *http.Client
	cookies map[string]string
}

func newOAuthBrowser(t testing.TB, ep *Endpoint) *oauthBrowser {
	return &oauthBrowser{t: t, ep: ep, cookies: map[string]string{}, c: &http.Client{
		Transport:     ep.httpClient().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request (a form when form is set) and returns status, headers and body.
func (b *oauthBrowser) do(method, path string, form url.Values, header map[string]string) (int, http.Header, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, b.ep.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.c.Do(r)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	for _, c := range resp.Cookies() {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			b.t.Errorf("cookie %s lacks Secure, HttpOnly or SameSite=Lax", c.Name)
		}
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp.StatusCode, resp.Header, string(raw)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// authQuery is an authorization request of f's client with PKCE.
func (f *oauthFixture) authQuery(mod func(url.Values)) url.Values {
	sum := sha256.Sum256([]byte(oauthVerifier))
	q := url.Values{"response_type": {"code"}, "client_id": {f.client}, "redirect_uri": {oauthCallback},
		"state": {"state-42-customState"}, "scope": {"openid email orders/read"}, "nonce": {"nonce-7"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	if mod != nil {
		mod(q)
	}
	return q
}

// signIn follows authorize → the login form → the posted form, and returns the final
// redirect to the app.
func (f *oauthFixture) signIn(b *oauthBrowser, q url.Values, username, password string) *url.URL {
	f.t.Helper()
	status, h, body := b.do("GET", "/oauth2/authorize?"+q.Encode(), nil, nil)
	if status != http.StatusFound {
		f.t.Fatalf("authorize: %d %s", status, body)
	}
	loc := h.Get("Location")
	if strings.HasPrefix(loc, "/login?") {
		status, _, page := b.do("GET", loc, nil, nil)
		m := csrfField.FindStringSubmatch(page)
		if status != http.StatusOK || m == nil || !strings.Contains(page, `name="username"`) || !strings.Contains(page, `name="password"`) {
			f.t.Fatalf("login page: %d\n%s", status, page)
		}
		status, h, body = b.do("POST", loc, url.Values{"_csrf": {m[1]}, "username": {username}, "password": {password}}, nil)
		if status != http.StatusFound {
			f.t.Fatalf("login: %d %s", status, body)
		}
		loc = h.Get("Location")
	}
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(loc, oauthCallback) {
		f.t.Fatalf("redirect to %q", loc)
	}
	return u
}

// token posts to /oauth2/token and decodes the JSON answer.
func (f *oauthFixture) token(b *oauthBrowser, form url.Values, basicSecret string) (int, map[string]any) {
	f.t.Helper()
	hdr := map[string]string{}
	if basicSecret != "" {
		hdr["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(f.client+":"+basicSecret))
	} else {
		form.Set("client_id", f.client)
	}
	status, h, body := b.do("POST", "/oauth2/token", form, hdr)
	if h.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		f.t.Errorf("token response headers: %v", h)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		f.t.Fatalf("token response %d is not JSON: %s", status, body)
	}
	return status, out
}

func (f *oauthFixture) redeem(b *oauthBrowser, code string, mod func(url.Values)) (int, map[string]any) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oauthCallback}, "code_verifier": {oauthVerifier}}
	if mod != nil {
		mod(form)
	}
	return f.token(b, form, "")
}

func wantOAuthErr(t testing.TB, status int, out map[string]any, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || out["error"] != code {
		t.Errorf("got %d %v, want %d %s", status, out, wantStatus, code)
	}
}

// scnOAuthCodeFlow: the code + PKCE flow end to end, and what the tokens are good for.
func scnOAuthCodeFlow(t *testing.T, ep *Endpoint) {
	f := newOAuthFixture(t, ep, nil)
	b := newOAuthBrowser(t, ep)

	// Discovery names the endpoints.
	status, _, doc := b.do("GET", "/"+f.pool+"/.well-known/openid-configuration", nil, nil)
	var disc map[string]any
	if status != 200 || json.Unmarshal([]byte(doc), &disc) != nil || disc["token_endpoint"] != ep.IssuerBase+"/oauth2/token" ||
		!strings.Contains(doc, `"code_challenge_methods_supported":["S256"]`) || disc["revocation_endpoint"] == nil {
		t.Fatalf("discovery: %d %s", status, doc)
	}

	u := f.signIn(b, f.authQuery(nil), "alice", oauthPassword)
	code := u.Query().Get("code")
	if code == "" || u.Query().Get("state") != "state-42-customState" {
		t.Fatalf("redirect %s", u)
	}
	status, tok := f.redeem(b, code, nil)
	if status != 200 || tok["token_type"] != "Bearer" || tok["refresh_token"] == nil {
		t.Fatalf("token: %d %v", status, tok)
	}
	id, _ := verifyToken(t, ep, f.pool, tok["id_token"].(string), "id", f.client)
	access, _ := verifyToken(t, ep, f.pool, tok["access_token"].(string), "access", f.client)
	if id["nonce"] != "nonce-7" || id["email"] != "alice@example.com" || access["scope"] != "openid email orders/read" || access["username"] != "alice" {
		t.Fatalf("claims: id %v access %v", id, access)
	}

	// A second authorization request signs in silently with the session cookie.
	u = f.signIn(b, f.authQuery(func(q url.Values) { q.Set("state", "again") }), "", "")
	if u.Query().Get("code") == "" || u.Query().Get("state") != "again" {
		t.Fatalf("silent sign-in: %s", u)
	}

	// Refresh keeps the scopes.
	status, ref := f.token(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, "")
	if status != 200 || ref["id_token"] == nil || claims(t, ref["access_token"].(string))["scope"] != "openid email orders/read" {
		t.Fatalf("refresh: %d %v", status, ref)
	}

	// userInfo (GET and POST).
	for _, m := range []string{"GET", "POST"} {
		status, h, body := b.do(m, "/oauth2/userInfo", nil, map[string]string{"Authorization": "Bearer " + ref["access_token"].(string)})
		var info map[string]any
		if status != 200 || json.Unmarshal([]byte(body), &info) != nil || info["email"] != "alice@example.com" || info["sub"] != id["sub"] {
			t.Fatalf("%s userInfo: %d %v %s", m, status, h, body)
		}
	}
	status, h, _ := b.do("GET", "/oauth2/userInfo", nil, map[string]string{"Authorization": "Bearer " + tamper(ref["access_token"].(string))})
	if status != 401 || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("userInfo with a tampered token: %d %v", status, h)
	}

	// Revocation: 200, then the refresh token and its access tokens are dead.
	if status, _, body := b.do("POST", "/oauth2/revoke", url.Values{"token": {tok["refresh_token"].(string)}, "client_id": {f.client}}, nil); status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	status, out := f.token(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, "")
	wantOAuthErr(t, status, out, 400, "invalid_grant")
	if status, _, _ := b.do("GET", "/oauth2/userInfo", nil, map[string]string{"Authorization": "Bearer " + ref["access_token"].(string)}); status != 401 {
		t.Errorf("userInfo after revocation: %d", status)
	}

	// Logout to the registered URL clears the session: the next authorization shows the form.
	status, h, _ = b.do("GET", "/logout?"+url.Values{"client_id": {f.client}, "logout_uri": {oauthSignOut}}.Encode(), nil, nil)
	if status != 302 || h.Get("Location") != oauthSignOut || b.cookies["cognito"] != "" {
		t.Fatalf("logout: %d %v", status, h)
	}
	status, h, _ = b.do("GET", "/oauth2/authorize?"+f.authQuery(nil).Encode(), nil, nil)
	if status != 302 || !strings.HasPrefix(h.Get("Location"), "/login?") {
		t.Fatalf("after logout: %d %v", status, h.Get("Location"))
	}
}

// scnOAuthClientCredentials: a confidential client's own access token for custom scopes.
func scnOAuthClientCredentials(t *testing.T, ep *Endpoint) {
	f := newOAuthFixture(t, ep, func(in *cip.CreateUserPoolClientInput) {
		in.GenerateSecret = true
		in.CallbackURLs, in.LogoutURLs, in.SupportedIdentityProviders = nil, nil, nil
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials}
		in.AllowedOAuthScopes = []string{"orders/read", "orders/write"}
	})
	b := newOAuthBrowser(t, ep)
	status, tok := f.token(b, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders/write"}}, f.secret)
	if status != 200 || tok["id_token"] != nil || tok["refresh_token"] != nil {
		t.Fatalf("client_credentials: %d %v", status, tok)
	}
	c, _ := verifyToken(t, ep, f.pool, tok["access_token"].(string), "access", f.client)
	if c["sub"] != f.client || c["client_id"] != f.client || c["scope"] != "orders/write" {
		t.Fatalf("claims %v", c)
	}
	status, out := f.token(b, url.Values{"grant_type": {"client_credentials"}}, "wrong-secret")
	wantOAuthErr(t, status, out, 401, "invalid_client")
	status, out = f.token(b, url.Values{"grant_type": {"client_credentials"}, "scope": {"orders/delete"}}, f.secret)
	wantOAuthErr(t, status, out, 400, "invalid_scope")
	status, out = f.token(b, url.Values{"grant_type": {"password"}}, f.secret)
	wantOAuthErr(t, status, out, 400, "unsupported_grant_type")
}

// scnOAuthRefusals: the forgeries and mistakes the endpoints refuse.
func scnOAuthRefusals(t *testing.T, ep *Endpoint) {
	f := newOAuthFixture(t, ep, nil)
	b := newOAuthBrowser(t, ep)

	// An unregistered redirect URI gets a page, never a redirect.
	status, h, _ := b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("redirect_uri", "https://evil.example.com/cb") }).Encode(), nil, nil)
	if status != 400 || h.Get("Location") != "" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("unregistered redirect_uri: %d %v", status, h)
	}
	// A scope the client may not ask for comes back as invalid_scope.
	status, h, _ = b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("scope", "openid orders/write") }).Encode(), nil, nil)
	if u, _ := url.Parse(h.Get("Location")); status != 302 || u.Query().Get("error") != "invalid_scope" || u.Query().Get("state") != "state-42-customState" {
		t.Errorf("disallowed scope: %d %v", status, h.Get("Location"))
	}
	// The login form without its CSRF token.
	loc := "/login?" + f.authQuery(nil).Encode()
	b.do("GET", loc, nil, nil)
	if status, _, _ := b.do("POST", loc, url.Values{"username": {"alice"}, "password": {oauthPassword}}, nil); status != 403 {
		t.Errorf("login without CSRF token: %d", status)
	}
	// A wrong password is answered on the page.
	_, _, page := b.do("GET", loc, nil, nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field:\n%s", page)
	}
	status, _, page = b.do("POST", loc, url.Values{"_csrf": {m[1]}, "username": {"alice"}, "password": {"Wrong-passw0rd"}}, nil)
	if status != 200 || !strings.Contains(page, "Incorrect username or password.") {
		t.Errorf("wrong password: %d\n%s", status, page)
	}
	// Wrong verifier; then the code expires after 5 minutes on the server's clock.
	code := f.signIn(b, f.authQuery(nil), "alice", oauthPassword).Query().Get("code")
	status, out := f.redeem(b, code, func(v url.Values) { v.Set("code_verifier", strings.Repeat("x", 43)) })
	wantOAuthErr(t, status, out, 400, "invalid_grant")
	status, out = f.redeem(b, code, func(v url.Values) { v.Set("redirect_uri", "http://localhost:3000/other") })
	wantOAuthErr(t, status, out, 400, "invalid_grant")
	ep.Advance(t, 5*time.Minute+2*time.Second)
	status, out = f.redeem(b, code, nil)
	wantOAuthErr(t, status, out, 400, "invalid_grant")
	// A code redeemed twice: refused, and what the first redemption got is revoked.
	code = f.signIn(b, f.authQuery(nil), "alice", oauthPassword).Query().Get("code")
	status, tok := f.redeem(b, code, nil)
	if status != 200 {
		t.Fatalf("redeem: %d %v", status, tok)
	}
	status, out = f.redeem(b, code, nil)
	wantOAuthErr(t, status, out, 400, "invalid_grant")
	status, out = f.token(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, "")
	wantOAuthErr(t, status, out, 400, "invalid_grant")
	// /logout is no open redirect.
	status, h, _ = b.do("GET", "/logout?"+url.Values{"client_id": {f.client}, "logout_uri": {"https://evil.example.com/"}}.Encode(), nil, nil)
	if status != 400 || h.Get("Location") != "" {
		t.Errorf("logout to an unregistered URL: %d %v", status, h.Get("Location"))
	}
	// Hostile input: never a 5xx.
	for _, path := range []string{
		"/oauth2/authorize?" + strings.Repeat("a=b&", 5000), "/oauth2/authorize?%zz", "/login?client_id=" + strings.Repeat("x", 3000),
		"/logout?client_id=%00", "/oauth2/token", "/oauth2/revoke", "/oauth2/userInfo",
	} {
		for _, m := range []string{"GET", "POST"} {
			if status, _, body := b.do(m, path, url.Values{"grant_type": {strings.Repeat("z", 20000)}}, nil); status >= 500 || status < 400 {
				t.Errorf("%s %.60s: %d %.200s", m, path, status, body)
			}
		}
	}
}

// scnOAuthAccountPages: sign-up, confirmation and a forgotten password through the pages,
// the codes taken from the server's messages, each ending in a sign-in.
func scnOAuthAccountPages(t *testing.T, ep *Endpoint) {
	p := newPool(t, ep, func(in *cip.CreateUserPoolInput) {
		in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
	})
	pool := aws.ToString(p.Id)
	c := newClient(t, ep, pool, func(in *cip.CreateUserPoolClientInput) {
		in.CallbackURLs = []string{oauthCallback}
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeCode}
		in.AllowedOAuthScopes = []string{"openid", "email"}
		in.AllowedOAuthFlowsUserPoolClient = true
	})
	f := &oauthFixture{fixture: &fixture{ep: ep, pool: pool, client: aws.ToString(c.ClientId)}, t: t}
	b := newOAuthBrowser(t, ep)
	authQ := f.authQuery(func(q url.Values) { q.Set("scope", "openid email") })
	q := authQ.Encode()
	email := name("dave") + "@example.com"

	form := func(page string) string {
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF field:\n%s", page)
		}
		return m[1]
	}
	_, _, page := b.do("GET", "/signup?"+q, nil, nil)
	status, _, page := b.do("POST", "/signup?"+q, url.Values{"_csrf": {form(page)}, "username": {email}, "password": {"Signup-Passw0rd"}}, nil)
	if status != 200 || !strings.Contains(page, "/confirmUser?") {
		t.Fatalf("sign-up: %d\n%s", status, page)
	}
	code := lastMessage(t, ep, email, "SignUp").Code
	status, _, page = b.do("POST", "/confirmUser?"+q, url.Values{"_csrf": {form(page)}, "username": {email}, "code": {code}}, nil)
	if status != 200 || !strings.Contains(page, "Your account is confirmed.") {
		t.Fatalf("confirm: %d\n%s", status, page)
	}
	if u := f.signIn(b, authQ, email, "Signup-Passw0rd"); u.Query().Get("code") == "" {
		t.Fatalf("sign-in after sign-up: %s", u)
	}

	_, _, page = b.do("GET", "/forgotPassword?"+q, nil, nil)
	status, _, page = b.do("POST", "/forgotPassword?"+q, url.Values{"_csrf": {form(page)}, "username": {email}}, nil)
	if status != 200 || !strings.Contains(page, "/confirmForgotPassword?") {
		t.Fatalf("forgot: %d\n%s", status, page)
	}
	code = lastMessage(t, ep, email, "ForgotPassword").Code
	status, _, page = b.do("POST", "/confirmForgotPassword?"+q, url.Values{"_csrf": {form(page)}, "username": {email}, "code": {code},
		"password": {"Reset-Passw0rd"}}, nil)
	if status != 200 || !strings.Contains(page, "Your password was reset.") {
		t.Fatalf("reset: %d\n%s", status, page)
	}
	if u := f.signIn(newOAuthBrowser(t, ep), authQ, email, "Reset-Passw0rd"); u.Query().Get("code") == "" {
		t.Fatalf("sign-in after reset: %s", u)
	}
}

// scnOAuthGoClient: golang.org/x/oauth2, a maintained OAuth 2.0 client, as the app — PKCE
// on the authorization URL it builds, the code exchange (client_secret_basic, detected by
// itself) and refresh through its TokenSource once the access token has expired.
func scnOAuthGoClient(t *testing.T, ep *Endpoint) {
	f := newOAuthFixture(t, ep, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	conf := &oauth2.Config{ClientID: f.client, ClientSecret: f.secret, RedirectURL: oauthCallback,
		Scopes:   []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: ep.URL + "/oauth2/authorize", TokenURL: ep.URL + "/oauth2/token"}}
	verifier := oauth2.GenerateVerifier()
	authURL, err := url.Parse(conf.AuthCodeURL("go-state", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	u := f.signIn(newOAuthBrowser(t, ep), authURL.Query(), "alice", oauthPassword)
	if u.Query().Get("state") != "go-state" {
		t.Fatalf("redirect %s", u)
	}
	clientCtx := context.WithValue(ctx, oauth2.HTTPClient, ep.httpClient())
	// A wrong verifier is the RFC's error, as the library reports it; the code stays good.
	_, err = conf.Exchange(clientCtx, u.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("Exchange with a wrong verifier: %v", err)
	}
	tok, err := conf.Exchange(clientCtx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	id, _ := verifyToken(t, ep, f.pool, idToken, "id", f.client)
	if id["cognito:username"] != "alice" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token %+v, id %v", tok, id)
	}
	// Expired on the client's side: the TokenSource refreshes, keeping the refresh token.
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(clientCtx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken ||
		claims(t, fresh.AccessToken)["scope"] != "openid email" {
		t.Fatalf("refreshed %+v", fresh)
	}
}
