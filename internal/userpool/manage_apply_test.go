package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

const applyConfig = `{
  "UserPools": [{
    "Id": "us-east-1_Example1",
    "PoolName": "example",
    "AliasAttributes": ["email"],
    "AutoVerifiedAttributes": ["email"],
    "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireLowercase": true}},
    "Schema": [{"Name": "tenant", "AttributeDataType": "String"}],
    "LambdaConfig": {"DefineAuthChallenge": "arn:aws:lambda:us-east-1:123456789012:function:f"},
    "Clients": [
      {"ClientId": "webclient0example000000001", "ClientName": "web",
       "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
      {"ClientId": "serverclient00example00002", "ClientSecret": "fixedsecret0fixedsecret0fixedsecret0",
       "AccessTokenValidity": 30, "TokenValidityUnits": {"AccessToken": "minutes"}},
      {"ClientId": "generated0secret000000003", "GenerateSecret": true}
    ],
    "Groups": [
      {"GroupName": "admins", "Precedence": 0, "RoleArn": "arn:aws:iam::123456789012:role/admins"},
      {"GroupName": "users", "Description": "everyone"}
    ]
  }]
}`

// decodeConfig decodes a config document strictly, as the service's file loader does.
func decodeConfig(t *testing.T, doc string) ConfigSpec {
	t.Helper()
	var spec ConfigSpec
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		t.Fatalf("config: %v", err)
	}
	return spec
}

// snapshot returns every key and value in the store.
func (e *testEnv) snapshot() map[string][]byte {
	e.t.Helper()
	out := map[string][]byte{}
	for _, k := range e.mKeys() {
		v, err := e.store.Get(context.Background(), k)
		if err != nil {
			e.t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func TestApplyIdempotent(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	spec := decodeConfig(t, applyConfig)

	applied, err := env.svc.Apply(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied.Pools.Created, []string{"us-east-1_Example1"}) || len(applied.Clients.Created) != 3 ||
		len(applied.Groups.Created) != 2 {
		t.Fatalf("first apply: %+v", applied)
	}
	if s := applied.String(); s != "user pools: 1 created, 0 updated, 0 unchanged; app clients: 3 created, 0 updated, 0 unchanged; groups: 2 created, 0 updated, 0 unchanged" {
		t.Fatalf("summary %q", s)
	}
	pool := mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": "us-east-1_Example1"}), "UserPool")
	pp := mObj(mObj(pool, "Policies"), "PasswordPolicy")
	if pool["Name"] != "example" || mNum(t, pp, "MinimumLength") != 12 || pp["RequireUppercase"] != false ||
		pool["Arn"] != "arn:aws:cognito-idp:us-east-1:"+testAccountID+":userpool/us-east-1_Example1" {
		t.Fatalf("applied pool: %v", pool)
	}
	if _, ok := schemaNames(pool)["custom:tenant"]; !ok {
		t.Fatalf("custom attribute missing: %v", schemaNames(pool))
	}
	server := mObj(env.call("DescribeUserPoolClient", map[string]any{"UserPoolId": "us-east-1_Example1",
		"ClientId": "serverclient00example00002"}), "UserPoolClient")
	if server["ClientSecret"] != "fixedsecret0fixedsecret0fixedsecret0" || server["ClientName"] != "serverclient00example00002" ||
		mNum(t, server, "AccessTokenValidity") != 30 {
		t.Fatalf("applied client: %v", server)
	}
	gen := mObj(env.call("DescribeUserPoolClient", map[string]any{"UserPoolId": "us-east-1_Example1",
		"ClientId": "generated0secret000000003"}), "UserPoolClient")
	secret, _ := gen["ClientSecret"].(string)
	if !clientSecretShape.MatchString(secret) {
		t.Fatalf("generated secret %q", secret)
	}
	g := mObj(env.call("GetGroup", map[string]any{"UserPoolId": "us-east-1_Example1", "GroupName": "admins"}), "Group")
	if mNum(t, g, "Precedence") != 0 || g["RoleArn"] != "arn:aws:iam::123456789012:role/admins" {
		t.Fatalf("applied group: %v", g)
	}
	// The applied pool enforces its policy.
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": "us-east-1_Example1", "Username": "alice",
		"TemporaryPassword": "short#Pass1"}, "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
	env.call("AdminCreateUser", map[string]any{"UserPoolId": "us-east-1_Example1", "Username": "alice",
		"TemporaryPassword": "long enough pass", "MessageAction": "SUPPRESS"})

	// Applying the same file again writes nothing at all.
	before := env.snapshot()
	env.clock.Advance(time.Hour)
	applied, err = env.svc.Apply(ctx, decodeConfig(t, applyConfig))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied.Pools.Unchanged) != 1 || len(applied.Clients.Unchanged) != 3 || len(applied.Groups.Unchanged) != 2 ||
		len(applied.Pools.Created)+len(applied.Pools.Updated)+len(applied.Clients.Created)+len(applied.Clients.Updated)+
			len(applied.Groups.Created)+len(applied.Groups.Updated) != 0 {
		t.Fatalf("second apply: %+v", applied)
	}
	after := env.snapshot()
	if len(after) != len(before) {
		t.Fatalf("second apply changed the key count: %d → %d", len(before), len(after))
	}
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Fatalf("second apply rewrote %s", k)
		}
	}

	// A changed setting updates just that record; ids and generated secrets stay.
	changed := strings.NewReplacer(`"MinimumLength": 12`, `"MinimumLength": 14`,
		`"GroupName": "users", "Description": "everyone"`, `"GroupName": "users", "Description": "all of them"`,
		`"Schema": [{"Name": "tenant", "AttributeDataType": "String"}]`, `"Schema": [{"Name": "tenant", "AttributeDataType": "String"}, {"Name": "plan"}]`,
		`{"ClientId": "generated0secret000000003", "GenerateSecret": true}`, `{"ClientId": "generated0secret000000003", "GenerateSecret": true, "AuthSessionValidity": 5}`,
	).Replace(applyConfig)
	applied, err = env.svc.Apply(ctx, decodeConfig(t, changed))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied.Pools.Updated, []string{"us-east-1_Example1"}) ||
		!slices.Equal(applied.Clients.Updated, []string{"us-east-1_Example1/generated0secret000000003"}) ||
		!slices.Equal(applied.Groups.Updated, []string{"us-east-1_Example1/users"}) {
		t.Fatalf("apply of a changed file: %+v", applied)
	}
	pool = mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": "us-east-1_Example1"}), "UserPool")
	if mNum(t, mObj(mObj(pool, "Policies"), "PasswordPolicy"), "MinimumLength") != 14 || mNum(t, pool, "EstimatedNumberOfUsers") != 1 {
		t.Fatalf("updated pool: %v", pool)
	}
	if _, ok := schemaNames(pool)["custom:plan"]; !ok {
		t.Fatal("added custom attribute missing")
	}
	gen = mObj(env.call("DescribeUserPoolClient", map[string]any{"UserPoolId": "us-east-1_Example1",
		"ClientId": "generated0secret000000003"}), "UserPoolClient")
	if gen["ClientSecret"] != secret || mNum(t, gen, "AuthSessionValidity") != 5 {
		t.Fatalf("updated client: %v", gen)
	}
	if d := mObj(env.call("GetGroup", map[string]any{"UserPoolId": "us-east-1_Example1", "GroupName": "users"}), "Group"); d["Description"] != "all of them" {
		t.Fatalf("updated group: %v", d)
	}
}

func schemaNames(pool map[string]any) map[string]bool {
	names := map[string]bool{}
	for _, a := range mList(pool, "SchemaAttributes") {
		names[a["Name"].(string)] = true
	}
	return names
}

func TestApplyErrors(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	if _, err := env.svc.Apply(ctx, decodeConfig(t, applyConfig)); err != nil {
		t.Fatal(err)
	}
	other := env.createPool(nil)
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"missing id", `{"UserPools": [{"PoolName": "x"}]}`, "must look like"},
		{"bad id", `{"UserPools": [{"Id": "nounderscore"}]}`, "must look like"},
		{"twice", `{"UserPools": [{"Id": "us-east-1_A"}, {"Id": "us-east-1_A"}]}`, "declared twice"},
		{"bad setting", `{"UserPools": [{"Id": "us-east-1_B", "MfaConfiguration": "MAYBE"}]}`, "mfaConfiguration"},
		{"immutable alias", strings.Replace(applyConfig, `"AliasAttributes": ["email"]`, `"AliasAttributes": ["phone_number"]`, 1), "AliasAttributes cannot change"},
		{"schema change", strings.Replace(applyConfig, `"AttributeDataType": "String"`, `"AttributeDataType": "Number"`, 1), "custom:tenant cannot change"},
		{"client without id", `{"UserPools": [{"Id": "us-east-1_C", "Clients": [{"ClientName": "x"}]}]}`, "ClientId is required"},
		{"client of another pool", `{"UserPools": [{"Id": "` + other + `", "Clients": [{"ClientId": "webclient0example000000001"}]}]}`, "already used by user pool us-east-1_Example1"},
		{"bad client", `{"UserPools": [{"Id": "us-east-1_D", "Clients": [{"ClientId": "c1", "AuthSessionValidity": 99}]}]}`, "authSessionValidity"},
		{"bad group", `{"UserPools": [{"Id": "us-east-1_E", "Groups": [{"GroupName": "g", "Precedence": -1}]}]}`, "precedence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.svc.Apply(ctx, decodeConfig(t, tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "userpool: config: ") {
				t.Fatalf("Apply: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// A typo in the file is caught by the strict decoder the service uses.
	dec := json.NewDecoder(strings.NewReader(`{"UserPools": [{"Id": "us-east-1_F", "PoolNmae": "x"}]}`))
	dec.DisallowUnknownFields()
	var spec ConfigSpec
	if err := dec.Decode(&spec); err == nil {
		t.Fatal("unknown member PoolNmae accepted")
	}
}

func TestApplyManagedLogin(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	doc := `{"UserPools": [{
    "Id": "us-east-1_Login1",
    "Domain": "example-login",
    "ResourceServers": [{"Identifier": "orders", "Name": "Orders", "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}]}],
    "IdentityProviders": [{"ProviderName": "Google", "ProviderType": "Google",
      "ProviderDetails": {"client_id": "g", "client_secret": "gs", "authorize_scopes": "openid email"},
      "AttributeMapping": {"email": "email"}, "IdpIdentifiers": ["gmail.com"]}],
    "Clients": [{"ClientId": "loginclient000000000000001", "AllowedOAuthFlowsUserPoolClient": true,
      "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "orders/read"],
      "CallbackURLs": ["https://app.example.com/cb"], "SupportedIdentityProviders": ["COGNITO", "Google"]}]
  }]}`
	applied, err := env.svc.Apply(ctx, decodeConfig(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied.Domains.Created) != 1 || len(applied.ResourceServers.Created) != 1 || len(applied.IdentityProviders.Created) != 1 ||
		len(applied.Clients.Created) != 1 {
		t.Fatalf("first apply: %s", applied)
	}
	d := mObj(env.call("DescribeUserPoolDomain", map[string]any{"Domain": "example-login"}), "DomainDescription")
	if d["UserPoolId"] != "us-east-1_Login1" {
		t.Fatalf("domain: %v", d)
	}
	again, err := env.svc.Apply(ctx, decodeConfig(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Domains.Unchanged) != 1 || len(again.ResourceServers.Unchanged) != 1 || len(again.IdentityProviders.Unchanged) != 1 ||
		len(again.Clients.Unchanged) != 1 || len(again.Pools.Unchanged) != 1 {
		t.Fatalf("second apply changed something: %s", again)
	}
	// A changed spec updates in place.
	changed := strings.Replace(strings.Replace(doc, `"Domain": "example-login"`, `"Domain": {"Domain": "example-login", "ManagedLoginVersion": 2}`, 1),
		`"gmail.com"`, `"googlemail.com"`, 1)
	third, err := env.svc.Apply(ctx, decodeConfig(t, changed))
	if err != nil {
		t.Fatal(err)
	}
	if len(third.Domains.Updated) != 1 || len(third.IdentityProviders.Updated) != 1 {
		t.Fatalf("third apply: %s", third)
	}
	env.call("GetIdentityProviderByIdentifier", map[string]any{"UserPoolId": "us-east-1_Login1", "IdpIdentifier": "googlemail.com"})

	// The file meets the API's constraints (strictly, inside Domain too), and a domain has one owner.
	typo := strings.Replace(doc, `"Domain": "example-login"`, `"Domain": {"Domain": "example-login", "ManagedLoginVerison": 2}`, 1)
	var spec ConfigSpec
	dec := json.NewDecoder(strings.NewReader(typo))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err == nil || !strings.Contains(err.Error(), "ManagedLoginVerison") {
		t.Fatalf("misspelt Domain member: %v", err)
	}
	bad := strings.Replace(doc, `"ScopeName": "read"`, `"ScopeName": "re/ad"`, 1)
	if _, err := env.svc.Apply(ctx, decodeConfig(t, bad)); err == nil || !strings.Contains(err.Error(), "scopeName") {
		t.Fatalf("bad scope name: %v", err)
	}
	other := strings.Replace(doc, "us-east-1_Login1", "us-east-1_Login2", 1)
	other = strings.Replace(other, "loginclient000000000000001", "loginclient000000000000002", 1)
	if _, err := env.svc.Apply(ctx, decodeConfig(t, other)); err == nil || !strings.Contains(err.Error(), "belongs to user pool us-east-1_Login1") {
		t.Fatalf("second owner: %v", err)
	}
}
