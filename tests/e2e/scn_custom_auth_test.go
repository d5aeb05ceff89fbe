package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/srp"
)

// The migration and custom-auth scenarios run with the trigger scenarios (triggers_test.go),
// against Lambda-style handlers behind the Node adapter, on hostsim and on the Worker.
func init() {
	triggerFunctions["user-migration"] = "user_migration.mjs"
	triggerFunctions["define-auth"] = "define_auth_challenge.mjs"
	triggerFunctions["create-auth"] = "create_auth_challenge.mjs"
	triggerFunctions["verify-auth"] = "verify_auth_challenge.mjs"
	triggerScenarios = append(triggerScenarios,
		struct {
			name string
			run  func(t *testing.T, ep *Endpoint, a *adapter)
		}{"UserMigration", scnUserMigration},
		struct {
			name string
			run  func(t *testing.T, ep *Endpoint, a *adapter)
		}{"CustomAuth", scnCustomAuth})
}

// scnUserMigration: an unknown user signs in; the UserMigration handler checks the password
// against the legacy system and the user is created with it; the next sign-ins (SRP too) do
// not call the handler. ForgotPassword migrates a user as RESET_REQUIRED.
func scnUserMigration(t *testing.T, ep *Endpoint, a *adapter) {
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{UserMigration: aws.String(fnArn("user-migration"))}),
		func(in *cip.CreateUserPoolClientInput) { in.ExplicitAuthFlows = allFlows })
	_, err := f.passwordAuth("lee", "Wrong-Pass-1")
	wantErr(t, err, "UserLambdaValidationException", "UserMigration failed with error Bad password.")
	_, err = f.passwordAuth("nobody", "Wrong-Pass-1")
	wantErr(t, err, "UserLambdaValidationException", "UserMigration failed with error User does not exist.")

	f.tokens(t, "lee", "Legacy-Pass-1")
	ev := a.lastEvent(t, f.pool, "UserMigration_Authentication")
	wantEnvelope(t, ev, "1", "UserMigration_Authentication", f.pool, "lee", f.client)
	if got := jsonText(ev["request"]); got != `{"clientMetadata":{},"password":"Legacy-Pass-1","validationData":{}}` {
		t.Fatalf("UserMigration request %s", got)
	}
	if u := f.adminGetUser(t, "lee"); u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("migrated user status %s", u.UserStatus)
	}
	n := len(a.events(t, f.pool))
	if out := call(f.srpSignIn(t, "lee", "Legacy-Pass-1")).must(t); out.AuthenticationResult == nil {
		t.Fatal("SRP after migration gave no tokens")
	}
	out := call(ep.Admin().AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "lee", "PASSWORD": "Legacy-Pass-1"}})).must(t)
	if out.AuthenticationResult == nil {
		t.Fatal("ADMIN_USER_PASSWORD_AUTH after migration gave no tokens")
	}
	if m := len(a.events(t, f.pool)); m != n {
		t.Fatalf("the handler ran again after migration (%d events, was %d)", m, n)
	}

	// ForgotPassword: RESET_REQUIRED, then the code resets it.
	call(ep.Public().ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("rita")})).must(t)
	wantEnvelope(t, a.lastEvent(t, f.pool, "UserMigration_ForgotPassword"), "1", "UserMigration_ForgotPassword", f.pool, "rita", f.client)
	if u := f.adminGetUser(t, "rita"); u.UserStatus != types.UserStatusTypeResetRequired {
		t.Fatalf("rita: status %s", u.UserStatus)
	}
	code := lastMessage(t, ep, "rita@legacy.example", "ForgotPassword").Code
	call(ep.Public().ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.client), Username: aws.String("rita"),
		ConfirmationCode: aws.String(code), Password: aws.String("New-Pass-rita1")})).must(t)
	f.tokens(t, "rita", "New-Pass-rita1")
}

// scnCustomAuth: CUSTOM_AUTH through the AWS SDK with Define/Create/Verify handlers written as
// AWS's examples: a wrong answer, then the right one; the events' session history; the Session
// good for one answer; failAuthentication after three wrong answers; AdminInitiateAuth too.
func scnCustomAuth(t *testing.T, ep *Endpoint, a *adapter) {
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{DefineAuthChallenge: aws.String(fnArn("define-auth")),
		CreateAuthChallenge: aws.String(fnArn("create-auth")), VerifyAuthChallengeResponse: aws.String(fnArn("verify-auth"))}),
		func(in *cip.CreateUserPoolClientInput) {
			in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
		})
	f.createUser(t, "cody", "Passw0rd-cody", attr("email", "cody@example.com"))
	start := func() *cip.InitiateAuthOutput {
		out := call(ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: aws.String(f.client),
			AuthParameters: map[string]string{"USERNAME": "cody"}})).must(t)
		if out.ChallengeName != "CUSTOM_CHALLENGE" || out.ChallengeParameters["hint"] != "what is six times seven?" ||
			out.ChallengeParameters["USERNAME"] != "cody" || out.ChallengeParameters["answer"] != "" {
			t.Fatalf("CUSTOM_AUTH: %s %v", out.ChallengeName, out.ChallengeParameters)
		}
		return out
	}
	answer := func(session *string, ans string) (*cip.RespondToAuthChallengeOutput, error) {
		return ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: "CUSTOM_CHALLENGE",
			ClientId: aws.String(f.client), Session: session, ChallengeResponses: map[string]string{"USERNAME": "cody", "ANSWER": ans}})
	}
	first := start()
	second := call(answer(first.Session, "41")).must(t)
	if second.ChallengeName != "CUSTOM_CHALLENGE" || second.AuthenticationResult != nil {
		t.Fatalf("wrong answer: %s", second.ChallengeName)
	}
	_, err := answer(first.Session, "42")
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	done := call(answer(second.Session, "42")).must(t)
	if done.AuthenticationResult == nil || aws.ToString(done.AuthenticationResult.IdToken) == "" {
		t.Fatal("right answer: no tokens")
	}
	ev := a.lastEvent(t, f.pool, "DefineAuthChallenge_Authentication")
	wantEnvelope(t, ev, "1", "DefineAuthChallenge_Authentication", f.pool, "cody", f.client)
	history, _ := json.Marshal(ev["request"].(map[string]any)["session"])
	if string(history) != `[{"challengeMetadata":"QUESTION-1","challengeName":"CUSTOM_CHALLENGE","challengeResult":false},{"challengeMetadata":"QUESTION-2","challengeName":"CUSTOM_CHALLENGE","challengeResult":true}]` {
		t.Fatalf("session history %s", history)
	}
	wantEnvelope(t, a.lastEvent(t, f.pool, "CreateAuthChallenge_Authentication"), "1", "CreateAuthChallenge_Authentication", f.pool, "cody", f.client)
	verify := a.lastEvent(t, f.pool, "VerifyAuthChallengeResponse_Authentication")
	wantEnvelope(t, verify, "1", "VerifyAuthChallengeResponse_Authentication", f.pool, "cody", f.client)
	if req := verify["request"].(map[string]any); req["challengeAnswer"] != "42" || jsonText(req["privateChallengeParameters"]) != `{"answer":"42"}` {
		t.Fatalf("verify request %s", jsonText(req))
	}

	// Three wrong answers: failAuthentication.
	out := start()
	session := out.Session
	for i := range 3 {
		next, err := answer(session, fmt.Sprint(i))
		if i == 2 {
			wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
			break
		}
		session = call(next, err).must(t).Session
	}

	// Racing answers with one Session: one goes on.
	out = start()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = answer(out.Session, "42")
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
		}
	}
	if wins != 1 {
		t.Fatalf("%d racing answers succeeded, want 1", wins)
	}

	// SRP first: PASSWORD_VERIFIER with a Session, then the custom challenge.
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pv := call(ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": "cody", "SRP_A": cl.AHex(), "CHALLENGE_NAME": "SRP_A"}})).must(t)
	if pv.ChallengeName != "PASSWORD_VERIFIER" || pv.Session == nil {
		t.Fatalf("CUSTOM_AUTH with SRP_A: %s", pv.ChallengeName)
	}
	block, _ := base64.StdEncoding.DecodeString(pv.ChallengeParameters["SECRET_BLOCK"])
	stamp := srp.FormatTimestamp(ep.Now())
	userID := pv.ChallengeParameters["USER_ID_FOR_SRP"]
	sig, err := cl.Signature(srp.PoolName(f.pool), userID, "Passw0rd-cody", pv.ChallengeParameters["SALT"], pv.ChallengeParameters["SRP_B"], block, stamp)
	if err != nil {
		t.Fatal(err)
	}
	next := call(ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: "PASSWORD_VERIFIER",
		ClientId: aws.String(f.client), Session: pv.Session, ChallengeResponses: map[string]string{"USERNAME": userID,
			"PASSWORD_CLAIM_SECRET_BLOCK": pv.ChallengeParameters["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}})).must(t)
	if next.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("after PASSWORD_VERIFIER: %s", next.ChallengeName)
	}
	if res := call(answer(next.Session, "42")).must(t); res.AuthenticationResult == nil {
		t.Fatal("CUSTOM_AUTH with SRP: no tokens")
	}
	history, _ = json.Marshal(a.lastEvent(t, f.pool, "DefineAuthChallenge_Authentication")["request"].(map[string]any)["session"])
	if string(history) != `[{"challengeMetadata":null,"challengeName":"SRP_A","challengeResult":true},{"challengeMetadata":null,"challengeName":"PASSWORD_VERIFIER","challengeResult":true},{"challengeMetadata":"QUESTION-3","challengeName":"CUSTOM_CHALLENGE","challengeResult":true}]` {
		t.Fatalf("session history with SRP %s", history)
	}

	// AdminInitiateAuth / AdminRespondToAuthChallenge.
	admin := call(ep.Admin().AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client),
		AuthFlow: "CUSTOM_AUTH", AuthParameters: map[string]string{"USERNAME": "cody"}})).must(t)
	res := call(ep.Admin().AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(f.pool),
		ClientId: aws.String(f.client), ChallengeName: "CUSTOM_CHALLENGE", Session: admin.Session,
		ChallengeResponses: map[string]string{"USERNAME": "cody", "ANSWER": "42"}})).must(t)
	if res.AuthenticationResult == nil {
		t.Fatal("admin custom auth: no tokens")
	}
}
