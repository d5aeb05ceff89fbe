package oauth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

// The second factor on the pages: each challenge's form, answered through the page, ends with
// a code at the app; the user pool's rules (single use, lockout, the Session's life) show as
// the page's answers.

// refTOTP is RFC 6238 (SHA-1, 6 digits, 30 s) written out here, independent of internal/totp,
// for a base32 secret as AssociateSoftwareToken hands it out.
func refTOTP(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[19] & 15
	v := (uint32(sum[off])&0x7f)<<24 | uint32(sum[off+1])<<16 | uint32(sum[off+2])<<8 | uint32(sum[off+3])
	return fmt.Sprintf("%06d", v%1_000_000)
}

// newMfaFixture is a fixture whose pool has MFA configured by mfa (merged into
// CreateUserPool's input) and whose client also allows USER_PASSWORD_AUTH, for the JSON API
// calls that set factors up.
func newMfaFixture(t testing.TB, mfa map[string]any) *fixture {
	return newFixture(t, fixtureOpts{
		poolMod: func(in map[string]any) {
			for k, v := range mfa {
				in[k] = v
			}
		},
		clientMod: func(in map[string]any) {
			in["ExplicitAuthFlows"] = []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}
		},
	})
}

var optionalTotp = map[string]any{"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true}}

// enableTotp gives alice a verified software token, turned on, through the JSON API, and
// returns its secret. The clock moves past the step of the code it used.
func (f *fixture) enableTotp() string {
	f.t.Helper()
	out := f.call("InitiateAuth", map[string]any{"ClientId": f.client, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "alice", "PASSWORD": testPassword}})
	access := out["AuthenticationResult"].(map[string]any)["AccessToken"].(string)
	secret := f.call("AssociateSoftwareToken", map[string]any{"AccessToken": access})["SecretCode"].(string)
	f.call("VerifySoftwareToken", map[string]any{"AccessToken": access, "UserCode": refTOTP(f.t, secret, f.clock.Now())})
	f.call("SetUserMFAPreference", map[string]any{"AccessToken": access,
		"SoftwareTokenMfaSettings": map[string]any{"Enabled": true, "PreferredMfa": true}})
	f.clock.Advance(30 * time.Second)
	return secret
}

// loginTo posts alice's password on the login page and returns the page that follows.
func (f *fixture) loginTo(b *browser, q string) *httptest.ResponseRecorder {
	f.t.Helper()
	page := b.do("GET", "/login?"+q, nil)
	return b.do("POST", "/login?"+q, url.Values{"_csrf": {csrfOf(f.t, page)}, "username": {"alice"}, "password": {testPassword}})
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// mfaForm is the second-factor form of page w, its hidden fields filled in, with fields.
func mfaForm(t testing.TB, w *httptest.ResponseRecorder, fields url.Values) url.Values {
	t.Helper()
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="/mfa?`) {
		t.Fatalf("not the second-factor page: %d\n%s", w.Code, w.Body.String())
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(w.Body.String(), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	return form
}

// signedInCode is the authorization code of w, a redirect to the app.
func signedInCode(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code != http.StatusFound {
		t.Fatalf("no redirect to the app: %d\n%s", w.Code, w.Body.String())
	}
	u := mustURL(t, w.Header().Get("Location"))
	if u.Query().Get("code") == "" || !strings.HasPrefix(u.String(), callbackURL) {
		t.Fatalf("no code in %s", u)
	}
	return u.Query().Get("code")
}

// pageError is the error shown on page w.
func pageError(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	body := w.Body.String()
	i := strings.Index(body, `role="alert">`)
	if i < 0 {
		t.Fatalf("no error on the page (%d):\n%s", w.Code, body)
	}
	msg, _, _ := strings.Cut(body[i+len(`role="alert">`):], "<")
	return html.UnescapeString(msg)
}

// TestMfaTotpThroughPages: a user with an authenticator app is asked for its code; a wrong
// one keeps the page with Cognito's message, the right one ends with a code the app redeems,
// and the same code is refused on the next sign-in (RFC 6238 §5.2).
func TestMfaTotpThroughPages(t *testing.T) {
	f := newMfaFixture(t, optionalTotp)
	secret := f.enableTotp()
	b := f.browser()
	q := f.authQuery(func(q url.Values) { q.Set("scope", "openid email") }).Encode()
	w := f.loginTo(b, q)
	body := w.Body.String()
	for _, want := range []string{"Enter the code from your authenticator app", `name="code"`, `autocomplete="one-time-code"`,
		`inputmode="numeric"`, "inputField-customizable", "submitButton-customizable", "label-customizable",
		`value="SOFTWARE_TOKEN_MFA"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("TOTP page lacks %q:\n%s", want, body)
		}
	}
	if b.cookies[sessionCookie] != "" {
		t.Fatal("a session cookie before the second factor")
	}
	good := refTOTP(t, secret, f.clock.Now())
	wrong := fmt.Sprintf("%06d", (atoi(good)+1)%1_000_000)
	w = b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {wrong}}))
	if got := pageError(t, w); got != "Invalid code received for user" {
		t.Fatalf("wrong code: %q", got)
	}
	done := b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {good}}))
	status, tok := f.redeem(signedInCode(t, done), nil)
	if status != http.StatusOK || claims(t, tok["id_token"].(string))["cognito:username"] != "alice" {
		t.Fatalf("redeem: %d %v", status, tok)
	}

	// The same code on a new sign-in within its step is used up.
	b2 := f.browser()
	w = f.loginTo(b2, q)
	w = b2.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {good}}))
	if got := pageError(t, w); got != "Invalid code received for user" {
		t.Fatalf("replayed code: %d %q", w.Code, got)
	}
	f.clock.Advance(30 * time.Second)
	signedInCode(t, b2.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {refTOTP(t, secret, f.clock.Now())}})))
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestMfaCodesByMessage: SMS and email codes, sent through the message sender, are asked for
// with the masked destination; with both on and no preference the page offers the choice.
func TestMfaCodesByMessage(t *testing.T) {
	f := newMfaFixture(t, map[string]any{"MfaConfiguration": "OPTIONAL",
		"SmsConfiguration":         map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
		"SmsAuthenticationMessage": "Code {####}",
		"EmailMfaConfiguration":    map[string]any{"Message": "Code {####}", "Subject": "Code"}})
	f.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": f.pool, "Username": "alice", "UserAttributes": []map[string]string{
		{"Name": "phone_number", "Value": "+12065551234"}, {"Name": "phone_number_verified", "Value": "true"}}})
	f.call("AdminSetUserMFAPreference", map[string]any{"UserPoolId": f.pool, "Username": "alice",
		"SMSMfaSettings": map[string]any{"Enabled": true}, "EmailMfaSettings": map[string]any{"Enabled": true}})
	q := f.authQuery(nil).Encode()

	// The choice: one button per factor.
	b := f.browser()
	w := f.loginTo(b, q)
	body := w.Body.String()
	for _, want := range []string{`name="answer" value="SMS_MFA"`, `name="answer" value="EMAIL_OTP"`, `value="SELECT_MFA_TYPE"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("choice page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `value="SOFTWARE_TOKEN_MFA"`) {
		t.Fatalf("choice offers a factor alice lacks:\n%s", body)
	}
	bad := b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"answer": {"SOFTWARE_TOKEN_MFA"}}))
	if got := pageError(t, bad); !strings.Contains(got, "MFAS_CAN_CHOOSE") || !strings.Contains(bad.Body.String(), `name="answer" value="EMAIL_OTP"`) {
		t.Fatalf("a factor not offered: %q", got)
	}
	w = b.do("POST", "/mfa?"+q, mfaForm(t, bad, url.Values{"answer": {"SMS_MFA"}}))
	if !strings.Contains(html.UnescapeString(w.Body.String()), "We sent a code to +*******1234.") {
		t.Fatalf("SMS page:\n%s", w.Body.String())
	}
	m, ok := f.sent.Last("alice", message.KindAuthentication)
	if !ok || m.Medium != message.MediumSMS {
		t.Fatalf("SMS message: %+v %v", m, ok)
	}
	wrong := b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {"x" + m.Code[1:]}}))
	if got := pageError(t, wrong); got != "Invalid code received for user" || !strings.Contains(html.UnescapeString(wrong.Body.String()), "+*******1234") {
		t.Fatalf("wrong SMS code: %q", got)
	}
	signedInCode(t, b.do("POST", "/mfa?"+q, mfaForm(t, wrong, url.Values{"code": {m.Code}})))

	// Email preferred: asked for directly.
	f.call("AdminSetUserMFAPreference", map[string]any{"UserPoolId": f.pool, "Username": "alice",
		"EmailMfaSettings": map[string]any{"Enabled": true, "PreferredMfa": true}})
	b = f.browser()
	w = f.loginTo(b, q)
	if !strings.Contains(w.Body.String(), "We sent a code to a***@e***.") || !strings.Contains(w.Body.String(), `value="EMAIL_OTP"`) {
		t.Fatalf("email page:\n%s", w.Body.String())
	}
	m, _ = f.sent.Last("alice", message.KindAuthentication)
	if m.Medium != message.MediumEmail || m.Destination != "alice@example.com" {
		t.Fatalf("email message: %+v", m)
	}
	signedInCode(t, b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {m.Code}})))
}

// TestMfaSetupThroughPages: in a pool that requires MFA, a user without a factor sets up an
// authenticator app on the page (secret shown, otpauth URI), proves it with a code, and signs
// in with it from then on.
func TestMfaSetupThroughPages(t *testing.T) {
	f := newMfaFixture(t, map[string]any{"PoolName": "Acme Shop", "MfaConfiguration": "ON",
		"SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true}})
	b := f.browser()
	q := f.authQuery(nil).Encode()
	w := f.loginTo(b, q)
	form := mfaForm(t, w, nil)
	secret := form.Get("secret")
	if form.Get("challenge") != "MFA_SETUP" || len(secret) != 32 {
		t.Fatalf("set-up form: %v", form)
	}
	body := w.Body.String()
	grouped := secret[:4] + " " + secret[4:8]
	uri := "otpauth://totp/Acme%20Shop:alice?issuer=Acme&#43;Shop&amp;secret=" + secret
	for _, want := range []string{grouped, uri, `autocomplete="one-time-code"`, "Set up an authenticator app"} {
		if !strings.Contains(body, want) {
			t.Fatalf("set-up page lacks %q:\n%s", want, body)
		}
	}
	good := refTOTP(t, secret, f.clock.Now())
	wrong := b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {fmt.Sprintf("%06d", (atoi(good)+1)%1_000_000)}}))
	if got := pageError(t, wrong); got != "Code mismatch and fail enable Software Token MFA" || !strings.Contains(wrong.Body.String(), grouped) {
		t.Fatalf("wrong set-up code: %q", got)
	}
	signedInCode(t, b.do("POST", "/mfa?"+q, mfaForm(t, wrong, url.Values{"code": {good}})))

	// From now on the app's code is asked for.
	f.clock.Advance(30 * time.Second)
	b = f.browser()
	w = f.loginTo(b, q)
	if !strings.Contains(w.Body.String(), "Enter the code from your authenticator app") {
		t.Fatalf("after set-up:\n%s", w.Body.String())
	}
	signedInCode(t, b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {refTOTP(t, secret, f.clock.Now())}})))
}

// TestMfaSessionExpires: a second factor answered after the Session's life (3 minutes) sends
// the user back to the login form.
func TestMfaSessionExpires(t *testing.T) {
	f := newMfaFixture(t, optionalTotp)
	secret := f.enableTotp()
	b := f.browser()
	q := f.authQuery(nil).Encode()
	w := f.loginTo(b, q)
	f.clock.Advance(3*time.Minute + time.Second)
	w = b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {refTOTP(t, secret, f.clock.Now())}}))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="password"`) || pageError(t, w) != "Your sign-in expired. Please sign in again." {
		t.Fatalf("expired session: %d\n%s", w.Code, w.Body.String())
	}
}

// TestMfaForgeries: /mfa wants the form's CSRF token, POST, and a Session of its own pool's
// sign-in; a forged challenge name or Session goes back to the login form.
func TestMfaForgeries(t *testing.T) {
	f := newMfaFixture(t, optionalTotp)
	secret := f.enableTotp()
	b := f.browser()
	q := f.authQuery(nil).Encode()
	w := f.loginTo(b, q)
	code := refTOTP(t, secret, f.clock.Now())

	noCSRF := mfaForm(t, w, url.Values{"code": {code}})
	noCSRF.Del("_csrf")
	if got := b.do("POST", "/mfa?"+q, noCSRF); got.Code != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", got.Code)
	}
	if got := b.do("GET", "/mfa?"+q, nil); got.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /mfa: %d", got.Code)
	}
	for _, mod := range []url.Values{{"challenge": {"NEW_PASSWORD_REQUIRED"}}, {"challenge": {"SMS_MFA"}}, {"session": {"bm90IGEgc2Vzc2lvbg=="}}} {
		got := b.do("POST", "/mfa?"+q, mfaForm(t, w, mod))
		if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), `name="password"`) {
			t.Fatalf("forged %v: %d\n%s", mod, got.Code, got.Body.String())
		}
	}
	// None of these spent the Session or the code.
	signedInCode(t, b.do("POST", "/mfa?"+q, mfaForm(t, w, url.Values{"code": {code}})))
}

// TestMfaAnswerRace: one right answer posted many times at once with one Session gives one
// authorization code.
func TestMfaAnswerRace(t *testing.T) {
	f := newMfaFixture(t, optionalTotp)
	secret := f.enableTotp()
	b := f.browser()
	q := f.authQuery(nil).Encode()
	form := mfaForm(t, f.loginTo(b, q), url.Values{"code": {refTOTP(t, secret, f.clock.Now())}}).Encode()
	const n = 8
	var wg sync.WaitGroup
	codes := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("POST", "https://"+b.host+"/mfa?"+q, strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range b.cookies {
				r.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			w := httptest.NewRecorder()
			f.mux.ServeHTTP(w, r)
			if w.Code == http.StatusFound {
				codes <- mustURL(t, w.Header().Get("Location")).Query().Get("code")
			} else if w.Code != http.StatusOK {
				t.Errorf("racing answer: %d %s", w.Code, w.Body.String())
			}
		}()
	}
	wg.Wait()
	close(codes)
	if len(codes) != 1 {
		t.Fatalf("%d codes issued for one answer", len(codes))
	}
	if c := <-codes; c == "" {
		t.Fatal("a redirect without a code")
	}
}

// FuzzMfaForm posts arbitrary second-factor forms (with a valid CSRF token): never a 5xx, a
// bounded page, only known factors offered again, only a base32 secret shown.
func FuzzMfaForm(f *testing.F) {
	for _, s := range [][]string{
		{"SOFTWARE_TOKEN_MFA", "", "123456", "", "", "", ""},
		{"SELECT_MFA_TYPE", "bm8=", "", "SMS_MFA", "", "SMS_MFA EMAIL_OTP SMS_MFA junk<script>", ""},
		{"MFA_SETUP", "%%%", "12", "", "JBSWY3DPEHPK3PXP", "", "a\x00b"},
		{"MFA_SETUP", "", "", "", "not base32 <b>", "", strings.Repeat("d", 5000)},
		{"EMAIL_OTP", strings.Repeat("A", 4000), "\u00a0", "", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6])
	}
	fx := newMfaFixture(f, optionalTotp)
	fx.enableTotp()
	b := fx.browser()
	q := fx.authQuery(nil).Encode()
	w := fx.loginTo(b, q)
	csrf := csrfOf(f, w)
	valid := mfaForm(f, w, nil).Get("session")
	f.Fuzz(func(t *testing.T, challenge, session, code, answer, secret, choices, destination string) {
		if session == "" {
			session = valid
		}
		r := httptest.NewRequest("POST", "https://"+b.host+"/mfa?"+q, strings.NewReader(url.Values{"_csrf": {csrf},
			"challenge": {challenge}, "session": {session}, "code": {code}, "answer": {answer}, "secret": {secret},
			"choices": {choices}, "destination": {destination}, "username": {destination}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range b.cookies {
			r.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		w := httptest.NewRecorder()
		fx.mux.ServeHTTP(w, r)
		if w.Code >= 500 || w.Body.Len() > 64<<10 {
			t.Fatalf("%d, %d bytes", w.Code, w.Body.Len())
		}
		for _, m := range regexp.MustCompile(`name="answer" value="([^"]*)"`).FindAllStringSubmatch(w.Body.String(), -1) {
			if mfaFactorNames[m[1]] == "" {
				t.Fatalf("offered %q", m[1])
			}
		}
		if m := regexp.MustCompile(`name="secret" value="([^"]*)"`).FindStringSubmatch(w.Body.String()); m != nil &&
			strings.Trim(m[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("shown secret %q", m[1])
		}
	})
}
