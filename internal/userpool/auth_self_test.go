package userpool

import (
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

func TestAuthForgotPassword(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUp("vera", "vera@example.com")
	// Unconfirmed: the email is not verified, so there is nowhere to send a code.
	a.wantErr("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "vera"}, "InvalidParameterException",
		"Cannot reset password for the user as there is no registered/verified email or phone_number")
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "vera",
		"ConfirmationCode": a.lastCode("vera", message.KindSignUp)})

	// Some failures first, so the reset can be seen to clear lockout.
	for range 5 {
		a.want("NotAuthorizedException", "")(a.passwordLogin("vera", "Wr0ng-pass"))
	}
	out := a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "vera"})
	if d := paramsOf(out["CodeDeliveryDetails"]); d["AttributeName"] != "email" || d["Destination"] != message.Mask("vera@example.com", "EMAIL") {
		t.Fatalf("ForgotPassword: %v", out)
	}
	code := a.lastCode("vera", message.KindForgotPassword)
	confirm := func(code, password string) map[string]any {
		return map[string]any{"ClientId": a.client, "Username": "vera", "ConfirmationCode": code, "Password": password}
	}
	a.wantErr("ConfirmForgotPassword", confirm(code, "short"), "InvalidParameterException", "")
	a.wantErr("ConfirmForgotPassword", confirm(code, "nouppercase1!"), "InvalidPasswordException", "")
	a.wantErr("ConfirmForgotPassword", confirm("999999x", "N3w-Password"), "CodeMismatchException",
		"Invalid verification code provided, please try again.")
	a.call("ConfirmForgotPassword", confirm(code, "N3w-Password"))
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("vera", testPassword))
	a.tokens(a.passwordLogin("vera", "N3w-Password"))
	// The code was single use.
	a.wantErr("ConfirmForgotPassword", confirm(code, "An0ther-Password"), "CodeMismatchException", "")

	// Reset codes live one hour.
	a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "vera"})
	code = a.lastCode("vera", message.KindForgotPassword)
	a.clock.Advance(time.Hour)
	a.wantErr("ConfirmForgotPassword", confirm(code, "An0ther-Password"), "ExpiredCodeException",
		"Invalid code provided, please request a code again.")

	// Five wrong guesses void the code.
	a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "vera"})
	code = a.lastCode("vera", message.KindForgotPassword)
	for i := range 5 {
		want := "CodeMismatchException"
		if i == 4 {
			want = "TooManyFailedAttemptsException"
		}
		a.wantErr("ConfirmForgotPassword", confirm("00000"+string(rune('a'+i)), "An0ther-Password"), want, "")
	}
	a.wantErr("ConfirmForgotPassword", confirm(code, "An0ther-Password"), "TooManyFailedAttemptsException", "")
	a.tokens(a.passwordLogin("vera", "N3w-Password"))
}

func TestAuthSignUpRules(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	base := func(username string) map[string]any {
		return map[string]any{"ClientId": a.client, "Username": username, "Password": testPassword,
			"UserAttributes": []map[string]any{{"Name": "email", "Value": username + "@example.com"}}}
	}
	a.signUp("walt", "walt@example.com")
	a.wantErr("SignUp", base("walt"), "UsernameExistsException", "User already exists")
	a.wantErr("SignUp", base("with space"), "InvalidParameterException", "")
	in := base("xena")
	in["Password"] = "abc"
	a.wantErr("SignUp", in, "InvalidParameterException", "")
	in["Password"] = "alllowercase1!"
	a.wantErr("SignUp", in, "InvalidPasswordException", "")
	in["Password"] = testPassword
	in["UserAttributes"] = []map[string]any{{"Name": "custom:nope", "Value": "x"}}
	a.wantErr("SignUp", in, "InvalidParameterException", "")

	// ResendConfirmationCode sends a fresh code; the old one stops working.
	old := a.lastCode("walt", message.KindSignUp)
	out := a.call("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "walt"})
	if paramsOf(out["CodeDeliveryDetails"])["AttributeName"] != "email" {
		t.Fatalf("ResendConfirmationCode: %v", out)
	}
	fresh := a.lastCode("walt", message.KindResendCode)
	if old != fresh {
		a.wantErr("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "walt", "ConfirmationCode": old},
			"CodeMismatchException", "")
	}
	// Sign-up codes live 24 hours.
	a.clock.Advance(24 * time.Hour)
	a.wantErr("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "walt", "ConfirmationCode": fresh},
		"ExpiredCodeException", "")
	a.call("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "walt"})
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "walt",
		"ConfirmationCode": a.lastCode("walt", message.KindResendCode)})
	a.wantErr("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "walt"}, "InvalidParameterException", "")

	// Without AutoVerifiedAttributes no code is sent and an admin confirms.
	b := newAuthSetup(t, map[string]any{"AutoVerifiedAttributes": []string{}}, nil)
	out = b.signUp("yann", "yann@example.com")
	if _, ok := out["CodeDeliveryDetails"]; ok || len(b.sender.Messages()) != 0 {
		t.Fatalf("SignUp without auto-verification: %v", out)
	}
	b.call("AdminConfirmSignUp", map[string]any{"UserPoolId": b.pool, "Username": "yann"})
	b.tokens(b.srpLogin("yann", testPassword))

	// Admin-only pools refuse SignUp.
	c := newAuthSetup(t, map[string]any{"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true}}, nil)
	c.wantErr("SignUp", base("zoe"), "NotAuthorizedException", "SignUp is not permitted for this user pool")
}

func TestAuthAttributeVerification(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email"}}, passwordClient)
	a.signUpConfirmed("abby", "abby@example.com")
	a.signUpConfirmed("bert", "bert@example.com")
	access, _, _ := a.tokens(a.passwordLogin("abby@example.com", testPassword)) // by verified alias

	out := a.call("UpdateUserAttributes", map[string]any{"AccessToken": access, "UserAttributes": []map[string]any{
		{"Name": "email", "Value": "abby@new.example.com"}, {"Name": "given_name", "Value": "Abby"}}})
	list, _ := out["CodeDeliveryDetailsList"].([]any)
	if len(list) != 1 || paramsOf(list[0])["AttributeName"] != "email" {
		t.Fatalf("CodeDeliveryDetailsList: %v", out)
	}
	u := a.user(a.pool, "abby")
	if u.Attributes["email"] != "abby@new.example.com" || u.Attributes["email_verified"] != "false" || u.Attributes["given_name"] != "Abby" {
		t.Fatalf("after update: %v", u.Attributes)
	}
	// The unverified email names nobody; the old one no longer names abby.
	a.want("UserNotFoundException", "")(a.passwordLogin("abby@new.example.com", testPassword))
	a.want("UserNotFoundException", "")(a.passwordLogin("abby@example.com", testPassword))

	verify := func(code string) map[string]any {
		return map[string]any{"AccessToken": access, "AttributeName": "email", "Code": code}
	}
	a.wantErr("VerifyUserAttribute", verify("000000x"), "CodeMismatchException", "")
	a.call("VerifyUserAttribute", verify(a.lastCode("abby", message.KindVerifyAttribute)))
	if a.user(a.pool, "abby").Attributes["email_verified"] != "true" {
		t.Fatal("email not verified")
	}
	a.tokens(a.passwordLogin("abby@new.example.com", testPassword))

	// Another user verifying the same email gets AliasExistsException.
	bertAccess, _, _ := a.tokens(a.passwordLogin("bert", testPassword))
	a.call("UpdateUserAttributes", map[string]any{"AccessToken": bertAccess, "UserAttributes": []map[string]any{
		{"Name": "email", "Value": "abby@new.example.com"}}})
	a.wantErr("VerifyUserAttribute", map[string]any{"AccessToken": bertAccess, "AttributeName": "email",
		"Code": a.lastCode("bert", message.KindVerifyAttribute)}, "AliasExistsException", "")

	// A code asked for explicitly, then voided by a change of the address.
	a.call("GetUserAttributeVerificationCode", map[string]any{"AccessToken": bertAccess, "AttributeName": "email"})
	code := a.lastCode("bert", message.KindVerifyAttribute)
	a.call("UpdateUserAttributes", map[string]any{"AccessToken": bertAccess, "UserAttributes": []map[string]any{
		{"Name": "email", "Value": "bert@other.example.com"}}})
	a.wantErr("VerifyUserAttribute", map[string]any{"AccessToken": bertAccess, "AttributeName": "email", "Code": code},
		"CodeMismatchException", "")
	a.wantErr("GetUserAttributeVerificationCode", map[string]any{"AccessToken": bertAccess, "AttributeName": "given_name"},
		"InvalidParameterException", "")
	// The same for an attribute the pool does not verify by itself (no new code replaces it).
	a.call("UpdateUserAttributes", map[string]any{"AccessToken": bertAccess, "UserAttributes": []map[string]any{
		{"Name": "phone_number", "Value": "+15550100"}}})
	a.call("GetUserAttributeVerificationCode", map[string]any{"AccessToken": bertAccess, "AttributeName": "phone_number"})
	code = a.lastCode("bert", message.KindVerifyAttribute)
	a.call("UpdateUserAttributes", map[string]any{"AccessToken": bertAccess, "UserAttributes": []map[string]any{
		{"Name": "phone_number", "Value": "+15550199"}}})
	a.wantErr("VerifyUserAttribute", map[string]any{"AccessToken": bertAccess, "AttributeName": "phone_number", "Code": code},
		"CodeMismatchException", "")
	a.call("GetUserAttributeVerificationCode", map[string]any{"AccessToken": bertAccess, "AttributeName": "phone_number"})
	if m, _ := a.sender.Last("bert", message.KindVerifyAttribute); m.Destination != "+15550199" || m.Medium != "SMS" {
		t.Fatalf("phone code went to %+v", m)
	}
	a.call("VerifyUserAttribute", map[string]any{"AccessToken": bertAccess, "AttributeName": "phone_number",
		"Code": a.lastCode("bert", message.KindVerifyAttribute)})
	if a.user(a.pool, "bert").Attributes["phone_number_verified"] != "true" {
		t.Fatal("phone number not verified")
	}

	// Self-service may not verify attributes directly.
	a.wantErr("UpdateUserAttributes", map[string]any{"AccessToken": bertAccess, "UserAttributes": []map[string]any{
		{"Name": "email_verified", "Value": "true"}}}, "NotAuthorizedException", "")

	a.call("DeleteUserAttributes", map[string]any{"AccessToken": access, "UserAttributeNames": []string{"given_name"}})
	if _, ok := a.user(a.pool, "abby").Attributes["given_name"]; ok {
		t.Fatal("given_name not deleted")
	}
}

func TestAuthChangePasswordAndDeleteUser(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"Policies": map[string]any{"PasswordPolicy": map[string]any{
		"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true,
		"RequireSymbols": true, "PasswordHistorySize": 2}}}, passwordClient)
	a.signUpConfirmed("cleo", "cleo@example.com")
	access, _, refresh := a.tokens(a.passwordLogin("cleo", testPassword))
	change := func(prev, next string) map[string]any {
		return map[string]any{"AccessToken": access, "PreviousPassword": prev, "ProposedPassword": next}
	}
	a.wantErr("ChangePassword", change("Wr0ng-pass", "N3w-Password"), "NotAuthorizedException", "Incorrect username or password.")
	if a.lock("cleo").Failures != 1 {
		t.Fatal("a wrong PreviousPassword did not count toward lockout")
	}
	a.wantErr("ChangePassword", change(testPassword, testPassword), "PasswordHistoryPolicyViolationException", "")
	a.call("ChangePassword", change(testPassword, "N3w-Password"))
	a.want("NotAuthorizedException", "")(a.passwordLogin("cleo", testPassword))
	a.tokens(a.passwordLogin("cleo", "N3w-Password"))
	// History of 2: the one before is still refused, the one before that is allowed again.
	a.wantErr("ChangePassword", change("N3w-Password", testPassword), "PasswordHistoryPolicyViolationException", "")
	a.call("ChangePassword", change("N3w-Password", "Th1rd-Password"))
	a.call("ChangePassword", change("Th1rd-Password", testPassword))

	a.call("DeleteUser", map[string]any{"AccessToken": access})
	a.wantErr("GetUser", map[string]any{"AccessToken": access}, "UserNotFoundException", "User does not exist.")
	a.want("UserNotFoundException", "")(a.passwordLogin("cleo", testPassword))
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh}, "UserNotFoundException", "")
	// A new user of the same name does not inherit the old tokens.
	a.signUpConfirmed("cleo", "cleo@example.com")
	a.wantErr("GetUser", map[string]any{"AccessToken": access}, "UserNotFoundException", "")
	typ, _ := a.errOf(a.dispatch("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh}))
	if typ != "NotAuthorizedException" {
		t.Fatalf("old refresh token for a new user: %s", typ)
	}
}
