package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/message"
)

// TestSignUpConfirmAndSignIn: the sign-up page with the pool's rules and required
// attributes, its confirmation code, then a sign-in.
func TestSignUpConfirmAndSignIn(t *testing.T) {
	f := newFixture(t, fixtureOpts{noUser: true, poolMod: func(p map[string]any) {
		p["UsernameAttributes"] = []string{"email"}
		p["AutoVerifiedAttributes"] = []string{"email"}
		p["Schema"] = []map[string]any{{"Name": "name", "AttributeDataType": "String", "Required": true, "Mutable": true}}
		p["Policies"] = map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": 10, "RequireNumbers": true}}
	}})
	b := f.browser()
	q := f.authQuery(nil).Encode()
	page := b.do("GET", "/signup?"+q, nil)
	body := page.Body.String()
	for _, want := range []string{`<label class="label-customizable" for="username">Email</label>`, `name="userAttributes.name"`, `data-rule="min:10"`, `data-rule="number"`, `name="password"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("sign-up page lacks %s:\n%s", want, body)
		}
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "username": {"carol@example.com"}, "userAttributes.name": {"Carol"}, "password": {"no-digits-here"}}
	w := b.do("POST", "/signup?"+q, form)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Password must have numeric characters") || !strings.Contains(w.Body.String(), `value="Carol"`) {
		t.Fatalf("weak password: %d %s", w.Code, w.Body.String())
	}
	form.Set("_csrf", csrfOf(t, w))
	form.Set("password", "Digits-1234")
	w = b.do("POST", "/signup?"+q, form)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "We sent a code to") || !strings.Contains(w.Body.String(), `action="/confirmUser?`) {
		t.Fatalf("after sign-up: %d %s", w.Code, w.Body.String())
	}
	// Signing in before confirming leads to the confirmation page.
	login := b.do("GET", "/login?"+q, nil)
	w2 := b.do("POST", "/login?"+q, url.Values{"_csrf": {csrfOf(t, login)}, "username": {"carol@example.com"}, "password": {"Digits-1234"}})
	if !strings.Contains(w2.Body.String(), "User is not confirmed.") || !strings.Contains(w2.Body.String(), `action="/confirmUser?`) {
		t.Fatalf("unconfirmed sign-in: %s", w2.Body.String())
	}
	msgs := f.sent.Messages()
	code := msgs[len(msgs)-1].Code
	w = b.do("POST", "/confirmUser?"+q, url.Values{"_csrf": {csrfOf(t, w)}, "username": {"carol@example.com"}, "code": {"000000"}})
	if !strings.Contains(w.Body.String(), "Invalid verification code provided") {
		t.Fatalf("wrong code: %s", w.Body.String())
	}
	w = b.do("POST", "/confirmUser?"+q, url.Values{"_csrf": {csrfOf(t, w)}, "username": {"carol@example.com"}, "code": {code}})
	if !strings.Contains(w.Body.String(), "Your account is confirmed.") {
		t.Fatalf("confirm: %s", w.Body.String())
	}
	if u := f.signIn(b, f.authQuery(nil), "carol@example.com", "Digits-1234"); u.Query().Get("code") == "" {
		t.Fatalf("sign-in after sign-up: %s", u)
	}
}

// TestForgotPassword: a reset code by message, a new password, a sign-in with it.
func TestForgotPassword(t *testing.T) {
	f := newFixture(t, fixtureOpts{secret: true})
	b := f.browser()
	q := f.authQuery(nil).Encode()
	page := b.do("GET", "/forgotPassword?"+q, nil)
	w := b.do("POST", "/forgotPassword?"+q, url.Values{"_csrf": {csrfOf(t, page)}, "username": {"alice"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="/confirmForgotPassword?`) {
		t.Fatalf("forgot: %d %s", w.Code, w.Body.String())
	}
	m, ok := f.sent.Last("alice", message.KindForgotPassword)
	if !ok {
		t.Fatal("no reset code sent")
	}
	w = b.do("POST", "/confirmForgotPassword?"+q, url.Values{"_csrf": {csrfOf(t, w)}, "username": {"alice"}, "code": {m.Code}, "password": {"Brand-new-pass-9"}})
	if !strings.Contains(w.Body.String(), "Your password was reset.") {
		t.Fatalf("reset: %s", w.Body.String())
	}
	if u := f.signIn(b, f.authQuery(nil), "alice", "Brand-new-pass-9"); u.Query().Get("code") == "" {
		t.Fatalf("sign-in with the new password: %s", u)
	}
	// Without the CSRF token nothing is sent.
	n := len(f.sent.Messages())
	if w := b.do("POST", "/forgotPassword?"+q, url.Values{"username": {"alice"}}); w.Code != http.StatusForbidden || len(f.sent.Messages()) != n {
		t.Fatalf("forgot without CSRF: %d", w.Code)
	}
	// Hostile values are the JSON API's validation errors, on the page.
	w = b.do("POST", "/confirmForgotPassword?"+q, url.Values{"_csrf": {csrfOf(t, page)}, "username": {strings.Repeat("x", 5000)}, "code": {strings.Repeat("9", 3000)}, "password": {"x"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "validation error") {
		t.Fatalf("hostile reset: %d %s", w.Code, w.Body.String())
	}
}

// TestLoginLockout: failures on the page count toward the JSON API's lockout, and a
// locked-out name is refused even with the right password.
func TestLoginLockout(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for i := 0; i < 5; i++ {
		loginError(f, "alice", "Wrong-password-1")
	}
	if got := loginError(f, "alice", testPassword); !strings.Contains(got, "Password attempts exceeded") {
		t.Fatalf("after 5 failures: %q", got)
	}
	_, err := f.callErr("InitiateAuth", map[string]any{"ClientId": f.client, "AuthFlow": "USER_SRP_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "alice", "SRP_A": "1"}})
	if err == nil || !strings.Contains(err.Error(), "Password attempts exceeded") {
		t.Fatalf("the JSON API does not see the page's failures: %v", err)
	}
}

// TestRefreshRotation: with rotation the token endpoint returns a new refresh token with
// the same scopes, and the old one stops working after the grace period.
func TestRefreshRotation(t *testing.T) {
	f := newFixture(t, fixtureOpts{clientMod: func(c map[string]any) {
		c["RefreshTokenRotation"] = map[string]any{"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
	}})
	code := f.codeFor(f.browser(), f.authQuery(func(q url.Values) { q.Set("scope", "openid orders/read") }))
	_, tok := f.redeem(code, nil)
	old := tok["refresh_token"].(string)
	status, ref, _ := f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}, false)
	if status != http.StatusOK || ref["refresh_token"] == nil || ref["refresh_token"] == old {
		t.Fatalf("rotation: %d %v", status, ref)
	}
	f.clock.Advance(2e9)
	status, ref2, _ := f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ref["refresh_token"].(string)}}, false)
	if status != http.StatusOK || claims(t, ref2["access_token"].(string))["scope"] != "openid orders/read" {
		t.Fatalf("second refresh: %d %v", status, ref2)
	}
	status, out, _ := f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}, false)
	wantOAuthError(t, status, out, http.StatusBadRequest, errInvalidGrant)
}

// TestCustomDomainServesItsPool: on a pool's custom domain, only that pool's clients.
func TestCustomDomainServesItsPool(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.call("CreateUserPoolDomain", map[string]any{"UserPoolId": f.pool, "Domain": "auth.shop.example",
		"CustomDomainConfig": map[string]string{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}})
	other := f.call("CreateUserPool", map[string]any{"PoolName": "other"})["UserPool"].(map[string]any)["Id"].(string)
	f.call("CreateUserPoolDomain", map[string]any{"UserPoolId": other, "Domain": "otherprefix"})
	b := f.browser()
	b.host = "auth.shop.example"
	if u := f.signIn(b, f.authQuery(nil), "alice", testPassword); u.Query().Get("code") == "" {
		t.Fatalf("own custom domain: %s", u)
	}
	for _, host := range []string{"otherprefix.auth.us-east-1.amazoncognito.com", "OTHERPREFIX.auth.us-east-1.amazoncognito.com:443"} {
		b.host = host
		if w := b.do("GET", "/oauth2/authorize?"+f.authQuery(nil).Encode(), nil); w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
			t.Errorf("another pool's domain %s: %d %s", host, w.Code, w.Header().Get("Location"))
		}
	}
}
