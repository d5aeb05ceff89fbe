package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// mfaActions are the MFA actions of issue 15; the suite must drive each one successfully at
// least once through the AWS SDK.
var mfaActions = []string{
	"SetUserPoolMfaConfig", "GetUserPoolMfaConfig", "AssociateSoftwareToken", "VerifySoftwareToken",
	"SetUserMFAPreference", "AdminSetUserMFAPreference", "SetUserSettings", "AdminSetUserSettings",
}

// totpCode is RFC 6238 (HMAC-SHA-1, 6 digits, 30-second steps) computed here from the base32
// SecretCode, independently of the server's code.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("SecretCode %q is not unpadded base32: %v", secret, err)
	}
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(counter[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

// mfaChallenge requires out to be challenge want with a Session and USER_ID_FOR_SRP.
func mfaChallenge(t testing.TB, what string, name types.ChallengeNameType, session *string, params map[string]string, res *types.AuthenticationResultType, want types.ChallengeNameType) string {
	t.Helper()
	if name != want || res != nil || aws.ToString(session) == "" || params["USER_ID_FOR_SRP"] == "" {
		t.Fatalf("%s: challenge %q (tokens %v, params %v), want %s with a Session and USER_ID_FOR_SRP", what, name, res != nil, params, want)
	}
	return aws.ToString(session)
}

// passwordChallenge signs username in with USER_PASSWORD_AUTH and requires challenge want.
func (f *fixture) passwordChallenge(t testing.TB, username, password string, want types.ChallengeNameType) (string, map[string]string) {
	t.Helper()
	out := call(f.passwordAuth(username, password)).must(t)
	return mfaChallenge(t, "USER_PASSWORD_AUTH", out.ChallengeName, out.Session, out.ChallengeParameters, out.AuthenticationResult, want), out.ChallengeParameters
}

// answerMfa answers an MFA challenge through RespondToAuthChallenge.
func (f *fixture) answerMfa(challenge types.ChallengeNameType, session, username string, resp map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	resp["USERNAME"] = username
	return f.ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName: challenge, ClientId: aws.String(f.client), Session: aws.String(session),
		ChallengeResponses: f.withSecretHash(resp, username),
	})
}

// mfaTokens answers an MFA challenge and requires tokens.
func (f *fixture) mfaTokens(t testing.TB, challenge types.ChallengeNameType, session, username string, resp map[string]string) *types.AuthenticationResultType {
	t.Helper()
	out := call(f.answerMfa(challenge, session, username, resp)).must(t)
	if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.AccessToken) == "" {
		t.Fatalf("%s answer: no tokens (challenge %q)", challenge, out.ChallengeName)
	}
	return out.AuthenticationResult
}

// scnMfa: MFA through the AWS SDK (spec §13) — the pool's configuration, a software token set
// up with an access token and during sign-in (MFA_SETUP), SOFTWARE_TOKEN_MFA, SMS_MFA,
// EMAIL_OTP and SELECT_MFA_TYPE on USER_PASSWORD_AUTH, USER_SRP_AUTH and
// ADMIN_USER_PASSWORD_AUTH, codes by message, replayed codes, expired Sessions, lockout, the
// legacy settings, and racing answers to one Session. TOTP codes are computed by the test.
func scnMfa(t *testing.T, ep *Endpoint) {
	admin, public := ep.Admin(), ep.Public()
	f := newFixture(t, ep, nil, nil)

	// The pool's configuration.
	_, err := admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "ON"})
	wantErr(t, err, "InvalidParameterException", "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")
	_, err = admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OFF",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	wantErr(t, err, "InvalidParameterException", "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.")
	_, err = admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OPTIONAL",
		SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("no code here")}})
	wantErr(t, err, "InvalidParameterException", "")
	set := call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OPTIONAL",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		SmsMfaConfiguration:           &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Your code is {####}")},
		EmailMfaConfiguration:         &types.EmailMfaConfigType{Message: aws.String("Your code is {####}"), Subject: aws.String("Your code")},
	})).must(t)
	got := call(admin.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool)})).must(t)
	if set.MfaConfiguration != "OPTIONAL" || got.MfaConfiguration != "OPTIONAL" || got.SoftwareTokenMfaConfiguration == nil || !got.SoftwareTokenMfaConfiguration.Enabled ||
		got.SmsMfaConfiguration == nil || aws.ToString(got.SmsMfaConfiguration.SmsAuthenticationMessage) != "Your code is {####}" ||
		got.EmailMfaConfiguration == nil || aws.ToString(got.EmailMfaConfiguration.Subject) != "Your code" {
		t.Fatalf("GetUserPoolMfaConfig: %+v", got)
	}
	if d := call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)})).must(t).UserPool; d.MfaConfiguration != "OPTIONAL" {
		t.Fatalf("DescribeUserPool MfaConfiguration = %q", d.MfaConfiguration)
	}

	// OPTIONAL: a user with nothing turned on signs in without MFA, then sets up a token.
	user, pw := name("mfa-user"), "Passw0rd-mfa1!"
	phone, email := fmt.Sprintf("+1206555%04d", uniq%10000), user+"@example.com"
	f.createUser(t, user, pw, attr("email", email), attr("email_verified", "true"), attr("phone_number", phone), attr("phone_number_verified", "true"))
	access := f.tokens(t, user, pw).AccessToken
	_, err = public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}})
	wantErr(t, err, "InvalidParameterException", "User has not verified software token mfa")
	assoc := call(public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})).must(t)
	secret := aws.ToString(assoc.SecretCode)
	if len(secret) != 32 || assoc.Session != nil {
		t.Fatalf("AssociateSoftwareToken: secret %q, session %v", secret, assoc.Session)
	}
	_, err = public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(totpCode(t, secret, ep.Now().Add(-10*time.Minute)))})
	wantErr(t, err, "EnableSoftwareTokenMFAException", "")
	ver := call(public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access,
		UserCode: aws.String(totpCode(t, secret, ep.Now())), FriendlyDeviceName: aws.String("e2e phone")})).must(t)
	if ver.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("VerifySoftwareToken status %q", ver.Status)
	}
	call(public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})).must(t)
	me := call(public.GetUser(ctx, &cip.GetUserInput{AccessToken: access})).must(t)
	if aws.ToString(me.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" || !slices.Equal(me.UserMFASettingList, []string{"SOFTWARE_TOKEN_MFA"}) {
		t.Fatalf("GetUser MFA: preferred %q, list %v", aws.ToString(me.PreferredMfaSetting), me.UserMFASettingList)
	}

	// SOFTWARE_TOKEN_MFA on USER_PASSWORD_AUTH: the code used to verify is spent for its step.
	used := totpCode(t, secret, ep.Now())
	session, params := f.passwordChallenge(t, user, pw, "SOFTWARE_TOKEN_MFA")
	if params["FRIENDLY_DEVICE_NAME"] != "e2e phone" {
		t.Errorf("SOFTWARE_TOKEN_MFA parameters: %v", params)
	}
	_, err = f.answerMfa("SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": used})
	wantErr(t, err, "CodeMismatchException", "Invalid code received for user")
	ep.Advance(t, 30*time.Second)
	code := totpCode(t, secret, ep.Now())
	f.mfaTokens(t, "SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
	_, err = f.answerMfa("SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	// USER_SRP_AUTH: PASSWORD_VERIFIER, then the token; the code just used is refused.
	srpOut := call(f.srpSignIn(t, user, pw)).must(t)
	session = mfaChallenge(t, "USER_SRP_AUTH", srpOut.ChallengeName, srpOut.Session, srpOut.ChallengeParameters, srpOut.AuthenticationResult, "SOFTWARE_TOKEN_MFA")
	_, err = f.answerMfa("SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
	wantErr(t, err, "CodeMismatchException", "")
	ep.Advance(t, 30*time.Second)
	f.mfaTokens(t, "SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, ep.Now())})

	// ADMIN_USER_PASSWORD_AUTH through the admin pair.
	ain := call(admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})).must(t)
	session = mfaChallenge(t, "ADMIN_USER_PASSWORD_AUTH", ain.ChallengeName, ain.Session, ain.ChallengeParameters, ain.AuthenticationResult, "SOFTWARE_TOKEN_MFA")
	ep.Advance(t, 30*time.Second)
	aout := call(admin.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		ChallengeName: "SOFTWARE_TOKEN_MFA", Session: aws.String(session),
		ChallengeResponses: map[string]string{"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, ep.Now())}})).must(t)
	if aout.AuthenticationResult == nil {
		t.Fatal("AdminRespondToAuthChallenge SOFTWARE_TOKEN_MFA: no tokens")
	}

	// An expired Session.
	session, _ = f.passwordChallenge(t, user, pw, "SOFTWARE_TOKEN_MFA")
	ep.Advance(t, 3*time.Minute+time.Second)
	_, err = f.answerMfa("SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, ep.Now())})
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	// SMS_MFA, preferred by the administrator: the code goes out by SMS, masked in the challenge.
	call(admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(f.pool), Username: aws.String(user),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true}})).must(t)
	session, params = f.passwordChallenge(t, user, pw, "SMS_MFA")
	if params["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" || params["CODE_DELIVERY_DESTINATION"] != "+*******"+phone[len(phone)-4:] {
		t.Errorf("SMS_MFA parameters: %v", params)
	}
	m := lastMessage(t, ep, phone, "Authentication")
	if m.Medium != "SMS" || len(m.Code) != 6 {
		t.Fatalf("SMS_MFA message: %+v", m)
	}
	_, err = f.answerMfa("SMS_MFA", session, user, map[string]string{"SMS_MFA_CODE": otherCode(m.Code, 1)})
	wantErr(t, err, "CodeMismatchException", "Invalid code received for user")
	f.mfaTokens(t, "SMS_MFA", session, user, map[string]string{"SMS_MFA_CODE": m.Code})

	// Three factors, none preferred: SELECT_MFA_TYPE, then EMAIL_OTP by email.
	call(admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(f.pool), Username: aws.String(user),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}, EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true},
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}})).must(t)
	session, params = f.passwordChallenge(t, user, pw, "SELECT_MFA_TYPE")
	var choices []string
	if err := json.Unmarshal([]byte(params["MFAS_CAN_CHOOSE"]), &choices); err != nil || !slices.Equal(choices, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}) {
		t.Fatalf("MFAS_CAN_CHOOSE = %q", params["MFAS_CAN_CHOOSE"])
	}
	sel := call(f.answerMfa("SELECT_MFA_TYPE", session, user, map[string]string{"ANSWER": "EMAIL_OTP"})).must(t)
	session = mfaChallenge(t, "SELECT_MFA_TYPE answer", sel.ChallengeName, sel.Session, sel.ChallengeParameters, sel.AuthenticationResult, "EMAIL_OTP")
	if sel.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" || sel.ChallengeParameters["CODE_DELIVERY_DESTINATION"] != user[:1]+"***@e***" {
		t.Errorf("EMAIL_OTP parameters: %v", sel.ChallengeParameters)
	}
	m = lastMessage(t, ep, email, "Authentication")
	if m.Medium != "EMAIL" {
		t.Fatalf("EMAIL_OTP message: %+v", m)
	}
	f.mfaTokens(t, "EMAIL_OTP", session, user, map[string]string{"EMAIL_OTP_CODE": m.Code})
	au := f.adminGetUser(t, user)
	if !slices.Equal(au.UserMFASettingList, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}) || au.PreferredMfaSetting != nil {
		t.Errorf("AdminGetUser MFA: list %v, preferred %q", au.UserMFASettingList, aws.ToString(au.PreferredMfaSetting))
	}

	// Legacy settings: SetUserSettings with no option turns SMS off; AdminSetUserSettings on.
	call(public.SetUserSettings(ctx, &cip.SetUserSettingsInput{AccessToken: access, MFAOptions: []types.MFAOptionType{}})).must(t)
	call(admin.AdminSetUserSettings(ctx, &cip.AdminSetUserSettingsInput{UserPoolId: aws.String(f.pool), Username: aws.String(user),
		MFAOptions: []types.MFAOptionType{{DeliveryMedium: "SMS", AttributeName: aws.String("phone_number")}}})).must(t)
	au = f.adminGetUser(t, user)
	if len(au.MFAOptions) != 1 || au.MFAOptions[0].DeliveryMedium != "SMS" || aws.ToString(au.MFAOptions[0].AttributeName) != "phone_number" {
		t.Errorf("AdminGetUser MFAOptions: %+v", au.MFAOptions)
	}

	// Wrong codes count toward lockout; a right password does not reset that count.
	call(admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(f.pool), Username: aws.String(user),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})).must(t)
	session, _ = f.passwordChallenge(t, user, pw, "SOFTWARE_TOKEN_MFA")
	ep.Advance(t, 30*time.Second)
	good := totpCode(t, secret, ep.Now())
	for i := range 5 {
		_, err = f.answerMfa("SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": otherCode(good, i)})
		wantErr(t, err, "CodeMismatchException", "")
	}
	_, err = f.answerMfa("SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": good})
	wantErr(t, err, "NotAuthorizedException", "Password attempts exceeded")
	_, err = f.passwordAuth(user, pw)
	wantErr(t, err, "NotAuthorizedException", "Password attempts exceeded")
	ep.Advance(t, 2*time.Second)
	f.mfaTokens(t, "SOFTWARE_TOKEN_MFA", session, user, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": good})

	// MFA ON with a software token only: a new user sets one up during sign-in (MFA_SETUP).
	g := newFixture(t, ep, nil, nil)
	_, err = admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name("mfa-on")), MfaConfiguration: "ON"})
	wantErr(t, err, "InvalidParameterException", "")
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(g.pool), MfaConfiguration: "ON",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})).must(t)
	newbie := name("mfa-new")
	g.createUser(t, newbie, pw)
	session, params = g.passwordChallenge(t, newbie, pw, "MFA_SETUP")
	if params["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		t.Errorf("MFAS_CAN_SETUP = %q", params["MFAS_CAN_SETUP"])
	}
	as := call(public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(session)})).must(t)
	if aws.ToString(as.Session) == "" {
		t.Fatal("AssociateSoftwareToken with a Session answered none")
	}
	setupSecret := aws.ToString(as.SecretCode)
	vs := call(public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: as.Session, UserCode: aws.String(totpCode(t, setupSecret, ep.Now()))})).must(t)
	if vs.Status != types.VerifySoftwareTokenResponseTypeSuccess || aws.ToString(vs.Session) == "" {
		t.Fatalf("VerifySoftwareToken with a Session: %+v", vs)
	}
	g.mfaTokens(t, "MFA_SETUP", aws.ToString(vs.Session), newbie, map[string]string{})
	session, _ = g.passwordChallenge(t, newbie, pw, "SOFTWARE_TOKEN_MFA")

	// Racing answers to one Session with the right code: one token set.
	ep.Advance(t, 30*time.Second)
	code = totpCode(t, setupSecret, ep.Now())
	const n = 12
	var wg sync.WaitGroup
	results := make([]error, n)
	won := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := g.answerMfa("SOFTWARE_TOKEN_MFA", session, newbie, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
			results[i], won[i] = err, err == nil && out.AuthenticationResult != nil
		}()
	}
	wg.Wait()
	wins := 0
	for i := range n {
		if won[i] {
			wins++
		} else if results[i] != nil {
			wantErrIn(t, results[i], "NotAuthorizedException", "CodeMismatchException", "ConcurrentModificationException")
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d racing answers got tokens, want 1", wins, n)
	}
}
