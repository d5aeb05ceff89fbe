package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Each forgery the endpoints defend against, tried.

func TestUnregisteredRedirectURI(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	for _, uri := range []string{"https://evil.example.com/callback", callbackURL + "/", callbackURL + "?x=1",
		strings.ToUpper(callbackURL), "https://app.example.com/callback#frag", ""} {
		w := b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("redirect_uri", uri) }).Encode(), nil)
		if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
			t.Errorf("redirect_uri %q: %d Location %q", uri, w.Code, w.Header().Get("Location"))
		}
		// The login page refuses it too, and a posted form with it signs nobody in.
		w = b.do("POST", "/login?"+f.authQuery(func(q url.Values) { q.Set("redirect_uri", uri) }).Encode(),
			url.Values{"username": {"alice"}, "password": {testPassword}})
		if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
			t.Errorf("login with redirect_uri %q: %d", uri, w.Code)
		}
	}
	// An unknown client gets a page, never a redirect.
	w := b.do("GET", "/oauth2/authorize?"+f.authQuery(func(q url.Values) { q.Set("client_id", "nosuchclient1234567890abcd") }).Encode(), nil)
	if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
		t.Errorf("unknown client: %d", w.Code)
	}
}

func TestAuthorizeRefusalsRedirect(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, tc := range []struct {
		mod  func(url.Values)
		want string
	}{
		{func(q url.Values) { q.Set("scope", "openid orders/write") }, errInvalidScope},
		{func(q url.Values) { q.Set("scope", "aws.cognito.signin.user.admin") }, errInvalidScope},
		{func(q url.Values) { q.Set("response_type", "id_token") }, errUnsupportedResponseType},
		{func(q url.Values) { q.Del("response_type") }, errInvalidRequest},
		{func(q url.Values) { q.Set("code_challenge_method", "plain") }, errInvalidRequest},
		{func(q url.Values) { q.Set("code_challenge", "short") }, errInvalidRequest},
		{func(q url.Values) { q.Set("identity_provider", "Google") }, errInvalidRequest},
		{func(q url.Values) { q.Add("scope", "openid"); q.Add("scope", "email") }, errInvalidRequest},
	} {
		q := f.authQuery(tc.mod)
		w := f.browser().do("GET", "/oauth2/authorize?"+q.Encode(), nil)
		u := mustURL(t, w.Header().Get("Location"))
		if w.Code == http.StatusBadRequest && tc.want == errInvalidRequest && len(q["scope"]) > 1 {
			continue // a duplicated parameter may also be refused with a page
		}
		if w.Code != http.StatusFound || !strings.HasPrefix(u.String(), callbackURL) || u.Query().Get("error") != tc.want || u.Query().Get("state") != "st-123" {
			t.Errorf("%v: %d %s", q, w.Code, u)
		}
	}
	// A client not allowed the flow.
	g := newFixture(t, fixtureOpts{noUser: true, clientMod: func(c map[string]any) { c["AllowedOAuthFlows"] = []string{"code"} }})
	w := g.browser().do("GET", "/oauth2/authorize?"+g.authQuery(func(q url.Values) { q.Set("response_type", "token") }).Encode(), nil)
	if u := mustURL(t, w.Header().Get("Location")); u.Fragment == "" || !strings.Contains(u.Fragment, "error="+errUnauthorizedClient) {
		t.Errorf("implicit on a code-only client: %s", u)
	}
}

func TestStatePassedThrough(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	state := "a b+c/d?e=f&g=%00-customState ☃"
	u := f.signIn(f.browser(), f.authQuery(func(q url.Values) { q.Set("state", state) }), "alice", testPassword)
	if u.Query().Get("state") != state {
		t.Fatalf("state came back as %q", u.Query().Get("state"))
	}
}

func TestLogoutIsNoOpenRedirect(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	f.codeFor(b, f.authQuery(nil))
	for _, q := range []url.Values{
		{"client_id": {f.client}, "logout_uri": {"https://evil.example.com/"}},
		{"client_id": {f.client}, "logout_uri": {logoutURL + ".evil.com"}},
		{"client_id": {f.client}, "logout_uri": {"//evil.example.com"}},
		{"client_id": {f.client}, "redirect_uri": {"https://evil.example.com/"}, "response_type": {"code"}},
		{"client_id": {f.client}},
		{"logout_uri": {logoutURL}},
	} {
		w := b.do("GET", "/logout?"+q.Encode(), nil)
		if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
			t.Errorf("%v: %d %q", q, w.Code, w.Header().Get("Location"))
		}
	}
	if b.cookies[sessionCookie] == "" {
		t.Fatal("a refused logout cleared the session")
	}
	// redirect_uri + response_type goes back to the login page.
	w := b.do("GET", "/logout?"+url.Values{"client_id": {f.client}, "redirect_uri": {callbackURL}, "response_type": {"code"}, "state": {"s"}}.Encode(), nil)
	if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), "/login?") || b.cookies[sessionCookie] != "" {
		t.Fatalf("logout back to login: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestCodeForgeries(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()

	// Wrong verifier, missing verifier, wrong redirect_uri: refused, and the code still works.
	code := f.codeFor(b, f.authQuery(nil))
	for _, mod := range []func(url.Values){
		func(v url.Values) { v.Set("code_verifier", strings.Repeat("a", 43)) },
		func(v url.Values) { v.Del("code_verifier") },
		func(v url.Values) { v.Set("redirect_uri", "http://localhost:3000/cb") },
		func(v url.Values) { v.Set("code", code[:len(code)-2]+"AA") },
	} {
		status, out := f.redeem(code, mod)
		wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)
	}
	status, tok := f.redeem(code, nil)
	if status != http.StatusOK {
		t.Fatalf("redeem: %d %v", status, tok)
	}
	// Reused: refused, and the tokens of the first redemption are revoked (RFC 6749 §4.1.2).
	status, out := f.redeem(code, nil)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)
	status, out, _ = f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, false)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)
	if _, st := userInfo(f, "Bearer "+tok["access_token"].(string)); st != http.StatusUnauthorized {
		t.Fatalf("userInfo with the tokens of a replayed code: %d", st)
	}

	// Expired: 5 minutes on the injected clock.
	code = f.codeFor(b, f.authQuery(nil))
	f.clock.Advance(codeTTL + 1e9)
	status, out = f.redeem(code, nil)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)

	// Another client of the same pool cannot redeem it.
	other := f.call("CreateUserPoolClient", map[string]any{"UserPoolId": f.pool, "ClientName": "other",
		"CallbackURLs": []string{callbackURL}, "AllowedOAuthFlows": []string{"code"}, "AllowedOAuthFlowsUserPoolClient": true,
		"AllowedOAuthScopes": []string{"openid"}})["UserPoolClient"].(map[string]any)["ClientId"].(string)
	code = f.codeFor(b, f.authQuery(nil))
	status, out = f.redeem(code, func(v url.Values) { v.Set("client_id", other) })
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)

	// A user disabled after the code was issued gets no tokens.
	f.call("AdminDisableUser", map[string]any{"UserPoolId": f.pool, "Username": "alice"})
	status, out = f.redeem(code, nil)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)
}

func TestClientSecretForgeries(t *testing.T) {
	f := newFixture(t, fixtureOpts{secret: true})
	code := f.codeFor(f.browser(), f.authQuery(nil))
	good := f.secret
	for _, tc := range []struct {
		secret string
		basic  bool
	}{{"wrong", true}, {"wrong", false}, {good[:len(good)-1], false}, {"", false}} {
		f.secret = tc.secret
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}
		if !tc.basic && tc.secret == "" {
			form.Set("client_id", f.client)
		}
		status, out, h := f.token(form, tc.basic)
		wantOAuthError(t, status, out, http.StatusUnauthorized, errInvalidClient)
		if tc.basic && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("no Basic challenge: %v", h)
		}
	}
	f.secret = good
	// Both methods at once is invalid_request (RFC 6749 §2.3.1).
	status, out, _ := f.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURL},
		"code_verifier": {verifier}, "client_secret": {good}}, true)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidRequest)
	status, tok, _ := f.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURL},
		"code_verifier": {verifier}}, true)
	if status != http.StatusOK {
		t.Fatalf("right secret: %d %v", status, tok)
	}
	// The refresh token needs the secret too.
	f.secret = "wrong"
	status, out, _ = f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, true)
	wantOAuthError(t, status, out, http.StatusUnauthorized, errInvalidClient)
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	q := f.authQuery(nil).Encode()
	b := f.browser()
	page := b.do("GET", "/login?"+q, nil)
	token := csrfOf(t, page)
	for name, form := range map[string]url.Values{
		"missing": {"username": {"alice"}, "password": {testPassword}},
		"forged":  {"_csrf": {token[:len(token)-3] + "abc"}, "username": {"alice"}, "password": {testPassword}},
	} {
		w := b.do("POST", "/login?"+q, form)
		if w.Code != http.StatusForbidden || w.Header().Get("Location") != "" {
			t.Errorf("%s CSRF token: %d", name, w.Code)
		}
	}
	// A token made for another browser's cookie.
	other := f.browser()
	otherToken := csrfOf(t, other.do("GET", "/login?"+q, nil))
	if w := b.do("POST", "/login?"+q, url.Values{"_csrf": {otherToken}, "username": {"alice"}, "password": {testPassword}}); w.Code != http.StatusForbidden {
		t.Errorf("another browser's CSRF token: %d", w.Code)
	}
	// Without the cookie.
	delete(b.cookies, csrfCookie)
	if w := b.do("POST", "/login?"+q, url.Values{"_csrf": {token}, "username": {"alice"}, "password": {testPassword}}); w.Code != http.StatusForbidden {
		t.Errorf("no CSRF cookie: %d", w.Code)
	}
}

func TestSessionCookieForgeries(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	b := f.browser()
	f.codeFor(b, f.authQuery(nil))
	cookie := b.cookies[sessionCookie]

	// A second pool, on the same server, with its own client: pool A's cookie is no session there.
	g := &fixture{env: f.env}
	g.pool = f.call("CreateUserPool", map[string]any{"PoolName": "other"})["UserPool"].(map[string]any)["Id"].(string)
	g.client = f.call("CreateUserPoolClient", map[string]any{"UserPoolId": g.pool, "ClientName": "B",
		"CallbackURLs": []string{callbackURL}, "AllowedOAuthFlows": []string{"code"}, "AllowedOAuthFlowsUserPoolClient": true,
		"AllowedOAuthScopes": []string{"openid"}})["UserPoolClient"].(map[string]any)["ClientId"].(string)
	w := b.do("GET", "/oauth2/authorize?"+g.authQuery(nil).Encode(), nil)
	if !strings.HasPrefix(w.Header().Get("Location"), "/login?") {
		t.Fatalf("another pool's cookie signed in: %s", w.Header().Get("Location"))
	}
	// Tampered cookies are no session.
	for _, v := range []string{cookie[:len(cookie)-2] + "xx", "x" + cookie, "", strings.Repeat("A", 5000)} {
		b.cookies[sessionCookie] = v
		w := b.do("GET", "/oauth2/authorize?"+f.authQuery(nil).Encode(), nil)
		if !strings.HasPrefix(w.Header().Get("Location"), "/login?") {
			t.Errorf("tampered cookie %.20q signed in", v)
		}
	}
	// A session ends with a global sign-out.
	b.cookies[sessionCookie] = cookie
	f.clock.Advance(2e9)
	f.call("AdminUserGlobalSignOut", map[string]any{"UserPoolId": f.pool, "Username": "alice"})
	f.clock.Advance(2e9)
	w = b.do("GET", "/oauth2/authorize?"+f.authQuery(nil).Encode(), nil)
	if !strings.HasPrefix(w.Header().Get("Location"), "/login?") {
		t.Fatalf("session outlived a global sign-out: %s", w.Header().Get("Location"))
	}
}

func TestUserInfoErrors(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if _, st := userInfo(f, ""); st != http.StatusUnauthorized {
		t.Errorf("no token: %d", st)
	}
	if _, st := userInfo(f, "Basic abc"); st != http.StatusBadRequest {
		t.Errorf("Basic: %d", st)
	}
	if _, st := userInfo(f, "Bearer not.a.token"); st != http.StatusUnauthorized {
		t.Errorf("garbage: %d", st)
	}
	// A token without openid.
	code := f.codeFor(f.browser(), f.authQuery(func(q url.Values) { q.Set("scope", "orders/read") }))
	_, tok := f.redeem(code, nil)
	if _, st := userInfo(f, "Bearer "+tok["access_token"].(string)); st != http.StatusUnauthorized {
		t.Errorf("token without openid: %d", st)
	}
}

func TestRevokeErrors(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	code := f.codeFor(f.browser(), f.authQuery(nil))
	_, tok := f.redeem(code, nil)
	if st := revoke(f, tok["access_token"].(string), nil); st != http.StatusBadRequest {
		t.Errorf("revoking an access token: %d", st)
	}
	if st := revoke(f, "unknown-token", nil); st != http.StatusOK {
		t.Errorf("unknown token: %d", st)
	}
	if st := revoke(f, "", nil); st != http.StatusBadRequest {
		t.Errorf("no token: %d", st)
	}
	if st := revoke(f, tok["refresh_token"].(string), func(v url.Values) { v.Set("client_id", "nosuchclient1234567890abcd") }); st != http.StatusUnauthorized {
		t.Errorf("unknown client: %d", st)
	}
}

// TestCodeRedeemedOnce races 30 redemptions of one code: exactly one gets tokens.
func TestCodeRedeemedOnce(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	code := f.codeFor(f.browser(), f.authQuery(nil))
	var wg sync.WaitGroup
	results := make([]int, 30)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = f.redeem(code, nil)
		}()
	}
	wg.Wait()
	ok := 0
	for _, st := range results {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("status %d", st)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded", ok)
	}
}
