package userpool

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
)

// legacyUsers is the stand-in legacy system of the migration tests: name → password.
var legacyUsers = map[string]string{"lee": "Legacy-Pass-1", "rita": "Legacy-Pass-2"}

// legacyMigration is a UserMigration handler as AWS's example writes it: it checks the
// password against the legacy system on sign-in, and knows the user on a password reset.
func legacyMigration(ev map[string]any) any {
	name := ev["userName"].(string)
	req := ev["request"].(map[string]any)
	want, ok := legacyUsers[name]
	switch {
	case !ok:
		return rawAnswer{200, `{"errorType":"Error","errorMessage":"User does not exist"}`}
	case ev["triggerSource"] == "UserMigration_Authentication" && req["password"] != want:
		return rawAnswer{200, `{"errorType":"Error","errorMessage":"Bad password"}`}
	}
	status := "CONFIRMED"
	if name == "rita" {
		status = "RESET_REQUIRED"
	}
	return respond(ev, map[string]any{
		"userAttributes":  map[string]any{"email": name + "@legacy.example", "email_verified": "true", "custom:tier": "gold"},
		"finalUserStatus": status, "messageAction": "SUPPRESS"})
}

func newMigrationSetup(t *testing.T) (*authSetup, *triggers) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"UserMigration": arnOf("migrate")},
		"Schema": []map[string]any{{"Name": "tier", "AttributeDataType": "String", "Mutable": true}}}, passwordClient)
	return a, a.withTriggers(map[string]lambdaFunc{"migrate": legacyMigration})
}

func TestUserMigrationAuthentication(t *testing.T) {
	a, tr := newMigrationSetup(t)
	a.want(string(awsjson.ErrUserLambdaValidation), "UserMigration failed with error Bad password.")(a.passwordLogin("lee", "wrong-Pass-1"))
	a.want(string(awsjson.ErrUserLambdaValidation), "UserMigration failed with error User does not exist.")(a.passwordLogin("nobody", "Passw0rd!"))
	a.tokens(a.passwordLogin("lee", legacyUsers["lee"]))

	ev := tr.last("UserMigration_Authentication")
	wantEvent(t, ev, "1", "UserMigration_Authentication", a.pool, "lee", a.client)
	if got := jsonOf(ev["request"]); got != `{"clientMetadata":{},"password":"Legacy-Pass-1","validationData":{}}` {
		t.Fatalf("request %s", got)
	}
	if got := jsonOf(tr.events[0]["response"]); got != `{"desiredDeliveryMediums":null,"enableSMSMFA":null,"finalUserStatus":null,"forceAliasCreation":null,"messageAction":null,"userAttributes":null}` {
		t.Fatalf("initial response %s", got)
	}
	u := a.user(a.pool, "lee")
	if u.Status != StatusConfirmed || u.Attributes["custom:tier"] != "gold" || u.Attributes["email"] != "lee@legacy.example" {
		t.Fatalf("migrated user %+v", u)
	}
	// The next sign-ins, SRP included, find the user and do not call the function.
	n := len(tr.sources())
	a.tokens(a.srpLogin("lee", legacyUsers["lee"]))
	a.tokens(a.passwordLogin("lee", legacyUsers["lee"]))
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("lee", "Legacy-Pass-X"))
	if len(tr.sources()) != n {
		t.Fatalf("the function was called again: %v", tr.sources())
	}

	// RESET_REQUIRED: created, then told to reset.
	a.want("PasswordResetRequiredException", "")(a.passwordLogin("rita", legacyUsers["rita"]))
	if a.user(a.pool, "rita").Status != StatusResetRequired {
		t.Fatal("rita not RESET_REQUIRED")
	}
}

func TestUserMigrationForgotPassword(t *testing.T) {
	a, tr := newMigrationSetup(t)
	out := a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "lee", "ClientMetadata": map[string]string{"app": "web"}})
	if d, _ := out["CodeDeliveryDetails"].(map[string]any); d["DeliveryMedium"] != "EMAIL" {
		t.Fatalf("ForgotPassword %v", out)
	}
	ev := tr.last("UserMigration_ForgotPassword")
	wantEvent(t, ev, "1", "UserMigration_ForgotPassword", a.pool, "lee", a.client)
	if got := jsonOf(ev["request"]); got != `{"clientMetadata":{"app":"web"},"validationData":{"app":"web"}}` {
		t.Fatalf("request %s", got)
	}
	if a.user(a.pool, "lee").Status != StatusResetRequired {
		t.Fatal("not RESET_REQUIRED")
	}
	a.call("ConfirmForgotPassword", map[string]any{"ClientId": a.client, "Username": "lee", "Password": testPassword,
		"ConfirmationCode": a.lastCode("lee", message.KindForgotPassword)})
	a.tokens(a.srpLogin("lee", testPassword))
	a.wantErr("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "nobody"},
		string(awsjson.ErrUserLambdaValidation), "UserMigration failed with error User does not exist.")
}

func TestUserMigrationBadAnswers(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"UserMigration": arnOf("migrate")}}, passwordClient)
	answers := map[string]map[string]any{
		"status": {"userAttributes": map[string]any{"email": "x@example.com"}, "finalUserStatus": "UNCONFIRMED"},
		"action": {"userAttributes": map[string]any{}, "messageAction": "RESEND"},
		"attr":   {"userAttributes": map[string]any{"shoe_size": "9"}},
		"none":   {},
	}
	a.withTriggers(map[string]lambdaFunc{"migrate": func(ev map[string]any) any {
		return respond(ev, answers[ev["userName"].(string)])
	}})
	a.want(string(awsjson.ErrInvalidLambdaResponse), "")(a.passwordLogin("status", testPassword))
	a.want(string(awsjson.ErrInvalidLambdaResponse), "")(a.passwordLogin("action", testPassword))
	a.want(string(awsjson.ErrInvalidParameter), "")(a.passwordLogin("attr", testPassword))
	a.want("UserNotFoundException", "User does not exist.")(a.passwordLogin("none", testPassword))
	// A password the pool's policy refuses is not taken over.
	answers["weak"] = map[string]any{"userAttributes": map[string]any{}}
	a.want(string(awsjson.ErrInvalidPassword), "")(a.passwordLogin("weak", "weakpassword1"))
	if n := len(a.keysUnder(userKey(a.pool, ""))); n != 0 {
		t.Fatalf("%d users created", n)
	}
}

// TestRaceUserMigration: racing first sign-ins of one legacy user create it once; each
// answers as its password deserves.
func TestRaceUserMigration(t *testing.T) {
	a, _ := newMigrationSetup(t)
	var wg sync.WaitGroup
	status := make([]int, 12)
	outs := make([]map[string]any, len(status))
	for i := range status {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i], outs[i] = a.passwordLogin("lee", legacyUsers["lee"])
		}()
	}
	wg.Wait()
	for i, s := range status {
		if s != http.StatusOK {
			t.Errorf("sign-in %d: status %d %v", i, s, outs[i])
		}
	}
	if n := len(a.keysUnder(userKey(a.pool, ""))); n != 1 {
		t.Fatalf("%d users", n)
	}
	if n := a.checkIndex(a.pool); n != 1 {
		t.Fatal(fmt.Sprint(n, " index keys"))
	}
}

// TestUserMigrationHostedSignIn: the managed-login page's sign-in migrates as
// USER_PASSWORD_AUTH does.
func TestUserMigrationHostedSignIn(t *testing.T) {
	a, tr := newMigrationSetup(t)
	p := a.poolRecord()
	c, err := a.svc.getClient(t.Context(), a.pool, a.client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.HostedSignIn(t.Context(), p, c, "lee", "Wrong-Pass-1"); errType(err) != string(awsjson.ErrUserLambdaValidation) {
		t.Fatalf("wrong password: %v", err)
	}
	in, err := a.svc.HostedSignIn(t.Context(), p, c, "lee", legacyUsers["lee"])
	if err != nil || in.User == nil {
		t.Fatalf("right password: %+v, %v", in, err)
	}
	if tr.last("UserMigration_Authentication") == nil || a.user(a.pool, "lee").Status != StatusConfirmed {
		t.Fatal("not migrated")
	}
}
