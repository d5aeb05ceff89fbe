package userpool

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func (e *testEnv) passwordIs(poolID, username, password string) bool {
	e.t.Helper()
	p, err := e.svc.getPool(context.Background(), poolID)
	if err != nil {
		e.t.Fatal(err)
	}
	ok, err := e.svc.passwordMatches(p, e.user(poolID, username), password)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

func TestManageAdminCreateUser(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"AutoVerifiedAttributes": []string{"email"},
		"Schema": []map[string]any{{"Name": "tenant"}}})
	now := env.clock.Now()

	out := env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "alice",
		"TemporaryPassword": "Temp#Pass1", "UserAttributes": mAttrs("email", "alice@example.com",
			"email_verified", "true", "custom:tenant", "acme")})
	u := mObj(out, "User")
	as := mList(u, "Attributes")
	if u["Username"] != "alice" || u["UserStatus"] != StatusForceChangePassword || u["Enabled"] != true ||
		mNum(t, u, "UserCreateDate") != now.Unix() || len(as) == 0 || as[0]["Name"] != "sub" ||
		!uuidShape.MatchString(as[0]["Value"].(string)) {
		t.Fatalf("AdminCreateUser User: %v", u)
	}
	if m := mAttrMap(as); m["email"] != "alice@example.com" || m["email_verified"] != "true" || m["custom:tenant"] != "acme" {
		t.Fatalf("attributes: %v", m)
	}
	msg, ok := env.sender.Last("alice", message.KindAdminCreateUser)
	if !ok || msg.Code != "Temp#Pass1" || msg.Destination != "alice@example.com" || msg.Medium != "EMAIL" || msg.Pool != pool {
		t.Fatalf("invitation: %+v (sent %v)", msg, ok)
	}
	stored := env.user(pool, "alice")
	if !stored.TempPasswordExpires.Equal(now.Add(7*24*time.Hour)) || !env.passwordIs(pool, "alice", "Temp#Pass1") {
		t.Fatalf("temporary password: expires %v", stored.TempPasswordExpires)
	}

	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "alice"}, "UsernameExistsException", "User account already exists")

	// SUPPRESS sends nothing; no TemporaryPassword → a generated one that meets the policy.
	before := len(env.sender.Messages())
	env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "bob", "MessageAction": "SUPPRESS",
		"UserAttributes": mAttrs("email", "bob@example.com")})
	if n := len(env.sender.Messages()); n != before {
		t.Fatalf("SUPPRESS sent %d messages", n-before)
	}
	env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "carol",
		"UserAttributes": mAttrs("email", "carol@example.com")})
	generated := env.lastCode("carol", message.KindAdminCreateUser)
	if err := checkPasswordPolicy(DefaultPasswordPolicy(), generated); err != nil || !env.passwordIs(pool, "carol", generated) {
		t.Fatalf("generated password %q: %v", generated, err)
	}

	// RESEND: a new temporary password for a user still waiting for one.
	env.clock.Advance(24 * time.Hour)
	env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "alice", "MessageAction": "RESEND"})
	again := env.lastCode("alice", message.KindAdminCreateUser)
	if again == "Temp#Pass1" || !env.passwordIs(pool, "alice", again) || env.passwordIs(pool, "alice", "Temp#Pass1") {
		t.Fatalf("RESEND password %q", again)
	}
	if exp := env.user(pool, "alice").TempPasswordExpires; !exp.Equal(env.clock.Now().Add(7 * 24 * time.Hour)) {
		t.Fatalf("RESEND expiry %v", exp)
	}
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "nobody", "MessageAction": "RESEND"},
		"UserNotFoundException", "")
	env.call("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "bob", "Password": "Perm#Pass1", "Permanent": true})
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "bob", "MessageAction": "RESEND"},
		"UnsupportedUserStateException", "")

	for _, tc := range []struct {
		name string
		in   map[string]any
		typ  string
		msg  string
	}{
		{"weak password", map[string]any{"TemporaryPassword": "weakpassword"}, "InvalidPasswordException",
			"Password did not conform with policy: Password must have uppercase characters"},
		{"short password", map[string]any{"TemporaryPassword": "Ab1#"}, "InvalidParameterException", ""},
		{"unknown attribute", map[string]any{"UserAttributes": mAttrs("custom:nope", "x")}, "InvalidParameterException",
			"Attributes did not conform to the schema: Type for attribute {custom:nope} could not be determined"},
		{"sub", map[string]any{"UserAttributes": mAttrs("sub", "x")}, "InvalidParameterException", ""},
		{"bad email", map[string]any{"UserAttributes": mAttrs("email", "not-an-email")}, "InvalidParameterException", "Invalid email address format."},
		{"bad phone", map[string]any{"UserAttributes": mAttrs("phone_number", "555-1234")}, "InvalidParameterException", "Invalid phone number format."},
		{"verified without email", map[string]any{"UserAttributes": mAttrs("email_verified", "true")}, "InvalidParameterException", ""},
		{"bad message action", map[string]any{"MessageAction": "SHOUT"}, "InvalidParameterException", ""},
		{"medium without attribute", map[string]any{"DesiredDeliveryMediums": []string{"SMS"},
			"UserAttributes": mAttrs("email", "d@example.com")}, "InvalidParameterException", ""},
		{"unknown pool", map[string]any{"UserPoolId": "us-east-1_none"}, "ResourceNotFoundException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"UserPoolId": pool, "Username": "dave"}
			for k, v := range tc.in {
				body[k] = v
			}
			env.wantErr("AdminCreateUser", body, tc.typ, tc.msg)
		})
	}
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "dave"}, "UserNotFoundException", "User does not exist.")

	// DesiredDeliveryMediums picks where the invitation goes.
	env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "erin", "DesiredDeliveryMediums": []string{"SMS"},
		"UserAttributes": mAttrs("email", "erin@example.com", "phone_number", "+15555550123")})
	if m, _ := env.sender.Last("erin", message.KindAdminCreateUser); m.Medium != "SMS" || m.Destination != "+15555550123" {
		t.Fatalf("SMS invitation: %+v", m)
	}
}

func TestManageAdminCreateUserRequiredAttributes(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"Schema": []map[string]any{{"Name": "name", "Required": true}, {"Name": "email", "Required": true}}})
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "u"}, "InvalidParameterException",
		"Attributes did not conform to the schema: name: The attribute is required\nemail: The attribute is required")
	env.mUser(pool, "u", "name", "U", "email", "u@example.com")
}

func TestManageAdminCreateUserEmailAsUsername(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"UsernameAttributes": []string{"email"}})
	u := mObj(env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "Carol@Example.com",
		"MessageAction": "SUPPRESS"}), "User")
	m := mAttrMap(mList(u, "Attributes"))
	if !uuidShape.MatchString(u["Username"].(string)) || u["Username"] != m["sub"] || m["email"] != "Carol@Example.com" {
		t.Fatalf("email-username user: %v", u)
	}
	got := env.call("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "carol@example.com"})
	if got["Username"] != u["Username"] {
		t.Fatalf("AdminGetUser by email: %v", got)
	}
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "carol@example.com"},
		"UsernameExistsException", "An account with the given email already exists.")
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "carol"},
		"InvalidParameterException", "Username should be an email.")
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "d@example.com",
		"UserAttributes": mAttrs("email", "other@example.com")}, "InvalidParameterException", "")

	both := env.createPool(map[string]any{"UsernameAttributes": []string{"email", "phone_number"}})
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": both, "Username": "carol"},
		"InvalidParameterException", "Username should be either an email or a phone number.")
	env.call("AdminCreateUser", map[string]any{"UserPoolId": both, "Username": "+15555550100", "MessageAction": "SUPPRESS"})

	alias := env.createPool(map[string]any{"AliasAttributes": []string{"email"}})
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": alias, "Username": "x@example.com"},
		"InvalidParameterException", "Username cannot be of email format, since user pool is configured for email alias.")
}

func TestManageAdminCreateUserAliases(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"AliasAttributes": []string{"email"}})
	env.mUser(pool, "alice", "email", "shared@example.com", "email_verified", "true")
	env.wantErr("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "bob",
		"UserAttributes": mAttrs("email", "shared@example.com", "email_verified", "true")},
		"AliasExistsException", "An account with the given email already exists.")
	// An unverified copy is no alias and may coexist.
	env.mUser(pool, "carol", "email", "shared@example.com")
	// ForceAliasCreation moves the alias to the new user.
	env.call("AdminCreateUser", map[string]any{"UserPoolId": pool, "Username": "bob", "MessageAction": "SUPPRESS",
		"ForceAliasCreation": true, "UserAttributes": mAttrs("email", "shared@example.com", "email_verified", "true")})
	if got := env.call("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "shared@example.com"}); got["Username"] != "bob" {
		t.Fatalf("alias resolves to %v, want bob", got["Username"])
	}
	if v := env.user(pool, "alice").Attributes["email_verified"]; v != "false" {
		t.Fatalf("previous holder's email_verified = %q", v)
	}
}

func TestManageAdminGetUser(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"AliasAttributes": []string{"email"}})
	env.mUser(pool, "alice", "email", "alice@example.com", "email_verified", "true", "name", "Alice")
	env.clock.Advance(time.Minute)
	out := env.call("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "alice"})
	as := mList(out, "UserAttributes")
	if out["Username"] != "alice" || out["UserStatus"] != StatusForceChangePassword || out["Enabled"] != true ||
		mNum(t, out, "UserCreateDate") != env.clock.Now().Add(-time.Minute).Unix() || out["Attributes"] != nil ||
		as[0]["Name"] != "sub" || mAttrMap(as)["name"] != "Alice" {
		t.Fatalf("AdminGetUser: %v", out)
	}
	var names []string
	for _, a := range as {
		names = append(names, a["Name"].(string))
	}
	if want := []string{"sub", "email", "email_verified", "name"}; len(names) != len(want) || names[1] != "email" || names[3] != "name" {
		t.Fatalf("attribute order %v, want %v", names, want)
	}
	sub := mAttrMap(as)["sub"]
	for _, name := range []string{sub, "alice@example.com", "ALICE@example.com"} {
		if got := env.call("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": name}); got["Username"] != "alice" {
			t.Fatalf("AdminGetUser(%s) = %v", name, got["Username"])
		}
	}
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "nobody"}, "UserNotFoundException", "User does not exist.")
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": "us-east-1_none", "Username": "alice"}, "ResourceNotFoundException", "")
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": pool}, "InvalidParameterException", "")
}

func TestManageAdminUserStatus(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email"}},
		map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	env, pool := a.testEnv, a.pool

	// AdminConfirmSignUp confirms an UNCONFIRMED user once.
	a.signUp("una", "una@example.com")
	env.call("AdminConfirmSignUp", map[string]any{"UserPoolId": pool, "Username": "una"})
	if u := env.user(pool, "una"); u.Status != StatusConfirmed || u.Secrets.Codes[purposeSignUp] != nil {
		t.Fatalf("after AdminConfirmSignUp: %s %v", u.Status, u.Secrets.Codes)
	}
	env.wantErr("AdminConfirmSignUp", map[string]any{"UserPoolId": pool, "Username": "una"}, "NotAuthorizedException",
		"User cannot be confirmed. Current status is CONFIRMED")
	env.wantErr("AdminConfirmSignUp", map[string]any{"UserPoolId": pool, "Username": "nobody"}, "UserNotFoundException", "")

	// AdminSetUserPassword: permanent → CONFIRMED, temporary → FORCE_CHANGE_PASSWORD.
	env.mUser(pool, "alice", "email", "alice@example.com")
	env.call("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice", "Password": testPassword, "Permanent": true})
	if u := env.user(pool, "alice"); u.Status != StatusConfirmed || !u.TempPasswordExpires.IsZero() || !env.passwordIs(pool, "alice", testPassword) {
		t.Fatalf("permanent password: %s %v", u.Status, u.TempPasswordExpires)
	}
	a.tokens(a.passwordLogin("alice", testPassword))
	env.call("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice", "Password": "Temp0rary!"})
	if u := env.user(pool, "alice"); u.Status != StatusForceChangePassword || !u.TempPasswordExpires.Equal(env.clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("temporary password: %s %v", u.Status, u.TempPasswordExpires)
	}
	env.wantErr("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice", "Password": "password"},
		"InvalidPasswordException", "")
	env.wantErr("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice"}, "InvalidParameterException", "")
	env.call("AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice", "Password": testPassword, "Permanent": true})

	// AdminDisableUser revokes tokens and blocks sign-in; AdminEnableUser undoes it.
	env.clock.Advance(time.Minute)
	env.call("AdminDisableUser", map[string]any{"UserPoolId": pool, "Username": "alice"})
	if u := env.user(pool, "alice"); u.Enabled || u.TokensValidAfter.Before(env.clock.Now()) {
		t.Fatalf("disabled user: enabled=%v tokensValidAfter=%v", u.Enabled, u.TokensValidAfter)
	}
	status, out := a.passwordLogin("alice", testPassword)
	a.wantAnswer(status, out, "NotAuthorizedException", "User is disabled.")
	env.wantErr("AdminResetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice"}, "NotAuthorizedException", "User is disabled.")
	env.call("AdminEnableUser", map[string]any{"UserPoolId": pool, "Username": "alice"})
	a.tokens(a.passwordLogin("alice", testPassword))

	// AdminResetUserPassword needs a verified contact; it sends a reset code.
	env.wantErr("AdminResetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice"}, "InvalidParameterException",
		"Cannot reset password for the user as there is no registered/verified email or phone_number")
	env.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": "alice",
		"UserAttributes": mAttrs("email_verified", "true")})
	env.call("AdminResetUserPassword", map[string]any{"UserPoolId": pool, "Username": "alice"})
	u := env.user(pool, "alice")
	code := env.lastCode("alice", message.KindAdminResetPassword)
	if u.Status != StatusResetRequired || u.Secrets.Codes[purposeForgot] == nil || u.Secrets.Codes[purposeForgot].Value != code {
		t.Fatalf("after reset: %s %v", u.Status, u.Secrets.Codes)
	}
	status, out = a.passwordLogin("alice", testPassword)
	a.wantAnswer(status, out, "PasswordResetRequiredException", "")
	env.call("ConfirmForgotPassword", map[string]any{"ClientId": a.client, "Username": "alice", "ConfirmationCode": code, "Password": "N3w-Password"})
	a.tokens(a.passwordLogin("alice", "N3w-Password"))

	// AdminDeleteUser removes the user and its alias.
	env.call("AdminDeleteUser", map[string]any{"UserPoolId": pool, "Username": "alice@example.com"})
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "alice"}, "UserNotFoundException", "")
	for _, k := range env.mKeys() {
		if k == indexKey(pool, "email", "alice@example.com") || k == userKey(pool, "alice") {
			t.Fatalf("key %s left after AdminDeleteUser", k)
		}
	}
	env.wantErr("AdminDeleteUser", map[string]any{"UserPoolId": pool, "Username": "alice"}, "UserNotFoundException", "")
}

func TestManageAdminUpdateUserAttributes(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(map[string]any{"AliasAttributes": []string{"email"}, "AutoVerifiedAttributes": []string{"email"},
		"Schema": []map[string]any{{"Name": "name", "Required": true},
			{"Name": "level", "AttributeDataType": "Number", "NumberAttributeConstraints": map[string]any{"MinValue": "1", "MaxValue": "9"}},
			{"Name": "badge", "Mutable": false}}})
	env.mUser(pool, "alice", "name", "Alice", "email", "a@example.com", "email_verified", "true", "custom:badge", "gold")
	env.mUser(pool, "bob", "name", "Bob")
	update := func(user string, kv ...string) {
		t.Helper()
		env.call("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": user, "UserAttributes": mAttrs(kv...)})
	}

	// A new email is unverified until confirmed; the pool auto-verifies email, so a code goes out.
	update("alice", "email", "b@example.com")
	u := env.user(pool, "alice")
	code := env.lastCode("alice", message.KindVerifyAttribute)
	if u.Attributes["email"] != "b@example.com" || u.Attributes["email_verified"] != "false" ||
		u.Secrets.Codes[purposeVerify("email")] == nil || u.Secrets.Codes[purposeVerify("email")].Value != code {
		t.Fatalf("after email change: %v %v", u.Attributes, u.Secrets.Codes)
	}
	if m, _ := env.sender.Last("alice", message.KindVerifyAttribute); m.Destination != "b@example.com" {
		t.Fatalf("verification went to %q", m.Destination)
	}
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "a@example.com"}, "UserNotFoundException", "")

	// Setting the verified flag along with the email: no code, alias usable at once.
	before := len(env.sender.Messages())
	update("alice", "email", "c@example.com", "email_verified", "true")
	if len(env.sender.Messages()) != before {
		t.Fatal("a code was sent for an email the admin marked verified")
	}
	if got := env.call("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "c@example.com"}); got["Username"] != "alice" {
		t.Fatalf("alias c@example.com → %v", got["Username"])
	}
	env.wantErr("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": "bob",
		"UserAttributes": mAttrs("email", "c@example.com", "email_verified", "true")}, "AliasExistsException", "")

	update("bob", "custom:level", "5", "given_name", "Robert")
	if u := env.user(pool, "bob"); u.Attributes["custom:level"] != "5" || u.Attributes["given_name"] != "Robert" {
		t.Fatalf("bob: %v", u.Attributes)
	}
	for _, tc := range []struct {
		name string
		kv   []string
		msg  string
	}{
		{"immutable", []string{"custom:badge", "silver"}, "Cannot modify the non-mutable attribute custom:badge"},
		{"unknown", []string{"custom:nope", "x"}, ""},
		{"not a number", []string{"custom:level", "five"}, ""},
		{"above maximum", []string{"custom:level", "10"}, ""},
		{"required to empty", []string{"name", ""}, "Attributes did not conform to the schema: name: The attribute is required"},
		{"too long", []string{"birthdate", "1990-01-011"}, ""},
		{"bad boolean", []string{"email_verified", "yes"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.wantErr("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": "bob",
				"UserAttributes": mAttrs(tc.kv...)}, "InvalidParameterException", tc.msg)
		})
	}
	env.wantErr("AdminUpdateUserAttributes", map[string]any{"UserPoolId": pool, "Username": "nobody",
		"UserAttributes": mAttrs("name", "x")}, "UserNotFoundException", "")

	// AdminDeleteUserAttributes: email goes with its verified flag; required ones stay.
	env.call("AdminDeleteUserAttributes", map[string]any{"UserPoolId": pool, "Username": "alice",
		"UserAttributeNames": []string{"email"}})
	if u := env.user(pool, "alice"); u.Attributes["email"] != "" || u.Attributes["email_verified"] != "" {
		t.Fatalf("after deleting email: %v", u.Attributes)
	}
	env.wantErr("AdminGetUser", map[string]any{"UserPoolId": pool, "Username": "c@example.com"}, "UserNotFoundException", "")
	env.wantErr("AdminDeleteUserAttributes", map[string]any{"UserPoolId": pool, "Username": "alice",
		"UserAttributeNames": []string{"name"}}, "InvalidParameterException", "")
	env.wantErr("AdminDeleteUserAttributes", map[string]any{"UserPoolId": pool, "Username": "alice",
		"UserAttributeNames": []string{"custom:badge"}}, "InvalidParameterException", "")

	// In a pool that signs in by email, the last sign-in attribute cannot be removed.
	byEmail := env.createPool(map[string]any{"UsernameAttributes": []string{"email"}})
	name := env.mUser(byEmail, "e@example.com")
	env.wantErr("AdminDeleteUserAttributes", map[string]any{"UserPoolId": byEmail, "Username": name,
		"UserAttributeNames": []string{"email"}}, "InvalidParameterException", "")
}
