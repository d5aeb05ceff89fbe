package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
)

func TestLambdaConfigCreateDescribeUpdate(t *testing.T) {
	env := newTestEnv(t)
	full := map[string]any{
		"PreSignUp": arnOf("a"), "CustomMessage": arnOf("b"), "PostConfirmation": arnOf("c"),
		"PreAuthentication": arnOf("d"), "PostAuthentication": arnOf("e"), "DefineAuthChallenge": arnOf("f"),
		"CreateAuthChallenge": arnOf("g"), "VerifyAuthChallengeResponse": arnOf("h"), "UserMigration": arnOf("i"),
		"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V2_0", "LambdaArn": arnOf("j")},
		"CustomSMSSender":          map[string]any{"LambdaVersion": "V1_0", "LambdaArn": arnOf("k")},
		"CustomEmailSender":        map[string]any{"LambdaVersion": "V1_0", "LambdaArn": arnOf("l")},
		"KMSKeyID":                 "arn:aws:kms:us-east-1:" + testAccountID + ":key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	id := env.createPool(map[string]any{"LambdaConfig": full})
	lc := mObj(mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool"), "LambdaConfig")
	want := map[string]any{}
	for k, v := range full {
		want[k] = v
	}
	want["PreTokenGeneration"] = arnOf("j") // Cognito shows both spellings
	if !reflect.DeepEqual(lc, want) {
		t.Fatalf("LambdaConfig\n got %v\nwant %v", lc, want)
	}
	listed := env.call("ListUserPools", map[string]any{"MaxResults": 10})["UserPools"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(listed["LambdaConfig"], want) {
		t.Fatalf("ListUserPools LambdaConfig %v", listed["LambdaConfig"])
	}

	// V1 spelled the old way gets its config shown too.
	env.call("UpdateUserPool", map[string]any{"UserPoolId": id, "LambdaConfig": map[string]any{"PreTokenGeneration": arnOf("j")}})
	lc = mObj(mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool"), "LambdaConfig")
	if !reflect.DeepEqual(lc, map[string]any{"PreTokenGeneration": arnOf("j"),
		"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V1_0", "LambdaArn": arnOf("j")}}) {
		t.Fatalf("after update: %v", lc)
	}
	// An update without LambdaConfig removes the triggers, as AWS does.
	env.call("UpdateUserPool", map[string]any{"UserPoolId": id})
	if _, has := mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool")["LambdaConfig"]; has {
		t.Fatal("LambdaConfig kept by an update that omits it")
	}
}

func TestLambdaConfigRejected(t *testing.T) {
	env := newTestEnv(t)
	kms := "arn:aws:kms:us-east-1:" + testAccountID + ":alias/codes"
	for name, c := range map[string]struct {
		lc   map[string]any
		tier string
		typ  awsjson.Type
		msg  string
	}{
		"not an ARN":         {map[string]any{"PreSignUp": "pre-signup"}, "", awsjson.ErrInvalidParameter, "at 'lambdaConfig.preSignUp'"},
		"not a function":     {map[string]any{"PostConfirmation": "arn:aws:sns:us-east-1:123456789012:topic:x"}, "", awsjson.ErrInvalidParameter, "lambdaConfig.postConfirmation"},
		"bad version":        {map[string]any{"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V4_0", "LambdaArn": arnOf("t")}}, "", awsjson.ErrInvalidParameter, "enum value set: [V1_0, V2_0, V3_0]"},
		"version no arn":     {map[string]any{"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V2_0"}}, "", awsjson.ErrInvalidParameter, "must not be null"},
		"two functions":      {map[string]any{"PreTokenGeneration": arnOf("a"), "PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V1_0", "LambdaArn": arnOf("b")}}, "", awsjson.ErrInvalidParameter, "same function"},
		"V3 on LITE":         {map[string]any{"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V3_0", "LambdaArn": arnOf("t")}}, "LITE", awsjson.ErrFeatureUnavailableInTier, "V3_0"},
		"sender without KMS": {map[string]any{"CustomEmailSender": map[string]any{"LambdaVersion": "V1_0", "LambdaArn": arnOf("s")}}, "", awsjson.ErrInvalidParameter, "KMSKeyID"},
		"sender V2":          {map[string]any{"CustomSMSSender": map[string]any{"LambdaVersion": "V2_0", "LambdaArn": arnOf("s")}, "KMSKeyID": kms}, "", awsjson.ErrInvalidParameter, "[V1_0]"},
		"bad KMS key":        {map[string]any{"KMSKeyID": "arn:aws:lambda:us-east-1:123456789012:function:f"}, "", awsjson.ErrInvalidParameter, "lambdaConfig.kMSKeyID"},
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string]any{"PoolName": "p", "LambdaConfig": c.lc}
			if c.tier != "" {
				in["UserPoolTier"] = c.tier
			}
			typ, msg := env.callErr("CreateUserPool", in)
			if typ != string(c.typ) || !strings.Contains(msg, c.msg) {
				t.Fatalf("got %s %q, want %s containing %q", typ, msg, c.typ, c.msg)
			}
		})
	}
	// V1 on LITE is fine; a long value is clipped in the message.
	env.createPool(map[string]any{"UserPoolTier": "LITE", "LambdaConfig": map[string]any{"PreTokenGeneration": arnOf("t")}})
	_, msg := env.callErr("CreateUserPool", map[string]any{"PoolName": "p", "LambdaConfig": map[string]any{"PreSignUp": strings.Repeat("a", 2000)}})
	if len(msg) > 400 {
		t.Fatalf("message of %d bytes", len(msg))
	}
}

func TestFunctionsApply(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	spec := ConfigSpec{}
	if err := json.Unmarshal([]byte(`{"Functions": [
		{"Arn": "`+arnOf("pre")+`", "Url": "http://127.0.0.1:9000/pre"},
		{"Arn": "`+arnOf("post")+`", "Service": "POST_HOOK"}]}`), &spec); err != nil {
		t.Fatal(err)
	}
	out, err := env.svc.Apply(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Functions.Created) != 2 || !strings.Contains(out.String(), "functions: 2 created") {
		t.Fatalf("applied %+v: %s", out.Functions, out.String())
	}
	f, ok, err := env.svc.function(ctx, arnOf("post"))
	if err != nil || !ok || f.Service != "POST_HOOK" {
		t.Fatalf("function: %+v %v %v", f, ok, err)
	}
	// A file without Functions leaves the table; one with them replaces it.
	if _, err := env.svc.Apply(ctx, ConfigSpec{}); err != nil {
		t.Fatal(err)
	}
	spec.Functions = spec.Functions[:1]
	out, err = env.svc.Apply(ctx, spec)
	if err != nil || len(out.Functions.Unchanged) != 1 {
		t.Fatalf("re-apply: %+v %v", out.Functions, err)
	}
	if _, ok, _ := env.svc.function(ctx, arnOf("post")); ok {
		t.Fatal("a function the file no longer names is still there")
	}
	for _, bad := range []string{
		`{"Functions": [{"Arn": "x", "Url": "http://h/"}]}`,
		`{"Functions": [{"Arn": "` + arnOf("a") + `"}]}`,
		`{"Functions": [{"Arn": "` + arnOf("a") + `", "Url": "http://h/"}, {"Arn": "` + arnOf("a") + `", "Url": "http://i/"}]}`,
	} {
		var s ConfigSpec
		if err := json.Unmarshal([]byte(bad), &s); err != nil {
			t.Fatal(err)
		}
		if _, err := env.svc.Apply(ctx, s); err == nil {
			t.Errorf("%s applied", bad)
		}
	}
}

// TestInvokeTrigger drives invokeTrigger (the migration code's entry too) against handlers.
func TestInvokeTrigger(t *testing.T) {
	env := newTestEnv(t)
	tr := env.withTriggers(map[string]lambdaFunc{
		"ok":      func(ev map[string]any) any { return respond(ev, map[string]any{"autoConfirmUser": true}) },
		"throw":   func(ev map[string]any) any { return rawAnswer{500, `{"errorType":"Error","errorMessage":"nope"}`} },
		"garbage": func(ev map[string]any) any { return rawAnswer{200, `hello`} },
		"wrongty": func(ev map[string]any) any { return respond(ev, map[string]any{"autoConfirmUser": "yes"}) },
		"slow": func(ev map[string]any) any {
			env.clock.Advance(6 * time.Second)
			return ev
		},
	})
	ctx := context.Background()
	type req struct {
		UserAttributes map[string]string `json:"userAttributes"`
	}
	type resp struct {
		AutoConfirmUser bool `json:"autoConfirmUser"`
	}
	pool := func(fn string) *Pool {
		return &Pool{Id: "eu-west-1_Abc", LambdaConfig: &LambdaConfig{PreSignUp: arnOf(fn), CustomMessage: arnOf("absent")}}
	}
	var out resp
	err := env.svc.invokeTrigger(ctx, pool("ok"), "PreSignUp", "PreSignUp_SignUp", "alice", "client1",
		req{UserAttributes: map[string]string{"email": "a@example.com"}}, &out)
	if err != nil || !out.AutoConfirmUser {
		t.Fatalf("ok: %v %+v", err, out)
	}
	ev := tr.last("PreSignUp_SignUp")
	b, _ := json.Marshal(ev)
	if string(b) != `{"callerContext":{"awsSdkVersion":"aws-sdk-poolgate-1","clientId":"client1"},"region":"eu-west-1",`+
		`"request":{"userAttributes":{"email":"a@example.com"}},"response":{"autoConfirmUser":false},"triggerSource":"PreSignUp_SignUp",`+
		`"userName":"alice","userPoolId":"eu-west-1_Abc","version":"1"}` {
		t.Fatalf("event %s", b)
	}
	for fn, want := range map[string]struct {
		typ awsjson.Type
		msg string
	}{
		"throw":   {awsjson.ErrUserLambdaValidation, "PreSignUp failed with error nope."},
		"garbage": {awsjson.ErrInvalidLambdaResponse, "Unrecognizable lambda output"},
		"wrongty": {awsjson.ErrInvalidLambdaResponse, "Unrecognizable lambda output"},
		"slow":    {awsjson.ErrUnexpectedLambda, "PreSignUp invocation failed due to error TimeoutError."},
	} {
		err := env.svc.invokeTrigger(ctx, pool(fn), "PreSignUp", "PreSignUp_SignUp", "alice", "c", req{}, &resp{})
		var ae *awsjson.Error
		if !errors.As(err, &ae) || ae.Type != want.typ || ae.Message != want.msg {
			t.Errorf("%s: %v, want %s %q", fn, err, want.typ, want.msg)
		}
	}
	err = env.svc.invokeTrigger(ctx, pool("ok"), "CustomMessage", "CustomMessage_SignUp", "alice", "c", req{}, &resp{})
	var ae *awsjson.Error
	if !errors.As(err, &ae) || ae.Type != awsjson.ErrUnexpectedLambda {
		t.Fatalf("function without a Functions entry: %v", err)
	}
	if err := env.svc.invokeTrigger(ctx, pool("ok"), "PostConfirmation", "x", "alice", "c", req{}, &resp{}); !errors.Is(err, errNoTrigger) {
		t.Fatalf("no trigger: %v", err)
	}
	if arn, ok := pool("ok").triggerArn("PreSignUp"); !ok || arn != arnOf("ok") {
		t.Fatal("triggerArn")
	}
}
