package userpool

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

// refTOTP is RFC 6238 (SHA-1, 6 digits, 30 s) written out here, independent of internal/totp,
// for a base32 secret as AssociateSoftwareToken hands it out.
func refTOTP(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("SecretCode %q is not base32: %v", secret, err)
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

var totpOnly = map[string]any{"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true}}

// mfaUser creates a confirmed user with a permanent password and the given attributes
// (verified), through the admin API.
func (a *authSetup) mfaUser(name string, attrs map[string]string) {
	a.t.Helper()
	var list []map[string]any
	for k, v := range attrs {
		list = append(list, map[string]any{"Name": k, "Value": v}, map[string]any{"Name": k + "_verified", "Value": "true"})
	}
	a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": name, "MessageAction": "SUPPRESS", "UserAttributes": list})
	a.call("AdminSetUserPassword", map[string]any{"UserPoolId": a.pool, "Username": name, "Password": testPassword, "Permanent": true})
}

// challenge signs name in with USER_PASSWORD_AUTH and requires the challenge want.
func (a *authSetup) challenge(name, want string) (session string, params map[string]string) {
	a.t.Helper()
	status, out := a.passwordLogin(name, testPassword)
	if status != http.StatusOK || out["ChallengeName"] != want || out["AuthenticationResult"] != nil {
		a.t.Fatalf("sign-in of %s: %d %v, want challenge %s", name, status, out, want)
	}
	session, _ = out["Session"].(string)
	params = paramsOf(out["ChallengeParameters"])
	if params["USER_ID_FOR_SRP"] == "" || session == "" {
		a.t.Fatalf("challenge %s without USER_ID_FOR_SRP or Session: %v", want, out)
	}
	return session, params
}

// mfaAnswer responds to an MFA challenge for name.
func (a *authSetup) mfaAnswer(challenge, session, name string, resp map[string]any) (int, map[string]any) {
	a.t.Helper()
	resp["USERNAME"] = name
	return a.respond(challenge, resp, session)
}

// setUpTotp runs the MFA_SETUP flow for name (whose sign-in must answer MFA_SETUP) and
// returns the secret.
func (a *authSetup) setUpTotp(name string) string {
	a.t.Helper()
	session, params := a.challenge(name, "MFA_SETUP")
	if params["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		a.t.Fatalf("MFAS_CAN_SETUP = %q", params["MFAS_CAN_SETUP"])
	}
	assoc := a.call("AssociateSoftwareToken", map[string]any{"Session": session})
	secret, _ := assoc["SecretCode"].(string)
	session2, _ := assoc["Session"].(string)
	if len(secret) != 32 || session2 == "" {
		a.t.Fatalf("AssociateSoftwareToken: %v", assoc)
	}
	ver := a.call("VerifySoftwareToken", map[string]any{"Session": session2, "UserCode": refTOTP(a.t, secret, a.clock.Now()), "FriendlyDeviceName": "phone"})
	if ver["Status"] != "SUCCESS" || ver["Session"] == nil {
		a.t.Fatalf("VerifySoftwareToken: %v", ver)
	}
	a.tokens(a.mfaAnswer("MFA_SETUP", ver["Session"].(string), name, map[string]any{}))
	return secret
}

func TestMfaPoolConfig(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	set := func(in map[string]any) (string, string) {
		in["UserPoolId"] = a.pool
		return a.callErr("SetUserPoolMfaConfig", in)
	}
	for _, tc := range []struct {
		in       map[string]any
		typ, msg string
	}{
		{map[string]any{"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true}},
			"InvalidParameterException", "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."},
		{map[string]any{"MfaConfiguration": "ON"},
			"InvalidParameterException", "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."},
		{map[string]any{"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": false}},
			"InvalidParameterException", "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."},
		{map[string]any{"MfaConfiguration": "SOMETIMES"}, "InvalidParameterException", ""},
		{map[string]any{"MfaConfiguration": "ON", "SmsMfaConfiguration": map[string]any{"SmsAuthenticationMessage": "Your code"}},
			"InvalidParameterException", "1 validation error detected: Value at 'smsMfaConfiguration.smsAuthenticationMessage' failed to satisfy constraint: Member must satisfy regular expression pattern: .*\\{####\\}.*"},
		{map[string]any{"MfaConfiguration": "ON", "EmailMfaConfiguration": map[string]any{"Message": "no code here", "Subject": "s"}},
			"InvalidParameterException", ""},
		{map[string]any{"MfaConfiguration": "ON", "EmailMfaConfiguration": map[string]any{"Message": "{####} is it", "Subject": strings.Repeat("s", 141)}},
			"InvalidParameterException", ""},
		{map[string]any{"MfaConfiguration": "ON", "EmailMfaConfiguration": map[string]any{"Message": "{####}" + strings.Repeat("m", 300000), "Subject": "s"}},
			"InvalidParameterException", "1 validation error detected: Value at 'emailMfaConfiguration.message' failed to satisfy constraint: Member must have length less than or equal to 20000"},
	} {
		typ, msg := set(tc.in)
		if typ != tc.typ || (tc.msg != "" && msg != tc.msg) {
			t.Errorf("SetUserPoolMfaConfig %v: %s %q, want %s %q", tc.in, typ, msg, tc.typ, tc.msg)
		}
	}

	out := a.call("SetUserPoolMfaConfig", map[string]any{"UserPoolId": a.pool, "MfaConfiguration": "OPTIONAL",
		"SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true},
		"SmsMfaConfiguration":           map[string]any{"SmsAuthenticationMessage": "Your code is {####}"},
		"EmailMfaConfiguration":         map[string]any{"Message": "Your code is {####}", "Subject": "Sign-in code"}})
	got := a.call("GetUserPoolMfaConfig", map[string]any{"UserPoolId": a.pool})
	if fmt.Sprint(out) != fmt.Sprint(got) || got["MfaConfiguration"] != "OPTIONAL" ||
		mObj(got, "SoftwareTokenMfaConfiguration")["Enabled"] != true ||
		mObj(got, "SmsMfaConfiguration")["SmsAuthenticationMessage"] != "Your code is {####}" ||
		mObj(got, "EmailMfaConfiguration")["Subject"] != "Sign-in code" {
		t.Fatalf("GetUserPoolMfaConfig = %v (Set answered %v)", got, out)
	}
	pool := mObj(a.call("DescribeUserPool", map[string]any{"UserPoolId": a.pool}), "UserPool")
	if pool["MfaConfiguration"] != "OPTIONAL" || pool["SmsAuthenticationMessage"] != "Your code is {####}" {
		t.Fatalf("DescribeUserPool after SetUserPoolMfaConfig: %v", pool)
	}

	// UpdateUserPool keeps TOTP and email when it omits them, and MFA OFF (its default) drops
	// every factor.
	a.call("UpdateUserPool", map[string]any{"UserPoolId": a.pool, "MfaConfiguration": "ON"})
	got = a.call("GetUserPoolMfaConfig", map[string]any{"UserPoolId": a.pool})
	if got["MfaConfiguration"] != "ON" || mObj(got, "SoftwareTokenMfaConfiguration")["Enabled"] != true || got["SmsMfaConfiguration"] != nil || got["EmailMfaConfiguration"] == nil {
		t.Fatalf("after UpdateUserPool ON: %v", got)
	}
	a.call("UpdateUserPool", map[string]any{"UserPoolId": a.pool})
	got = a.call("GetUserPoolMfaConfig", map[string]any{"UserPoolId": a.pool})
	if got["MfaConfiguration"] != "OFF" || mObj(got, "SoftwareTokenMfaConfiguration")["Enabled"] != false || got["EmailMfaConfiguration"] != nil {
		t.Fatalf("after UpdateUserPool without MFA: %v", got)
	}

	// CreateUserPool: ON needs a factor; SMS comes with an SmsConfiguration.
	a.wantErr("CreateUserPool", map[string]any{"PoolName": "p", "MfaConfiguration": "ON"}, "InvalidParameterException",
		"SMS configuration and Auto verification for phone_number are required when MFA is required/optional")
	id := a.createPool(map[string]any{"MfaConfiguration": "ON", "SmsAuthenticationMessage": "Code {####}",
		"SmsConfiguration": map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}})
	got = a.call("GetUserPoolMfaConfig", map[string]any{"UserPoolId": id})
	if mObj(got, "SmsMfaConfiguration")["SmsAuthenticationMessage"] != "Code {####}" {
		t.Fatalf("CreateUserPool with SMS: %v", got)
	}
	a.wantErr("CreateUserPool", map[string]any{"PoolName": "p", "MfaConfiguration": "ON", "UserPoolTier": "LITE",
		"EmailMfaConfiguration": map[string]any{"Message": "Code {####}", "Subject": "Code"}}, "FeatureUnavailableInTierException", "")
}

func TestMfaConfigFile(t *testing.T) {
	env := newTestEnv(t)
	spec := ConfigSpec{UserPools: []PoolSpec{{Id: testRegion + "_Mfa1", CreateUserPoolInput: CreateUserPoolInput{
		PoolSettings: PoolSettings{MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: &SoftwareTokenMfaConfig{Enabled: true},
			EmailMfaConfiguration: &EmailMfaConfig{Message: "Code {####}", Subject: "Code"}}}}}}
	if _, err := env.svc.Apply(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	got := env.call("GetUserPoolMfaConfig", map[string]any{"UserPoolId": testRegion + "_Mfa1"})
	if got["MfaConfiguration"] != "OPTIONAL" || mObj(got, "SoftwareTokenMfaConfiguration")["Enabled"] != true || mObj(got, "EmailMfaConfiguration")["Message"] != "Code {####}" {
		t.Fatalf("config file MFA: %v", got)
	}
	applied, err := env.svc.Apply(t.Context(), spec)
	if err != nil || len(applied.Pools.Unchanged) != 1 {
		t.Fatalf("applying again: %v %v", applied, err)
	}
	spec.UserPools[0].MfaConfiguration = "ON"
	spec.UserPools[0].SoftwareTokenMfaConfiguration, spec.UserPools[0].EmailMfaConfiguration = nil, nil
	if _, err := env.svc.Apply(t.Context(), spec); err == nil || !strings.Contains(err.Error(), "required when MFA is required/optional") {
		t.Fatalf("a config with MFA ON and no factor: %v", err)
	}
}

func TestMfaTotpSetupAndSignIn(t *testing.T) {
	a := newAuthSetup(t, totpOnly, passwordClient)
	a.mfaUser("tess", map[string]string{"email": "tess@example.com"})

	// MFA_SETUP: a wrong code does not enable the token; the right one does.
	session, _ := a.challenge("tess", "MFA_SETUP")
	assoc := a.call("AssociateSoftwareToken", map[string]any{"Session": session})
	secret, session2 := assoc["SecretCode"].(string), assoc["Session"].(string)
	wrong := refTOTP(t, secret, a.clock.Now().Add(-5*time.Minute))
	a.wantErr("VerifySoftwareToken", map[string]any{"Session": session2, "UserCode": wrong}, "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
	a.wantErr("VerifySoftwareToken", map[string]any{"Session": session, "UserCode": wrong}, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	a.wantAnswerOf(a.mfaAnswer("MFA_SETUP", session2, "tess", map[string]any{}))("NotAuthorizedException")
	code := refTOTP(t, secret, a.clock.Now())
	ver := a.call("VerifySoftwareToken", map[string]any{"Session": session2, "UserCode": code, "FriendlyDeviceName": "Tess's phone"})
	a.wantErr("VerifySoftwareToken", map[string]any{"Session": session2, "UserCode": code}, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	a.tokens(a.mfaAnswer("MFA_SETUP", ver["Session"].(string), "tess", map[string]any{}))
	a.wantAnswerOf(a.mfaAnswer("MFA_SETUP", ver["Session"].(string), "tess", map[string]any{}))("NotAuthorizedException")

	u := a.user(a.pool, "tess")
	if u.Secrets.Totp == nil || len(u.Secrets.Totp.Pending) != 0 || u.PreferredMfa != mfaTOTP {
		t.Fatalf("after set-up: %+v", u)
	}

	// Sign-in asks for the token; the code used to verify it is spent for its step.
	session, params := a.challenge("tess", "SOFTWARE_TOKEN_MFA")
	if params["FRIENDLY_DEVICE_NAME"] != "Tess's phone" {
		t.Fatalf("SOFTWARE_TOKEN_MFA parameters: %v", params)
	}
	a.want("CodeMismatchException", "Invalid code received for user")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": code}))
	a.clock.Advance(30 * time.Second)
	code = refTOTP(t, secret, a.clock.Now())
	a.want("InvalidParameterException", "Missing required parameter SOFTWARE_TOKEN_MFA_CODE")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{}))
	a.want("NotAuthorizedException", "Invalid session for the user.")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "someoneelse", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": code}))
	// identity-js sends the code under both keys.
	a.tokens(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": code, "SMS_MFA_CODE": code}))
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": code}))

	// A replayed code in a new sign-in is refused; the code of the step before is still good
	// (±1 step) once.
	session, _ = a.challenge("tess", "SOFTWARE_TOKEN_MFA")
	a.want("CodeMismatchException", "Invalid code received for user")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": code}))
	a.clock.Advance(30 * time.Second)
	next := refTOTP(t, secret, a.clock.Now().Add(30*time.Second))
	a.tokens(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": next}))

	// Sessions expire after the client's AuthSessionValidity (3 minutes).
	session, _ = a.challenge("tess", "SOFTWARE_TOKEN_MFA")
	a.clock.Advance(3*time.Minute + time.Second)
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess",
		map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(t, secret, a.clock.Now())}))

	// SRP reaches the same challenge; a Session of another challenge is no good here.
	status, out := a.srpLogin("tess", testPassword)
	if status != http.StatusOK || out["ChallengeName"] != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("SRP sign-in: %d %v", status, out)
	}
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.mfaAnswer("SMS_MFA", out["Session"].(string), "tess", map[string]any{"SMS_MFA_CODE": "123456"}))

	// With the access token: a new secret replaces the old one only once verified.
	access, _, _ := a.tokens(a.mfaAnswer("SOFTWARE_TOKEN_MFA", out["Session"].(string), "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(t, secret, a.clock.Now())}))
	assoc = a.call("AssociateSoftwareToken", map[string]any{"AccessToken": access})
	if assoc["Session"] != nil {
		t.Fatalf("AssociateSoftwareToken with an access token answered a Session: %v", assoc)
	}
	newSecret := assoc["SecretCode"].(string)
	a.clock.Advance(30 * time.Second)
	session, _ = a.challenge("tess", "SOFTWARE_TOKEN_MFA")
	a.want("CodeMismatchException", "")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(t, newSecret, a.clock.Now())}))
	a.wantErr("VerifySoftwareToken", map[string]any{"AccessToken": access, "UserCode": refTOTP(t, secret, a.clock.Now())}, "EnableSoftwareTokenMFAException", "")
	if ver := a.call("VerifySoftwareToken", map[string]any{"AccessToken": access, "UserCode": refTOTP(t, newSecret, a.clock.Now())}); ver["Status"] != "SUCCESS" || ver["Session"] != nil {
		t.Fatalf("VerifySoftwareToken with an access token: %v", ver)
	}
	a.clock.Advance(30 * time.Second)
	a.tokens(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "tess", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(t, newSecret, a.clock.Now())}))

	user := a.call("GetUser", map[string]any{"AccessToken": access})
	if user["PreferredMfaSetting"] != mfaTOTP || fmt.Sprint(user["UserMFASettingList"]) != "[SOFTWARE_TOKEN_MFA]" {
		t.Fatalf("GetUser: %v", user)
	}
	a.wantErr("VerifySoftwareToken", map[string]any{"UserCode": "123456"}, "InvalidParameterException", "")
	a.wantErr("VerifySoftwareToken", map[string]any{"AccessToken": access, "UserCode": "12345a"}, "InvalidParameterException", "")
	a.wantErr("AssociateSoftwareToken", map[string]any{"Session": strings.Repeat("A", 40)}, "NotAuthorizedException", "Invalid session for the user, session is expired.")
}

// wrongCode is code with its last digit changed.
func wrongCode(code string) string {
	return code[:len(code)-1] + string(rune('0'+(code[len(code)-1]-'0'+1)%10))
}

// wantAnswerOf adapts wantAnswer to take a dispatch result and a type only.
func (a *authSetup) wantAnswerOf(status int, out map[string]any) func(typ string) {
	return func(typ string) {
		a.t.Helper()
		a.wantAnswer(status, out, typ, "")
	}
}

func TestMfaCodesByMessage(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"MfaConfiguration": "OPTIONAL",
		"SmsConfiguration":         map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
		"SmsAuthenticationMessage": "Code {####}",
		"EmailMfaConfiguration":    map[string]any{"Message": "Code {####}", "Subject": "Code"}}, passwordClient)
	a.mfaUser("sam", map[string]string{"email": "sam@example.com", "phone_number": "+12065551234"})
	access, _, _ := a.tokens(a.passwordLogin("sam", testPassword)) // OPTIONAL, nothing turned on

	a.wantErr("SetUserMFAPreference", map[string]any{"AccessToken": access, "SoftwareTokenMfaSettings": map[string]any{"Enabled": true}},
		"InvalidParameterException", "User has not verified software token mfa")
	a.wantErr("SetUserMFAPreference", map[string]any{"AccessToken": access, "SMSMfaSettings": map[string]any{"Enabled": false, "PreferredMfa": true}},
		"InvalidParameterException", "")
	a.call("SetUserMFAPreference", map[string]any{"AccessToken": access, "SMSMfaSettings": map[string]any{"Enabled": true}})

	// SMS_MFA: the code goes out by SMS, masked in the challenge.
	session, params := a.challenge("sam", "SMS_MFA")
	if params["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" || params["CODE_DELIVERY_DESTINATION"] != "+*******1234" {
		t.Fatalf("SMS_MFA parameters: %v", params)
	}
	m, ok := a.sender.Last("sam", message.KindAuthentication)
	if !ok || m.Medium != message.MediumSMS || m.Destination != "+12065551234" || len(m.Code) != 6 {
		t.Fatalf("SMS message: %+v %v", m, ok)
	}
	a.want("CodeMismatchException", "Invalid code received for user")(a.mfaAnswer("SMS_MFA", session, "sam", map[string]any{"SMS_MFA_CODE": wrongCode(m.Code)}))
	a.tokens(a.mfaAnswer("SMS_MFA", session, "sam", map[string]any{"SMS_MFA_CODE": m.Code}))
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.mfaAnswer("SMS_MFA", session, "sam", map[string]any{"SMS_MFA_CODE": m.Code}))

	// Two factors and no preference: SELECT_MFA_TYPE, then the chosen one.
	a.call("AdminSetUserMFAPreference", map[string]any{"UserPoolId": a.pool, "Username": "sam", "EmailMfaSettings": map[string]any{"Enabled": true}})
	session, params = a.challenge("sam", "SELECT_MFA_TYPE")
	if params["MFAS_CAN_CHOOSE"] != `["SMS_MFA","EMAIL_OTP"]` {
		t.Fatalf("MFAS_CAN_CHOOSE = %q", params["MFAS_CAN_CHOOSE"])
	}
	a.want("InvalidParameterException", "")(a.mfaAnswer("SELECT_MFA_TYPE", session, "sam", map[string]any{"ANSWER": "SOFTWARE_TOKEN_MFA"}))
	status, out := a.mfaAnswer("SELECT_MFA_TYPE", session, "sam", map[string]any{"ANSWER": "EMAIL_OTP"})
	cp := paramsOf(out["ChallengeParameters"])
	if status != http.StatusOK || out["ChallengeName"] != "EMAIL_OTP" || cp["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" || cp["CODE_DELIVERY_DESTINATION"] != "s***@e***" {
		t.Fatalf("after choosing EMAIL_OTP: %d %v", status, out)
	}
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.mfaAnswer("SELECT_MFA_TYPE", session, "sam", map[string]any{"ANSWER": "SMS_MFA"}))
	m, _ = a.sender.Last("sam", message.KindAuthentication)
	if m.Medium != message.MediumEmail || m.Destination != "sam@example.com" {
		t.Fatalf("email message: %+v", m)
	}
	// The SMS code of the earlier sign-in is no answer to EMAIL_OTP.
	a.want("InvalidParameterException", "Missing required parameter EMAIL_OTP_CODE")(a.mfaAnswer("EMAIL_OTP", out["Session"].(string), "sam", map[string]any{"SMS_MFA_CODE": m.Code}))
	access, _, _ = a.tokens(a.mfaAnswer("EMAIL_OTP", out["Session"].(string), "sam", map[string]any{"EMAIL_OTP_CODE": m.Code}))

	// A preferred factor is asked for directly.
	a.call("SetUserMFAPreference", map[string]any{"AccessToken": access, "EmailMfaSettings": map[string]any{"Enabled": true, "PreferredMfa": true}})
	a.challenge("sam", "EMAIL_OTP")
	user := a.call("AdminGetUser", map[string]any{"UserPoolId": a.pool, "Username": "sam"})
	if user["PreferredMfaSetting"] != mfaEmail || fmt.Sprint(user["UserMFASettingList"]) != "[SMS_MFA EMAIL_OTP]" || user["MFAOptions"] != nil {
		t.Fatalf("AdminGetUser: %v", user)
	}

	// An SMS or email code dies with its Session's time.
	session, _ = a.challenge("sam", "EMAIL_OTP")
	m, _ = a.sender.Last("sam", message.KindAuthentication)
	a.clock.Advance(3*time.Minute + time.Second)
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.mfaAnswer("EMAIL_OTP", session, "sam", map[string]any{"EMAIL_OTP_CODE": m.Code}))

	// Legacy settings: SetUserSettings turns SMS on and off, AdminGetUser shows MFAOptions.
	a.call("AdminSetUserMFAPreference", map[string]any{"UserPoolId": a.pool, "Username": "sam",
		"SMSMfaSettings": map[string]any{"Enabled": false}, "EmailMfaSettings": map[string]any{"Enabled": false}})
	a.tokens(a.passwordLogin("sam", testPassword))
	a.call("SetUserSettings", map[string]any{"AccessToken": access, "MFAOptions": []any{map[string]any{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}}})
	user = a.call("AdminGetUser", map[string]any{"UserPoolId": a.pool, "Username": "sam"})
	if fmt.Sprint(user["MFAOptions"]) != "[map[AttributeName:phone_number DeliveryMedium:SMS]]" || fmt.Sprint(user["UserMFASettingList"]) != "[SMS_MFA]" {
		t.Fatalf("after SetUserSettings: %v", user)
	}
	a.challenge("sam", "SMS_MFA")
	listed := a.call("ListUsers", map[string]any{"UserPoolId": a.pool})
	if fmt.Sprint(listed["Users"].([]any)[0].(map[string]any)["MFAOptions"]) != "[map[AttributeName:phone_number DeliveryMedium:SMS]]" {
		t.Fatalf("ListUsers MFAOptions: %v", listed)
	}
	a.wantErr("AdminSetUserSettings", map[string]any{"UserPoolId": a.pool, "Username": "sam", "MFAOptions": []any{map[string]any{"DeliveryMedium": "EMAIL", "AttributeName": "email"}}},
		"InvalidParameterException", "")
	a.call("AdminSetUserSettings", map[string]any{"UserPoolId": a.pool, "Username": "sam", "MFAOptions": []any{}})
	if user = a.call("AdminGetUser", map[string]any{"UserPoolId": a.pool, "Username": "sam"}); user["MFAOptions"] != nil || user["UserMFASettingList"] != nil {
		t.Fatalf("after AdminSetUserSettings []: %v", user)
	}
	a.tokens(a.passwordLogin("sam", testPassword))
}

func TestMfaRequired(t *testing.T) {
	// MFA ON with SMS: a user with a verified phone number gets SMS_MFA without turning it on.
	a := newAuthSetup(t, map[string]any{"MfaConfiguration": "ON",
		"SmsConfiguration": map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}}, passwordClient)
	a.mfaUser("pia", map[string]string{"phone_number": "+447700900123"})
	_, params := a.challenge("pia", "SMS_MFA")
	if params["CODE_DELIVERY_DESTINATION"] != "+********0123" {
		t.Fatalf("SMS_MFA parameters: %v", params)
	}
	// The admin flows meet the same challenge; the admin answer ends it.
	for _, flow := range []string{"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"} {
		out := a.call("AdminInitiateAuth", map[string]any{"UserPoolId": a.pool, "ClientId": a.client, "AuthFlow": flow,
			"AuthParameters": map[string]any{"USERNAME": "pia", "PASSWORD": testPassword}})
		if out["ChallengeName"] != mfaSMS || out["AuthenticationResult"] != nil {
			t.Fatalf("%s: %v", flow, out)
		}
		res := a.call("AdminRespondToAuthChallenge", map[string]any{"UserPoolId": a.pool, "ClientId": a.client, "ChallengeName": mfaSMS,
			"Session": out["Session"], "ChallengeResponses": map[string]any{"USERNAME": "pia", "SMS_MFA_CODE": a.lastCode("pia", message.KindAuthentication)}})
		if res["AuthenticationResult"] == nil {
			t.Fatalf("%s answer: %v", flow, res)
		}
	}
	// A user with no way to receive a code and no TOTP on offer cannot sign in.
	a.mfaUser("quinn", nil)
	a.want("MFAMethodNotFoundException", "")(a.passwordLogin("quinn", testPassword))

	// NEW_PASSWORD_REQUIRED is followed by the second factor.
	b := newAuthSetup(t, totpOnly, passwordClient)
	b.call("AdminCreateUser", map[string]any{"UserPoolId": b.pool, "Username": "rex", "TemporaryPassword": "Temp0rary!", "MessageAction": "SUPPRESS"})
	status, out := b.passwordLogin("rex", "Temp0rary!")
	if out["ChallengeName"] != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("temporary password sign-in: %d %v", status, out)
	}
	status, out = b.respond("NEW_PASSWORD_REQUIRED", map[string]any{"USERNAME": "rex", "NEW_PASSWORD": testPassword}, out["Session"].(string))
	if status != http.StatusOK || out["ChallengeName"] != "MFA_SETUP" {
		t.Fatalf("after NEW_PASSWORD_REQUIRED: %d %v", status, out)
	}
}

func TestMfaLockout(t *testing.T) {
	a := newAuthSetup(t, totpOnly, passwordClient)
	a.mfaUser("lou", nil)
	secret := a.setUpTotp("lou")
	a.clock.Advance(time.Minute)
	session, _ := a.challenge("lou", "SOFTWARE_TOKEN_MFA")
	bad := wrongCode(refTOTP(t, secret, a.clock.Now()))
	for range lockoutThreshold {
		a.want("CodeMismatchException", "Invalid code received for user")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": bad}))
	}
	// Locked: the right code is not even checked, and a right password does not reset it.
	good := map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(t, secret, a.clock.Now())}
	a.want("NotAuthorizedException", "Password attempts exceeded")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", good))
	a.want("NotAuthorizedException", "Password attempts exceeded")(a.passwordLogin("lou", testPassword))
	a.clock.Advance(2 * time.Second)
	a.want("CodeMismatchException", "")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": bad}))
	a.want("NotAuthorizedException", "Password attempts exceeded")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", good))
	a.clock.Advance(3 * time.Second)
	a.tokens(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", good))
	// A right second factor resets the count.
	a.clock.Advance(30 * time.Second)
	session, _ = a.challenge("lou", "SOFTWARE_TOKEN_MFA")
	a.want("CodeMismatchException", "")(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": bad}))
	a.tokens(a.mfaAnswer("SOFTWARE_TOKEN_MFA", session, "lou", map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(t, secret, a.clock.Now())}))
}

// TestMfaAnswerRace answers one challenge Session from many goroutines at once, with the right
// code: exactly one gets tokens.
func TestMfaAnswerRace(t *testing.T) {
	for _, factor := range []string{mfaTOTP, mfaSMS} {
		t.Run(factor, func(t *testing.T) {
			a := newAuthSetup(t, totpOnly, passwordClient)
			a.mfaUser("rae", nil)
			if factor == mfaSMS {
				a = newAuthSetup(t, map[string]any{"MfaConfiguration": "ON",
					"SmsConfiguration": map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}}, passwordClient)
				a.mfaUser("rae", map[string]string{"phone_number": "+12065550000"})
			}
			var code string
			if factor == mfaTOTP {
				secret := a.setUpTotp("rae")
				a.clock.Advance(time.Minute)
				code = refTOTP(t, secret, a.clock.Now())
			}
			session, _ := a.challenge("rae", factor)
			if factor == mfaSMS {
				code = a.lastCode("rae", message.KindAuthentication)
			}
			const n = 16
			var wg sync.WaitGroup
			results := make([]int, n)
			bodies := make([]map[string]any, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], bodies[i] = a.mfaAnswer(factor, session, "rae", map[string]any{mfaAnswerKey[factor]: code})
				}()
			}
			wg.Wait()
			won := 0
			for i := range n {
				switch {
				case results[i] == http.StatusOK && bodies[i]["AuthenticationResult"] != nil:
					won++
				case results[i] == http.StatusBadRequest:
				default:
					t.Errorf("answer %d: %d %v", i, results[i], bodies[i])
				}
			}
			if won != 1 {
				t.Fatalf("%d of %d racing answers got tokens, want 1", won, n)
			}
		})
	}
}

// TestMfaSecretHash: a client with a secret needs SECRET_HASH in MFA answers too.
func TestMfaSecretHash(t *testing.T) {
	in := map[string]any{"GenerateSecret": true}
	for k, v := range passwordClient {
		in[k] = v
	}
	a := newAuthSetup(t, totpOnly, in)
	a.mfaUser("sue", nil)
	session, _ := a.challenge("sue", "MFA_SETUP")
	assoc := a.call("AssociateSoftwareToken", map[string]any{"Session": session})
	ver := a.call("VerifySoftwareToken", map[string]any{"Session": assoc["Session"], "UserCode": refTOTP(t, assoc["SecretCode"].(string), a.clock.Now())})
	a.want("NotAuthorizedException", "Client "+a.client+" is configured with secret but SECRET_HASH was not received")(
		a.mfaAnswer("MFA_SETUP", ver["Session"].(string), "sue", map[string]any{}))
	a.want("NotAuthorizedException", "Unable to verify secret hash for client "+a.client)(
		a.mfaAnswer("MFA_SETUP", ver["Session"].(string), "sue", map[string]any{"SECRET_HASH": a.hash("someone")}))
	a.tokens(a.mfaAnswer("MFA_SETUP", ver["Session"].(string), "sue", map[string]any{"SECRET_HASH": a.hash("sue")}))
}
