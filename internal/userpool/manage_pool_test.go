package userpool

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the manage_*_test.go files.

// obj returns out[key] as an object (nil when absent or not an object).
func mObj(out map[string]any, key string) map[string]any {
	m, _ := out[key].(map[string]any)
	return m
}

// list returns out[key] as a list of objects.
func mList(out map[string]any, key string) []map[string]any {
	raw, _ := out[key].([]any)
	res := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		m, _ := v.(map[string]any)
		res = append(res, m)
	}
	return res
}

// num returns out[key] as an int64 (dispatch decodes numbers as json.Number).
func mNum(t *testing.T, out map[string]any, key string) int64 {
	t.Helper()
	n, ok := out[key].(json.Number)
	if !ok {
		t.Fatalf("%s: %#v is not a number", key, out[key])
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return int64(f)
	}
	return i
}

// attrMap turns a wire attribute list into a map.
func mAttrMap(attrs []map[string]any) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		name, _ := a["Name"].(string)
		v, _ := a["Value"].(string)
		m[name] = v
	}
	return m
}

func mAttrs(kv ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"Name": kv[i], "Value": kv[i+1]})
	}
	return out
}

// mUser creates a user through AdminCreateUser (messages suppressed) and returns its
// stored username.
func (e *testEnv) mUser(poolID, username string, kv ...string) string {
	e.t.Helper()
	out := e.call("AdminCreateUser", map[string]any{"UserPoolId": poolID, "Username": username,
		"MessageAction": "SUPPRESS", "TemporaryPassword": "Temp#Pass1", "UserAttributes": mAttrs(kv...)})
	name, _ := mObj(out, "User")["Username"].(string)
	return name
}

// mKeys lists every key in the store.
func (e *testEnv) mKeys() []string {
	e.t.Helper()
	var keys []string
	cursor := ""
	for {
		page, err := e.store.List(context.Background(), "", cursor, 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		keys = append(keys, page.Keys...)
		if page.Cursor == "" {
			return keys
		}
		cursor = page.Cursor
	}
}

var poolIDShape = regexp.MustCompile(`^us-east-1_[0-9A-Za-z]{9}$`)

func TestManageCreateDescribeUpdatePool(t *testing.T) {
	env := newTestEnv(t)
	created := env.clock.Now()
	id := env.createPool(map[string]any{
		"PoolName": "shop",
		"Policies": map[string]any{"PasswordPolicy": map[string]any{
			"MinimumLength": 10, "RequireUppercase": true, "RequireNumbers": true, "TemporaryPasswordValidityDays": 3}},
		"AliasAttributes":        []string{"email", "preferred_username"},
		"AutoVerifiedAttributes": []string{"email"},
		"Schema": []map[string]any{
			{"Name": "name", "Required": true},
			{"Name": "tenant", "AttributeDataType": "String", "StringAttributeConstraints": map[string]any{"MaxLength": "10"}},
			{"Name": "level", "AttributeDataType": "Number", "Mutable": false},
		},
		"UserPoolTags":       map[string]string{"team": "core"},
		"LambdaConfig":       map[string]any{"DefineAuthChallenge": "arn:aws:lambda:us-east-1:123456789012:function:f"},
		"DeletionProtection": "ACTIVE",
	})
	if !poolIDShape.MatchString(id) {
		t.Fatalf("pool id %q does not look like an AWS id", id)
	}

	env.clock.Advance(time.Minute)
	pool := mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool")
	if pool["Arn"] != "arn:aws:cognito-idp:us-east-1:"+testAccountID+":userpool/"+id || pool["Name"] != "shop" {
		t.Fatalf("Arn/Name: %v %v", pool["Arn"], pool["Name"])
	}
	if got := mNum(t, pool, "CreationDate"); got != created.Unix() {
		t.Fatalf("CreationDate %d, want %d", got, created.Unix())
	}
	if mNum(t, pool, "EstimatedNumberOfUsers") != 0 || pool["MfaConfiguration"] != "OFF" || pool["DeletionProtection"] != "ACTIVE" {
		t.Fatalf("defaults: %v", pool)
	}
	pp := mObj(mObj(pool, "Policies"), "PasswordPolicy")
	if mNum(t, pp, "MinimumLength") != 10 || pp["RequireUppercase"] != true || pp["RequireLowercase"] != false ||
		mNum(t, pp, "TemporaryPasswordValidityDays") != 3 {
		t.Fatalf("password policy: %v", pp)
	}
	schema := mList(pool, "SchemaAttributes")
	var names []string
	for _, a := range schema {
		names = append(names, a["Name"].(string))
	}
	want := []string{"sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale",
		"phone_number", "phone_number_verified", "address", "updated_at", "custom:tenant", "custom:level"}
	if !slices.Equal(names, want) {
		t.Fatalf("schema names:\n got %v\nwant %v", names, want)
	}
	byName := map[string]map[string]any{}
	for _, a := range schema {
		byName[a["Name"].(string)] = a
	}
	if byName["sub"]["Mutable"] != false || byName["sub"]["Required"] != true || byName["name"]["Required"] != true ||
		byName["email_verified"]["AttributeDataType"] != "Boolean" || byName["updated_at"]["AttributeDataType"] != "Number" ||
		byName["custom:level"]["Mutable"] != false || byName["custom:tenant"]["Mutable"] != true ||
		mObj(byName["custom:tenant"], "StringAttributeConstraints")["MaxLength"] != "10" {
		t.Fatalf("schema details: %v", byName)
	}

	env.mUser(id, "alice", "name", "Alice")
	pool = mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool")
	if mNum(t, pool, "EstimatedNumberOfUsers") != 1 {
		t.Fatalf("EstimatedNumberOfUsers %v, want 1", pool["EstimatedNumberOfUsers"])
	}

	// UpdateUserPool: what it omits goes back to the default; creation-time settings stay.
	env.clock.Advance(time.Minute)
	env.call("UpdateUserPool", map[string]any{"UserPoolId": id, "MfaConfiguration": "OPTIONAL",
		"SmsConfiguration": map[string]any{"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}})
	pool = mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool")
	pp = mObj(mObj(pool, "Policies"), "PasswordPolicy")
	if pool["MfaConfiguration"] != "OPTIONAL" || pool["AutoVerifiedAttributes"] != nil || pool["UserPoolTags"] != nil ||
		pool["DeletionProtection"] != "INACTIVE" || mNum(t, pp, "MinimumLength") != 8 || pp["RequireSymbols"] != true {
		t.Fatalf("after update: %v", pool)
	}
	if pool["Name"] != "shop" || len(mList(pool, "SchemaAttributes")) != len(want) {
		t.Fatalf("update lost name or schema: %v", pool)
	}
	if aa, _ := pool["AliasAttributes"].([]any); len(aa) != 2 {
		t.Fatalf("AliasAttributes %v", pool["AliasAttributes"])
	}
	if mNum(t, pool, "LastModifiedDate") != env.clock.Now().Unix() || mNum(t, pool, "CreationDate") != created.Unix() {
		t.Fatalf("dates: %v %v", pool["CreationDate"], pool["LastModifiedDate"])
	}
	env.call("UpdateUserPool", map[string]any{"UserPoolId": id, "PoolName": "renamed"})
	if pool = mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": id}), "UserPool"); pool["Name"] != "renamed" {
		t.Fatalf("PoolName not updated: %v", pool["Name"])
	}
}

func TestManageCreatePoolErrors(t *testing.T) {
	env := newTestEnv(t)
	for _, tc := range []struct {
		name string
		in   map[string]any
		typ  string
		msg  string
	}{
		{"no name", map[string]any{"PoolName": ""}, "InvalidParameterException", ""},
		{"bad name", map[string]any{"PoolName": "a/b"}, "InvalidParameterException", ""},
		{"username and alias", map[string]any{"UsernameAttributes": []string{"email"}, "AliasAttributes": []string{"email"}},
			"InvalidParameterException", "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool."},
		{"bad username attribute", map[string]any{"UsernameAttributes": []string{"nickname"}}, "InvalidParameterException", ""},
		{"bad alias", map[string]any{"AliasAttributes": []string{"name"}}, "InvalidParameterException", ""},
		{"bad mfa", map[string]any{"MfaConfiguration": "SOMETIMES"}, "InvalidParameterException", ""},
		{"bad deletion protection", map[string]any{"DeletionProtection": "YES"}, "InvalidParameterException", ""},
		{"short minimum", map[string]any{"Policies": map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": 5}}},
			"InvalidParameterException", ""},
		{"long history", map[string]any{"Policies": map[string]any{"PasswordPolicy": map[string]any{"PasswordHistorySize": 25}}},
			"InvalidParameterException", ""},
		{"case sensitivity missing", map[string]any{"UsernameConfiguration": map[string]any{}}, "InvalidParameterException", ""},
		{"required custom", map[string]any{"Schema": []map[string]any{{"Name": "x", "Required": true}}},
			"InvalidParameterException", "Required custom attributes are not supported currently."},
		{"custom name too long", map[string]any{"Schema": []map[string]any{{"Name": strings.Repeat("x", 21)}}},
			"InvalidParameterException", ""},
		{"duplicate schema", map[string]any{"Schema": []map[string]any{{"Name": "x"}, {"Name": "custom:x"}}},
			"InvalidParameterException", ""},
		{"standard type change", map[string]any{"Schema": []map[string]any{{"Name": "email", "AttributeDataType": "Number"}}},
			"InvalidParameterException", ""},
		{"bad constraint", map[string]any{"Schema": []map[string]any{{"Name": "x", "StringAttributeConstraints": map[string]any{"MinLength": "5", "MaxLength": "2"}}}},
			"InvalidParameterException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"PoolName": "p"}
			for k, v := range tc.in {
				body[k] = v
			}
			env.wantErr("CreateUserPool", body, tc.typ, tc.msg)
		})
	}
	env.wantErr("DescribeUserPool", map[string]any{"UserPoolId": "us-east-1_nope"}, "ResourceNotFoundException",
		"User pool us-east-1_nope does not exist.")
	env.wantErr("UpdateUserPool", map[string]any{"UserPoolId": "us-east-1_nope"}, "ResourceNotFoundException", "")
	env.wantErr("DeleteUserPool", map[string]any{"UserPoolId": "us-east-1_nope"}, "ResourceNotFoundException", "")
}

func TestManageListUserPools(t *testing.T) {
	env := newTestEnv(t)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[env.createPool(map[string]any{"PoolName": "p" + string(rune('a'+i))})] = true
	}
	got := map[string]bool{}
	token := ""
	pages := 0
	for {
		body := map[string]any{"MaxResults": 2}
		if token != "" {
			body["NextToken"] = token
		}
		out := env.call("ListUserPools", body)
		pools := mList(out, "UserPools")
		pages++
		if len(pools) > 2 {
			t.Fatalf("page of %d pools for MaxResults 2", len(pools))
		}
		for _, p := range pools {
			id := p["Id"].(string)
			if got[id] || !want[id] || p["Name"] == "" || p["CreationDate"] == nil {
				t.Fatalf("unexpected pool entry %v", p)
			}
			got[id] = true
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			break
		}
	}
	if len(got) != 5 || pages != 3 {
		t.Fatalf("listed %d pools in %d pages, want 5 in 3", len(got), pages)
	}
	env.wantErr("ListUserPools", map[string]any{}, "InvalidParameterException", "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
	env.wantErr("ListUserPools", map[string]any{"MaxResults": 61}, "InvalidParameterException", "")
	env.wantErr("ListUserPools", map[string]any{"MaxResults": 0}, "InvalidParameterException", "")
	env.wantErr("ListUserPools", map[string]any{"MaxResults": 2, "NextToken": "garbage"}, "InvalidParameterException", "")
}

func TestManageDeleteUserPool(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"PoolName": "doomed", "AliasAttributes": []string{"email"},
		"DeletionProtection": "ACTIVE"},
		map[string]any{"GenerateSecret": true, "RefreshTokenRotation": map[string]any{"Feature": "ENABLED"}})
	env, id, clientID := a.testEnv, a.pool, a.client
	ctx := context.Background()
	keep := env.createPool(map[string]any{"PoolName": "keep"})
	env.mUser(keep, "other")

	// Leave every kind of record behind: users, aliases, groups and memberships, signing keys,
	// spent SRP blocks and rotated refresh tokens.
	alice := a.signUpConfirmed("alice", "alice@example.com")
	env.mUser(id, "bob")
	env.call("CreateGroup", map[string]any{"UserPoolId": id, "GroupName": "admins"})
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": id, "Username": "alice", "GroupName": "admins"})
	_, _, refresh := a.tokens(a.srpLogin("alice", testPassword))
	env.call("GetTokensFromRefreshToken", map[string]any{"ClientId": clientID, "ClientSecret": a.secret, "RefreshToken": refresh})
	if _, err := env.keys.Sign(ctx, keep, "id", map[string]any{"sub": "x", "exp": env.clock.Now().Add(time.Hour).Unix()}); err != nil {
		t.Fatal(err)
	}
	mentions := func() []string {
		var found []string
		for _, k := range env.mKeys() {
			if strings.Contains(k, id) || strings.Contains(k, clientID) || strings.Contains(k, alice) {
				found = append(found, k)
			}
		}
		return found
	}
	if err := env.svc.SpendAuthorizationCode(ctx, id, "a-code-id", time.Minute); err != nil {
		t.Fatal(err)
	}
	before := strings.Join(mentions(), " ")
	for _, prefix := range []string{"up/", "upc/", "cl/", "uu/", "ux/", "ug/", "ugm/", "key/", "srpu/", "oac/"} {
		if !strings.Contains(before, prefix) {
			t.Fatalf("no %s key for the pool before deletion: %s", prefix, before)
		}
	}

	env.wantErr("DeleteUserPool", map[string]any{"UserPoolId": id}, "InvalidParameterException", "")
	env.call("UpdateUserPool", map[string]any{"UserPoolId": id, "DeletionProtection": "INACTIVE"})
	env.call("DeleteUserPool", map[string]any{"UserPoolId": id})

	if left := mentions(); len(left) != 0 {
		t.Fatalf("keys left after DeleteUserPool: %v", left)
	}
	env.wantErr("DescribeUserPool", map[string]any{"UserPoolId": id}, "ResourceNotFoundException", "")
	env.wantErr("DescribeUserPoolClient", map[string]any{"UserPoolId": id, "ClientId": clientID}, "ResourceNotFoundException", "")
	env.wantErr("InitiateAuth", map[string]any{"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]any{"USERNAME": "alice", "PASSWORD": testPassword}}, "ResourceNotFoundException", "")
	// The other pool and its signing keys are untouched.
	env.call("AdminGetUser", map[string]any{"UserPoolId": keep, "Username": "other"})
	if _, err := env.store.Get(ctx, "key/"+keep+"/id"); err != nil {
		t.Fatalf("signing key of the other pool: %v", err)
	}
}
