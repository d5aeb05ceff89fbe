package sdk

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/totp"
)

// mfaConfig is testConfig with MFA: OPTIONAL (or %s) with software tokens and email codes.
func mfaConfig(mode string, email bool) string {
	factors := `"SoftwareTokenMfaConfiguration": {"Enabled": true},`
	if email {
		factors += ` "EmailMfaConfiguration": {"Message": "Your code is {####}", "Subject": "Sign-in code"},`
	}
	return strings.Replace(testConfig, `"UsernameAttributes": ["email"],`,
		`"UsernameAttributes": ["email"], "MfaConfiguration": "`+mode+`", `+factors, 1)
}

// totpCode is the authenticator app: the code for secret (base32) at the server's time.
func (e *env) totpCode(secret string) string {
	e.t.Helper()
	key, err := totp.Decode(secret)
	if err != nil {
		e.t.Fatal(err)
	}
	return totp.Code(key, e.clock.Now())
}

func wantStep(t *testing.T, res *SignInResult, err error, step string) *Challenge {
	t.Helper()
	if err != nil {
		t.Fatalf("want %s, got %v", step, err)
	}
	if res.Challenge == nil || res.Challenge.Step != step {
		t.Fatalf("want %s, got %+v (challenge %+v)", step, res, res.Challenge)
	}
	return res.Challenge
}

func TestTOTPSetUpThenSignIn(t *testing.T) {
	e := newEnv(t, mfaConfig("OPTIONAL", false))
	c := e.client(nil)
	ctx := context.Background()
	e.signedUp(c, "tess@example.com", password)
	if _, err := c.SetUpTOTP(ctx); !HasCode(err, CodeUnauthenticated) {
		t.Fatalf("SetUpTOTP signed out: %v", err)
	}
	if _, err := c.SignIn(ctx, "tess@example.com", password); err != nil {
		t.Fatal(err)
	}

	setup, err := c.SetUpTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uri, err := url.Parse(setup.SetupURI("Acme staff", "tess@example.com"))
	if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/Acme staff:tess@example.com" ||
		uri.Query().Get("secret") != setup.SharedSecret || uri.Query().Get("issuer") != "Acme staff" {
		t.Fatalf("setup URI %v (%v)", uri, err)
	}
	if err := c.VerifyTOTPSetup(ctx, wrongCode(e.totpCode(setup.SharedSecret)), "phone"); !HasCode(err, "EnableSoftwareTokenMFAException") {
		t.Fatalf("a wrong code: %v", err)
	}
	if err := c.VerifyTOTPSetup(ctx, e.totpCode(setup.SharedSecret), "phone"); err != nil {
		t.Fatal(err)
	}
	st, err := c.FetchMFAPreference(ctx)
	if err != nil || len(st.Enabled) != 0 || st.Preferred != "" {
		t.Fatalf("before turning TOTP on: %+v, %v", st, err)
	}
	if err := c.UpdateMFAPreference(ctx, MFAPreference{"TOTP": PrefPreferred}); err != nil {
		t.Fatal(err)
	}
	st, err = c.FetchMFAPreference(ctx)
	if err != nil || !slices.Equal(st.Enabled, []string{"TOTP"}) || st.Preferred != "TOTP" {
		t.Fatalf("after PREFERRED: %+v, %v", st, err)
	}
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(30 * time.Second) // the next step: the set-up's code is used up
	ch := wantStep(t, must(c.SignIn(ctx, "tess@example.com", password)), nil, StepTOTPCode)
	if ch.Name != "SOFTWARE_TOKEN_MFA" || ch.DeviceName != "phone" {
		t.Fatalf("challenge %+v", ch)
	}
	code := e.totpCode(setup.SharedSecret)
	_, err = c.ConfirmSignIn(ctx, wrongCode(code), nil, "")
	wantCode(t, err, "CodeMismatchException")
	res, err := c.ConfirmSignIn(ctx, " "+code+" ", nil, "")
	if err != nil || res.Session == nil || res.Session.IDClaims["email"] != "tess@example.com" {
		t.Fatalf("after the right code: %+v, %v", res, err)
	}
	if _, err := c.ConfirmSignIn(ctx, code, nil, ""); !HasCode(err, CodeNoChallenge) {
		t.Fatalf("a second answer: %v", err)
	}

	// The same code again, in the same 30 s: used up.
	wantStep(t, must(c.SignIn(ctx, "tess@example.com", password)), nil, StepTOTPCode)
	_, err = c.ConfirmSignIn(ctx, code, nil, "")
	wantCode(t, err, "CodeMismatchException")

	// Turned off, the sign-in needs the password only.
	e.clock.Advance(30 * time.Second)
	if _, err := c.ConfirmSignIn(ctx, e.totpCode(setup.SharedSecret), nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(ctx, MFAPreference{"TOTP": PrefDisabled}); err != nil {
		t.Fatal(err)
	}
	if res, err := c.SignIn(ctx, "tess@example.com", password); err != nil || res.Session == nil {
		t.Fatalf("with TOTP off: %+v, %v", res, err)
	}
}

// must passes a SignIn result through with its error checked by wantStep.
func must(res *SignInResult, err error) *SignInResult {
	if err != nil {
		return &SignInResult{Challenge: &Challenge{Step: "error: " + err.Error()}}
	}
	return res
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestMFASelectionAndEmailCode(t *testing.T) {
	e := newEnv(t, mfaConfig("OPTIONAL", true))
	c := e.client(nil)
	ctx := context.Background()
	e.signedUp(c, "sel@example.com", password)
	if _, err := c.SignIn(ctx, "sel@example.com", password); err != nil {
		t.Fatal(err)
	}
	setup, err := c.SetUpTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyTOTPSetup(ctx, e.totpCode(setup.SharedSecret), ""); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(ctx, MFAPreference{"TOTP": PrefEnabled, "EMAIL": PrefEnabled}); err != nil {
		t.Fatal(err)
	}
	if st, err := c.FetchMFAPreference(ctx); err != nil || !slices.Equal(st.Enabled, []string{"TOTP", "EMAIL"}) || st.Preferred != "" {
		t.Fatalf("preferences %+v, %v", st, err)
	}

	ch := wantStep(t, must(c.SignIn(ctx, "sel@example.com", password)), nil, StepSelectMFA)
	if !slices.Equal(ch.AllowedMFATypes, []string{"TOTP", "EMAIL"}) {
		t.Fatalf("choices %v", ch.AllowedMFATypes)
	}
	_, err = c.ConfirmSignIn(ctx, "SMS", nil, "")
	wantCode(t, err, CodeInvalidParam)
	ch = wantStep(t, must(c.ConfirmSignIn(ctx, "email", nil, "")), nil, StepEmailCode)
	if ch.CodeDelivery == nil || ch.CodeDelivery.DeliveryMedium != "EMAIL" || !strings.Contains(ch.CodeDelivery.Destination, "***") {
		t.Fatalf("email challenge %+v (delivery %+v)", ch, ch.CodeDelivery)
	}
	code := e.code("sel@example.com", message.KindAuthentication)
	_, err = c.ConfirmSignIn(ctx, wrongCode(code), nil, "")
	wantCode(t, err, "CodeMismatchException")
	if res, err := c.ConfirmSignIn(ctx, code, nil, ""); err != nil || res.Session == nil {
		t.Fatalf("after the email code: %+v, %v", res, err)
	}

	// EMAIL preferred: straight to the email code.
	if err := c.UpdateMFAPreference(ctx, MFAPreference{"EMAIL": PrefPreferred}); err != nil {
		t.Fatal(err)
	}
	wantStep(t, must(c.SignIn(ctx, "sel@example.com", password)), nil, StepEmailCode)

	for _, bad := range []MFAPreference{{}, {"WEBAUTHN": PrefEnabled}, {"TOTP": "ON"}} {
		if err := c.UpdateMFAPreference(ctx, bad); !HasCode(err, CodeInvalidParam) {
			t.Fatalf("UpdateMFAPreference(%v): %v", bad, err)
		}
	}
}

func TestTOTPSetUpRequiredAtSignIn(t *testing.T) {
	e := newEnv(t, mfaConfig("ON", false))
	c := e.client(nil)
	ctx := context.Background()
	e.signedUp(c, "req@example.com", password)
	if _, err := c.ConfirmSignIn(ctx, "123456", nil, ""); !HasCode(err, CodeNoChallenge) {
		t.Fatalf("no challenge: %v", err)
	}

	e.resetCalls()
	ch := wantStep(t, must(c.SignIn(ctx, "req@example.com", password)), nil, StepTOTPSetup)
	if got := e.targets(); !slices.Equal(got, []string{"InitiateAuth", "RespondToAuthChallenge", "AssociateSoftwareToken"}) {
		t.Fatalf("calls %v", got)
	}
	if ch.Name != "MFA_SETUP" || !slices.Equal(ch.AllowedMFATypes, []string{"TOTP"}) || ch.TOTPSetup == nil || ch.TOTPSetup.SharedSecret == "" {
		t.Fatalf("set-up challenge %+v", ch)
	}
	secret := ch.TOTPSetup.SharedSecret
	_, err := c.ConfirmSignIn(ctx, wrongCode(e.totpCode(secret)), nil, "laptop")
	wantCode(t, err, "EnableSoftwareTokenMFAException")
	res, err := c.ConfirmSignIn(ctx, e.totpCode(secret), nil, "laptop")
	if err != nil || res.Session == nil {
		t.Fatalf("after setting up: %+v, %v", res, err)
	}
	if st, err := c.FetchMFAPreference(ctx); err != nil || !slices.Equal(st.Enabled, []string{"TOTP"}) || st.Preferred != "TOTP" {
		t.Fatalf("preferences after set-up %+v, %v", st, err)
	}

	e.clock.Advance(30 * time.Second)
	ch = wantStep(t, must(c.SignIn(ctx, "req@example.com", password)), nil, StepTOTPCode)
	if ch.DeviceName != "laptop" {
		t.Fatalf("challenge %+v", ch)
	}
	if res, err := c.ConfirmSignIn(ctx, e.totpCode(secret), nil, ""); err != nil || res.Session == nil {
		t.Fatalf("TOTP sign-in: %+v, %v", res, err)
	}

	// A Session past its 3 minutes.
	e.clock.Advance(30 * time.Second)
	wantStep(t, must(c.SignIn(ctx, "req@example.com", password)), nil, StepTOTPCode)
	e.clock.Advance(3*time.Minute + time.Second)
	_, err = c.ConfirmSignIn(ctx, e.totpCode(secret), nil, "")
	wantCode(t, err, "NotAuthorizedException")
}

func TestMFAChallengeParameters(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		ok     bool
	}{
		{"SELECT_MFA_TYPE", map[string]string{"MFAS_CAN_CHOOSE": `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`}, true},
		{"SELECT_MFA_TYPE", map[string]string{"MFAS_CAN_CHOOSE": `not json`}, false},
		{"SELECT_MFA_TYPE", map[string]string{"MFAS_CAN_CHOOSE": `["WEB_AUTHN"]`}, false},
		{"MFA_SETUP", map[string]string{}, false},
		{"SMS_MFA", map[string]string{}, true},
	} {
		ch, err := mfaChallenge(tc.name, tc.params)
		if (err == nil) != tc.ok {
			t.Errorf("%s %v: %+v, %v", tc.name, tc.params, ch, err)
		}
	}
}

func TestSMSCode(t *testing.T) {
	cfg := strings.Replace(mfaConfig("OPTIONAL", false), `"MfaConfiguration"`,
		`"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}, "MfaConfiguration"`, 1)
	cfg = strings.Replace(cfg, `"Schema": [`, `"Schema": [{"Name": "phone_number", "AttributeDataType": "String", "Mutable": true}, `, 1)
	e := newEnv(t, cfg)
	c := e.client(nil)
	ctx := context.Background()
	e.signedUp(c, "sam@example.com", password)
	e.admin("AdminUpdateUserAttributes", `{"UserPoolId": "`+testPool+`", "Username": "sam@example.com",
		"UserAttributes": [{"Name": "phone_number", "Value": "+15555550100"}, {"Name": "phone_number_verified", "Value": "true"}]}`)
	if _, err := c.SignIn(ctx, "sam@example.com", password); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(ctx, MFAPreference{"SMS": PrefPreferred}); err != nil {
		t.Fatal(err)
	}
	ch := wantStep(t, must(c.SignIn(ctx, "sam@example.com", password)), nil, StepSMSCode)
	if ch.Name != "SMS_MFA" || ch.CodeDelivery == nil || ch.CodeDelivery.DeliveryMedium != "SMS" || strings.Contains(ch.CodeDelivery.Destination, "5555550100") {
		t.Fatalf("SMS challenge %+v (delivery %+v)", ch, ch.CodeDelivery)
	}
	code := e.code("+15555550100", message.KindAuthentication)
	_, err := c.ConfirmSignIn(ctx, wrongCode(code), nil, "")
	wantCode(t, err, "CodeMismatchException")
	if res, err := c.ConfirmSignIn(ctx, code, nil, ""); err != nil || res.Session == nil {
		t.Fatalf("after the SMS code: %+v, %v", res, err)
	}
	if st, err := c.FetchMFAPreference(ctx); err != nil || !slices.Equal(st.Enabled, []string{"SMS"}) || st.Preferred != "SMS" {
		t.Fatalf("preferences %+v, %v", st, err)
	}
}

// FuzzMFAChallenge: whatever a server answers as an MFA challenge's parameters, reading them
// either works (with a step and, for the lists, known MFA types) or fails with an error.
func FuzzMFAChallenge(f *testing.F) {
	f.Add("SELECT_MFA_TYPE", `["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]`)
	f.Add("MFA_SETUP", `["SOFTWARE_TOKEN_MFA"]`)
	f.Add("SMS_MFA", "+*******0100")
	f.Add("MFA_SETUP", `[1, null, {}]`)
	f.Fuzz(func(t *testing.T, name, param string) {
		for _, n := range []string{name, "SELECT_MFA_TYPE", "MFA_SETUP", "SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA"} {
			p := map[string]string{"MFAS_CAN_CHOOSE": param, "MFAS_CAN_SETUP": param, "CODE_DELIVERY_DESTINATION": param, "FRIENDLY_DEVICE_NAME": param}
			ch, err := mfaChallenge(n, p)
			if err != nil {
				continue
			}
			for _, typ := range ch.AllowedMFATypes {
				if _, ok := challengeOfType(typ); !ok {
					t.Fatalf("%s %q: unknown type %q", n, param, typ)
				}
			}
		}
	})
}
