package browser

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/totp"
)

// mfaAppConfig is appConfig with MFA OPTIONAL: authenticator apps and email codes.
var mfaAppConfig = strings.Replace(appConfig, `"UsernameAttributes": ["email"],`, `"UsernameAttributes": ["email"],
    "MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": true},
    "EmailMfaConfiguration": {"Message": "Your sign-in code is {####}", "Subject": "Your sign-in code"},`, 1)

// scanQR photographs the page's QR code (the first svg.qr) and reads it with ZXing's decoder,
// as a phone's authenticator app would from the screen. The photograph is taken at three
// device pixels per CSS pixel, as a phone sees a laptop's or a phone's screen: at one, the
// code's 57 modules fall on 188 pixels, about 3 each, and ZXing sometimes misreads the
// rounded module edges (a failure of the test's camera, not of the code).
func (p *page) scanQR() string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.ScreenshotScale(chromedp.CSS("svg.qr"), 3))
	if err != nil {
		p.t.Fatalf("photographing the QR code: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		p.t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		p.t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		p.t.Fatalf("the QR code on the page does not scan: %v", err)
	}
	return res.GetText()
}

// authenticator is the phone's app: the secret of a scanned otpauth:// URI.
type authenticator struct {
	t      *testing.T
	secret []byte
}

func scanned(t *testing.T, uri, issuer, account string) *authenticator {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/"+issuer+":"+account || u.Query().Get("issuer") != issuer {
		t.Fatalf("scanned %q (%v), want otpauth://totp/%s:%s?...&issuer=%s", uri, err, issuer, account, issuer)
	}
	secret, err := totp.Decode(u.Query().Get("secret"))
	if err != nil {
		t.Fatalf("secret of %q: %v", uri, err)
	}
	return &authenticator{t: t, secret: secret}
}

// code is the app's code at the server's time, 30 s after the last one (a step is good once).
func (a *authenticator) code(h mfaHost) string {
	h.advance(a.t, totp.Step)
	return totp.Code(a.secret, h.now())
}

func otherCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestSignInAppMFA: the sign-in app's two-step verification in Chromium. A user sets up an
// authenticator app on the profile page (the test scans the QR code from the screen and
// computes the codes with internal/totp), then signs in with it; turns email codes on and,
// with no preferred method, chooses email at sign-in; and a user of a pool that requires
// MFA sets up the app while signing in.
func TestSignInAppMFA(t *testing.T) {
	requireBrowser(t)
	appMFA(t, hostsimHost(startServerWith(t, mfaAppConfig)))
}

// TestSignInAppMFAWorkerd is TestSignInAppMFA against the Worker under wrangler dev, which
// serves the sign-in app as its static assets.
func TestSignInAppMFAWorkerd(t *testing.T) {
	requireBrowser(t)
	appMFA(t, workerHost(t, mfaAppConfig))
}

// appMFA is TestSignInAppMFA's scenario on one host.
func appMFA(t *testing.T, s mfaHost) {
	ctx := context.Background()
	const email, password = "ada@example.com", "Analytical1Engine"
	createUser := func(email string) {
		t.Helper()
		if _, err := s.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(email),
			MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)},
				{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(email),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	createUser(email)

	p := newPage(t)
	p.do(chromedp.Navigate(s.url + "/"))
	p.waitFor(`document.body.dataset.ready === "true"`)
	signIn := func(user string) {
		t.Helper()
		p.waitView("signin")
		p.fill("#signin-username", user)
		p.fill("#signin-password", password+kb.Enter)
	}
	signIn(email)
	p.waitView("profile")
	p.waitFor(`document.querySelector("#mfa-methods tr") !== null`)
	if st := p.text("#mfa-status"); !strings.HasPrefix(st, "Off") {
		t.Fatalf("status before set-up %q", st)
	}
	var methods []string
	p.eval(`[...document.querySelectorAll("#mfa-methods th")].map(th => th.firstChild.textContent)`, &methods)
	if strings.Join(methods, ",") != "Authenticator app,Email" {
		t.Fatalf("methods offered %v", methods)
	}

	// Set up the authenticator app from the profile: scan, a wrong code, the right one.
	p.click("#totp-start")
	p.waitFor(`!document.querySelector("#totp-panel").hidden && document.querySelector("#totp-box svg.qr") !== null`)
	p.eval(`document.querySelector("#totp-panel").scrollIntoView(), true`, nil)
	p.shot(s.shotPrefix + "mfa-01-profile-totp-setup")
	app := scanned(t, p.scanQR(), "Acme staff", email)
	key := strings.ReplaceAll(p.text("#totp-box .secret-key"), " ", "")
	if key != strings.TrimRight(totp.Encode(app.secret), "=") && key != totp.Encode(app.secret) {
		t.Fatalf("the key shown %q is not the QR code's secret", key)
	}
	first := app.code(s)
	p.fill("#totp-code", otherCode(first))
	p.fill("#totp-device", "Ada's phone"+kb.Enter)
	p.waitFor(visibleAlert("#form-totp", "That code is not right"))
	p.fill("#totp-code", first+kb.Enter)
	p.waitFor(`document.querySelector("#totp-panel").hidden && document.querySelector("#mfa-status").textContent.startsWith("On")`)
	if st := p.text("#mfa-status"); st != "On: authenticator app (preferred)." {
		t.Fatalf("status after set-up %q", st)
	}
	p.eval(`document.querySelector("#mfa-card").scrollIntoView(), true`, nil)
	p.shot(s.shotPrefix + "mfa-02-profile-totp-on")

	// Sign in again: the authenticator code screen; a wrong code, then the right one.
	p.click("#signout-submit")
	signIn(email)
	p.waitView("mfa")
	if h := p.text("#mfa-hint"); !strings.Contains(h, "Ada's phone") {
		t.Fatalf("TOTP hint %q", h)
	}
	code := app.code(s)
	p.fill("#mfa-code", otherCode(code)+kb.Enter)
	p.waitFor(visibleAlert("#form-mfa", "That code is not right"))
	if c := p.text("#form-mfa .alert .code-name"); c != "CodeMismatchException" {
		t.Fatalf("error code shown %q", c)
	}
	p.shot(s.shotPrefix + "mfa-03-totp-code-wrong")
	p.fill("#mfa-code", code+kb.Enter)
	p.waitView("profile")

	// Email codes on too, from the profile; with neither preferred the sign-in asks which.
	p.waitFor(`document.querySelector("#mfa-on-EMAIL") !== null`)
	p.click("#mfa-on-EMAIL")
	p.click("#mfaprefs-submit")
	p.waitFor(`document.querySelector("#mfa-status").textContent.includes("email")`)
	if st := p.text("#mfa-status"); st != "On: authenticator app (preferred), email." {
		t.Fatalf("status with email on %q", st)
	}
	if _, err := s.admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String(email),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: false}}); err != nil {
		t.Fatal(err)
	}
	p.click("#signout-submit")
	signIn(email)
	p.waitView("mfaselect")
	var choices []string
	p.eval(`[...document.querySelectorAll("#mfaselect-options input")].map(i => i.value)`, &choices)
	if strings.Join(choices, ",") != "TOTP,EMAIL" {
		t.Fatalf("choices %v", choices)
	}
	p.shot(s.shotPrefix + "mfa-04-choose-method")
	p.click("#mfaselect-EMAIL")
	p.click("#mfaselect-submit")
	p.waitView("mfa")
	if h := p.text("#mfa-hint"); !strings.Contains(h, "a***@e***") {
		t.Fatalf("email hint %q", h)
	}
	p.shot(s.shotPrefix + "mfa-05-email-code")
	p.fill("#mfa-code", s.code(t, email, message.KindAuthentication)+kb.Enter)
	p.waitView("profile")
	p.click("#signout-submit")
	p.waitView("signin")

	// A pool that requires MFA, with authenticator apps only: a new user sets one up while
	// signing in.
	if _, err := s.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID),
		MfaConfiguration: types.UserPoolMfaTypeOn, SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		EmailMfaConfiguration: nil}); err != nil {
		t.Fatal(err)
	}
	const grace = "grace@example.com"
	createUser(grace)
	signIn(grace)
	p.waitView("totpsetup")
	p.waitFor(`document.querySelector("#totpsetup-box svg.qr") !== null`)
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	var sideways bool
	p.eval(`document.documentElement.scrollWidth > window.innerWidth`, &sideways)
	if sideways {
		t.Errorf("the set-up screen scrolls sideways on a phone-sized screen")
	}
	p.shot(s.shotPrefix + "mfa-06-setup-at-sign-in-phone")
	p.do(chromedp.EmulateViewport(1280, 1000))
	p.waitFor(`window.innerWidth >= 1000`)
	p.click("#totpsetup-box .totp-key summary") // the key, for typing it by hand
	p.shot(s.shotPrefix + "mfa-07-setup-at-sign-in")
	graceApp := scanned(t, p.scanQR(), "Acme staff", grace)
	p.fill("#totpsetup-device", "Grace's tablet")
	p.fill("#totpsetup-code", graceApp.code(s)+kb.Enter)
	p.waitView("profile")
	p.waitFor(`document.querySelector("#mfa-status").textContent === "On: authenticator app (preferred)."`)
	p.click("#signout-submit")
	signIn(grace)
	p.waitView("mfa")
	if h := p.text("#mfa-hint"); !strings.Contains(h, "Grace's tablet") {
		t.Fatalf("TOTP hint %q", h)
	}
	p.fill("#mfa-code", graceApp.code(s)+kb.Enter)
	p.waitView("profile")

	if errs := p.takeErrors(); len(errs) > 0 {
		t.Fatalf("the page logged errors: %v", errs)
	}
}
