package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// devicesAppConfig is mfaAppConfig with remembered devices that skip MFA and wait for the
// user's prompt.
var devicesAppConfig = strings.Replace(mfaAppConfig, `"MfaConfiguration": "OPTIONAL",`,
	`"MfaConfiguration": "OPTIONAL", "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": true},`, 1)

// TestSignInAppRememberDevice: the sign-in app's remembered devices in Chromium. A user turns
// on an authenticator app, signs in with a code and ticks "Remember this device"; the next
// sign-in goes straight to the profile (the SDK answers DEVICE_SRP_AUTH); the profile lists
// the browser as remembered; forgetting it there brings the code screen back.
func TestSignInAppRememberDevice(t *testing.T) {
	requireBrowser(t)
	appRememberDevice(t, hostsimHost(startServerWith(t, devicesAppConfig)))
}

// TestSignInAppRememberDeviceWorkerd is TestSignInAppRememberDevice against the Worker under
// wrangler dev.
func TestSignInAppRememberDeviceWorkerd(t *testing.T) {
	requireBrowser(t)
	appRememberDevice(t, workerHost(t, devicesAppConfig))
}

func appRememberDevice(t *testing.T, s mfaHost) {
	ctx := context.Background()
	const email, password = "dev@example.com", "Remembered1Device"
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

	p := newPage(t)
	p.do(chromedp.Navigate(s.url + "/"))
	p.waitFor(`document.body.dataset.ready === "true"`)
	// The views the app shows, in order, to tell a sign-in that skipped the code screen.
	p.eval(`window.__views = []; new MutationObserver(() => __views.push(document.body.dataset.view))
		.observe(document.body, {attributes: true, attributeFilter: ["data-view"]}), true`, nil)
	views := func() []string {
		var v []string
		p.eval(`__views.splice(0)`, &v)
		return v
	}
	signIn := func() {
		t.Helper()
		p.waitView("signin")
		p.fill("#signin-username", email)
		p.fill("#signin-password", password+kb.Enter)
	}
	deviceStatus := func(prefix string) {
		t.Helper()
		p.waitFor(`document.querySelector("#devices-status").textContent.startsWith(` + jsString(prefix) + `)`)
	}

	// The first sign-in (no second factor yet) gives this browser a device, not remembered.
	signIn()
	p.waitView("profile")
	deviceStatus("This browser is not remembered")
	var rows []string
	p.eval(`[...document.querySelectorAll("#devices-list li .device-name")].map(n => n.textContent)`, &rows)
	if len(rows) != 1 || !strings.HasPrefix(rows[0], "Chrome on ") || !strings.HasSuffix(rows[0], "This browser") {
		t.Fatalf("devices listed %q", rows)
	}

	// Turn on an authenticator app.
	p.click("#totp-start")
	p.waitFor(`document.querySelector("#totp-box svg.qr") !== null`)
	app := scanned(t, p.scanQR(), "Acme staff", email)
	p.fill("#totp-code", app.code(s)+kb.Enter)
	p.waitFor(`document.querySelector("#mfa-status").textContent === "On: authenticator app (preferred)."`)

	// Sign in with a code and "Remember this device".
	p.click("#signout-submit")
	signIn()
	p.waitView("mfa")
	p.waitFor(`!document.querySelector("#form-mfa .remember-device").hidden`)
	if d := p.text("#form-mfa .remember-device .detail"); d != "Skip this step when you sign in on this browser again." {
		t.Fatalf("remember-device hint %q", d)
	}
	p.click("#mfa-remember-device")
	p.fill("#mfa-code", app.code(s))
	p.shot(s.shotPrefix + "devices-01-remember-this-device")
	p.do(chromedp.SendKeys(chromedp.CSS("#mfa-code"), kb.Enter))
	p.waitView("profile")
	deviceStatus("This browser is remembered")
	p.waitFor(visibleAlert("#devices-card", "This browser is remembered."))
	p.eval(`document.querySelector("#devices-card").scrollIntoView(), true`, nil)
	p.shot(s.shotPrefix + "devices-02-profile-remembered")
	out, err := s.admin.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: aws.String(poolID), Username: aws.String(email)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Devices) != 1 || !hasAttr(out.Devices[0].DeviceAttributes, "dev:device_remembered_status", "remembered") ||
		!hasAttr(out.Devices[0].DeviceAttributes, "device_name", p.userAgent()) {
		t.Fatalf("AdminListDevices: %+v", out.Devices)
	}

	// Signed out and in again: no code screen.
	p.click("#signout-submit")
	p.waitView("signin")
	views()
	signIn()
	p.waitView("profile")
	if v := views(); strings.Contains(strings.Join(v, ","), "mfa") {
		t.Fatalf("a sign-in from the remembered browser showed %v", v)
	}
	deviceStatus("This browser is remembered")

	// Forget this browser: it leaves the list, and the next sign-in asks for the code.
	p.click(`#devices-list li button.danger`)
	deviceStatus("This browser is not on your list")
	p.waitFor(visibleAlert("#devices-card", "This browser is forgotten"))
	if n := p.text("#devices-list"); n != "No devices." {
		t.Fatalf("devices after forgetting %q", n)
	}
	p.shot(s.shotPrefix + "devices-03-forgotten")
	p.click("#signout-submit")
	signIn()
	p.waitView("mfa")
	p.fill("#mfa-code", app.code(s)+kb.Enter)
	p.waitView("profile")
	deviceStatus("This browser is not remembered")
	// Remembered from the profile instead.
	p.waitFor(`!document.querySelector("#device-actions").hidden`)
	p.click("#device-remember")
	deviceStatus("This browser is remembered")

	if errs := p.takeErrors(); len(errs) > 0 {
		t.Fatalf("the page logged errors: %v", errs)
	}
}

func hasAttr(attrs []types.AttributeType, name, value string) bool {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name && aws.ToString(a.Value) == value {
			return true
		}
	}
	return false
}

// userAgent is the page's navigator.userAgent, the name the SDK gives its devices.
func (p *page) userAgent() string {
	p.t.Helper()
	var ua string
	p.eval(`navigator.userAgent`, &ua)
	return ua
}
