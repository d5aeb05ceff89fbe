package userpool

import (
	"context"
	"testing"
)

// FuzzMfaAnswers feeds outside input to the MFA challenge answers and to the software-token
// calls that take an MFA_SETUP Session: whatever the Session, code and name, the answer is a
// client error. It seeds with real Sessions of each challenge, then disables the user (see
// auth_fuzz_test.go for why).
func FuzzMfaAnswers(f *testing.F) {
	a := newAuthSetup(f, map[string]any{"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true},
		"SmsConfiguration": map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}}, passwordClient)
	a.mfaUser("fuzz", map[string]string{"phone_number": "+12065551234"})
	a.call("AdminSetUserMFAPreference", map[string]any{"UserPoolId": a.pool, "Username": "fuzz", "SMSMfaSettings": map[string]any{"Enabled": true}})
	smsSession, _ := a.challenge("fuzz", "SMS_MFA")
	code := a.lastCode("fuzz", "Authentication")
	b := newAuthSetup(f, totpOnly, passwordClient)
	b.mfaUser("fuzz", nil)
	setupSession, _ := b.challenge("fuzz", "MFA_SETUP")
	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "fuzz"})
	b.call("AdminDisableUser", map[string]any{"UserPoolId": b.pool, "Username": "fuzz"})
	f.Add(uint8(0), smsSession, code, "fuzz")
	f.Add(uint8(1), setupSession, "123456", "fuzz")
	f.Add(uint8(2), smsSession+"A", "", "")
	f.Add(uint8(3), "not base64!", "SMS_MFA", "fuzz")
	f.Add(uint8(4), "", "\x00", "fuzz")

	ctx := context.Background()
	p, c, err := a.svc.clientByID(ctx, a.client)
	if err != nil {
		f.Fatal(err)
	}
	challenges := []string{mfaSMS, mfaTOTP, mfaEmail, "SELECT_MFA_TYPE", "MFA_SETUP"}
	f.Fuzz(func(t *testing.T, which uint8, session, code, username string) {
		ch := challenges[int(which)%len(challenges)]
		resp := map[string]string{"USERNAME": username, "ANSWER": code}
		for _, k := range mfaAnswerKey {
			resp[k] = code
		}
		_, err := a.svc.respond(ctx, p, c, ch, session, resp)
		wantClientError(t, ch, err)
		_, err = a.svc.associateSoftwareToken(ctx, &AssociateSoftwareTokenInput{Session: session})
		wantClientError(t, "AssociateSoftwareToken", err)
		_, err = a.svc.verifySoftwareToken(ctx, &VerifySoftwareTokenInput{Session: session, UserCode: code})
		wantClientError(t, "VerifySoftwareToken", err)
	})
}
