package oauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestCodeFlow follows the whole code + PKCE flow: authorize, the login form, the code,
// tokens with the granted scopes and nonce, refresh keeping them, userInfo by scope,
// revocation and logout.
func TestCodeFlow(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	code := f.codeFor(b, f.authQuery(func(q url.Values) { q.Set("scope", "openid email orders/read") }))
	if b.cookies[sessionCookie] == "" {
		t.Fatal("no session cookie after sign-in")
	}
	status, tok := f.redeem(code, nil)
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) || tok["refresh_token"] == nil {
		t.Fatalf("token response: %v", tok)
	}
	access := claims(t, tok["access_token"].(string))
	if access["scope"] != "openid email orders/read" || access["client_id"] != f.client || access["username"] != "alice" || access["token_use"] != "access" {
		t.Fatalf("access token claims: %v", access)
	}
	id := claims(t, tok["id_token"].(string))
	if id["nonce"] != "n-456" || id["aud"] != f.client || id["email"] != "alice@example.com" || id["at_hash"] == nil || id["iss"] != testIssuer+"/"+f.pool {
		t.Fatalf("ID token claims: %v", id)
	}

	// Refresh keeps the scopes; no new refresh token without rotation.
	status, ref, _ := f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, false)
	if status != http.StatusOK || ref["refresh_token"] != nil || ref["id_token"] == nil {
		t.Fatalf("refresh: %d %v", status, ref)
	}
	if got := claims(t, ref["access_token"].(string))["scope"]; got != "openid email orders/read" {
		t.Fatalf("refreshed scope %v", got)
	}

	// userInfo: sub, username, and the email claims (the email scope), nothing of profile.
	info, st := userInfo(f, "Bearer "+ref["access_token"].(string))
	if st != http.StatusOK || info["email"] != "alice@example.com" || info["email_verified"] != "true" || info["username"] != "alice" || info["sub"] == nil {
		t.Fatalf("userInfo: %d %v", st, info)
	}

	// Revocation ends the refresh token and its access tokens.
	if st := revoke(f, tok["refresh_token"].(string), nil); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	status, out, _ := f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, false)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)
	if _, st := userInfo(f, "Bearer "+tok["access_token"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("userInfo with a revoked token: %d", st)
	}

	// Logout clears the cookie and goes to the registered URL.
	w := b.do("GET", "/logout?"+url.Values{"client_id": {f.client}, "logout_uri": {logoutURL}}.Encode(), nil)
	if w.Code != http.StatusFound || w.Header().Get("Location") != logoutURL || b.cookies[sessionCookie] != "" {
		t.Fatalf("logout: %d %q cookie %q", w.Code, w.Header().Get("Location"), b.cookies[sessionCookie])
	}
}

// TestSilentSignIn: a live session cookie completes a new authorization request without the
// form; prompt=login shows the form anyway; prompt=none without a session is login_required.
func TestSilentSignIn(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	f.codeFor(b, f.authQuery(nil))
	w := b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("state", "second") }).Encode(), nil)
	u := mustURL(t, w.Header().Get("Location"))
	if w.Code != http.StatusFound || u.Query().Get("code") == "" || u.Query().Get("state") != "second" {
		t.Fatalf("silent sign-in: %d %s", w.Code, u)
	}
	w = b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("prompt", "login") }).Encode(), nil)
	if !strings.HasPrefix(w.Header().Get("Location"), "/login?") {
		t.Fatalf("prompt=login: %s", w.Header().Get("Location"))
	}
	// An hour later the session is over.
	f.clock.Advance(sessionTTL + 1)
	w = b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("prompt", "none") }).Encode(), nil)
	if u := mustURL(t, w.Header().Get("Location")); u.Query().Get("error") != errLoginRequired {
		t.Fatalf("prompt=none without a session: %s", u)
	}
}

// TestImplicitFlow: tokens in the fragment, never a refresh token, an ID token only with
// openid.
func TestImplicitFlow(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	u := f.signIn(b, f.authQuery(func(q url.Values) {
		q.Set("response_type", "token")
		q.Set("scope", "orders/read")
		q.Del("code_challenge")
		q.Del("code_challenge_method")
	}), "alice", testPassword)
	frag, _ := url.ParseQuery(u.Fragment)
	if u.Query().Get("code") != "" || frag.Get("access_token") == "" || frag.Get("id_token") != "" || frag.Get("refresh_token") != "" || frag.Get("state") != "st-123" {
		t.Fatalf("implicit redirect: %s", u)
	}
	if got := claims(t, frag.Get("access_token"))["scope"]; got != "orders/read" {
		t.Fatalf("scope %v", got)
	}
}

// TestClientCredentials: a confidential client gets an access token for its custom scopes,
// speaking for itself; public clients and other scopes are refused.
func TestClientCredentials(t *testing.T) {
	f := newFixture(t, fixtureOpts{secret: true, noUser: true, clientMod: func(c map[string]any) {
		c["AllowedOAuthFlows"] = []string{"client_credentials"}
		c["AllowedOAuthScopes"] = []string{"orders/read", "orders/write"}
		delete(c, "CallbackURLs")
		delete(c, "LogoutURLs")
	}})
	status, tok, _ := f.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"orders/read"}}, true)
	if status != http.StatusOK || tok["id_token"] != nil || tok["refresh_token"] != nil {
		t.Fatalf("client_credentials: %d %v", status, tok)
	}
	c := claims(t, tok["access_token"].(string))
	if c["sub"] != f.client || c["client_id"] != f.client || c["scope"] != "orders/read" || c["token_use"] != "access" {
		t.Fatalf("claims %v", c)
	}
	// All allowed scopes when none is asked; client_secret_post works too.
	status, tok, _ = f.token(url.Values{"grant_type": {"client_credentials"}}, false)
	if status != http.StatusOK || claims(t, tok["access_token"].(string))["scope"] != "orders/read orders/write" {
		t.Fatalf("default scopes: %d %v", status, tok)
	}
	status, out, _ := f.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, true)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidScope)
	// Its token is not a user's: userInfo refuses it.
	if _, st := userInfo(f, "Bearer "+tok["access_token"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("userInfo with a client token: %d", st)
	}

	pub := newFixture(t, fixtureOpts{noUser: true})
	status, out, _ = pub.token(url.Values{"grant_type": {"client_credentials"}}, false)
	wantOAuthError(t, status, out, http.StatusBadRequest, errUnauthorizedClient)
}

// TestNewPasswordRequired: a user with a temporary password chooses one on the page and is
// signed in.
func TestNewPasswordRequired(t *testing.T) {
	f := newFixture(t, fixtureOpts{noUser: true})
	f.createUser("bob", "bob@example.com", false)
	b := f.browser()
	q := f.authQuery(nil).Encode()
	page := b.do("GET", "/login?"+q, nil)
	w := b.do("POST", "/login?"+q, url.Values{"_csrf": {csrfOf(t, page)}, "username": {"bob"}, "password": {testPassword}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="new_password"`) {
		t.Fatalf("no new-password page: %d %s", w.Code, w.Body.String())
	}
	session := regexpValue(t, w.Body.String(), "session")
	weak := b.do("POST", "/forceChangePassword?"+q, url.Values{"_csrf": {csrfOf(t, w)}, "session": {session}, "new_password": {"short"}})
	if weak.Code != http.StatusOK || !strings.Contains(weak.Body.String(), "Password") {
		t.Fatalf("weak password: %d %s", weak.Code, weak.Body.String())
	}
	done := b.do("POST", "/forceChangePassword?"+q, url.Values{"_csrf": {csrfOf(t, weak)}, "session": {session}, "new_password": {"Another-good-2"}})
	u := mustURL(t, done.Header().Get("Location"))
	if done.Code != http.StatusFound || u.Query().Get("code") == "" {
		t.Fatalf("after the new password: %d %s %s", done.Code, u, done.Body.String())
	}
	if u := f.signIn(f.browser(), f.authQuery(nil), "bob", "Another-good-2"); u.Query().Get("code") == "" {
		t.Fatalf("sign-in with the new password: %s", u)
	}
}

func regexpValue(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no field %s", name)
	}
	rest := body[i+len(`name="`+name+`" value="`):]
	v, _, _ := strings.Cut(rest, `"`)
	return strings.ReplaceAll(v, "&#43;", "+")
}

// TestLoginErrors: the page answers like the JSON API — unknown users by
// PreventUserExistenceErrors, disabled and unconfirmed users only after a right password.
func TestLoginErrors(t *testing.T) {
	for _, pue := range []string{"LEGACY", "ENABLED"} {
		f := newFixture(t, fixtureOpts{clientMod: func(c map[string]any) { c["PreventUserExistenceErrors"] = pue }})
		want := map[string]string{"LEGACY": "User does not exist.", "ENABLED": "Incorrect username or password."}[pue]
		if got := loginError(f, "nobody", testPassword); !strings.Contains(got, want) {
			t.Errorf("%s: unknown user: %q", pue, got)
		}
		if got := loginError(f, "alice", "Wrong-password-1"); !strings.Contains(got, "Incorrect username or password.") {
			t.Errorf("%s: wrong password: %q", pue, got)
		}
		f.call("AdminDisableUser", map[string]any{"UserPoolId": f.pool, "Username": "alice"})
		if got := loginError(f, "alice", "Wrong-password-1"); !strings.Contains(got, "Incorrect username or password.") {
			t.Errorf("%s: disabled user, wrong password: %q", pue, got)
		}
		if got := loginError(f, "alice", testPassword); !strings.Contains(got, "User is disabled.") {
			t.Errorf("%s: disabled user: %q", pue, got)
		}
	}
}

// loginError posts the login form and returns the page's error text.
func loginError(f *fixture, username, password string) string {
	f.t.Helper()
	b := f.browser()
	q := f.authQuery(nil).Encode()
	page := b.do("GET", "/login?"+q, nil)
	w := b.do("POST", "/login?"+q, url.Values{"_csrf": {csrfOf(f.t, page)}, "username": {username}, "password": {password}})
	if w.Code != http.StatusOK {
		f.t.Fatalf("login POST: %d %s", w.Code, w.Body.String())
	}
	body := w.Body.String()
	i := strings.Index(body, `role="alert">`)
	if i < 0 {
		f.t.Fatalf("no error on the page:\n%s", body)
	}
	msg, _, _ := strings.Cut(body[i+len(`role="alert">`):], "<")
	return strings.ReplaceAll(msg, "&#39;", "'")
}

// TestPageHeaders: the pages allow no script, no framing, and only their own inline style.
func TestPageHeaders(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	w := f.browser().do("GET", "/login?"+f.authQuery(nil).Encode(), nil)
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") ||
		!strings.Contains(csp, "script-src "+hashSource(pageJS)+";") || strings.Contains(csp, "unsafe-inline") ||
		!strings.Contains(csp, "style-src "+hashSource(pageCSS)+";") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", h)
	}
	// The inline style sheet and script are exactly what the policy hashes, and the only ones.
	body := w.Body.String()
	for _, el := range []struct {
		tag  string
		want []byte
	}{{"style", pageCSS}, {"script", pageJS}} {
		open, end := "<"+el.tag+">", "</"+el.tag+">"
		i, j := strings.Index(body, open), strings.Index(body, end)
		if i < 0 || j < i || body[i+len(open):j] != string(el.want) || strings.Count(body, "<"+el.tag) != 1 {
			t.Fatalf("the inline %s is not the hashed one", el.tag)
		}
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == csrfCookie && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("CSRF cookie attributes: %+v", c)
		}
	}
}

// TestEndpointsRefuseEmptyRequests: every path Register serves answers an empty request
// of any method with a 4xx, never a 5xx.
func TestEndpointsRefuseEmptyRequests(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for pattern := range f.srv.routes() {
		_, p, _ := strings.Cut(" "+pattern, " /")
		p = "/" + strings.ReplaceAll(p, "{pool}", "us-east-1_Nosuchpoo")
		for _, m := range []string{"GET", "POST", "PUT"} {
			r := httptest.NewRequest(m, "https://login.oauth.test"+p, nil)
			w := httptest.NewRecorder()
			f.mux.ServeHTTP(w, r)
			if w.Code < 400 || w.Code >= 500 {
				t.Errorf("%s %s: %d", m, p, w.Code)
			}
		}
	}
}

func userInfo(f *fixture, authorization string) (map[string]any, int) {
	f.t.Helper()
	r := httptest.NewRequest("GET", "https://login.oauth.test/oauth2/userInfo", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	out := map[string]any{}
	if w.Code == http.StatusOK {
		decode(f.t, w.Body.Bytes(), &out)
	} else if !strings.Contains(w.Header().Get("WWW-Authenticate"), "Bearer") {
		f.t.Fatalf("userInfo %d without a Bearer challenge", w.Code)
	}
	return out, w.Code
}

func revoke(f *fixture, token string, mod func(url.Values)) int {
	f.t.Helper()
	form := url.Values{"token": {token}, "client_id": {f.client}}
	if f.secret != "" {
		form.Set("client_secret", f.secret)
	}
	if mod != nil {
		mod(form)
	}
	r := httptest.NewRequest("POST", "https://login.oauth.test/oauth2/revoke", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w.Code
}
