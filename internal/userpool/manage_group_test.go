package userpool

import (
	"slices"
	"testing"
	"time"
)

const testRoleArn = "arn:aws:iam::123456789012:role/admins"

func mGroupNames(groups []map[string]any) []string {
	var names []string
	for _, g := range groups {
		names = append(names, g["GroupName"].(string))
	}
	return names
}

func mUsernames(users []map[string]any) []string {
	var names []string
	for _, u := range users {
		names = append(names, u["Username"].(string))
	}
	return names
}

func TestManageGroups(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	created := env.clock.Now()

	g := mObj(env.call("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins",
		"Description": "the admins", "RoleArn": testRoleArn, "Precedence": 1}), "Group")
	if g["GroupName"] != "admins" || g["UserPoolId"] != pool || g["RoleArn"] != testRoleArn ||
		mNum(t, g, "Precedence") != 1 || mNum(t, g, "CreationDate") != created.Unix() {
		t.Fatalf("created group: %v", g)
	}
	env.wantErr("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins"}, "GroupExistsException",
		"A group with the name admins already exists.")
	env.wantErr("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": "x", "RoleArn": "not-an-arn-at-all-really"}, "InvalidParameterException", "")
	env.wantErr("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": "x", "Precedence": -1}, "InvalidParameterException", "")
	env.wantErr("CreateGroup", map[string]any{"UserPoolId": "us-east-1_none", "GroupName": "x"}, "ResourceNotFoundException", "")

	// UpdateGroup changes what it names and keeps the rest.
	env.clock.Advance(time.Minute)
	g = mObj(env.call("UpdateGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins", "Description": "new"}), "Group")
	if g["Description"] != "new" || g["RoleArn"] != testRoleArn || mNum(t, g, "Precedence") != 1 ||
		mNum(t, g, "LastModifiedDate") != env.clock.Now().Unix() {
		t.Fatalf("updated group: %v", g)
	}
	g = mObj(env.call("GetGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins"}), "Group")
	if g["Description"] != "new" {
		t.Fatalf("GetGroup: %v", g)
	}
	env.wantErr("GetGroup", map[string]any{"UserPoolId": pool, "GroupName": "nope"}, "ResourceNotFoundException", "Group not found.")
	env.wantErr("UpdateGroup", map[string]any{"UserPoolId": pool, "GroupName": "nope"}, "ResourceNotFoundException", "")

	// ListGroups pages in name order.
	for _, name := range []string{"viewers", "editors"} {
		env.call("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": name})
	}
	out := env.call("ListGroups", map[string]any{"UserPoolId": pool, "Limit": 2})
	page1 := mGroupNames(mList(out, "Groups"))
	token, _ := out["NextToken"].(string)
	out = env.call("ListGroups", map[string]any{"UserPoolId": pool, "Limit": 2, "NextToken": token})
	page2 := mGroupNames(mList(out, "Groups"))
	if !slices.Equal(page1, []string{"admins", "editors"}) || !slices.Equal(page2, []string{"viewers"}) || out["NextToken"] != nil {
		t.Fatalf("ListGroups pages %v %v (next %v)", page1, page2, out["NextToken"])
	}
	env.wantErr("ListGroups", map[string]any{"UserPoolId": pool, "Limit": 61}, "InvalidParameterException", "")
}

func TestManageGroupMembership(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"AliasAttributes": []string{"email"}})
	for _, name := range []string{"admins", "editors", "a", "a/b"} {
		env.call("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": name})
	}
	env.mUser(pool, "alice", "email", "alice@example.com", "email_verified", "true")
	env.mUser(pool, "bob")
	env.mUser(pool, "b/carol")

	// Admin calls name users by username or verified alias.
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "alice@example.com", "GroupName": "admins"})
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "alice", "GroupName": "editors"})
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "alice", "GroupName": "admins"}) // again: no-op
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "bob", "GroupName": "admins"})
	env.wantErr("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "nobody", "GroupName": "admins"},
		"UserNotFoundException", "User does not exist.")
	env.wantErr("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "bob", "GroupName": "nope"},
		"ResourceNotFoundException", "")

	out := env.call("AdminListGroupsForUser", map[string]any{"UserPoolId": pool, "Username": "alice", "Limit": 1})
	first := mGroupNames(mList(out, "Groups"))
	token, _ := out["NextToken"].(string)
	out = env.call("AdminListGroupsForUser", map[string]any{"UserPoolId": pool, "Username": "alice", "Limit": 1, "NextToken": token})
	if second := mGroupNames(mList(out, "Groups")); !slices.Equal(first, []string{"admins"}) || !slices.Equal(second, []string{"editors"}) || out["NextToken"] != nil {
		t.Fatalf("AdminListGroupsForUser pages %v %v", first, second)
	}
	env.wantErr("AdminListGroupsForUser", map[string]any{"UserPoolId": pool, "Username": "nobody"}, "UserNotFoundException", "")

	users := mList(env.call("ListUsersInGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins"}), "Users")
	if !slices.Equal(mUsernames(users), []string{"alice", "bob"}) {
		t.Fatalf("ListUsersInGroup admins: %v", mUsernames(users))
	}
	if users[0]["UserStatus"] != StatusForceChangePassword || users[0]["Enabled"] != true ||
		mAttrMap(mList(users[0], "Attributes"))["email"] != "alice@example.com" {
		t.Fatalf("UserType shape: %v", users[0])
	}
	env.wantErr("ListUsersInGroup", map[string]any{"UserPoolId": pool, "GroupName": "nope"}, "ResourceNotFoundException", "")

	// Groups whose names share a key prefix ("a" and "a/b") keep their members apart.
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "bob", "GroupName": "a/b"})
	env.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": "b/carol", "GroupName": "a"})
	if got := mUsernames(mList(env.call("ListUsersInGroup", map[string]any{"UserPoolId": pool, "GroupName": "a"}), "Users")); !slices.Equal(got, []string{"b/carol"}) {
		t.Fatalf("members of a: %v", got)
	}
	env.call("DeleteGroup", map[string]any{"UserPoolId": pool, "GroupName": "a"})
	if got := mUsernames(mList(env.call("ListUsersInGroup", map[string]any{"UserPoolId": pool, "GroupName": "a/b"}), "Users")); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("members of a/b after deleting a: %v", got)
	}

	env.call("AdminRemoveUserFromGroup", map[string]any{"UserPoolId": pool, "Username": "alice", "GroupName": "editors"})
	if g := env.user(pool, "alice").Groups; !slices.Equal(g, []string{"admins"}) {
		t.Fatalf("alice's groups after removal: %v", g)
	}
	if got := mList(env.call("ListUsersInGroup", map[string]any{"UserPoolId": pool, "GroupName": "editors"}), "Users"); len(got) != 0 {
		t.Fatalf("editors still lists %v", mUsernames(got))
	}

	// DeleteGroup removes the group from its members.
	env.call("DeleteGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins"})
	for _, name := range []string{"alice", "bob"} {
		if g := env.user(pool, name).Groups; slices.Contains(g, "admins") {
			t.Fatalf("%s still in admins: %v", name, g)
		}
	}
	env.wantErr("GetGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins"}, "ResourceNotFoundException", "")
	env.wantErr("DeleteGroup", map[string]any{"UserPoolId": pool, "GroupName": "admins"}, "ResourceNotFoundException", "")
	if g := mList(env.call("AdminListGroupsForUser", map[string]any{"UserPoolId": pool, "Username": "alice"}), "Groups"); len(g) != 0 {
		t.Fatalf("alice's groups after DeleteGroup: %v", mGroupNames(g))
	}
}
