package userpool

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

// preTokenV2Handler is AWS's V2 example in Go: claims and scopes added and suppressed on both
// tokens, groups overridden.
func preTokenV2Handler(ev map[string]any) any {
	return respond(ev, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
		"idTokenGeneration": map[string]any{
			"claimsToAddOrOverride": map[string]any{"family_name": "Doe", "tenant": map[string]any{"id": 7}},
			"claimsToSuppress":      []string{"email", "sub"}, // sub is protected: kept
		},
		"accessTokenGeneration": map[string]any{
			"claimsToAddOrOverride": map[string]any{"my_first_attribute": "first_value", "token_use": "id"},
			"claimsToSuppress":      []string{"username"},
			"scopesToAdd":           []string{"openid", "solar-system-data/asteroids.add"},
			"scopesToSuppress":      []string{"aws.cognito.signin.user.admin"},
		},
		"groupOverrideDetails": map[string]any{
			"groupsToOverride":   []string{"new-group-A", "new-group-B"},
			"iamRolesToOverride": []string{"arn:aws:iam::123456789012:role/new_roleA"},
			"preferredRole":      "arn:aws:iam::123456789012:role/new_roleA",
		},
	}})
}

func TestPreTokenGenerationV1(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{"PreTokenGeneration": arnOf("v1")}},
		map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	a.signUpConfirmed("vic", "vic@example.com")
	a.call("CreateGroup", map[string]any{"UserPoolId": a.pool, "GroupName": "admins"})
	a.call("AdminAddUserToGroup", map[string]any{"UserPoolId": a.pool, "GroupName": "admins", "Username": "vic"})
	tr := a.withTriggers(map[string]lambdaFunc{"v1": func(ev map[string]any) any {
		// AWS's V1 example, plus a group override.
		ev["response"] = map[string]any{"claimsOverrideDetails": map[string]any{
			"claimsToAddOrOverride": map[string]any{"my_first_attribute": "first_value", "iss": "evil"},
			"claimsToSuppress":      []string{"email"},
			"groupOverrideDetails":  map[string]any{"groupsToOverride": []string{"readers"}},
		}}
		return ev
	}})
	access, id, refresh := a.tokens(a.passwordLogin("vic", testPassword))
	idc, ac := a.verify(id), a.verify(access)
	if idc["my_first_attribute"] != "first_value" || idc["email"] != nil || idc["iss"] != a.svc.Issuer(a.pool) {
		t.Fatalf("ID token %v", idc)
	}
	if !reflect.DeepEqual(idc["cognito:groups"], []any{"readers"}) || !reflect.DeepEqual(ac["cognito:groups"], []any{"readers"}) {
		t.Fatalf("groups %v %v", idc["cognito:groups"], ac["cognito:groups"])
	}
	if ac["my_first_attribute"] != nil {
		t.Fatal("V1 changed the access token's claims")
	}
	ev := tr.last("TokenGeneration_Authentication")
	wantEvent(t, ev, "1", "TokenGeneration_Authentication", a.pool, "vic", a.client)
	vic := a.user(a.pool, "vic")
	if got := jsonOf(ev["request"]); got != `{"groupConfiguration":{"groupsToOverride":["admins"],"iamRolesToOverride":[],"preferredRole":null},`+
		`"userAttributes":{"cognito:user_status":"CONFIRMED","email":"vic@example.com","email_verified":"true","sub":"`+vic.Sub+`"}}` {
		t.Fatalf("request %s", got)
	}
	if jsonOf(ev["response"]) != `{"claimsOverrideDetails":null}` {
		t.Fatalf("response as sent %s", jsonOf(ev["response"]))
	}
	a.call("InitiateAuth", map[string]any{"ClientId": a.client, "AuthFlow": "REFRESH_TOKEN_AUTH",
		"AuthParameters": map[string]string{"REFRESH_TOKEN": refresh}})
	wantEvent(t, tr.last("TokenGeneration_RefreshTokens"), "1", "TokenGeneration_RefreshTokens", a.pool, "vic", a.client)

	// V1 claims are strings.
	a.withTriggers(map[string]lambdaFunc{"v1": func(ev map[string]any) any {
		return respond(ev, map[string]any{"claimsOverrideDetails": map[string]any{"claimsToAddOrOverride": map[string]any{"n": 1}}})
	}})
	typ, _ := a.errOf(a.passwordLogin("vic", testPassword))
	if typ != "InvalidLambdaResponseException" {
		t.Fatalf("a number claim in V1: %s", typ)
	}
}

func TestPreTokenGenerationV2(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"LambdaConfig": map[string]any{
		"PreTokenGenerationConfig": map[string]any{"LambdaVersion": "V2_0", "LambdaArn": arnOf("v2")}}},
		map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	a.signUpConfirmed("wes", "wes@example.com")
	tr := a.withTriggers(map[string]lambdaFunc{"v2": preTokenV2Handler})
	access, id, _ := a.tokens(a.passwordLogin("wes", testPassword))
	idc, ac := a.verify(id), a.verify(access)
	if idc["family_name"] != "Doe" || idc["email"] != nil || idc["sub"] == nil || jsonOf(idc["tenant"]) != `{"id":7}` {
		t.Fatalf("ID token %v", idc)
	}
	if ac["my_first_attribute"] != "first_value" || ac["token_use"] != "access" || ac["username"] != "wes" {
		t.Fatalf("access token %v", ac)
	}
	if ac["scope"] != "openid solar-system-data/asteroids.add" {
		t.Fatalf("scope %q", ac["scope"])
	}
	if !reflect.DeepEqual(idc["cognito:groups"], []any{"new-group-A", "new-group-B"}) || !reflect.DeepEqual(ac["cognito:groups"], []any{"new-group-A", "new-group-B"}) ||
		idc["cognito:preferred_role"] != "arn:aws:iam::123456789012:role/new_roleA" || ac["cognito:roles"] != nil {
		t.Fatalf("groups %v / %v", idc, ac)
	}
	ev := tr.last("TokenGeneration_Authentication")
	wantEvent(t, ev, "2", "TokenGeneration_Authentication", a.pool, "wes", a.client)
	if req := ev["request"].(map[string]any); !reflect.DeepEqual(req["scopes"], []any{"aws.cognito.signin.user.admin"}) {
		t.Fatalf("scopes %v", req["scopes"])
	}
	if jsonOf(ev["response"]) != `{"claimsAndScopeOverrideDetails":null}` {
		t.Fatalf("response as sent %s", jsonOf(ev["response"]))
	}
}

// TestPreTokenGenerationV3ClientCredentials: only V3_0 runs for the client_credentials grant.
func TestPreTokenGenerationV3ClientCredentials(t *testing.T) {
	for _, version := range []string{"V2_0", "V3_0"} {
		t.Run(version, func(t *testing.T) {
			env := newTestEnv(t)
			pool := env.createPool(map[string]any{"LambdaConfig": map[string]any{
				"PreTokenGenerationConfig": map[string]any{"LambdaVersion": version, "LambdaArn": arnOf("v3")}}})
			client, _ := env.createClient(pool, nil)
			tr := env.withTriggers(map[string]lambdaFunc{"v3": preTokenV2Handler})
			ctx := context.Background()
			p, err := env.svc.getPool(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			c, err := env.svc.getClient(ctx, pool, client)
			if err != nil {
				t.Fatal(err)
			}
			res, err := env.svc.ClientCredentialsToken(ctx, p, c, []string{"api/read"})
			if err != nil {
				t.Fatal(err)
			}
			claims := jwtClaims(t, env, p, res.AccessToken)
			if version == "V2_0" {
				if len(tr.sources()) != 0 || claims["scope"] != "api/read" {
					t.Fatalf("V2_0 ran for client_credentials: %v %v", tr.sources(), claims)
				}
				return
			}
			ev := tr.last("TokenGeneration_ClientCredentials")
			wantEvent(t, ev, "3", "TokenGeneration_ClientCredentials", pool, "", client)
			if got := jsonOf(ev["request"]); got != `{"groupConfiguration":null,"scopes":["api/read"],"userAttributes":{}}` {
				t.Fatalf("request %s", got)
			}
			if claims["my_first_attribute"] != "first_value" || claims["scope"] != "api/read openid solar-system-data/asteroids.add" || claims["client_id"] != client {
				t.Fatalf("claims %v", claims)
			}
			if slices.Contains(tr.sources(), "TokenGeneration_Authentication") {
				t.Fatal("wrong source")
			}
		})
	}
}
