package browser

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/totp"
)

// amplifyStep is tests/browser/amplify/mfa.mjs's view of a sign-in result.
type amplifyStep struct {
	Error, Message  string
	IsSignedIn      bool
	SignInStep      string
	AllowedMFATypes []string
	CodeDelivery    *struct{ DeliveryMedium, Destination string } `json:"codeDeliveryDetails"`
	SharedSecret    string
	SetupURI        string `json:"setupUri"`
}

// TestAmplifyMFA: Amplify v6 (6.22), unmodified, in Chromium on a page of another origin,
// against hostsim's JSON API (Auth.Cognito.userPoolEndpoint): setUpTOTP, verifyTOTPSetup,
// updateMFAPreference and fetchMFAPreference; signIn → CONFIRM_SIGN_IN_WITH_TOTP_CODE →
// confirmSignIn; CONTINUE_SIGN_IN_WITH_MFA_SELECTION → EMAIL → CONFIRM_SIGN_IN_WITH_EMAIL_CODE
// with the code from the outbox; and CONTINUE_SIGN_IN_WITH_TOTP_SETUP in a pool that requires
// MFA. rememberDevice is not here: the server does not confirm devices yet.
func TestAmplifyMFA(t *testing.T) {
	requireBrowser(t)
	amplifyMFA(t, hostsimHost(startServerWith(t, mfaAppConfig)))
}

// TestAmplifyMFAWorkerd is TestAmplifyMFA against the Worker under wrangler dev.
func TestAmplifyMFAWorkerd(t *testing.T) {
	requireBrowser(t)
	amplifyMFA(t, workerHost(t, mfaAppConfig))
}

// amplifyMFA is TestAmplifyMFA's scenario on one host.
func amplifyMFA(t *testing.T, s mfaHost) {
	bundle := bundleAmplifyPage(t, "mfa.mjs")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appOrigin := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	config, _ := json.Marshal(map[string]any{"Auth": map[string]any{"Cognito": map[string]any{
		"userPoolId": poolID, "userPoolClientId": clientID, "userPoolEndpoint": s.url,
	}}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>amplify mfa</title></head><body>
<script>window.AMPLIFY_CONFIG = %s;</script><script src="/amplify.js"></script></body></html>`, config)
	})
	mux.HandleFunc("GET /amplify.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(bundle)
	})
	app := &http.Server{Handler: mux}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })

	const email, password = "amp@example.com", "Amplify-Passw0rd"
	newUser := func(email string) {
		t.Helper()
		if _, err := s.admin.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(email),
			MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)},
				{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.admin.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(email),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	newUser(email)

	p := newPage(t)
	p.do(chromedp.Navigate(appOrigin + "/"))
	p.waitFor(`document.body.dataset.ready === "true"`)
	// call decodes into a fresh value: json.Unmarshal into a used map keeps the old keys.
	call := func(js string, out any) {
		t.Helper()
		if m, ok := out.(*map[string]any); ok {
			*m = nil
		}
		p.eval(js, out)
	}
	signIn := func(user, want string) amplifyStep {
		t.Helper()
		var st amplifyStep
		call(`amplifyMfa.signIn(`+jsString(user)+`, `+jsString(password)+`)`, &st)
		if st.Error != "" || st.SignInStep != want {
			t.Fatalf("signIn: %+v, want %s", st, want)
		}
		return st
	}
	confirm := func(answer, want string) amplifyStep {
		t.Helper()
		var st amplifyStep
		call(`amplifyMfa.confirmSignIn(`+jsString(answer)+`)`, &st)
		if want == "" {
			return st
		}
		if st.Error != "" || st.SignInStep != want {
			t.Fatalf("confirmSignIn(%q): %+v, want %s", answer, st, want)
		}
		return st
	}
	noError := func(what string, out map[string]any) {
		t.Helper()
		if out["error"] != nil {
			t.Fatalf("%s: %v", what, out)
		}
	}
	var out map[string]any

	signIn(email, "DONE")

	// setUpTOTP → the secret and its otpauth:// URI; verifyTOTPSetup with a wrong code, then
	// the app's code.
	var setup struct{ SharedSecret, SetupURI string }
	call(`amplifyMfa.setUpTOTP(`+jsString(email)+`)`, &setup)
	app2 := scanned(t, setup.SetupURI, "Acme staff", email)
	if totp.Encode(app2.secret) != setup.SharedSecret {
		t.Fatalf("setUpTOTP: secret %q, URI %q", setup.SharedSecret, setup.SetupURI)
	}
	code := app2.code(s)
	call(`amplifyMfa.verifyTOTPSetup(`+jsString(otherCode(code))+`)`, &out)
	if out["error"] != "EnableSoftwareTokenMFAException" {
		t.Fatalf("verifyTOTPSetup with a wrong code: %v", out)
	}
	call(`amplifyMfa.verifyTOTPSetup(`+jsString(code)+`)`, &out)
	noError("verifyTOTPSetup", out)
	call(`amplifyMfa.updateMFAPreference({totp: "PREFERRED"})`, &out)
	noError("updateMFAPreference", out)
	var prefs struct {
		Enabled   []string
		Preferred *string
	}
	call(`amplifyMfa.fetchMFAPreference()`, &prefs)
	if !slices.Equal(prefs.Enabled, []string{"TOTP"}) || prefs.Preferred == nil || *prefs.Preferred != "TOTP" {
		t.Fatalf("fetchMFAPreference: %+v", prefs)
	}

	// signIn → CONFIRM_SIGN_IN_WITH_TOTP_CODE → confirmSignIn.
	call(`amplifyMfa.signOut()`, &out)
	noError("signOut", out)
	signIn(email, "CONFIRM_SIGN_IN_WITH_TOTP_CODE")
	code = app2.code(s)
	if st := confirm(otherCode(code), ""); st.Error != "CodeMismatchException" {
		t.Fatalf("confirmSignIn with a wrong code: %+v", st)
	}
	confirm(code, "DONE")
	var signedIn string
	call(`amplifyMfa.email()`, &signedIn)
	if signedIn != email {
		t.Fatalf("signed in as %q", signedIn)
	}

	// Email codes too, neither preferred: CONTINUE_SIGN_IN_WITH_MFA_SELECTION.
	call(`amplifyMfa.updateMFAPreference({totp: "NOT_PREFERRED", email: "ENABLED"})`, &out)
	noError("updateMFAPreference", out)
	call(`amplifyMfa.fetchMFAPreference()`, &prefs)
	if !slices.Equal(prefs.Enabled, []string{"TOTP", "EMAIL"}) || prefs.Preferred != nil {
		t.Fatalf("fetchMFAPreference: %+v", prefs)
	}
	call(`amplifyMfa.signOut()`, &out)
	st := signIn(email, "CONTINUE_SIGN_IN_WITH_MFA_SELECTION")
	if !slices.Equal(st.AllowedMFATypes, []string{"TOTP", "EMAIL"}) {
		t.Fatalf("allowedMFATypes %v", st.AllowedMFATypes)
	}
	st = confirm("EMAIL", "CONFIRM_SIGN_IN_WITH_EMAIL_CODE")
	if st.CodeDelivery == nil || st.CodeDelivery.DeliveryMedium != "EMAIL" || !strings.Contains(st.CodeDelivery.Destination, "***") {
		t.Fatalf("email code step %+v", st)
	}
	emailed := s.code(t, email, message.KindAuthentication)
	if st := confirm(otherCode(emailed), ""); st.Error != "CodeMismatchException" {
		t.Fatalf("confirmSignIn with a wrong email code: %+v", st)
	}
	confirm(emailed, "DONE")

	// Email preferred: straight to the email code.
	call(`amplifyMfa.updateMFAPreference({email: "PREFERRED"})`, &out)
	noError("updateMFAPreference", out)
	call(`amplifyMfa.signOut()`, &out)
	signIn(email, "CONFIRM_SIGN_IN_WITH_EMAIL_CODE")
	confirm(s.code(t, email, message.KindAuthentication), "DONE")
	call(`amplifyMfa.signOut()`, &out)

	// MFA required, authenticator apps only: a new user sets one up while signing in.
	if _, err := s.admin.SetUserPoolMfaConfig(ctx(t), &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID),
		MfaConfiguration: types.UserPoolMfaTypeOn, SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	const newcomer = "new.amp@example.com"
	newUser(newcomer)
	st = signIn(newcomer, "CONTINUE_SIGN_IN_WITH_TOTP_SETUP")
	app3 := scanned(t, st.SetupURI, "Acme staff", newcomer)
	if totp.Encode(app3.secret) != st.SharedSecret {
		t.Fatalf("totpSetupDetails %+v", st)
	}
	confirm(app3.code(s), "DONE")
	call(`amplifyMfa.fetchMFAPreference()`, &prefs)
	if !slices.Equal(prefs.Enabled, []string{"TOTP"}) || prefs.Preferred == nil || *prefs.Preferred != "TOTP" {
		t.Fatalf("fetchMFAPreference after set-up: %+v", prefs)
	}
	call(`amplifyMfa.signOut()`, &out)
	signIn(newcomer, "CONFIRM_SIGN_IN_WITH_TOTP_CODE")
	confirm(app3.code(s), "DONE")

	if errs := p.takeErrors(); len(errs) > 0 {
		t.Logf("page errors (informational): %v", errs)
	}
}
