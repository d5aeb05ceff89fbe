package userpool

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
)

// The longest parts the API admits, and longer: the key builders must fit whatever a name's
// encoding (128 UTF-16 units are 384 bytes; 128 runes of 4 bytes, 512).
var (
	maxPoolID   = "us-east-1_" + strings.Repeat("Z", 45) // 55 characters
	maxClientID = strings.Repeat("c", 128)
	longNames   = map[string]string{
		"128 4-byte runes":       strings.Repeat("𝔘", 128),
		"128 3-byte runes":       strings.Repeat("ア", 128),
		"lower case grows":       strings.Repeat("Ⱥ", 128), // 2 bytes each, 3 lower-cased
		"slashes":                strings.Repeat("/", 128),
		"shaped like a digest":   store.FitPart(strings.Repeat("x", 600), 0),
		"one byte":               "a",
		"room for a digest only": strings.Repeat("g", store.MaxKeyLen-len("ugm/"+maxPoolID+"/")-1-store.DigestPartLen),
	}
	longValues = []string{strings.Repeat("𝔘", 2048), strings.Repeat("é", 2048), strings.Repeat("a", 2040) + "@x.io", "+123456789012345"}
)

func TestKeysFitEveryAdmittedName(t *testing.T) {
	sensitive := &Pool{Id: maxPoolID}
	insensitive := &Pool{Id: maxPoolID, UsernameConfiguration: &UsernameConfiguration{CaseSensitive: new(bool)}}
	shard := poolShard(maxPoolID)
	check := func(what, key string, pooled bool) {
		t.Helper()
		if err := store.CheckKey(key); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if got := store.Shard(key); pooled && got != shard {
			t.Errorf("%s: key %.60q in shard %s, want %s", what, key, got, shard)
		}
	}
	check("pool", poolKey(maxPoolID), false)
	check("client", clientKey(maxPoolID, maxClientID), true)
	check("client index", clientIndexKey(maxClientID), false)
	check("revoked family", revokedKey(maxPoolID, "0f8c6d6e-3b0a-4c1e-9d55-2a7e3c4b5a69"), true)
	check("rotated refresh token", rotatedKey(maxPoolID, "0f8c6d6e-3b0a-4c1e-9d55-2a7e3c4b5a69"), true)
	check("spent SRP block", srpUsedKey(maxPoolID, []byte(strings.Repeat("b", 4096))), true)
	for _, attr := range []string{"sub", "email", "phone_number", "preferred_username"} {
		for _, v := range longValues {
			check("index "+attr, indexKey(maxPoolID, attr, indexValue(attr, v)), true)
		}
	}
	for what, group := range longNames {
		check("group "+what, groupKey(maxPoolID, group), true)
		for _, p := range []*Pool{sensitive, insensitive} {
			for whatUser, name := range longNames {
				ukey := usernameKey(p, name)
				check("user "+whatUser, userKey(p.Id, ukey), true)
				check("lockout "+whatUser, lockKey(p, name), true)
				mk := memberKey(p.Id, group, ukey)
				check("membership "+what+" / "+whatUser, mk, true)
				if !strings.HasPrefix(mk, memberPrefix(p.Id, group)) {
					t.Errorf("membership key %.60q is not under its group's prefix %.60q", mk, memberPrefix(p.Id, group))
				}
			}
		}
	}
}

func TestKeysKeepPartsThatFit(t *testing.T) {
	pool := "us-east-1_AbCdEfGhI"
	name := strings.Repeat("ア", 128) // 384 bytes: fits in a user or group key, not twice in a membership
	for got, want := range map[string]string{
		userKey(pool, "alice"):                   "uu/" + pool + "/alice",
		userKey(pool, name):                      "uu/" + pool + "/" + name,
		groupKey(pool, name):                     "ug/" + pool + "/" + name,
		indexKey(pool, "email", "a@example.com"): "ux/" + pool + "/email/a@example.com",
		memberKey(pool, "a/b", "~bob"):           "ugm/" + pool + "/a/b/~bob",
		memberKey(pool, name, "bob"):             "ugm/" + pool + "/" + name + "/bob",
		memberPrefix(pool, name):                 "ugm/" + pool + "/" + name + "/",
	} {
		if got != want {
			t.Errorf("key %.80q, want %.80q", got, want)
		}
	}
	// Parts that do not fit are digested, each to its own form.
	a, b := strings.Repeat("é", 2047)+"a", strings.Repeat("é", 2047)+"b"
	if indexKey(pool, "preferred_username", a) == indexKey(pool, "preferred_username", b) {
		t.Error("two long values share an index key")
	}
	if memberKey(pool, name, name) == memberKey(pool, name, name[:len(name)-3]+"イ") {
		t.Error("two long usernames share a membership key")
	}
	// A short value shaped like the digest form of a long one does not take its key.
	if indexKey(pool, "preferred_username", a) == indexKey(pool, "preferred_username", store.FitPart(a, 0)) {
		t.Error("a digest-shaped value has the key of the value it digests")
	}
}

// TestLongNamesEndToEnd drives every flow that writes or lists keys with the longest names the
// API admits: usernames and group names of 128 3-byte characters (a membership key of them
// spelled out is 793 bytes) and attribute values of 2048 characters.
func TestLongNamesEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name         string
		pool         map[string]any
		user1, user2 string
	}{
		{"case sensitive", nil, strings.Repeat("ア", 128), strings.Repeat("ア", 127) + "イ"},
		{"case insensitive", map[string]any{"UsernameConfiguration": map[string]any{"CaseSensitive": false}},
			strings.Repeat("Ⱥ", 127) + "ア", strings.Repeat("Ⱥ", 127) + "イ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			poolIn := map[string]any{"AliasAttributes": []string{"email", "preferred_username"}}
			for k, v := range tc.pool {
				poolIn[k] = v
			}
			a := newAuthSetup(t, poolIn, passwordClient)
			longNamesFlow(t, a, tc.user1, tc.user2)
		})
	}
}

func longNamesFlow(t *testing.T, a *authSetup, user1, user2 string) {
	email1 := strings.Repeat("a", 2040) + "@x.io"
	pref1, pref2 := strings.Repeat("プ", 2048), strings.Repeat("プ", 2047)+"ノ"
	group1, group2 := strings.Repeat("グ", 128), strings.Repeat("グ", 127)+"ル"
	pool := a.pool
	names := func(users []map[string]any) []string {
		out := mUsernames(users)
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }

	// Sign-up and sign-in; the index keys of the long email and preferred_username are written.
	internal := a.signUpConfirmed(user1, email1)
	if internal != user1 {
		t.Fatalf("signed up as %q, want %q", internal, user1)
	}
	a.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user1,
		"UserAttributes": mAttrs("preferred_username", pref1)})
	a.mUser(pool, user2, "email", "b@example.com", "email_verified", "true")
	a.call("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": user2, "Password": testPassword, "Permanent": true})
	// The long alias is taken: the lookup finds its digested index key.
	a.wantErr("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user2,
		"UserAttributes": mAttrs("preferred_username", pref1)}, "AliasExistsException", "")

	// Groups and memberships.
	for _, g := range []string{group1, group2} {
		a.call("CreateGroup", map[string]any{"UserPoolId": pool, "GroupName": g})
	}
	for _, m := range [][2]string{{user1, group1}, {user2, group1}, {user1, group2}} {
		a.call("AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": m[0], "GroupName": m[1]})
	}
	inGroup := func(g string) []string {
		t.Helper()
		return names(mList(a.call("ListUsersInGroup", map[string]any{"UserPoolId": pool, "GroupName": g}), "Users"))
	}
	groupsOf := func(u string) []string {
		t.Helper()
		return mGroupNames(mList(a.call("AdminListGroupsForUser", map[string]any{"UserPoolId": pool, "Username": u}), "Groups"))
	}
	if got := inGroup(group1); !slices.Equal(got, sorted(user1, user2)) {
		t.Fatalf("ListUsersInGroup group1: %q", got)
	}
	if got := inGroup(group2); !slices.Equal(got, []string{user1}) {
		t.Fatalf("ListUsersInGroup group2: %q", got)
	}
	if got := groupsOf(user1); !slices.Equal(got, sorted(group1, group2)) {
		t.Fatalf("AdminListGroupsForUser user1: %q", got)
	}
	_, id, _ := a.tokens(a.passwordLogin(user1, testPassword))
	if c := a.verify(id); c["cognito:username"] != user1 || c["preferred_username"] != pref1 ||
		!slices.Equal(stringsOf(c["cognito:groups"]), sorted(group1, group2)) {
		t.Fatalf("id token of user1: username %v, groups %v", c["cognito:username"], c["cognito:groups"])
	}

	// ListUsers, whole and filtered.
	if got := names(mList(a.call("ListUsers", map[string]any{"UserPoolId": pool}), "Users")); !slices.Equal(got, sorted(user1, user2)) {
		t.Fatalf("ListUsers: %q", got)
	}
	for filter, want := range map[string]string{`username = "` + user2 + `"`: user2, `preferred_username ^= "プププ"`: user1} {
		got := names(mList(a.call("ListUsers", map[string]any{"UserPoolId": pool, "Filter": filter}), "Users"))
		if !slices.Equal(got, []string{want}) {
			t.Fatalf("ListUsers %.30s: %q", filter, got)
		}
	}

	// Changing the long alias frees its old index key for another user.
	a.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user1,
		"UserAttributes": mAttrs("preferred_username", pref2)})
	a.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user2,
		"UserAttributes": mAttrs("preferred_username", pref1)})
	a.wantErr("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user2,
		"UserAttributes": mAttrs("preferred_username", pref2)}, "AliasExistsException", "")

	// Deleting user1 removes its memberships and index keys.
	a.call("AdminDeleteUser", map[string]any{"UserPoolId": pool, "Username": user1})
	if got := inGroup(group1); !slices.Equal(got, []string{user2}) {
		t.Fatalf("ListUsersInGroup group1 after AdminDeleteUser: %q", got)
	}
	if got := inGroup(group2); len(got) != 0 {
		t.Fatalf("ListUsersInGroup group2 after AdminDeleteUser: %q", got)
	}
	a.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user2,
		"UserAttributes": mAttrs("preferred_username", pref2)})

	// DeleteGroup finds its members under the digested keys.
	a.call("DeleteGroup", map[string]any{"UserPoolId": pool, "GroupName": group1})
	if got := groupsOf(user2); len(got) != 0 {
		t.Fatalf("AdminListGroupsForUser user2 after DeleteGroup: %q", got)
	}

	// Every key fits, and no membership or index key is left for user1.
	ctx := context.Background()
	for _, k := range a.mKeys() {
		if err := store.CheckKey(k); err != nil {
			t.Errorf("stored key: %v", err)
		}
		if !strings.HasPrefix(k, "ugm/") && !strings.HasPrefix(k, "ux/") {
			continue
		}
		v, err := a.store.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(string(v), user1) {
			t.Errorf("key %.60q still names the deleted user", k)
		}
	}
}

// stringsOf returns the strings of a decoded JSON array, sorted.
func stringsOf(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	slices.Sort(out)
	return out
}
