package userpool

import (
	"slices"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
)

func TestMessageTextWithoutTrigger(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"VerificationMessageTemplate": map[string]any{
		"EmailMessage": "Code: {####}", "EmailSubject": "Welcome"}}, nil)
	a.signUp("amy", "amy@example.com")
	m, _ := a.sender.Last("amy", message.KindSignUp)
	if m.Message != "Code: "+m.Code || m.Subject != "Welcome" {
		t.Fatalf("message %+v", m)
	}
	a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": "ben",
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "ben@example.com"}}})
	m, _ = a.sender.Last("ben", message.KindAdminCreateUser)
	if m.Message != "Your username is ben and temporary password is "+m.Code+". " || m.Subject != "Your temporary password" {
		t.Fatalf("invitation %+v", m)
	}
}

func TestCustomMessage(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"CustomMessage": arnOf("cm")}}, nil)
	tr := a.withTriggers(map[string]lambdaFunc{"cm": func(ev map[string]any) any {
		req := ev["request"].(map[string]any)
		switch ev["triggerSource"] {
		case "CustomMessage_SignUp":
			return respond(ev, map[string]any{"emailSubject": "Welcome to Acme",
				"emailMessage": "Hi " + req["userAttributes"].(map[string]any)["email"].(string) + ", your code is " + req["codeParameter"].(string)})
		case "CustomMessage_AdminCreateUser":
			return respond(ev, map[string]any{"emailMessage": "User " + req["usernameParameter"].(string) + " / " + req["codeParameter"].(string)})
		case "CustomMessage_ForgotPassword":
			return respond(ev, map[string]any{"emailMessage": "no code here"})
		case "CustomMessage_ResendCode":
			return rawAnswer{500, `{"errorMessage":"template store down"}`}
		}
		return ev
	}})
	a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "cy", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "cy@example.com"}}, "ClientMetadata": map[string]string{"lang": "en"}})
	m, _ := a.sender.Last("cy", message.KindSignUp)
	if m.Message != "Hi cy@example.com, your code is "+m.Code || m.Subject != "Welcome to Acme" {
		t.Fatalf("message %+v", m)
	}
	ev := tr.last("CustomMessage_SignUp")
	wantEvent(t, ev, "1", "CustomMessage_SignUp", a.pool, "cy", a.client)
	cy := a.user(a.pool, "cy")
	if got := jsonOf(ev["request"]); got != `{"clientMetadata":{"lang":"en"},"codeParameter":"{####}","linkParameter":null,`+
		`"userAttributes":{"cognito:user_status":"UNCONFIRMED","email":"cy@example.com","sub":"`+cy.Sub+`"},"usernameParameter":null}` {
		t.Fatalf("request %s", got)
	}
	if jsonOf(ev["response"]) != `{"emailMessage":null,"emailSubject":null,"smsMessage":null}` {
		t.Fatalf("response as sent %s", jsonOf(ev["response"]))
	}

	a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": "dee",
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "dee@example.com"}}})
	m, _ = a.sender.Last("dee", message.KindAdminCreateUser)
	if m.Message != "User dee / "+m.Code || m.Subject != "Your temporary password" {
		t.Fatalf("invitation %+v", m)
	}
	wantEvent(t, tr.last("CustomMessage_AdminCreateUser"), "1", "CustomMessage_AdminCreateUser", a.pool, "dee", "CLIENT_ID_NOT_APPLICABLE")

	// A message without the code: the pool's own text.
	a.signUpConfirmed("fay", "fay@example.com")
	a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "fay"})
	m, _ = a.sender.Last("fay", message.KindForgotPassword)
	if m.Message != "Your verification code is "+m.Code+". " {
		t.Fatalf("forgot-password message %+v", m)
	}
	// A failing handler fails the call.
	a.wantErr("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "cy"},
		string(awsjson.ErrUserLambdaValidation), "CustomMessage failed with error template store down.")
	for _, s := range []string{"CustomMessage_SignUp", "CustomMessage_AdminCreateUser", "CustomMessage_ForgotPassword", "CustomMessage_ResendCode"} {
		if !slices.Contains(tr.sources(), s) {
			t.Errorf("no %s", s)
		}
	}
}

func TestCustomEmailSender(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{
		"CustomEmailSender": map[string]any{"LambdaVersion": "V1_0", "LambdaArn": arnOf("send")},
		"CustomMessage":     arnOf("cm"),
		"KMSKeyID":          "arn:aws:kms:us-east-1:" + testAccountID + ":key/abc"}}, nil)
	tr := a.withTriggers(map[string]lambdaFunc{
		"send": func(ev map[string]any) any { return ev },
		"cm":   func(ev map[string]any) any { return ev },
	})
	out := a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "eli", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "eli@example.com"}}})
	if out["CodeDeliveryDetails"] == nil {
		t.Fatalf("SignUp %v", out)
	}
	if n := len(a.sender.Messages()); n != 0 {
		t.Fatalf("poolgate's sender got %d messages", n)
	}
	ev := tr.last("CustomEmailSender_SignUp")
	wantEvent(t, ev, "1", "CustomEmailSender_SignUp", a.pool, "eli", a.client)
	req := ev["request"].(map[string]any)
	code, _ := req["code"].(string)
	if req["type"] != "customEmailSenderRequestV1" || len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("request %v", req)
	}
	if slices.Contains(tr.sources(), "CustomMessage_SignUp") {
		t.Fatal("CustomMessage ran for a medium with a custom sender")
	}
	// The code handed to the sender confirms the user.
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "eli", "ConfirmationCode": code})
	if a.user(a.pool, "eli").Status != StatusConfirmed {
		t.Fatal("not confirmed")
	}
}

// TestCustomMessageSources: attribute codes and MFA codes run CustomMessage with their own
// sources; the SMS text the handler answers is what is delivered.
func TestCustomMessageSources(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"MfaConfiguration": "OPTIONAL",
		"SmsConfiguration":         map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"},
		"SmsAuthenticationMessage": "Code {####}",
		"LambdaConfig":             map[string]any{"CustomMessage": arnOf("cm")}}, passwordClient)
	tr := a.withTriggers(map[string]lambdaFunc{"cm": func(ev map[string]any) any {
		code := ev["request"].(map[string]any)["codeParameter"].(string)
		return respond(ev, map[string]any{"smsMessage": "Acme " + ev["triggerSource"].(string) + " " + code,
			"emailMessage": "Acme " + ev["triggerSource"].(string) + " " + code})
	}})
	a.mfaUser("sam", map[string]string{"email": "sam@example.com", "phone_number": "+12065551234"})
	access, _, _ := a.tokens(a.passwordLogin("sam", testPassword))

	a.call("UpdateUserAttributes", map[string]any{"AccessToken": access, "UserAttributes": []map[string]any{{"Name": "email", "Value": "sam2@example.com"}}})
	m, _ := a.sender.Last("sam", message.KindVerifyAttribute)
	if m.Message != "Acme CustomMessage_UpdateUserAttribute "+m.Code {
		t.Fatalf("update message %+v", m)
	}
	a.call("GetUserAttributeVerificationCode", map[string]any{"AccessToken": access, "AttributeName": "email"})
	m, _ = a.sender.Last("sam", message.KindVerifyAttribute)
	if m.Message != "Acme CustomMessage_VerifyUserAttribute "+m.Code {
		t.Fatalf("verify message %+v", m)
	}
	wantEvent(t, tr.last("CustomMessage_VerifyUserAttribute"), "1", "CustomMessage_VerifyUserAttribute", a.pool, "sam", a.client)

	a.call("SetUserMFAPreference", map[string]any{"AccessToken": access, "SMSMfaSettings": map[string]any{"Enabled": true}})
	a.challenge("sam", "SMS_MFA")
	m, _ = a.sender.Last("sam", message.KindAuthentication)
	if m.Medium != message.MediumSMS || m.Message != "Acme CustomMessage_Authentication "+m.Code || m.Subject != "" {
		t.Fatalf("MFA message %+v", m)
	}
	wantEvent(t, tr.last("CustomMessage_Authentication"), "1", "CustomMessage_Authentication", a.pool, "sam", a.client)
}
