package userpool

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// listAll pages through ListUsers with the given request members and returns the usernames
// and the number of pages.
func (e *testEnv) listAll(in map[string]any) (names []string, pages int) {
	e.t.Helper()
	token := ""
	for {
		body := map[string]any{}
		for k, v := range in {
			body[k] = v
		}
		if token != "" {
			body["PaginationToken"] = token
		}
		out := e.call("ListUsers", body)
		pages++
		for _, u := range mList(out, "Users") {
			names = append(names, u["Username"].(string))
		}
		token, _ = out["PaginationToken"].(string)
		if token == "" {
			return names, pages
		}
		if pages > 100 {
			e.t.Fatal("ListUsers does not end")
		}
	}
}

func TestManageListUsers(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	pool := env.createPool(map[string]any{"Schema": []map[string]any{{"Name": "tenant"}}})
	p, err := env.svc.getPool(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	// 130 users, written straight to the store (AdminCreateUser's password hashing would only
	// slow the test down); every 10th is disabled, every 7th confirmed.
	var all []string
	for i := 0; i < 130; i++ {
		name := fmt.Sprintf("user%03d", i)
		all = append(all, name)
		parity := "Even"
		if i%2 == 1 {
			parity = "Odd"
		}
		u := &User{Username: name, Sub: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Enabled: i%10 != 0,
			Status: StatusForceChangePassword, Created: env.clock.Now(),
			Attributes: map[string]string{"email": name + "@example.com", "given_name": parity, "custom:tenant": "acme"}}
		if i%7 == 0 {
			u.Status = StatusConfirmed
		}
		if err := env.svc.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
			return ts.putUser(ctx, p, u, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}

	names, pages := env.listAll(map[string]any{"UserPoolId": pool})
	if !slices.Equal(names, all) || pages != 3 {
		t.Fatalf("ListUsers: %d users in %d pages, want 130 in 3 (order by username)", len(names), pages)
	}
	names, pages = env.listAll(map[string]any{"UserPoolId": pool, "Limit": 7})
	if !slices.Equal(names, all) || pages != 19 {
		t.Fatalf("Limit 7: %d users in %d pages, want 130 in 19", len(names), pages)
	}

	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`given_name = "Even"`, 65},
		{`username ^= "user12"`, 10},
		{`email = "user007@example.com"`, 1},
		{`email = "USER007@example.com"`, 0},
		{`email ^= ""`, 130},
		{`cognito:user_status = "confirmed"`, 19},
		{`cognito:user_status = "FORCE_CHANGE_PASSWORD"`, 111},
		{`status = "Disabled"`, 13},
		{`status = "Enabled"`, 117},
		{`status = "enabled"`, 0},
		{`sub = "00000000-0000-4000-8000-000000000042"`, 1},
		{`family_name ^= "x"`, 0},
		{`  given_name="Odd"  `, 65},
	} {
		names, _ := env.listAll(map[string]any{"UserPoolId": pool, "Filter": tc.filter, "Limit": 20})
		if len(names) != tc.want {
			t.Errorf("Filter %s: %d users, want %d", tc.filter, len(names), tc.want)
		}
	}
	for _, bad := range []string{`custom:tenant = "acme"`, `garbage`, `email = user007`, `email == "x"`, `email = "x" and more`} {
		env.wantErr("ListUsers", map[string]any{"UserPoolId": pool, "Filter": bad}, "InvalidParameterException", "")
	}

	// AttributesToGet restricts what each user carries.
	out := env.call("ListUsers", map[string]any{"UserPoolId": pool, "Limit": 3, "AttributesToGet": []string{"email"}})
	for _, u := range mList(out, "Users") {
		if as := mList(u, "Attributes"); len(as) != 1 || as[0]["Name"] != "email" {
			t.Fatalf("AttributesToGet [email]: %v", as)
		}
		if u["UserStatus"] == nil || u["Enabled"] == nil || u["UserCreateDate"] == nil {
			t.Fatalf("UserType members missing: %v", u)
		}
	}
	env.wantErr("ListUsers", map[string]any{"UserPoolId": pool, "AttributesToGet": []string{"custom:nope"}}, "InvalidParameterException", "")
	env.wantErr("ListUsers", map[string]any{"UserPoolId": pool, "Limit": 61}, "InvalidParameterException", "")
	env.wantErr("ListUsers", map[string]any{"UserPoolId": "us-east-1_none"}, "ResourceNotFoundException", "")

	// Tokens are opaque, tamper-evident and bound to their pool.
	out = env.call("ListUsers", map[string]any{"UserPoolId": pool, "Limit": 10})
	token := out["PaginationToken"].(string)
	other := env.createPool(nil)
	env.wantErr("ListUsers", map[string]any{"UserPoolId": other, "PaginationToken": token}, "InvalidParameterException", "")
	tampered := []byte(token)
	tampered[len(tampered)/2] ^= 1
	env.wantErr("ListUsers", map[string]any{"UserPoolId": pool, "PaginationToken": string(tampered)}, "InvalidParameterException", "")

	// The next page starts after the last user handed out, even when users around the page
	// boundary are deleted in between.
	for _, name := range []string{"user009", "user010"} {
		env.call("AdminDeleteUser", map[string]any{"UserPoolId": pool, "Username": name})
	}
	out = env.call("ListUsers", map[string]any{"UserPoolId": pool, "Limit": 3, "PaginationToken": token})
	if got := mUsernames(mList(out, "Users")); !slices.Equal(got, []string{"user011", "user012", "user013"}) {
		t.Fatalf("page after deletions: %v", got)
	}
}
