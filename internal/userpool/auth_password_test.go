package userpool

import (
	"net/http"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

var passwordClient = map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
	"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"}}

func TestAuthUserPasswordAuth(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUp("dave", "dave@example.com")
	// UNCONFIRMED is reported only to the right password (a wrong one learns nothing).
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("dave", "Wr0ng-pass"))
	a.want("UserNotConfirmedException", "User is not confirmed.")(a.passwordLogin("dave", testPassword))
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "dave",
		"ConfirmationCode": a.lastCode("dave", message.KindSignUp)})

	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("dave", "Wr0ng-pass"))
	access, id, refresh := a.tokens(a.passwordLogin("dave", testPassword))
	if access == "" || id == "" || refresh == "" {
		t.Fatal("missing tokens")
	}
	if c := a.verify(id); c["cognito:username"] != "dave" {
		t.Fatalf("id token: %v", c)
	}
	// Sign-in by a verified email alias is not configured in this pool: the email is no name.
	a.want("UserNotFoundException", "User does not exist.")(a.passwordLogin("dave@example.com", testPassword))
	a.want("UserNotFoundException", "User does not exist.")(a.passwordLogin("nobody", testPassword))
	a.want("InvalidParameterException", "Missing required parameter PASSWORD")(a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"USERNAME": "dave"}}))

	// The admin flow, signed.
	status, out := a.dispatch("AdminInitiateAuth", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": map[string]any{"USERNAME": "dave", "PASSWORD": testPassword}})
	a.tokens(status, out)
	a.want("InvalidParameterException", "Initiate Auth method not supported.")(a.dispatch("AdminInitiateAuth", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": map[string]any{"USERNAME": "dave", "PASSWORD": testPassword}}))
	a.want("InvalidParameterException", "Initiate Auth method not supported.")(a.dispatch("InitiateAuth", map[string]any{"ClientId": a.client,
		"AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": map[string]any{"USERNAME": "dave", "PASSWORD": testPassword}}))
}

func TestAuthFlowChecks(t *testing.T) {
	a := newAuthSetup(t, nil, nil) // default flows: SRP, refresh, custom
	a.signUpConfirmed("erin", "erin@example.com")
	a.want("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")(a.passwordLogin("erin", testPassword))
	a.want("InvalidParameterException", "ADMIN_NO_SRP_AUTH flow not enabled for this client")(a.dispatch("AdminInitiateAuth", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"AuthFlow": "ADMIN_NO_SRP_AUTH", "AuthParameters": map[string]any{"USERNAME": "erin", "PASSWORD": testPassword}}))
	typ, _ := a.errOf(a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "MAGIC", "ClientId": a.client}))
	if typ != "InvalidParameterException" {
		t.Fatalf("unknown flow: %s", typ)
	}
	typ, _ = a.errOf(a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "CUSTOM_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"USERNAME": "erin"}}))
	if typ != "InvalidParameterException" {
		t.Fatalf("CUSTOM_AUTH: %s", typ)
	}
	a.want("ResourceNotFoundException", "User pool client nosuchclient does not exist.")(a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": "nosuchclient"}))

	status, out := a.dispatch("InitiateAuth", map[string]any{})
	if status != http.StatusBadRequest {
		t.Fatalf("empty InitiateAuth: %d %v", status, out)
	}

	// MFA ON asks a user without a factor to set one up (mfa_test.go has the rest); OPTIONAL
	// signs such a user in without MFA.
	totpOn := map[string]any{"Enabled": true}
	on := newAuthSetup(t, map[string]any{"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": totpOn}, nil)
	on.signUpConfirmed("frank", "frank@example.com")
	status, out = on.srpLogin("frank", testPassword)
	if status != http.StatusOK || out["ChallengeName"] != "MFA_SETUP" || out["AuthenticationResult"] != nil {
		t.Fatalf("MFA ON sign-in: %d %v", status, out)
	}
	opt := newAuthSetup(t, map[string]any{"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": totpOn}, nil)
	opt.signUpConfirmed("gina", "gina@example.com")
	opt.tokens(opt.srpLogin("gina", testPassword))
}

func TestAuthLockout(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("hank", "hank@example.com")
	wrong := func() {
		t.Helper()
		a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("hank", "Wr0ng-pass"))
	}
	locked := func(password string) {
		t.Helper()
		a.want("NotAuthorizedException", "Password attempts exceeded")(a.passwordLogin("hank", password))
	}
	for range 4 {
		wrong()
	}
	// A success before the threshold resets the count.
	a.tokens(a.passwordLogin("hank", testPassword))
	for range 5 {
		wrong()
	}
	locked(testPassword) // 5 failures: locked for 2^0 = 1 s
	a.clock.Advance(time.Second)
	wrong() // 6th failure: 2 s
	a.clock.Advance(time.Second)
	locked(testPassword)
	// SRP sign-in is refused as well, and ChangePassword would be too.
	_, status, out := a.srpStart("hank")
	a.wantAnswer(status, out, "NotAuthorizedException", "Password attempts exceeded")
	a.clock.Advance(time.Second)
	wrong() // 7th: 4 s
	a.clock.Advance(3 * time.Second)
	locked(testPassword)
	a.clock.Advance(time.Second)
	a.tokens(a.passwordLogin("hank", testPassword))
	if st := a.lock("hank"); st.Failures != 0 || !st.LockedUntil.IsZero() {
		t.Fatalf("lockout not reset: %+v", st)
	}
	// The delay is capped at 15 minutes.
	for range 20 {
		wrong()
		a.clock.Advance(time.Hour)
	}
	wrong()
	if st := a.lock("hank"); st.LockedUntil.Sub(a.clock.Now()) != maxLockout {
		t.Fatalf("cap: locked for %v", st.LockedUntil.Sub(a.clock.Now()))
	}
	a.clock.Advance(maxLockout)
	a.tokens(a.passwordLogin("hank", testPassword))
}

func TestAuthPreventUserExistenceErrors(t *testing.T) {
	flows := []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	t.Run("ENABLED", func(t *testing.T) {
		a := newAuthSetup(t, nil, map[string]any{"PreventUserExistenceErrors": "ENABLED", "ExplicitAuthFlows": flows})
		a.signUpConfirmed("ivan", "ivan@example.com")
		incorrect := func(status int, out map[string]any) {
			t.Helper()
			a.wantAnswer(status, out, "NotAuthorizedException", "Incorrect username or password.")
		}
		incorrect(a.passwordLogin("ghost", testPassword))
		incorrect(a.passwordLogin("ivan", "Wr0ng-pass"))

		// SRP: a plausible, stable challenge for an unknown user, then the usual refusal.
		cl, status, ch := a.srpStart("ghost")
		if status != http.StatusOK || ch["ChallengeName"] != "PASSWORD_VERIFIER" {
			t.Fatalf("unknown user SRP: %d %v", status, ch)
		}
		cp := paramsOf(ch["ChallengeParameters"])
		_, _, ch2 := a.srpStart("ghost")
		cp2 := paramsOf(ch2["ChallengeParameters"])
		if cp["SALT"] != cp2["SALT"] || cp["USER_ID_FOR_SRP"] != "ghost" || cp["SRP_B"] == cp2["SRP_B"] {
			t.Fatalf("decoy challenge not stable: %v vs %v", cp, cp2)
		}
		_, _, real := a.srpStart("ivan")
		if rp := paramsOf(real["ChallengeParameters"]); len(rp["SALT"]) < 30 || len(cp["SALT"]) < 30 {
			t.Fatalf("salts: real %q decoy %q", rp["SALT"], cp["SALT"])
		}
		incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, testPassword, a.clock.Now()), ""))

		n := len(a.sender.Messages())
		out := a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "ghost@example.com"})
		if d := paramsOf(out["CodeDeliveryDetails"]); d["AttributeName"] != "email" || d["DeliveryMedium"] != "EMAIL" || d["Destination"] == "" {
			t.Fatalf("ForgotPassword decoy: %v", out)
		}
		out = a.call("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "ghost"})
		if d := paramsOf(out["CodeDeliveryDetails"]); d["Destination"] == "" {
			t.Fatalf("ResendConfirmationCode decoy: %v", out)
		}
		again := a.call("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "ghost"})
		if paramsOf(again["CodeDeliveryDetails"])["Destination"] != paramsOf(out["CodeDeliveryDetails"])["Destination"] {
			t.Fatal("decoy delivery details change between calls")
		}
		if len(a.sender.Messages()) != n {
			t.Fatal("a message was sent for an unknown user")
		}
		a.wantErr("ConfirmForgotPassword", map[string]any{"ClientId": a.client, "Username": "ghost", "ConfirmationCode": "123456",
			"Password": testPassword}, "CodeMismatchException", "")
		a.wantErr("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "ghost", "ConfirmationCode": "123456"},
			"CodeMismatchException", "")
	})
	t.Run("ENABLED email username", func(t *testing.T) {
		a := newAuthSetup(t, map[string]any{"UsernameAttributes": []string{"email"}},
			map[string]any{"PreventUserExistenceErrors": "ENABLED"})
		internal := a.signUpConfirmed("jo@example.com", "jo@example.com")
		_, _, real := a.srpStart("jo@example.com")
		_, _, decoy := a.srpStart("nobody@example.com")
		if id := paramsOf(real["ChallengeParameters"])["USER_ID_FOR_SRP"]; id != internal || !looksLikeUUID(id) {
			t.Fatalf("real userId %q", id)
		}
		if id := paramsOf(decoy["ChallengeParameters"])["USER_ID_FOR_SRP"]; !looksLikeUUID(id) {
			t.Fatalf("decoy userId %q does not look like a real one", id)
		}
	})
	t.Run("LEGACY", func(t *testing.T) {
		a := newAuthSetup(t, nil, map[string]any{"PreventUserExistenceErrors": "LEGACY", "ExplicitAuthFlows": flows})
		notFound := func(status int, out map[string]any) {
			t.Helper()
			a.wantAnswer(status, out, "UserNotFoundException", "User does not exist.")
		}
		notFound(a.passwordLogin("ghost", testPassword))
		_, status, out := a.srpStart("ghost")
		notFound(status, out)
		notFound(a.dispatch("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "ghost"}))
		notFound(a.dispatch("ResendConfirmationCode", map[string]any{"ClientId": a.client, "Username": "ghost"}))
		notFound(a.dispatch("ConfirmForgotPassword", map[string]any{"ClientId": a.client, "Username": "ghost",
			"ConfirmationCode": "123456", "Password": testPassword}))
		notFound(a.dispatch("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "ghost", "ConfirmationCode": "123456"}))
	})
}

func TestAuthSecretHash(t *testing.T) {
	a := newAuthSetup(t, nil, map[string]any{"GenerateSecret": true, "ExplicitAuthFlows": []string{
		"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if a.secret == "" {
		t.Fatal("no client secret")
	}
	body := map[string]any{"ClientId": a.client, "Username": "kim", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "kim@example.com"}}}
	a.wantErr("SignUp", body, "NotAuthorizedException", "Client "+a.client+" is configured with secret but SECRET_HASH was not received")
	body["SecretHash"] = a.hash("kim2")
	a.wantErr("SignUp", body, "NotAuthorizedException", "Unable to verify secret hash for client "+a.client)
	a.signUpConfirmed("kim", "kim@example.com") // with the right hash

	params := map[string]any{"USERNAME": "kim", "PASSWORD": testPassword}
	initiate := map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client, "AuthParameters": params}
	a.wantErr("InitiateAuth", initiate, "NotAuthorizedException", "Client "+a.client+" is configured with secret but SECRET_HASH was not received")
	params["SECRET_HASH"] = "AAAA" + a.hash("kim")[4:]
	a.wantErr("InitiateAuth", initiate, "NotAuthorizedException", "Unable to verify secret hash for client "+a.client)
	_, _, refresh := a.tokens(a.passwordLogin("kim", testPassword))

	// SRP answers carry the hash over USER_ID_FOR_SRP.
	a.tokens(a.srpLogin("kim", testPassword))
	cl, _, ch := a.srpStart("kim")
	resp := a.srpAnswer(cl, ch, testPassword, a.clock.Now())
	delete(resp, "SECRET_HASH")
	a.want("NotAuthorizedException",
		"Client "+a.client+" is configured with secret but SECRET_HASH was not received")(a.respond("PASSWORD_VERIFIER", resp, ""))

	// Refresh: SECRET_HASH over the internal username; GetTokensFromRefreshToken: raw secret.
	refreshBody := map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"REFRESH_TOKEN": refresh}}
	a.wantErr("InitiateAuth", refreshBody, "NotAuthorizedException", "")
	refreshBody["AuthParameters"].(map[string]any)["SECRET_HASH"] = a.hash("kim")
	a.call("InitiateAuth", refreshBody)
	get := map[string]any{"ClientId": a.client, "RefreshToken": refresh}
	a.wantErr("GetTokensFromRefreshToken", get, "NotAuthorizedException", "")
	get["ClientSecret"] = a.secret + "x"
	a.wantErr("GetTokensFromRefreshToken", get, "NotAuthorizedException", "")
	get["ClientSecret"] = a.secret
	a.call("GetTokensFromRefreshToken", get)
}
