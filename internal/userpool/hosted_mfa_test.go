package userpool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// wantAWS fails unless err is an awsjson error of type typ.
func wantAWS(t *testing.T, err error, typ awsjson.Type, what string) {
	t.Helper()
	if !errors.Is(err, typ) {
		t.Fatalf("%s: %v, want %s", what, err, typ)
	}
}

// TestHostedSecondFactor: the pages' sign-in asks for the second factor the JSON API would
// (MFA_SETUP here, after NEW_PASSWORD_REQUIRED too), sets a token up through the Session
// bound to its own client, answers without USERNAME, and each Session serves once.
func TestHostedSecondFactor(t *testing.T) {
	a := newAuthSetup(t, totpOnly, passwordClient)
	ctx := context.Background()
	p, c, err := a.svc.HostedClient(ctx, a.client)
	if err != nil {
		t.Fatal(err)
	}
	otherID, _ := a.createClient(a.pool, passwordClient)
	_, other, err := a.svc.HostedClient(ctx, otherID)
	if err != nil {
		t.Fatal(err)
	}
	a.mfaUser("tess", nil)
	res, err := a.svc.HostedSignIn(ctx, p, c, "tess", testPassword)
	if err != nil || res.User != nil || res.Challenge != "MFA_SETUP" || res.Session == "" || res.ChallengeParameters["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		t.Fatalf("HostedSignIn: %+v %v", res, err)
	}
	_, err = a.svc.HostedAssociateSoftwareToken(ctx, p, other, res.Session)
	wantAWS(t, err, awsjson.ErrNotAuthorized, "another client's Session")
	_, err = a.svc.HostedAnswerMFA(ctx, p, c, "MFA_SETUP", res.Session, nil)
	wantAWS(t, err, awsjson.ErrNotAuthorized, "MFA_SETUP before the token is verified")
	assoc, err := a.svc.HostedAssociateSoftwareToken(ctx, p, c, res.Session)
	if err != nil || len(assoc.SecretCode) != 32 || assoc.Session == "" {
		t.Fatalf("HostedAssociateSoftwareToken: %+v %v", assoc, err)
	}
	good := refTOTP(t, assoc.SecretCode, a.clock.Now())
	_, err = a.svc.HostedVerifySoftwareToken(ctx, p, c, assoc.Session, wrongCode(good))
	wantAWS(t, err, awsjson.ErrEnableSoftwareTokenMFA, "wrong set-up code")
	verified, err := a.svc.HostedVerifySoftwareToken(ctx, p, c, assoc.Session, good)
	if err != nil || verified == "" {
		t.Fatalf("HostedVerifySoftwareToken: %q %v", verified, err)
	}
	_, err = a.svc.HostedAnswerMFA(ctx, p, c, "NEW_PASSWORD_REQUIRED", verified, nil)
	wantAWS(t, err, awsjson.ErrInvalidParameter, "a challenge that is no second factor")
	done, err := a.svc.HostedAnswerMFA(ctx, p, c, "MFA_SETUP", verified, nil)
	if err != nil || done.User == nil || done.User.Username != "tess" {
		t.Fatalf("HostedAnswerMFA MFA_SETUP: %+v %v", done, err)
	}
	_, err = a.svc.HostedAnswerMFA(ctx, p, c, "MFA_SETUP", verified, nil)
	wantAWS(t, err, awsjson.ErrNotAuthorized, "a spent Session")

	// Next sign-in: the app's code, answered without USERNAME on the pages; the JSON API
	// still wants it.
	a.clock.Advance(30 * time.Second)
	res, err = a.svc.HostedSignIn(ctx, p, c, "tess", testPassword)
	if err != nil || res.Challenge != mfaTOTP {
		t.Fatalf("second sign-in: %+v %v", res, err)
	}
	code := refTOTP(t, assoc.SecretCode, a.clock.Now())
	a.want("InvalidParameterException", "Missing required parameter USERNAME")(a.respond(mfaTOTP, map[string]any{"SOFTWARE_TOKEN_MFA_CODE": code}, res.Session))
	done, err = a.svc.HostedAnswerMFA(ctx, p, c, mfaTOTP, res.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
	if err != nil || done.User == nil || done.User.Username != "tess" {
		t.Fatalf("HostedAnswerMFA TOTP: %+v %v", done, err)
	}

	// A temporary password first, then the second factor.
	a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": "nina", "MessageAction": "SUPPRESS", "TemporaryPassword": testPassword})
	res, err = a.svc.HostedSignIn(ctx, p, c, "nina", testPassword)
	if err != nil || res.Challenge != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("nina's sign-in: %+v %v", res, err)
	}
	res, err = a.svc.HostedNewPassword(ctx, p, c, res.Session, "An0ther-passw0rd!", nil)
	if err != nil || res.User != nil || res.Challenge != "MFA_SETUP" {
		t.Fatalf("HostedNewPassword: %+v %v", res, err)
	}
}
