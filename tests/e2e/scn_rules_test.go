package e2e

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/poolgate/poolgate/internal/message"
)

// otherCode returns a 6-digit code different from code.
func otherCode(code string, i int) string {
	c := []byte("000000")
	c[5] = byte('0' + i%10)
	c[4] = byte('0' + (i/10)%10)
	if string(c) == code {
		c[0] = '9'
	}
	return string(c)
}

// scnCodeAttempts: a 6-digit code cannot be brute-forced: after a few wrong guesses it is void.
func scnCodeAttempts(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	call(pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("guess"), Password: aws.String("Passw0rd-guess"),
		UserAttributes: []types.AttributeType{attr("email", "guess@example.com")}})).must(t)
	code := lastMessage(t, ep, "guess@example.com", message.KindSignUp).Code
	confirm := func(c string) error {
		_, err := pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("guess"), ConfirmationCode: aws.String(c)})
		return err
	}
	limited := false
	for i := 0; i < 10; i++ {
		err := confirm(otherCode(code, i))
		wantErrIn(t, err, "CodeMismatchException", "TooManyFailedAttemptsException", "LimitExceededException")
		limited = limited || !isCode(err, "CodeMismatchException")
	}
	if !limited {
		t.Errorf("ConfirmSignUp: 10 wrong codes and never TooManyFailedAttempts/LimitExceeded")
	}
	if err := confirm(code); err == nil {
		t.Errorf("ConfirmSignUp: the right code still works after 10 wrong guesses (brute-forceable)")
	}
	call(pub.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.client), Username: aws.String("guess")})).must(t)
	ok(t, confirm(lastMessage(t, ep, "guess@example.com", message.KindResendCode, message.KindSignUp).Code))

	// The same for forgot-password codes.
	call(pub.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("guess")})).must(t)
	code = lastMessage(t, ep, "guess@example.com", message.KindForgotPassword).Code
	reset := func(c string) error {
		_, err := pub.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("guess"),
			ConfirmationCode: aws.String(c), Password: aws.String("Passw0rd-reset")})
		return err
	}
	limited = false
	for i := 0; i < 10; i++ {
		err := reset(otherCode(code, i))
		wantErrIn(t, err, "CodeMismatchException", "TooManyFailedAttemptsException", "LimitExceededException")
		limited = limited || !isCode(err, "CodeMismatchException")
	}
	if !limited {
		t.Errorf("ConfirmForgotPassword: 10 wrong codes and never TooManyFailedAttempts/LimitExceeded")
	}
	if err := reset(code); err == nil {
		t.Errorf("ConfirmForgotPassword: the right code still works after 10 wrong guesses (brute-forceable)")
	}
	f.tokens(t, "guess", "Passw0rd-guess")
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// scnPoolRules: schema constraints, required attributes, password history, MFA settings and
// client ReadAttributes, as the pool and client settings say.
func scnPoolRules(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pub := ep.Public()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.Policies.PasswordPolicy.PasswordHistorySize = aws.Int32(2)
		in.Schema = []types.SchemaAttributeType{
			{Name: aws.String("name"), AttributeDataType: "String", Required: aws.Bool(true), Mutable: aws.Bool(true)},
			{Name: aws.String("tier"), AttributeDataType: "String", Mutable: aws.Bool(true),
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("1"), MaxLength: aws.String("4")}},
			{Name: aws.String("age"), AttributeDataType: "Number", Mutable: aws.Bool(true),
				NumberAttributeConstraints: &types.NumberAttributeConstraintsType{MinValue: aws.String("0"), MaxValue: aws.String("150")}},
			{Name: aws.String("badge"), AttributeDataType: "String", Mutable: aws.Bool(false)},
		}
	}, nil)
	p := aws.String(f.pool)

	// Required attribute on SignUp.
	_, err := pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("noname"), Password: aws.String("Passw0rd-x"),
		UserAttributes: []types.AttributeType{attr("email", "noname@example.com")}})
	wantErr(t, err, "InvalidParameterException", "")

	f.createUser(t, "rules", "Passw0rd-one", attr("name", "Rules"), attr("custom:badge", "b1"))
	for _, bad := range [][]types.AttributeType{
		{attr("custom:tier", "toolong")},
		{attr("custom:age", "abc")},
		{attr("custom:age", "151")},
		{attr("custom:badge", "b2")}, // immutable
		{attr("custom:unknown", "x")},
		{attr("email", "not-an-email")},
	} {
		_, err := admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String("rules"), UserAttributes: bad})
		if err == nil {
			t.Errorf("AdminUpdateUserAttributes %s=%s accepted", aws.ToString(bad[0].Name), aws.ToString(bad[0].Value))
			continue
		}
		wantErr(t, err, "InvalidParameterException", "")
	}
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String("rules"),
		UserAttributes: []types.AttributeType{attr("custom:tier", "gold"), attr("custom:age", "42")}})
	ok(t, err)
	_, err = admin.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: p, Username: aws.String("rules"), UserAttributeNames: []string{"name"}})
	wantErr(t, err, "InvalidParameterException", "")

	// Password history: the last 2 passwords cannot be reused.
	tok := f.tokens(t, "rules", "Passw0rd-one").AccessToken
	change := func(prev, next string) error {
		_, err := pub.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String(prev), ProposedPassword: aws.String(next)})
		return err
	}
	ok(t, change("Passw0rd-one", "Passw0rd-two"))
	wantErr(t, change("Passw0rd-two", "Passw0rd-one"), "PasswordHistoryPolicyViolationException", "")
	wantErr(t, change("Passw0rd-two", "Passw0rd-two"), "PasswordHistoryPolicyViolationException", "")
	ok(t, change("Passw0rd-two", "Passw0rd-three"))

	// Client ReadAttributes limit the ID token's attribute claims.
	rc := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) { in.ReadAttributes = []string{"email", "custom:tier"} })
	fr := &fixture{ep: ep, pool: f.pool, client: aws.ToString(rc.ClientId)}
	c := claims(t, aws.ToString(fr.tokens(t, "rules", "Passw0rd-three").IdToken))
	if _, has := c["name"]; has {
		t.Errorf("ID token for a client with ReadAttributes [email custom:tier] carries name: %v", c)
	}
	if c["custom:tier"] != "gold" {
		t.Errorf("ID token custom:tier = %v, want gold", c["custom:tier"])
	}
	if c["custom:age"] != nil {
		t.Errorf("ID token carries unreadable custom:age %v", c["custom:age"])
	}
	full := claims(t, aws.ToString(f.tokens(t, "rules", "Passw0rd-three").IdToken))
	if full["custom:age"] != "42" {
		t.Errorf("custom:age claim = %#v, want the string \"42\" (spec §5.2: custom attributes are strings)", full["custom:age"])
	}

	// MFA: OPTIONAL signs in (no user has MFA); ON must never hand out tokens without MFA.
	for _, mfa := range []types.UserPoolMfaType{"OPTIONAL", "ON"} {
		in := &cip.CreateUserPoolInput{PoolName: aws.String(name("mfa")), MfaConfiguration: mfa}
		out, err := admin.CreateUserPool(ctx, in)
		if err != nil {
			wantErrIn(t, err, "InvalidParameterException", "InvalidSmsRoleAccessPolicyException")
			continue
		}
		mf := &fixture{ep: ep, pool: aws.ToString(out.UserPool.Id)}
		mf.client = aws.ToString(newClient(t, ep, mf.pool, nil).ClientId)
		mf.createUser(t, "mfa", "Passw0rd-mfa1!")
		res, err := mf.passwordAuth("mfa", "Passw0rd-mfa1!")
		switch mfa {
		case "OPTIONAL":
			if err != nil || res.AuthenticationResult == nil {
				t.Errorf("MFA OPTIONAL pool: sign-in without MFA set up: %v", err)
			}
		case "ON":
			if err == nil && res.AuthenticationResult != nil {
				t.Errorf("MFA ON pool handed out tokens without MFA")
			} else if err != nil {
				wantErrIn(t, err, "NotAuthorizedException", "InvalidParameterException", "InvalidUserPoolConfigurationException", "MFAMethodNotFoundException")
			}
		}
	}
}
