package userpool

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
)

// TestAuthSRPEndToEnd: sign-up, the code from the recorder, confirmation, an SRP sign-in with
// the client half in internal/srp, and every claim of both tokens.
func TestAuthSRPEndToEnd(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	up := a.signUp("alice", "alice@example.com")
	if up["UserConfirmed"] != false || !looksLikeUUID(up["UserSub"].(string)) {
		t.Fatalf("SignUp: %v", up)
	}
	cdd := paramsOf(up["CodeDeliveryDetails"])
	if cdd["AttributeName"] != "email" || cdd["DeliveryMedium"] != "EMAIL" || cdd["Destination"] != message.Mask("alice@example.com", "EMAIL") {
		t.Fatalf("CodeDeliveryDetails: %v", cdd)
	}
	sub := up["UserSub"].(string)
	if u := a.user(a.pool, "alice"); u.Status != StatusUnconfirmed || u.Sub != sub {
		t.Fatalf("after sign-up: %+v", u)
	}
	// Unconfirmed users cannot sign in; only the right password learns why.
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.srpLogin("alice", "Wr0ng-pass"))
	a.want("UserNotConfirmedException", "User is not confirmed.")(a.srpLogin("alice", testPassword))

	a.wantErr("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "alice", "ConfirmationCode": "000000x"},
		"CodeMismatchException", "Invalid verification code provided, please try again.")
	code := a.lastCode("alice", message.KindSignUp)
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "alice", "ConfirmationCode": code})
	u := a.user(a.pool, "alice")
	if u.Status != StatusConfirmed || u.Attributes["email_verified"] != "true" {
		t.Fatalf("after confirm: %+v", u)
	}
	a.wantErr("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "alice", "ConfirmationCode": code},
		"NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")

	cl, status, challenge := a.srpStart("alice")
	if status != http.StatusOK || challenge["ChallengeName"] != "PASSWORD_VERIFIER" || challenge["Session"] != nil {
		t.Fatalf("InitiateAuth: %d %v", status, challenge)
	}
	cp := paramsOf(challenge["ChallengeParameters"])
	for _, k := range []string{"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"} {
		if cp[k] == "" {
			t.Fatalf("ChallengeParameters lacks %s: %v", k, cp)
		}
	}
	if cp["USER_ID_FOR_SRP"] != "alice" || cp["USERNAME"] != "alice" {
		t.Fatalf("userId: %v", cp)
	}
	signedIn := a.clock.Now()
	status, out := a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, challenge, testPassword, signedIn), "")
	access, id, refresh := a.tokens(status, out)
	res := out["AuthenticationResult"].(map[string]any)
	if res["TokenType"] != "Bearer" || jsonInt64(t, res["ExpiresIn"]) != 3600 || refresh == "" {
		t.Fatalf("AuthenticationResult: %v", res)
	}
	if cp, ok := out["ChallengeParameters"].(map[string]any); !ok || len(cp) != 0 {
		t.Fatalf("ChallengeParameters on success: %v", out["ChallengeParameters"])
	}

	iat := signedIn.Unix()
	idc := a.verify(id)
	ac := a.verify(access)
	wantID := map[string]any{
		"sub": sub, "iss": testIssuer + "/" + a.pool, "aud": a.client, "token_use": "id",
		"cognito:username": "alice", "email": "alice@example.com", "email_verified": true,
	}
	for k, v := range wantID {
		if idc[k] != v {
			t.Errorf("id token %s = %v, want %v", k, idc[k], v)
		}
	}
	wantAccess := map[string]any{
		"sub": sub, "iss": testIssuer + "/" + a.pool, "client_id": a.client, "token_use": "access",
		"scope": "aws.cognito.signin.user.admin", "username": "alice",
	}
	for k, v := range wantAccess {
		if ac[k] != v {
			t.Errorf("access token %s = %v, want %v", k, ac[k], v)
		}
	}
	for name, c := range map[string]map[string]any{"id": idc, "access": ac} {
		if jsonInt64(t, c["iat"]) != iat || jsonInt64(t, c["auth_time"]) != iat || jsonInt64(t, c["exp"]) != iat+3600 {
			t.Errorf("%s token times: iat %v auth_time %v exp %v, want %d", name, c["iat"], c["auth_time"], c["exp"], iat)
		}
		for _, k := range []string{"jti", "origin_jti", "event_id"} {
			if s, _ := c[k].(string); !looksLikeUUID(s) {
				t.Errorf("%s token %s = %v, want a UUID", name, k, c[k])
			}
		}
		if _, ok := c["cognito:groups"]; ok {
			t.Errorf("%s token has cognito:groups without groups", name)
		}
	}
	if jsonInt64(t, ac["version"]) != 2 {
		t.Errorf("access version = %v", ac["version"])
	}
	if _, ok := ac["aud"]; ok {
		t.Error("access token carries aud")
	}
	if idc["jti"] == ac["jti"] || idc["origin_jti"] != ac["origin_jti"] || idc["event_id"] != ac["event_id"] {
		t.Errorf("jti/origin_jti/event_id: id %v access %v", idc, ac)
	}
	if len(idc) != len(wantID)+6 || len(ac) != len(wantAccess)+7 {
		t.Errorf("unexpected claims: id %v, access %v", idc, ac)
	}

	got := a.call("GetUser", map[string]any{"AccessToken": access})
	if got["Username"] != "alice" {
		t.Fatalf("GetUser: %v", got)
	}
	attrs := map[string]string{}
	for _, at := range got["UserAttributes"].([]any) {
		m := at.(map[string]any)
		attrs[m["Name"].(string)] = m["Value"].(string)
	}
	if attrs["sub"] != sub || attrs["email"] != "alice@example.com" || attrs["email_verified"] != "true" {
		t.Fatalf("GetUser attributes: %v", attrs)
	}

	// The same exchange through the signed admin actions.
	cl, err := srp.NewClient(hostcrypto.Pure{}, a.svc.d.Rand)
	if err != nil {
		t.Fatal(err)
	}
	challenge = a.call("AdminInitiateAuth", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"AuthFlow": "USER_SRP_AUTH", "AuthParameters": map[string]any{"USERNAME": "alice", "SRP_A": cl.AHex()}})
	status, out = a.dispatch("AdminRespondToAuthChallenge", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": a.srpAnswer(cl, challenge, testPassword, a.clock.Now())})
	a.tokens(status, out)
}

// TestAuthSRPRejects: every way to get the PASSWORD_VERIFIER answer wrong is a 400.
func TestAuthSRPRejects(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	a.signUpConfirmed("bob", "bob@example.com")
	incorrect := func(status int, out map[string]any) {
		t.Helper()
		a.wantAnswer(status, out, "NotAuthorizedException", "Incorrect username or password.")
	}

	t.Run("wrong password", func(t *testing.T) {
		cl, _, ch := a.srpStart("bob")
		incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, "Wr0ng-pass", a.clock.Now()), ""))
	})
	t.Run("replayed block", func(t *testing.T) {
		cl, _, ch := a.srpStart("bob")
		resp := a.srpAnswer(cl, ch, testPassword, a.clock.Now())
		a.tokens(a.respond("PASSWORD_VERIFIER", resp, ""))
		incorrect(a.respond("PASSWORD_VERIFIER", resp, ""))
	})
	t.Run("block used by a wrong answer", func(t *testing.T) {
		cl, _, ch := a.srpStart("bob")
		incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, "Wr0ng-pass", a.clock.Now()), ""))
		incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, testPassword, a.clock.Now()), ""))
	})
	t.Run("forged block", func(t *testing.T) {
		cl, _, ch := a.srpStart("bob")
		cp := ch["ChallengeParameters"].(map[string]any)
		block, _ := base64.StdEncoding.DecodeString(cp["SECRET_BLOCK"].(string))
		block[len(block)/2] ^= 1
		cp["SECRET_BLOCK"] = base64.StdEncoding.EncodeToString(block)
		// The client signs the forged block honestly; the server must still refuse it.
		incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, testPassword, a.clock.Now()), ""))
		resp := a.srpAnswer(cl, ch, testPassword, a.clock.Now())
		resp["PASSWORD_CLAIM_SECRET_BLOCK"] = "not base64!"
		incorrect(a.respond("PASSWORD_VERIFIER", resp, ""))
	})
	t.Run("expired block", func(t *testing.T) {
		cl, _, ch := a.srpStart("bob")
		a.clock.Advance(6 * time.Minute)
		incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, testPassword, a.clock.Now()), ""))
	})
	t.Run("timestamp skew", func(t *testing.T) {
		for _, d := range []time.Duration{6 * time.Minute, -6 * time.Minute} {
			cl, _, ch := a.srpStart("bob")
			incorrect(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, testPassword, a.clock.Now().Add(d)), ""))
		}
		cl, _, ch := a.srpStart("bob")
		a.tokens(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, ch, testPassword, a.clock.Now().Add(4*time.Minute)), ""))
	})
	t.Run("timestamp format", func(t *testing.T) {
		// A zero-padded day, signed correctly over the exact string, is still refused.
		cl, _, ch := a.srpStart("bob")
		cp := paramsOf(ch["ChallengeParameters"])
		block, _ := base64.StdEncoding.DecodeString(cp["SECRET_BLOCK"])
		ts := a.clock.Now().Format("Mon Jan 02 15:04:05 UTC 2006")
		sig, err := cl.Signature(srp.PoolName(a.pool), "bob", testPassword, cp["SALT"], cp["SRP_B"], block, ts)
		if err != nil {
			t.Fatal(err)
		}
		incorrect(a.respond("PASSWORD_VERIFIER", map[string]any{"USERNAME": "bob", "PASSWORD_CLAIM_SECRET_BLOCK": cp["SECRET_BLOCK"],
			"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}, ""))
	})
	t.Run("other username", func(t *testing.T) {
		a.signUpConfirmed("carol", "carol@example.com")
		cl, _, ch := a.srpStart("bob")
		resp := a.srpAnswer(cl, ch, testPassword, a.clock.Now())
		resp["USERNAME"] = "carol"
		incorrect(a.respond("PASSWORD_VERIFIER", resp, ""))
	})
	t.Run("bad SRP_A", func(t *testing.T) {
		N := modexp.SRPGroupN // A = N is zero mod N
		for _, A := range []string{"0", "00", N, "not-hex", "12 34"} {
			status, out := a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": a.client,
				"AuthParameters": map[string]any{"USERNAME": "bob", "SRP_A": A}})
			typ, _ := a.errOf(status, out)
			if typ != "NotAuthorizedException" && typ != "InvalidParameterException" {
				t.Errorf("SRP_A %.10q: %s", A, typ)
			}
		}
	})
	t.Run("missing responses", func(t *testing.T) {
		cl, _, ch := a.srpStart("bob")
		resp := a.srpAnswer(cl, ch, testPassword, a.clock.Now())
		for _, k := range []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
			r := map[string]any{}
			for kk, v := range resp {
				if kk != k {
					r[kk] = v
				}
			}
			status, out := a.respond("PASSWORD_VERIFIER", r, "")
			a.wantAnswer(status, out, "InvalidParameterException", "Missing required parameter "+k)
		}
	})
	t.Run("other client's block", func(t *testing.T) {
		other, _ := a.createClient(a.pool, nil)
		cl, _, ch := a.srpStart("bob")
		resp := a.srpAnswer(cl, ch, testPassword, a.clock.Now())
		incorrect(a.dispatch("RespondToAuthChallenge", map[string]any{"ChallengeName": "PASSWORD_VERIFIER",
			"ClientId": other, "ChallengeResponses": resp}))
	})
	// After all that, the right answer still works (failures above were below the lockout).
	a.clock.Advance(time.Hour)
	a.tokens(a.srpLogin("bob", testPassword))
	if st := a.lock("bob"); st.Failures != 0 {
		t.Fatalf("failures not reset: %d", st.Failures)
	}
}
