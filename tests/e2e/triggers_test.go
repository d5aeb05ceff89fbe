package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// triggerScenarios run on hostsim and on the Worker against one adapter.
var triggerScenarios = []struct {
	name string
	run  func(t *testing.T, ep *Endpoint, a *adapter)
}{
	{"PreSignUpAndPostConfirmation", scnTriggerSignUp},
	{"PreAndPostAuthentication", scnTriggerAuthentication},
	{"PreTokenGeneration", scnTriggerPreToken},
	{"CustomMessage", scnTriggerCustomMessage},
	{"TriggerErrors", scnTriggerErrors},
	{"PreSignUpRace", scnTriggerSignUpRace},
}

func runTriggerScenarios(t *testing.T, start func(config []byte, clockURL string) *Endpoint) {
	var ep *Endpoint
	clockURL := clockAdvancer(t, func() *Endpoint { return ep })
	a := startAdapter(t, clockURL)
	ep = start(triggerConfig(t, a), clockURL)
	for _, s := range triggerScenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, ep, a) })
	}
}

// TestTriggersHostsim runs the trigger scenarios on the guest under hostsim. Its fake clock
// starts at the wall clock's time, since the adapter checks request timestamps against it.
func TestTriggersHostsim(t *testing.T) {
	runTriggerScenarios(t, func(config []byte, _ string) *Endpoint {
		return startSim(t, simOptions{Config: config, Clock: newFakeClock(time.Now().UTC().Truncate(time.Second))}).Endpoint
	})
}

// TestTriggersWorkerd runs them on the Worker under wrangler dev, which reaches the adapter
// with its fetch.
func TestTriggersWorkerd(t *testing.T) {
	runTriggerScenarios(t, func(config []byte, _ string) *Endpoint {
		return startWorker(t, config, time.Now().UTC().Truncate(time.Second))
	})
}

func withTriggers(lc *types.LambdaConfigType) func(*cip.CreateUserPoolInput) {
	return func(in *cip.CreateUserPoolInput) {
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{"email"}
		in.LambdaConfig = lc
	}
}

// scnTriggerSignUp: PreSignUp confirms invited users, rejects a domain, runs for
// AdminCreateUser; PostConfirmation (a CommonJS callback handler) after ConfirmSignUp.
func scnTriggerSignUp(t *testing.T, ep *Endpoint, a *adapter) {
	pub := ep.Public()
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{
		PreSignUp: aws.String(fnArn("pre-signup")), PostConfirmation: aws.String(fnArn("post-confirmation"))}), nil)

	d := call(ep.Admin().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)})).must(t)
	if lc := d.UserPool.LambdaConfig; lc == nil || aws.ToString(lc.PreSignUp) != fnArn("pre-signup") {
		t.Fatalf("DescribeUserPool LambdaConfig %+v", lc)
	}

	out := call(pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("ivy"), Password: aws.String("Passw0rd-ivy"),
		UserAttributes: []types.AttributeType{attr("email", "ivy@example.com")},
		ValidationData: []types.AttributeType{attr("invite", "yes")}, ClientMetadata: map[string]string{"app": "e2e"}})).must(t)
	if !out.UserConfirmed || out.CodeDeliveryDetails != nil {
		t.Fatalf("auto-confirmed SignUp: confirmed %v, delivery %+v", out.UserConfirmed, out.CodeDeliveryDetails)
	}
	g := f.adminGetUser(t, "ivy")
	if g.UserStatus != "CONFIRMED" || attrMap(g.UserAttributes)["email_verified"] != "true" {
		t.Fatalf("ivy: %s %v", g.UserStatus, attrMap(g.UserAttributes))
	}
	ev := a.lastEvent(t, f.pool, "PreSignUp_SignUp")
	wantEnvelope(t, ev, "1", "PreSignUp_SignUp", f.pool, "ivy", f.client)
	if got := jsonText(ev["request"]); got != `{"clientMetadata":{"app":"e2e"},"userAttributes":{"email":"ivy@example.com"},"validationData":{"invite":"yes"}}` {
		t.Errorf("PreSignUp request %s", got)
	}
	if got := jsonText(ev["response"]); got != `{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}` {
		t.Errorf("PreSignUp response as sent %s", got)
	}
	tokens := f.tokens(t, "ivy", "Passw0rd-ivy")
	if tokens.AccessToken == nil {
		t.Fatal("an auto-confirmed user cannot sign in")
	}

	// Not invited: a code, then PostConfirmation.
	out = call(pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("jon"), Password: aws.String("Passw0rd-jon"),
		UserAttributes: []types.AttributeType{attr("email", "jon@example.com")}})).must(t)
	if out.UserConfirmed {
		t.Fatal("jon confirmed without an invite")
	}
	if got := jsonText(a.lastEvent(t, f.pool, "PreSignUp_SignUp")["request"]); got != `{"userAttributes":{"email":"jon@example.com"},"validationData":null}` {
		t.Errorf("PreSignUp request %s", got)
	}
	code := lastMessage(t, ep, "jon@example.com", message.KindSignUp).Code
	call(pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("jon"),
		ConfirmationCode: aws.String(code), ClientMetadata: map[string]string{"step": "confirm"}})).must(t)
	ev = a.lastEvent(t, f.pool, "PostConfirmation_ConfirmSignUp")
	wantEnvelope(t, ev, "1", "PostConfirmation_ConfirmSignUp", f.pool, "jon", f.client)
	sub := attrMap(f.adminGetUser(t, "jon").UserAttributes)["sub"]
	if got := jsonText(ev["request"]); got != `{"clientMetadata":{"step":"confirm"},"userAttributes":{"cognito:user_status":"CONFIRMED","email":"jon@example.com","email_verified":"true","sub":"`+sub+`"}}` {
		t.Errorf("PostConfirmation request %s", got)
	}

	// Refused by the handler: Cognito's message, no user.
	_, err := pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("eve"), Password: aws.String("Passw0rd-eve"),
		UserAttributes: []types.AttributeType{attr("email", "eve@blocked.example")}})
	wantErr(t, err, "UserLambdaValidationException", "PreSignUp failed with error Domain not allowed.")
	_, err = ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("eve")})
	wantErr(t, err, "UserNotFoundException", "")

	// AdminCreateUser runs it as PreSignUp_AdminCreateUser.
	call(ep.Admin().AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("kim"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{attr("email", "kim@example.com")},
		ValidationData: []types.AttributeType{attr("invite", "yes")}})).must(t)
	ev = a.lastEvent(t, f.pool, "PreSignUp_AdminCreateUser")
	wantEnvelope(t, ev, "1", "PreSignUp_AdminCreateUser", f.pool, "kim", "CLIENT_ID_NOT_APPLICABLE")
	if g := f.adminGetUser(t, "kim"); g.UserStatus != "FORCE_CHANGE_PASSWORD" || attrMap(g.UserAttributes)["email_verified"] != "true" {
		t.Fatalf("kim: %s %v", g.UserStatus, attrMap(g.UserAttributes))
	}
}

// scnTriggerAuthentication: PreAuthentication before the password (refusing by
// ClientMetadata), PostAuthentication before tokens, on USER_PASSWORD_AUTH and SRP.
func scnTriggerAuthentication(t *testing.T, ep *Endpoint, a *adapter) {
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{
		PreAuthentication: aws.String(fnArn("pre-authentication")), PostAuthentication: aws.String(fnArn("post-authentication"))}), nil)
	f.createUser(t, "lea", "Passw0rd-lea", attr("email", "lea@example.com"))
	ok(t, f.adminSetPassword("lea", "Passw0rd-lea", true))
	sub := attrMap(f.adminGetUser(t, "lea").UserAttributes)["sub"]

	f.tokens(t, "lea", "Passw0rd-lea")
	attrs := `{"cognito:user_status":"CONFIRMED","email":"lea@example.com","sub":"` + sub + `"}`
	ev := a.lastEvent(t, f.pool, "PreAuthentication_Authentication")
	wantEnvelope(t, ev, "1", "PreAuthentication_Authentication", f.pool, "lea", f.client)
	if got := jsonText(ev["request"]); got != `{"userAttributes":`+attrs+`,"validationData":null}` {
		t.Errorf("PreAuthentication request %s", got)
	}
	ev = a.lastEvent(t, f.pool, "PostAuthentication_Authentication")
	wantEnvelope(t, ev, "1", "PostAuthentication_Authentication", f.pool, "lea", f.client)
	if got := jsonText(ev["request"]); got != `{"newDeviceUsed":false,"userAttributes":`+attrs+`}` {
		t.Errorf("PostAuthentication request %s", got)
	}
	n := len(a.events(t, f.pool))
	call(f.srpSignIn(t, "lea", "Passw0rd-lea")).must(t)
	if got := len(a.events(t, f.pool)); got != n+2 {
		t.Fatalf("an SRP sign-in ran %d triggers, want 2", got-n)
	}

	_, err := ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.client), AuthFlow: "USER_PASSWORD_AUTH",
		AuthParameters: f.withSecretHash(map[string]string{"USERNAME": "lea", "PASSWORD": "Passw0rd-lea"}, "lea"),
		ClientMetadata: map[string]string{"block": "yes"}})
	wantErr(t, err, "UserLambdaValidationException", "PreAuthentication failed with error Blocked by policy.")
}

// scnTriggerPreToken: AWS's V1_0 example as is, and a V2_0 handler; the tokens carry what
// they answered, checked with the pool's JWKS.
func scnTriggerPreToken(t *testing.T, ep *Endpoint, a *adapter) {
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{PreTokenGeneration: aws.String(fnArn("pre-token-v1"))}), nil)
	f.createUser(t, "una", "Passw0rd-una", attr("email", "una@example.com"))
	ok(t, f.adminSetPassword("una", "Passw0rd-una", true))
	res := f.tokens(t, "una", "Passw0rd-una")
	id, _ := verifyToken(t, ep, f.pool, aws.ToString(res.IdToken), "id", f.client)
	if id["my_first_attribute"] != "first_value" || id["my_second_attribute"] != "second_value" || id["email"] != nil || id["sub"] == nil {
		t.Fatalf("V1 ID token %v", id)
	}
	ev := a.lastEvent(t, f.pool, "TokenGeneration_Authentication")
	wantEnvelope(t, ev, "1", "TokenGeneration_Authentication", f.pool, "una", f.client)
	if got := jsonText(ev["response"]); got != `{"claimsOverrideDetails":null}` {
		t.Errorf("V1 response as sent %s", got)
	}
	call(ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.client), AuthFlow: "REFRESH_TOKEN_AUTH",
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})).must(t)
	wantEnvelope(t, a.lastEvent(t, f.pool, "TokenGeneration_RefreshTokens"), "1", "TokenGeneration_RefreshTokens", f.pool, "una", f.client)

	g := newFixture(t, ep, withTriggers(&types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{
		LambdaVersion: "V2_0", LambdaArn: aws.String(fnArn("pre-token-v2"))}}), nil)
	g.createUser(t, "vera", "Passw0rd-vera", attr("email", "vera@example.com"))
	ok(t, g.adminSetPassword("vera", "Passw0rd-vera", true))
	res = g.tokens(t, "vera", "Passw0rd-vera")
	id, _ = verifyToken(t, ep, g.pool, aws.ToString(res.IdToken), "id", g.client)
	access, _ := verifyToken(t, ep, g.pool, aws.ToString(res.AccessToken), "access", g.client)
	if id["family_name"] != "Doe" || id["email"] != nil || id["cognito:preferred_role"] != "arn:aws:iam::123456789012:role/new_roleA" {
		t.Fatalf("V2 ID token %v", id)
	}
	if access["my_first_attribute"] != "first_value" || access["scope"] != "openid email solar-system-data/asteroids.add" ||
		jsonText(access["cognito:groups"]) != `["new-group-A","new-group-B","new-group-C"]` {
		t.Fatalf("V2 access token %v", access)
	}
	ev = a.lastEvent(t, g.pool, "TokenGeneration_Authentication")
	wantEnvelope(t, ev, "2", "TokenGeneration_Authentication", g.pool, "vera", g.client)
	if got := jsonText(ev["request"].(map[string]any)["scopes"]); got != `["aws.cognito.signin.user.admin"]` {
		t.Errorf("V2 request scopes %s", got)
	}
}

// scnTriggerCustomMessage: the text and subject CustomMessage answers are what the outbox
// (hostsim) and the webhook (the Worker) deliver, the code in place.
func scnTriggerCustomMessage(t *testing.T, ep *Endpoint, a *adapter) {
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{CustomMessage: aws.String(fnArn("custom-message"))}), nil)
	call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("wyn"), Password: aws.String("Passw0rd-wyn"),
		UserAttributes: []types.AttributeType{attr("email", "wyn@example.com")}})).must(t)
	m := lastMessage(t, ep, "wyn@example.com", message.KindSignUp)
	if m.Message != "Thank you for signing up. "+m.Code+" is your verification code" || m.Subject != "Welcome to the service" {
		t.Fatalf("sign-up message %+v", m)
	}
	ev := a.lastEvent(t, f.pool, "CustomMessage_SignUp")
	wantEnvelope(t, ev, "1", "CustomMessage_SignUp", f.pool, "wyn", f.client)
	req := ev["request"].(map[string]any)
	if req["codeParameter"] != "{####}" || req["usernameParameter"] != nil || req["linkParameter"] != nil {
		t.Errorf("CustomMessage request %v", req)
	}
	call(ep.Admin().AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("xan"),
		UserAttributes: []types.AttributeType{attr("email", "xan@example.com")}})).must(t)
	m = lastMessage(t, ep, "xan@example.com", message.KindAdminCreateUser)
	if m.Message != "Welcome xan. Your temporary password is "+m.Code || m.Subject != "Your new account" {
		t.Fatalf("invitation %+v", m)
	}
	// Without a trigger, the pool's default text and subject.
	g := newFixture(t, ep, withTriggers(nil), nil)
	call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(g.client), Username: aws.String("yul"), Password: aws.String("Passw0rd-yul"),
		UserAttributes: []types.AttributeType{attr("email", "yul@example.com")}})).must(t)
	m = lastMessage(t, ep, "yul@example.com", message.KindSignUp)
	if m.Message != "Your verification code is "+m.Code+". " || m.Subject != "Your verification code" {
		t.Fatalf("default message %+v", m)
	}
}

// scnTriggerErrors: a handler that returns nothing, an endpoint that is down, and one that
// answers after 5 s by the server's clock.
func scnTriggerErrors(t *testing.T, ep *Endpoint, a *adapter) {
	for _, c := range []struct{ fn, code, msg string }{
		{"malformed", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
		{"unreachable", "UnexpectedLambdaException", "PreSignUp invocation failed due to error ServiceUnavailable."},
		{"slow", "UnexpectedLambdaException", "PreSignUp invocation failed due to error TimeoutError."},
		{"not-configured", "UnexpectedLambdaException", "PreSignUp invocation failed due to error ResourceNotFoundException."},
	} {
		f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{PreSignUp: aws.String(fnArn(c.fn))}), nil)
		_, err := ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("max"),
			Password: aws.String("Passw0rd-max"), UserAttributes: []types.AttributeType{attr("email", "max@example.com")}})
		wantErr(t, err, c.code, c.msg)
		_, err = ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("max")})
		wantErr(t, err, "UserNotFoundException", "")
	}
}

// scnTriggerSignUpRace: parallel SignUps of one name, each auto-confirmed by PreSignUp, make
// one user.
func scnTriggerSignUpRace(t *testing.T, ep *Endpoint, a *adapter) {
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{PreSignUp: aws.String(fnArn("pre-signup"))}), nil)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("race"),
				Password: aws.String("Passw0rd-race"), UserAttributes: []types.AttributeType{attr("email", fmt.Sprintf("race%d@example.com", i))},
				ValidationData: []types.AttributeType{attr("invite", "yes")}})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantErr(t, err, "UsernameExistsException", "")
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d racing sign-ups succeeded", won, n)
	}
	if g := f.adminGetUser(t, "race"); g.UserStatus != "CONFIRMED" {
		t.Fatalf("race: %s", g.UserStatus)
	}
	users := call(ep.Admin().ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.pool)})).must(t)
	if len(users.Users) != 1 {
		t.Fatalf("%d users", len(users.Users))
	}
}

// TestTriggersServiceBindingWorkerd runs a trigger that is another Worker: the Function names
// the service binding TRIGGERS, bound to a Worker made of the PreSignUp handler module and
// tools/lambda-adapter/worker.mjs, run by the same wrangler dev. The second Worker has no
// public URL; poolgate reaches it only through the binding, signed as over HTTP.
func TestTriggersServiceBindingWorkerd(t *testing.T) {
	root := repoRoot()
	dir := t.TempDir()
	entry := filepath.Join(dir, "triggers.mjs")
	writeFile(t, entry, fmt.Sprintf("import { handler } from %q;\nimport { lambdaWorker } from %q;\nexport default lambdaWorker(handler);\n",
		filepath.Join(root, "tests", "e2e", "testdata", "triggers", "pre_signup.mjs"),
		filepath.Join(root, "tools", "lambda-adapter", "worker.mjs")))
	aux := filepath.Join(dir, "triggers.toml")
	writeFile(t, aux, fmt.Sprintf("name = \"poolgate-triggers\"\nmain = %q\ncompatibility_date = \"2026-04-01\"\n\n[vars]\nPOOLGATE_TRIGGER_SECRET = %q\n",
		entry, triggerSecret))
	headless, err := os.ReadFile(filepath.Join(root, "wrangler.headless.toml"))
	if err != nil {
		t.Fatal(err)
	}
	mainConfig := strings.Replace(string(headless), `main = "edge/worker.mjs"`, fmt.Sprintf("main = %q", filepath.Join(root, "edge", "worker.mjs")), 1)
	mainConfig += "\n[[services]]\nbinding = \"TRIGGERS\"\nservice = \"poolgate-triggers\"\n"
	mainPath := filepath.Join(dir, "wrangler.toml")
	writeFile(t, mainPath, mainConfig)

	config := fmt.Sprintf(`{"Functions": [{"Arn": %q, "Service": "TRIGGERS"}, {"Arn": %q, "Service": "NO_SUCH_BINDING"}]}`,
		fnArn("bound-pre-signup"), fnArn("unbound"))
	ep := startWorker(t, []byte(config), time.Time{}, func(o *edgelocal.Options) {
		o.Config, o.MoreConfigs = mainPath, []string{aux}
	})

	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{PreSignUp: aws.String(fnArn("bound-pre-signup"))}), nil)
	out := call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("nia"),
		Password: aws.String("Passw0rd-nia"), UserAttributes: []types.AttributeType{attr("email", "nia@example.com")},
		ValidationData: []types.AttributeType{attr("invite", "yes")}})).must(t)
	if !out.UserConfirmed {
		t.Fatal("the bound Worker's PreSignUp did not confirm the user")
	}
	_, err = ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("oz"),
		Password: aws.String("Passw0rd-oz"), UserAttributes: []types.AttributeType{attr("email", "oz@blocked.example")}})
	wantErr(t, err, "UserLambdaValidationException", "PreSignUp failed with error Domain not allowed.")

	g := newFixture(t, ep, withTriggers(&types.LambdaConfigType{PreSignUp: aws.String(fnArn("unbound"))}), nil)
	_, err = ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(g.client), Username: aws.String("pat"),
		Password: aws.String("Passw0rd-pat"), UserAttributes: []types.AttributeType{attr("email", "pat@example.com")}})
	wantErr(t, err, "UnexpectedLambdaException", "PreSignUp invocation failed due to error ServiceUnavailable.")
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
