package userpool

import (
	"context"
	"regexp"
	"testing"
	"time"
)

var (
	clientIDShape     = regexp.MustCompile(`^[a-z0-9]{26}$`)
	clientSecretShape = regexp.MustCompile(`^[a-z0-9]{51}$`)
)

func TestManageUserPoolClientLifecycle(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"Schema": []map[string]any{{"Name": "tenant"}}})
	created := env.clock.Now()

	out := env.call("CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": "web",
		"GenerateSecret": true, "AuthSessionValidity": 10, "ExplicitAuthFlows": []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		"ReadAttributes": []string{"email", "custom:tenant"}, "WriteAttributes": []string{"email"},
		"AccessTokenValidity": 2, "TokenValidityUnits": map[string]any{"AccessToken": "hours"},
		"PreventUserExistenceErrors": "ENABLED"})
	c := mObj(out, "UserPoolClient")
	id, secret := c["ClientId"].(string), c["ClientSecret"].(string)
	if !clientIDShape.MatchString(id) || !clientSecretShape.MatchString(secret) {
		t.Fatalf("client id %q / secret %q do not look like AWS's", id, secret)
	}
	if c["UserPoolId"] != pool || c["ClientName"] != "web" || mNum(t, c, "RefreshTokenValidity") != 30 ||
		mNum(t, c, "AccessTokenValidity") != 2 || c["EnableTokenRevocation"] != true ||
		mNum(t, c, "AuthSessionValidity") != 10 || c["PreventUserExistenceErrors"] != "ENABLED" ||
		mNum(t, c, "CreationDate") != created.Unix() {
		t.Fatalf("created client: %v", c)
	}

	// DescribeUserPoolClient returns the secret; the stored record holds it sealed only.
	d := mObj(env.call("DescribeUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": id}), "UserPoolClient")
	if d["ClientSecret"] != secret {
		t.Fatalf("described secret %v, want %v", d["ClientSecret"], secret)
	}
	raw, err := env.store.Get(context.Background(), clientKey(pool, id))
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(secret).Match(raw) {
		t.Fatalf("client secret stored in the clear: %s", raw)
	}
	p, stored, err := env.svc.clientByID(context.Background(), id)
	if err != nil || p.Id != pool || stored.ClientSecret != secret || stored.AccessTTL() != 2*time.Hour ||
		stored.SessionTTL() != 10*time.Minute || !stored.PreventsUserExistenceErrors() || !stored.AllowsFlow("USER_SRP_AUTH") ||
		stored.AllowsFlow("USER_PASSWORD_AUTH") {
		t.Fatalf("clientByID: %v %+v", err, stored)
	}

	// UpdateUserPoolClient: omitted settings go back to their defaults, the secret stays.
	env.clock.Advance(time.Minute)
	u := mObj(env.call("UpdateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": id,
		"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH"}}), "UserPoolClient")
	if u["ClientSecret"] != secret || u["ClientName"] != "web" || mNum(t, u, "AuthSessionValidity") != 3 ||
		u["AccessTokenValidity"] != nil || u["ReadAttributes"] != nil || u["PreventUserExistenceErrors"] != "LEGACY" ||
		mNum(t, u, "CreationDate") != created.Unix() || mNum(t, u, "LastModifiedDate") != env.clock.Now().Unix() {
		t.Fatalf("updated client: %v", u)
	}
	u = mObj(env.call("UpdateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": id, "ClientName": "web2",
		"EnableTokenRevocation": false}), "UserPoolClient")
	if u["ClientName"] != "web2" || u["EnableTokenRevocation"] != false {
		t.Fatalf("updated client: %v", u)
	}

	// A secret chosen by the caller, and a public client.
	fixed := "fixedsecretvalue0123456789abcdef"
	if _, s := env.createClient(pool, map[string]any{"ClientSecret": fixed}); s != fixed {
		t.Fatalf("ClientSecret given: got %q", s)
	}
	if _, s := env.createClient(pool, nil); s != "" {
		t.Fatalf("public client got a secret %q", s)
	}

	env.call("DeleteUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": id})
	env.wantErr("DescribeUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": id}, "ResourceNotFoundException",
		"User pool client "+id+" does not exist.")
	if _, _, err := env.svc.clientByID(context.Background(), id); !isNotFound(err) {
		t.Fatalf("client index left behind: %v", err)
	}
	env.wantErr("DeleteUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": id}, "ResourceNotFoundException", "")
	env.wantErr("CreateUserPoolClient", map[string]any{"UserPoolId": "us-east-1_none", "ClientName": "x"}, "ResourceNotFoundException", "")
}

func TestManageUserPoolClientValidation(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	for _, tc := range []struct {
		name string
		in   map[string]any
		typ  string
	}{
		{"no name", map[string]any{"ClientName": ""}, "InvalidParameterException"},
		{"short secret", map[string]any{"ClientSecret": "tooshort"}, "InvalidParameterException"},
		{"access token too short", map[string]any{"AccessTokenValidity": 4, "TokenValidityUnits": map[string]any{"AccessToken": "minutes"}}, "InvalidParameterException"},
		{"id token too long", map[string]any{"IdTokenValidity": 2, "TokenValidityUnits": map[string]any{"IdToken": "days"}}, "InvalidParameterException"},
		{"refresh token too short", map[string]any{"RefreshTokenValidity": 59, "TokenValidityUnits": map[string]any{"RefreshToken": "minutes"}}, "InvalidParameterException"},
		{"refresh token too long", map[string]any{"RefreshTokenValidity": 3651}, "InvalidParameterException"},
		{"bad unit", map[string]any{"TokenValidityUnits": map[string]any{"AccessToken": "weeks"}}, "InvalidParameterException"},
		{"mixed flows", map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_SRP_AUTH", "USER_PASSWORD_AUTH"}}, "InvalidParameterException"},
		{"unknown flow", map[string]any{"ExplicitAuthFlows": []string{"ALLOW_MAGIC"}}, "InvalidParameterException"},
		{"session too short", map[string]any{"AuthSessionValidity": 2}, "InvalidParameterException"},
		{"session too long", map[string]any{"AuthSessionValidity": 16}, "InvalidParameterException"},
		{"bad existence errors", map[string]any{"PreventUserExistenceErrors": "SOMETIMES"}, "InvalidParameterException"},
		{"bad rotation", map[string]any{"RefreshTokenRotation": map[string]any{"Feature": "ON"}}, "InvalidParameterException"},
		{"grace too long", map[string]any{"RefreshTokenRotation": map[string]any{"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}}, "InvalidParameterException"},
		{"unknown read attribute", map[string]any{"ReadAttributes": []string{"custom:nope"}}, "InvalidParameterException"},
		{"sub writable", map[string]any{"WriteAttributes": []string{"sub"}}, "InvalidParameterException"},
		{"unknown provider", map[string]any{"SupportedIdentityProviders": []string{"Google"}}, "InvalidParameterException"},
		{"http callback", map[string]any{"CallbackURLs": []string{"http://example.com/cb"}}, "InvalidParameterException"},
		{"client credentials without secret", map[string]any{"AllowedOAuthFlows": []string{"client_credentials"}}, "InvalidOAuthFlowException"},
		{"client credentials mixed", map[string]any{"GenerateSecret": true, "AllowedOAuthFlows": []string{"client_credentials", "code"}}, "InvalidOAuthFlowException"},
		{"unknown scope", map[string]any{"AllowedOAuthScopes": []string{"orders/read"}}, "ScopeDoesNotExistException"},
		{"oauth without flows", map[string]any{"AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthScopes": []string{"openid"}}, "InvalidOAuthFlowException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"UserPoolId": pool, "ClientName": "app"}
			for k, v := range tc.in {
				body[k] = v
			}
			env.wantErr("CreateUserPoolClient", body, tc.typ, "")
		})
	}

	// A zero refresh validity is 30 days in whatever unit the caller chose.
	out := env.call("CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": "h",
		"TokenValidityUnits": map[string]any{"RefreshToken": "hours"}})
	if c := mObj(out, "UserPoolClient"); mNum(t, c, "RefreshTokenValidity") != 720 {
		t.Fatalf("RefreshTokenValidity %v, want 720 hours", c["RefreshTokenValidity"])
	}
	// A complete hosted-UI client is accepted.
	env.call("CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": "ui",
		"AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": []string{"code"},
		"AllowedOAuthScopes": []string{"openid", "email"}, "CallbackURLs": []string{"https://app.example.com/cb", "http://localhost:3000/cb"},
		"DefaultRedirectURI": "https://app.example.com/cb", "SupportedIdentityProviders": []string{"COGNITO"}})
}

func TestManageListUserPoolClients(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	other := env.createPool(nil)
	env.createClient(other, nil)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		id, _ := env.createClient(pool, map[string]any{"ClientName": "c" + string(rune('0'+i))})
		want[id] = true
	}
	got := map[string]bool{}
	token := ""
	for pages := 1; ; pages++ {
		body := map[string]any{"UserPoolId": pool, "MaxResults": 2}
		if token != "" {
			body["NextToken"] = token
		}
		out := env.call("ListUserPoolClients", body)
		for _, c := range mList(out, "UserPoolClients") {
			id := c["ClientId"].(string)
			if !want[id] || got[id] || c["UserPoolId"] != pool || c["ClientName"] == "" || c["ClientSecret"] != nil {
				t.Fatalf("unexpected entry %v", c)
			}
			got[id] = true
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		// A token is bound to its listing.
		env.wantErr("ListUserPoolClients", map[string]any{"UserPoolId": other, "NextToken": token}, "InvalidParameterException", "")
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d clients, want %d", len(got), len(want))
	}
	env.wantErr("ListUserPoolClients", map[string]any{"UserPoolId": pool, "MaxResults": 61}, "InvalidParameterException", "")
}

func TestClientRedirectURLs(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	for _, tc := range []struct {
		url, msg string
	}{
		{"https://app.example.com/cb", ""},
		{"http://localhost:3000/cb", ""},
		{"http://127.0.0.1:8080/cb", ""},
		{"http://[::1]:8080/cb", ""},
		{"myapp://callback", ""},
		{"http://example.com/cb", "http://example.com/cb cannot use the HTTP protocol."},
		{"http://localhost.example.com/cb", "http://localhost.example.com/cb cannot use the HTTP protocol."},
		{"https://app.example.com/cb#x", "https://app.example.com/cb#x cannot contain a fragment."},
		{"/relative", "/relative is not a valid URL."},
	} {
		body := map[string]any{"UserPoolId": pool, "ClientName": "c", "CallbackURLs": []string{tc.url}, "LogoutURLs": []string{tc.url}}
		if tc.msg == "" {
			env.call("CreateUserPoolClient", body)
			continue
		}
		env.wantErr("CreateUserPoolClient", body, "InvalidParameterException", tc.msg)
	}
	env.wantErr("CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": "c", "CallbackURLs": []string{"https://a.example.com/cb"},
		"DefaultRedirectURI": "https://b.example.com/cb"}, "InvalidParameterException", "DefaultRedirectURI https://b.example.com/cb must be one of the CallbackURLs.")
	env.wantErr("CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": "c", "GenerateSecret": true,
		"AllowedOAuthFlows": []string{"client_credentials"}, "AllowedOAuthScopes": []string{"openid"}}, "InvalidOAuthFlowException", "")
}
