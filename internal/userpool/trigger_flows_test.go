package userpool

import (
	"encoding/json"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
)

// wantEvent checks an event's envelope member by member.
func wantEvent(t *testing.T, ev map[string]any, version, source, pool, userName, clientID string) {
	t.Helper()
	if ev == nil {
		t.Fatalf("no %s event", source)
	}
	want := map[string]any{"version": version, "triggerSource": source, "region": "us-east-1", "userPoolId": pool,
		"userName": userName, "callerContext": map[string]any{"awsSdkVersion": "aws-sdk-poolgate-1", "clientId": clientID}}
	for k, v := range want {
		if !reflect.DeepEqual(ev[k], v) {
			t.Errorf("%s: %s = %v, want %v", source, k, ev[k], v)
		}
	}
	if len(ev) != 8 {
		t.Errorf("%s: %d members: %v", source, len(ev), ev)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPreSignUpAutoConfirmAndVerify(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"PreSignUp": arnOf("pre"), "PostConfirmation": arnOf("post")}}, nil)
	tr := a.withTriggers(map[string]lambdaFunc{
		"pre": func(ev map[string]any) any {
			req := ev["request"].(map[string]any)
			if req["validationData"] != nil && req["validationData"].(map[string]any)["invite"] == "yes" {
				return respond(ev, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true})
			}
			if req["userAttributes"].(map[string]any)["email"] == "blocked@example.com" {
				return rawAnswer{200, `{"errorType":"Error","errorMessage":"Domain not allowed"}`}
			}
			return ev
		},
		"post": func(ev map[string]any) any { return ev },
	})
	out := a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "ann", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "ann@example.com"}},
		"ValidationData": []map[string]any{{"Name": "invite", "Value": "yes"}},
		"ClientMetadata": map[string]string{"from": "test"}})
	if out["UserConfirmed"] != true || out["CodeDeliveryDetails"] != nil {
		t.Fatalf("SignUp %v", out)
	}
	u := a.user(a.pool, "ann")
	if u.Status != StatusConfirmed || u.Attributes["email_verified"] != "true" {
		t.Fatalf("user %s %v", u.Status, u.Attributes)
	}
	ev := tr.last("PreSignUp_SignUp")
	wantEvent(t, ev, "1", "PreSignUp_SignUp", a.pool, "ann", a.client)
	if got := jsonOf(ev["request"]); got != `{"clientMetadata":{"from":"test"},"userAttributes":{"email":"ann@example.com"},"validationData":{"invite":"yes"}}` {
		t.Fatalf("request %s", got)
	}
	if len(a.sender.Messages()) != 0 || slices.Contains(tr.sources(), "PostConfirmation_ConfirmSignUp") {
		t.Fatal("an auto-confirmed user got a code or a PostConfirmation")
	}

	// Without the invite: UNCONFIRMED, a code, and PostConfirmation once confirmed.
	out = a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "bob", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "bob@example.com"}}})
	if out["UserConfirmed"] != false || out["CodeDeliveryDetails"] == nil {
		t.Fatalf("SignUp %v", out)
	}
	if got := jsonOf(tr.last("PreSignUp_SignUp")["request"]); got != `{"userAttributes":{"email":"bob@example.com"},"validationData":null}` {
		t.Fatalf("request %s", got)
	}
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "bob",
		"ConfirmationCode": a.lastCode("bob", message.KindSignUp), "ClientMetadata": map[string]string{"k": "v"}})
	ev = tr.last("PostConfirmation_ConfirmSignUp")
	wantEvent(t, ev, "1", "PostConfirmation_ConfirmSignUp", a.pool, "bob", a.client)
	bob := a.user(a.pool, "bob")
	if got := jsonOf(ev["request"]); got != `{"clientMetadata":{"k":"v"},"userAttributes":{"cognito:user_status":"CONFIRMED","email":"bob@example.com","email_verified":"true","sub":"`+bob.Sub+`"}}` {
		t.Fatalf("request %s", got)
	}
	if jsonOf(ev["response"]) != `{}` {
		t.Fatalf("response %s", jsonOf(ev["response"]))
	}

	// AdminConfirmSignUp: the same source, no client, the caller's ClientMetadata.
	a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "dan", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "dan@example.com"}}})
	a.call("AdminConfirmSignUp", map[string]any{"UserPoolId": a.pool, "Username": "dan", "ClientMetadata": map[string]string{"by": "admin"}})
	ev = tr.last("PostConfirmation_ConfirmSignUp")
	wantEvent(t, ev, "1", "PostConfirmation_ConfirmSignUp", a.pool, "dan", "CLIENT_ID_NOT_APPLICABLE")
	if got := jsonOf(ev["request"].(map[string]any)["clientMetadata"]); got != `{"by":"admin"}` {
		t.Fatalf("AdminConfirmSignUp's clientMetadata %s", got)
	}

	// Rejected: Cognito's message, no user.
	a.wantErr("SignUp", map[string]any{"ClientId": a.client, "Username": "eve", "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "blocked@example.com"}}},
		string(awsjson.ErrUserLambdaValidation), "PreSignUp failed with error Domain not allowed.")
	if _, err := a.svc.getUser(t.Context(), mustPool(t, a), "eve"); err == nil {
		t.Fatal("a rejected sign-up created the user")
	}

	// AdminCreateUser: the trigger runs (its own source), autoConfirmUser does not skip the
	// new password.
	a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": "cat", "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]any{{"Name": "email", "Value": "cat@example.com"}},
		"ValidationData": []map[string]any{{"Name": "invite", "Value": "yes"}}})
	wantEvent(t, tr.last("PreSignUp_AdminCreateUser"), "1", "PreSignUp_AdminCreateUser", a.pool, "cat", "CLIENT_ID_NOT_APPLICABLE")
	if cat := a.user(a.pool, "cat"); cat.Status != StatusForceChangePassword || cat.Attributes["email_verified"] != "true" {
		t.Fatalf("cat %s %v", cat.Status, cat.Attributes)
	}
}

func mustPool(t *testing.T, a *authSetup) *Pool {
	p, err := a.svc.getPool(t.Context(), a.pool)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreSignUpRace: racing sign-ups of one name, each auto-confirmed by the trigger, make
// one user; the others get UsernameExistsException.
func TestPreSignUpRace(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"PreSignUp": arnOf("pre")}}, nil)
	a.withTriggers(map[string]lambdaFunc{"pre": func(ev map[string]any) any {
		return respond(ev, map[string]any{"autoConfirmUser": true})
	}})
	const n = 8
	var wg sync.WaitGroup
	results := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, out := a.dispatch("SignUp", map[string]any{"ClientId": a.client, "Username": "same", "Password": testPassword,
				"UserAttributes": []map[string]any{{"Name": "email", "Value": "same@example.com"}}})
			if status != 200 && out["__type"] != string(awsjson.ErrUsernameExists) {
				t.Errorf("SignUp: %d %v", status, out)
			}
			results[i] = status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range results {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 || a.user(a.pool, "same").Status != StatusConfirmed {
		t.Fatalf("%d sign-ups succeeded", ok)
	}
	if n := a.checkIndex(a.pool); n != 1 {
		t.Fatalf("%d users indexed", n)
	}
}

func TestPrePostAuthentication(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"PreAuthentication": arnOf("pre"), "PostAuthentication": arnOf("post")}},
		map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			"PreventUserExistenceErrors": "ENABLED"})
	a.signUpConfirmed("dan", "dan@example.com")
	tr := a.withTriggers(map[string]lambdaFunc{
		"pre": func(ev map[string]any) any {
			if ev["request"].(map[string]any)["validationData"] != nil {
				return rawAnswer{400, `{"errorType":"Error","errorMessage":"Blocked by policy"}`}
			}
			return ev
		},
		"post": func(ev map[string]any) any { return ev },
	})
	out := a.call("InitiateAuth", map[string]any{"ClientId": a.client, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "dan", "PASSWORD": testPassword}})
	if mObj(out, "AuthenticationResult")["AccessToken"] == nil {
		t.Fatalf("no tokens: %v", out)
	}
	dan := a.user(a.pool, "dan")
	ev := tr.last("PreAuthentication_Authentication")
	wantEvent(t, ev, "1", "PreAuthentication_Authentication", a.pool, "dan", a.client)
	attrs := `{"cognito:user_status":"CONFIRMED","email":"dan@example.com","email_verified":"true","sub":"` + dan.Sub + `"}`
	if got := jsonOf(ev["request"]); got != `{"userAttributes":`+attrs+`,"validationData":null}` {
		t.Fatalf("pre request %s", got)
	}
	ev = tr.last("PostAuthentication_Authentication")
	wantEvent(t, ev, "1", "PostAuthentication_Authentication", a.pool, "dan", a.client)
	if got := jsonOf(ev["request"]); got != `{"newDeviceUsed":false,"userAttributes":`+attrs+`}` {
		t.Fatalf("post request %s", got)
	}
	if !slices.Equal(tr.sources(), []string{"PreAuthentication_Authentication", "PostAuthentication_Authentication"}) {
		t.Fatalf("sources %v", tr.sources())
	}
	// A refresh runs neither.
	a.call("InitiateAuth", map[string]any{"ClientId": a.client, "AuthFlow": "REFRESH_TOKEN_AUTH",
		"AuthParameters": map[string]string{"REFRESH_TOKEN": mObj(out, "AuthenticationResult")["RefreshToken"].(string)}})
	if len(tr.sources()) != 2 {
		t.Fatalf("refresh ran triggers: %v", tr.sources())
	}
	// ClientMetadata reaches PreAuthentication as validationData; its rejection refuses the
	// sign-in before the password is checked.
	a.wantErr("InitiateAuth", map[string]any{"ClientId": a.client, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "dan", "PASSWORD": "wrong"}, "ClientMetadata": map[string]string{"ip": "1"}},
		string(awsjson.ErrUserLambdaValidation), "PreAuthentication failed with error Blocked by policy.")
	// An unknown name with PreventUserExistenceErrors: userNotFound.
	a.wantErr("InitiateAuth", map[string]any{"ClientId": a.client, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "nobody", "PASSWORD": testPassword}}, string(awsjson.ErrNotAuthorized), "")
	ev = tr.last("PreAuthentication_Authentication")
	if ev["userName"] != "nobody" || jsonOf(ev["request"]) != `{"userAttributes":{},"userNotFound":true,"validationData":null}` {
		t.Fatalf("unknown user event %v", ev)
	}
}
