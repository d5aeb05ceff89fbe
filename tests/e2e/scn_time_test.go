package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
)

const (
	wrongPassword = "Incorrect username or password."
	lockedOut     = "Password attempts exceeded"
)

// scnLockout: after 5 consecutive failures sign-in is refused (even with the right password)
// until lastFailure + 2^(n−5) s, capped at 15 minutes; a success resets the count (spec §2.6).
func scnLockout(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "tom", "Passw0rd-tom")
	fail := func() error { _, err := f.passwordAuth("tom", "Passw0rd-bad"); return err }
	good := func() error { _, err := f.passwordAuth("tom", "Passw0rd-tom"); return err }

	for i := 1; i <= 5; i++ {
		wantErr(t, fail(), "NotAuthorizedException", wrongPassword)
	}
	// Locked for 1 s after the 5th failure: the right password is refused too, by every flow.
	wantErr(t, good(), "NotAuthorizedException", lockedOut)
	_, err := f.srpSignIn(t, "tom", "Passw0rd-tom")
	wantErr(t, err, "NotAuthorizedException", lockedOut)

	ep.Advance(t, 1500*time.Millisecond)
	// The 6th failure locks for 2 s.
	wantErr(t, fail(), "NotAuthorizedException", wrongPassword)
	ep.Advance(t, 1500*time.Millisecond)
	wantErr(t, good(), "NotAuthorizedException", lockedOut)
	ep.Advance(t, time.Second)
	ok(t, good())

	// The success reset the count: five more failures before a lock.
	for i := 1; i <= 5; i++ {
		wantErr(t, fail(), "NotAuthorizedException", wrongPassword)
	}
	wantErr(t, good(), "NotAuthorizedException", lockedOut)

	// Keep failing after each lock expires: 2^(n−5) s grows past 15 min and is capped there.
	for n := 6; n <= 16; n++ {
		ep.Advance(t, 16*time.Minute)
		wantErr(t, fail(), "NotAuthorizedException", wrongPassword)
	}
	ep.Advance(t, 14*time.Minute)
	wantErr(t, good(), "NotAuthorizedException", lockedOut)
	ep.Advance(t, time.Minute+time.Second)
	ok(t, good())

	// Wrong SRP proofs count toward the lockout too.
	for i := 1; i <= 5; i++ {
		_, err := f.srpSignIn(t, "tom", "Passw0rd-bad")
		wantErr(t, err, "NotAuthorizedException", wrongPassword)
	}
	wantErr(t, good(), "NotAuthorizedException", lockedOut)
	ep.Advance(t, 2*time.Second)
	ok(t, good())

	// ChangePassword's PreviousPassword counts toward the lockout too.
	tok := f.tokens(t, "tom", "Passw0rd-tom").AccessToken
	for i := 1; i <= 5; i++ {
		_, err := ep.Public().ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String("Passw0rd-bad"), ProposedPassword: aws.String("Passw0rd-next")})
		wantErr(t, err, "NotAuthorizedException", "")
	}
	wantErr(t, good(), "NotAuthorizedException", lockedOut)
}

// scnExpiry: code expiry (24 h sign-up, 1 h forgot), access/ID token expiry, refresh-token
// expiry, temporary-password expiry and challenge Session expiry, all by the server's clock.
func scnExpiry(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pub := ep.Public()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.Policies.PasswordPolicy.TemporaryPasswordValidityDays = 1
	}, func(in *cip.CreateUserPoolClientInput) {
		in.AccessTokenValidity = aws.Int32(5)
		in.IdTokenValidity = aws.Int32(10)
		in.RefreshTokenValidity = 60
		in.TokenValidityUnits = &types.TokenValidityUnitsType{AccessToken: "minutes", IdToken: "minutes", RefreshToken: "minutes"}
	})

	// Sign-up code: valid 24 h.
	call(pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("uma"), Password: aws.String("Passw0rd-uma"),
		UserAttributes: []types.AttributeType{attr("email", "uma@example.com")}})).must(t)
	code := lastMessage(t, ep, "uma@example.com", message.KindSignUp).Code
	ep.Advance(t, 24*time.Hour+time.Minute)
	_, err := pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("uma"), ConfirmationCode: aws.String(code)})
	wantErr(t, err, "ExpiredCodeException", "Invalid code provided, please request a code again.")
	call(pub.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.client), Username: aws.String("uma")})).must(t)
	code = lastMessage(t, ep, "uma@example.com", message.KindResendCode, message.KindSignUp).Code
	ep.Advance(t, 23*time.Hour)
	_, err = pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("uma"), ConfirmationCode: aws.String(code)})
	ok(t, err)

	// Forgot-password code: valid 1 h.
	call(pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("uma")})).must(t)
	code = lastMessage(t, ep, "uma@example.com", message.KindForgotPassword).Code
	ep.Advance(t, 61*time.Minute)
	_, err = pub.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("uma"),
		ConfirmationCode: aws.String(code), Password: aws.String("Passw0rd-uma2")})
	wantErr(t, err, "ExpiredCodeException", "")

	// Token lifetimes follow the client's validities and units.
	signedIn := ep.Now().Unix()
	res := f.tokens(t, "uma", "Passw0rd-uma")
	if res.ExpiresIn != 300 {
		t.Errorf("ExpiresIn = %d, want 300 (5 minutes)", res.ExpiresIn)
	}
	if c := claims(t, aws.ToString(res.AccessToken)); num(t, c, "exp") != signedIn+300 {
		t.Errorf("access exp = %v, want iat+300", c["exp"])
	}
	if c := claims(t, aws.ToString(res.IdToken)); num(t, c, "exp") != signedIn+600 {
		t.Errorf("id exp = %v, want iat+600", c["exp"])
	}
	ep.Advance(t, 4*time.Minute)
	call(pub.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})).must(t)
	ep.Advance(t, 2*time.Minute)
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has expired")
	// The refresh token (60 min) still works, then expires.
	refresh := func() error {
		_, err := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
		return err
	}
	ok(t, refresh())
	ep.Advance(t, 55*time.Minute)
	wantErr(t, refresh(), "NotAuthorizedException", "")
	_, err = pub.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.client), RefreshToken: res.RefreshToken})
	wantErr(t, err, "NotAuthorizedException", "")

	// Temporary password: valid TemporaryPasswordValidityDays (1).
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("vic"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS"})).must(t)
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("wes"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS"})).must(t)
	ep.Advance(t, 23*time.Hour)
	out := call(f.passwordAuth("wes", "Temp-Passw0rd")).must(t)
	if out.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Errorf("temporary password within validity: challenge %q", out.ChallengeName)
	}
	ep.Advance(t, 2*time.Hour)
	_, err = f.passwordAuth("vic", "Temp-Passw0rd")
	wantErr(t, err, "NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
	_, err = f.srpSignIn(t, "vic", "Temp-Passw0rd")
	wantErr(t, err, "NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
	ok(t, f.adminSetPassword("vic", "Temp-Passw0rd2", false))
	out = call(f.passwordAuth("vic", "Temp-Passw0rd2")).must(t)
	if out.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Errorf("after a new temporary password: challenge %q", out.ChallengeName)
	}

	// Challenge Session: AuthSessionValidity minutes (default 3).
	ep.Advance(t, 3*time.Minute+time.Second)
	_, err = pub.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(f.client), ChallengeName: "NEW_PASSWORD_REQUIRED",
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "vic", "NEW_PASSWORD": "New-Passw0rd"}})
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	// SECRET_BLOCK: 5 minutes.
	f.createUser(t, "xena", "Passw0rd-xena")
	ch, err := f.srpStart(t, "xena")
	ok(t, err)
	ep.Advance(t, 4*time.Minute)
	ch2, err := f.srpStart(t, "xena")
	ok(t, err)
	ep.Advance(t, 2*time.Minute)
	_, err = f.srpRespond(t, ch, "Passw0rd-xena", srp.FormatTimestamp(ep.Now()))
	wantErr(t, err, "NotAuthorizedException", "")
	call(f.srpRespond(t, ch2, "Passw0rd-xena", srp.FormatTimestamp(ep.Now()))).must(t)
}
