package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// The second factor on the managed-login pages, as a browser meets it: a user with an
// authenticator app is asked for its code after the password (a wrong or used code keeps the
// page), and in a pool that requires MFA a user without a factor sets an app up on the page.
// TOTP codes are computed by the test (totpCode).

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// mfaStep posts the password on the login page of q and returns the page that follows,
// which must be the second-factor form.
func (f *oauthFixture) mfaStep(b *oauthBrowser, q url.Values) string {
	f.t.Helper()
	status, h, body := b.do("GET", "/oauth2/authorize?"+q.Encode(), nil, nil)
	loc := h.Get("Location")
	if status != http.StatusFound || !strings.HasPrefix(loc, "/login?") {
		f.t.Fatalf("authorize: %d %q %s", status, loc, body)
	}
	_, _, page := b.do("GET", loc, nil, nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		f.t.Fatalf("login page:\n%s", page)
	}
	status, _, page = b.do("POST", loc, url.Values{"_csrf": {m[1]}, "username": {"alice"}, "password": {oauthPassword}}, nil)
	if status != http.StatusOK || !strings.Contains(page, `action="/mfa?`) {
		f.t.Fatalf("after the password: %d\n%s", status, page)
	}
	return page
}

// answerPage posts the second-factor form of page (its hidden fields) with code.
func (f *oauthFixture) answerPage(b *oauthBrowser, q url.Values, page, code string) (int, http.Header, string) {
	f.t.Helper()
	form := url.Values{"code": {code}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	return b.do("POST", "/mfa?"+q.Encode(), form, nil)
}

// mfaCode answers page with code, requires a redirect to the app with a code, and redeems it.
func (f *oauthFixture) mfaCode(b *oauthBrowser, q url.Values, page, code string) {
	f.t.Helper()
	status, h, body := f.answerPage(b, q, page, code)
	u, err := url.Parse(h.Get("Location"))
	if status != http.StatusFound || err != nil || !strings.HasPrefix(u.String(), oauthCallback) || u.Query().Get("code") == "" {
		f.t.Fatalf("no code after the second factor: %d %q\n%s", status, h.Get("Location"), body)
	}
	st, tok := f.redeem(b, u.Query().Get("code"), nil)
	if st != 200 || claims(f.t, tok["access_token"].(string))["username"] != "alice" {
		f.t.Fatalf("redeem: %d %v", st, tok)
	}
}

func scnOAuthMfa(t *testing.T, ep *Endpoint) {
	admin, public := ep.Admin(), ep.Public()

	// OPTIONAL, alice has an authenticator app.
	f := newOAuthFixture(t, ep, nil)
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OPTIONAL",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})).must(t)
	access := f.tokens(t, "alice", oauthPassword).AccessToken
	secret := aws.ToString(call(public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})).must(t).SecretCode)
	used := totpCode(t, secret, ep.Now())
	call(public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(used)})).must(t)
	call(public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})).must(t)

	b := newOAuthBrowser(t, ep)
	q := f.authQuery(nil)
	page := f.mfaStep(b, q)
	for _, want := range []string{"Enter the code from your authenticator app", `autocomplete="one-time-code"`, `inputmode="numeric"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("TOTP page lacks %q:\n%s", want, page)
		}
	}
	// The code that verified the app is used up for its step.
	status, _, page := f.answerPage(b, q, page, used)
	if status != http.StatusOK || !strings.Contains(page, "Invalid code received for user") {
		t.Fatalf("used code: %d\n%s", status, page)
	}
	ep.Advance(t, 30*time.Second)
	f.mfaCode(b, q, page, totpCode(t, secret, ep.Now()))

	// ON, and alice of another pool has no factor: she sets an authenticator app up on the page.
	g := newOAuthFixture(t, ep, nil)
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(g.pool), MfaConfiguration: "ON",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})).must(t)
	b = newOAuthBrowser(t, ep)
	q = g.authQuery(nil)
	page = g.mfaStep(b, q)
	var setup string
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		if m[1] == "secret" {
			setup = m[2]
		}
	}
	if len(setup) != 32 || !strings.Contains(page, "otpauth://totp/") || !strings.Contains(page, setup[:4]+" "+setup[4:8]) {
		t.Fatalf("set-up page (secret %q):\n%s", setup, page)
	}
	g.mfaCode(b, q, page, totpCode(t, setup, ep.Now()))
	ep.Advance(t, 30*time.Second)
	b = newOAuthBrowser(t, ep)
	page = g.mfaStep(b, q)
	if !strings.Contains(page, "Enter the code from your authenticator app") {
		t.Fatalf("after set-up:\n%s", page)
	}
	g.mfaCode(b, q, page, totpCode(t, setup, ep.Now()))
}
