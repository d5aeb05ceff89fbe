package userpool

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/srp"
)

// customTriggers are Define/Create/Verify handlers as AWS's examples write them: up to three
// CUSTOM_CHALLENGE rounds whose answer is a code kept in privateChallengeParameters.
func customTriggers() map[string]lambdaFunc {
	return map[string]lambdaFunc{
		"define": func(ev map[string]any) any {
			session := ev["request"].(map[string]any)["session"].([]any)
			n := len(session)
			switch {
			case n == 1 && session[0].(map[string]any)["challengeName"] == "SRP_A":
				return respond(ev, map[string]any{"issueTokens": false, "failAuthentication": false, "challengeName": "PASSWORD_VERIFIER"})
			case n > 0 && session[n-1].(map[string]any)["challengeName"] == "CUSTOM_CHALLENGE" && session[n-1].(map[string]any)["challengeResult"] == true:
				return respond(ev, map[string]any{"issueTokens": true, "failAuthentication": false})
			case n >= 3 && session[0].(map[string]any)["challengeName"] != "SRP_A":
				return respond(ev, map[string]any{"issueTokens": false, "failAuthentication": true})
			}
			return respond(ev, map[string]any{"issueTokens": false, "failAuthentication": false, "challengeName": "CUSTOM_CHALLENGE"})
		},
		"create": func(ev map[string]any) any {
			round := len(ev["request"].(map[string]any)["session"].([]any)) + 1
			return respond(ev, map[string]any{
				"publicChallengeParameters":  map[string]any{"hint": "the code is 4242", "round": strings.Repeat("I", round)},
				"privateChallengeParameters": map[string]any{"answer": "4242"},
				"challengeMetadata":          "CODE-" + strings.Repeat("I", round)})
		},
		"verify": func(ev map[string]any) any {
			req := ev["request"].(map[string]any)
			right := req["challengeAnswer"] == req["privateChallengeParameters"].(map[string]any)["answer"]
			return respond(ev, map[string]any{"answerCorrect": right})
		},
	}
}

var customClient = map[string]any{"ExplicitAuthFlows": []string{"ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}

func newCustomSetup(t *testing.T, clientIn map[string]any) (*authSetup, *triggers) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"DefineAuthChallenge": arnOf("define"),
		"CreateAuthChallenge": arnOf("create"), "VerifyAuthChallengeResponse": arnOf("verify")}}, clientIn)
	return a, a.withTriggers(customTriggers())
}

func (a *authSetup) customStart(name string) (int, map[string]any) {
	return a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "CUSTOM_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]string{"USERNAME": name}})
}

func (a *authSetup) customAnswer(name, answer, session string) (int, map[string]any) {
	return a.respond("CUSTOM_CHALLENGE", map[string]any{"USERNAME": name, "ANSWER": answer}, session)
}

func TestCustomAuth(t *testing.T) {
	a, tr := newCustomSetup(t, customClient)
	a.signUpConfirmed("cora", "cora@example.com")
	status, out := a.customStart("cora")
	if status != http.StatusOK || out["ChallengeName"] != "CUSTOM_CHALLENGE" {
		t.Fatalf("start: %d %v", status, out)
	}
	if got := jsonOf(out["ChallengeParameters"]); got != `{"USERNAME":"cora","hint":"the code is 4242","round":"I"}` {
		t.Fatalf("ChallengeParameters %s", got)
	}
	if strings.Contains(jsonOf(out), `"answer"`) {
		t.Fatal("private parameters reached the client")
	}
	first := out["Session"].(string)
	status, out = a.customAnswer("cora", "1111", first)
	if status != http.StatusOK || out["ChallengeName"] != "CUSTOM_CHALLENGE" || paramsOf(out["ChallengeParameters"])["round"] != "II" {
		t.Fatalf("wrong answer: %d %v", status, out)
	}
	// The first Session is spent.
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.customAnswer("cora", "4242", first))
	a.tokens(a.customAnswer("cora", "4242", out["Session"].(string)))

	ev := tr.last("DefineAuthChallenge_Authentication")
	wantEvent(t, ev, "1", "DefineAuthChallenge_Authentication", a.pool, "cora", a.client)
	session := jsonOf(ev["request"].(map[string]any)["session"])
	if session != `[{"challengeMetadata":"CODE-I","challengeName":"CUSTOM_CHALLENGE","challengeResult":false},{"challengeMetadata":"CODE-II","challengeName":"CUSTOM_CHALLENGE","challengeResult":true}]` {
		t.Fatalf("history %s", session)
	}
	ev = tr.last("VerifyAuthChallengeResponse_Authentication")
	req := ev["request"].(map[string]any)
	if req["challengeAnswer"] != "4242" || jsonOf(req["privateChallengeParameters"]) != `{"answer":"4242"}` {
		t.Fatalf("verify request %s", jsonOf(req))
	}

	// Three wrong answers: Define fails the sign-in.
	_, out = a.customStart("cora")
	for range 2 {
		_, out = a.customAnswer("cora", "0000", out["Session"].(string))
	}
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.customAnswer("cora", "0000", out["Session"].(string)))

	// Bad input.
	_, out = a.customStart("cora")
	a.want("InvalidParameterException", "Missing required parameter ANSWER")(a.customAnswer("cora", "", out["Session"].(string)))
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.customAnswer("other", "4242", out["Session"].(string)))
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.customAnswer("cora", "4242", "AAAA"+out["Session"].(string)[4:]))
	a.want("UserNotFoundException", "")(a.customStart("nobody"))
	a.clock.Advance(3 * 60 * 1e9)
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.customAnswer("cora", "4242", out["Session"].(string)))
}

func TestCustomAuthRefusals(t *testing.T) {
	a := newAuthSetup(t, nil, customClient)
	a.signUpConfirmed("cora", "cora@example.com")
	a.want("InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.")(a.customStart("cora"))

	b, _ := newCustomSetup(t, passwordClient)
	b.want("InvalidParameterException", "CUSTOM_AUTH flow not enabled for this client")(b.customStart("cora"))

	// A Define that names no challenge is an unusable answer.
	c := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"DefineAuthChallenge": arnOf("define"),
		"CreateAuthChallenge": arnOf("create"), "VerifyAuthChallengeResponse": arnOf("verify")}}, customClient)
	c.signUpConfirmed("cora", "cora@example.com")
	c.withTriggers(map[string]lambdaFunc{"define": func(ev map[string]any) any { return ev },
		"create": func(ev map[string]any) any { return ev }, "verify": func(ev map[string]any) any { return ev }})
	c.want(string(awsjson.ErrInvalidLambdaResponse), "")(c.customStart("cora"))
}

// TestCustomAuthUnknownUser: with PreventUserExistenceErrors an unknown name runs the loop with
// userNotFound and never gets tokens.
func TestCustomAuthUnknownUser(t *testing.T) {
	a, tr := newCustomSetup(t, map[string]any{"ExplicitAuthFlows": []string{"ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		"PreventUserExistenceErrors": "ENABLED"})
	status, out := a.customStart("ghost")
	if status != http.StatusOK || out["ChallengeName"] != "CUSTOM_CHALLENGE" {
		t.Fatalf("start: %d %v", status, out)
	}
	if ev := tr.last("CreateAuthChallenge_Authentication"); ev["request"].(map[string]any)["userNotFound"] != true {
		t.Fatalf("create event %v", ev)
	}
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.customAnswer("ghost", "4242", out["Session"].(string)))
}

// TestRaceCustomAnswer: of racing answers with one Session, one goes on.
func TestRaceCustomAnswer(t *testing.T) {
	a, _ := newCustomSetup(t, customClient)
	a.signUpConfirmed("cora", "cora@example.com")
	_, out := a.customStart("cora")
	session := out["Session"].(string)
	var wg sync.WaitGroup
	status := make([]int, 10)
	for i := range status {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i], _ = a.customAnswer("cora", "4242", session)
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range status {
		if s == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d answers went on, want 1", ok)
	}
}

// TestCustomAuthWithSRP: CUSTOM_AUTH started with SRP_A: PASSWORD_VERIFIER (with a Session)
// first, then the custom challenge; the history shows SRP_A and PASSWORD_VERIFIER.
func TestCustomAuthWithSRP(t *testing.T) {
	a, tr := newCustomSetup(t, customClient)
	a.signUpConfirmed("cora", "cora@example.com")
	start := func() (*srp.Client, map[string]any) {
		cl, err := srp.NewClient(hostcrypto.Pure{}, a.svc.d.Rand)
		if err != nil {
			t.Fatal(err)
		}
		status, out := a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "CUSTOM_AUTH", "ClientId": a.client,
			"AuthParameters": map[string]string{"USERNAME": "cora", "SRP_A": cl.AHex(), "CHALLENGE_NAME": "SRP_A"}})
		if status != http.StatusOK || out["ChallengeName"] != "PASSWORD_VERIFIER" || out["Session"] == nil {
			t.Fatalf("start: %d %v", status, out)
		}
		return cl, out
	}
	cl, out := start()
	status, out := a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, out, testPassword, a.clock.Now()), out["Session"].(string))
	if status != http.StatusOK || out["ChallengeName"] != "CUSTOM_CHALLENGE" {
		t.Fatalf("after the password: %d %v", status, out)
	}
	a.tokens(a.customAnswer("cora", "4242", out["Session"].(string)))
	history := jsonOf(tr.last("DefineAuthChallenge_Authentication")["request"].(map[string]any)["session"])
	if history != `[{"challengeMetadata":null,"challengeName":"SRP_A","challengeResult":true},{"challengeMetadata":null,"challengeName":"PASSWORD_VERIFIER","challengeResult":true},{"challengeMetadata":"CODE-III","challengeName":"CUSTOM_CHALLENGE","challengeResult":true}]` {
		t.Fatalf("history %s", history)
	}
	// A wrong password ends the sign-in.
	cl, out = start()
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, out, "Wrong-pass1!", a.clock.Now()), out["Session"].(string)))
	// The Session of one sign-in does not carry another's proof.
	cl, out = start()
	_, other := start()
	a.want("NotAuthorizedException", "")(a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, out, testPassword, a.clock.Now()), other["Session"].(string)[:40]))
}

// FuzzCustomSession: a Session from the outside opens only if poolgate sealed it; anything else
// is "session is expired", never another error or a panic.
func FuzzCustomSession(f *testing.F) {
	a := newAuthSetup(f, nil, customClient)
	c := &Client{ClientId: a.client}
	good, err := a.svc.sealCustomSession(c, &customSession{Pool: a.pool, Client: a.client, Username: "cora", History: []challengeResult{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("AAAA" + good[4:])
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, raw string) {
		st, err := a.svc.openCustomSession(raw)
		if err != nil {
			if errType(err) != "NotAuthorizedException" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if raw != good || st.Username != "cora" {
			t.Fatalf("opened a Session poolgate did not seal: %q", raw)
		}
	})
}
