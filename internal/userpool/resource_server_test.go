package userpool

import (
	"fmt"
	"strings"
	"testing"
)

func TestResourceServerLifecycle(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	scopes := []map[string]any{{"ScopeName": "read", "ScopeDescription": "Read orders"},
		{"ScopeName": "write", "ScopeDescription": "Write orders"}}
	rs := mObj(env.call("CreateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com",
		"Name": "Orders API", "Scopes": scopes}), "ResourceServer")
	if rs["UserPoolId"] != pool || rs["Identifier"] != "https://api.example.com" || rs["Name"] != "Orders API" || len(mList(rs, "Scopes")) != 2 {
		t.Fatalf("CreateResourceServer: %v", rs)
	}
	env.wantErr("CreateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com", "Name": "again"},
		"InvalidParameterException", "https://api.example.com already exists in user pool "+pool+".")
	d := mObj(env.call("DescribeResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com"}), "ResourceServer")
	if mList(d, "Scopes")[1]["ScopeName"] != "write" {
		t.Fatalf("DescribeResourceServer: %v", d)
	}

	// A client may allow its scopes once they exist.
	body := map[string]any{"UserPoolId": pool, "ClientName": "m2m", "GenerateSecret": true,
		"AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": []string{"client_credentials"},
		"AllowedOAuthScopes": []string{"https://api.example.com/read"}}
	client, _ := env.createClient(pool, body)
	body["AllowedOAuthScopes"] = []string{"https://api.example.com/delete"}
	env.wantErr("CreateUserPoolClient", body, "ScopeDoesNotExistException", "Invalid scope requested: https://api.example.com/delete")

	// Update replaces the name and the scopes.
	u := mObj(env.call("UpdateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com",
		"Name": "Orders", "Scopes": []map[string]any{{"ScopeName": "delete", "ScopeDescription": "Delete"}}}), "ResourceServer")
	if u["Name"] != "Orders" || len(mList(u, "Scopes")) != 1 {
		t.Fatalf("UpdateResourceServer: %v", u)
	}
	env.call("UpdateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": client,
		"AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": []string{"client_credentials"},
		"AllowedOAuthScopes": []string{"https://api.example.com/delete"}})
	env.wantErr("UpdateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "nope", "Name": "x"},
		"ResourceNotFoundException", "Resource server nope does not exist in user pool "+pool+".")
	env.wantErr("CreateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "dup", "Name": "x",
		"Scopes": []map[string]any{{"ScopeName": "a", "ScopeDescription": "a"}, {"ScopeName": "a", "ScopeDescription": "b"}}},
		"InvalidParameterException", "Duplicate scope name a in resource server dup.")

	env.call("DeleteResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com"})
	env.wantErr("DescribeResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com"},
		"ResourceNotFoundException", "")
	env.wantErr("DeleteResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "https://api.example.com"},
		"ResourceNotFoundException", "")
	env.wantErr("ListResourceServers", map[string]any{"UserPoolId": "us-east-1_missing", "MaxResults": 5},
		"ResourceNotFoundException", "User pool us-east-1_missing does not exist.")
}

func TestResourceServerValidation(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	scope := func(name, desc string) []map[string]any {
		return []map[string]any{{"ScopeName": name, "ScopeDescription": desc}}
	}
	many := make([]map[string]any, 101)
	for i := range many {
		many[i] = map[string]any{"ScopeName": fmt.Sprint("s", i), "ScopeDescription": "d"}
	}
	for _, tc := range []struct {
		name string
		in   map[string]any
		msg  string
	}{
		{"identifier space", map[string]any{"Identifier": "a b", "Name": "n"},
			`1 validation error detected: Value at 'identifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\x21\x23-\x5B\x5D-\x7E]+`},
		{"identifier 257", map[string]any{"Identifier": strings.Repeat("a", 257), "Name": "n"},
			"1 validation error detected: Value at 'identifier' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"name slash", map[string]any{"Identifier": "api", "Name": "a/b"},
			`1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+`},
		{"no name", map[string]any{"Identifier": "api"},
			"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"scope with slash", map[string]any{"Identifier": "api", "Name": "n", "Scopes": scope("a/b", "d")},
			`1 validation error detected: Value at 'scopes.1.member.scopeName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+`},
		{"scope without description", map[string]any{"Identifier": "api", "Name": "n", "Scopes": []map[string]any{{"ScopeName": "a"}}},
			"1 validation error detected: Value null at 'scopes.1.member.scopeDescription' failed to satisfy constraint: Member must not be null"},
		{"101 scopes", map[string]any{"Identifier": "api", "Name": "n", "Scopes": many},
			"1 validation error detected: Value at 'scopes' failed to satisfy constraint: Member must have length less than or equal to 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"UserPoolId": pool}
			for k, v := range tc.in {
				body[k] = v
			}
			env.wantErr("CreateResourceServer", body, "InvalidParameterException", tc.msg)
		})
	}
	env.wantErr("ListResourceServers", map[string]any{"UserPoolId": pool, "MaxResults": 51}, "InvalidParameterException",
		"1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50")
}

func TestListResourceServers(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	other := env.createPool(nil)
	env.call("CreateResourceServer", map[string]any{"UserPoolId": other, "Identifier": "elsewhere", "Name": "x"})
	want := []string{}
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("api%d", i)
		want = append(want, id)
		env.call("CreateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": id, "Name": id})
	}
	var got []string
	token := ""
	for pages := 1; ; pages++ {
		body := map[string]any{"UserPoolId": pool, "MaxResults": 2}
		if token != "" {
			body["NextToken"] = token
		}
		out := env.call("ListResourceServers", body)
		for _, rs := range mList(out, "ResourceServers") {
			got = append(got, rs["Identifier"].(string))
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}
	env.wantErr("ListResourceServers", map[string]any{"UserPoolId": other, "MaxResults": 2, "NextToken": token + "x"},
		"InvalidParameterException", "")
}
