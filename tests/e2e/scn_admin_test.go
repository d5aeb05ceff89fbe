package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/message"
)

func attrMap(l []types.AttributeType) map[string]string {
	m := map[string]string{}
	for _, a := range l {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}

// scnAdminUsers: AdminCreateUser, AdminGetUser, attribute updates and deletes, AdminSetUserPassword,
// AdminConfirmSignUp, AdminDeleteUser.
func scnAdminUsers(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.Schema = []types.SchemaAttributeType{{Name: aws.String("tier"), AttributeDataType: "String", Mutable: aws.Bool(true)}}
	}, nil)
	p := aws.String(f.pool)
	created := ep.Now()

	u := call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: p, Username: aws.String("alice"), TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS",
		UserAttributes: []types.AttributeType{attr("email", "alice@example.com"), attr("email_verified", "true"), attr("name", "Alice"), attr("custom:tier", "gold")},
	})).must(t).User
	if aws.ToString(u.Username) != "alice" || u.UserStatus != "FORCE_CHANGE_PASSWORD" || !u.Enabled || !epochNear(u.UserCreateDate, created) {
		t.Errorf("AdminCreateUser User = %+v", u)
	}
	am := attrMap(u.Attributes)
	if !uuidRe.MatchString(am["sub"]) || am["email"] != "alice@example.com" || am["custom:tier"] != "gold" {
		t.Errorf("AdminCreateUser Attributes = %v", am)
	}
	if aws.ToString(u.Attributes[0].Name) != "sub" {
		t.Errorf("first attribute is %q, want sub", aws.ToString(u.Attributes[0].Name))
	}
	_, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("alice"), MessageAction: "SUPPRESS"})
	wantErr(t, err, "UsernameExistsException", "")
	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("weak"), TemporaryPassword: aws.String("short"), MessageAction: "SUPPRESS"})
	wantErrIn(t, err, "InvalidPasswordException", "InvalidParameterException")
	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("odd"), MessageAction: "SUPPRESS",
		UserAttributes: []types.AttributeType{attr("custom:unknown", "x")}})
	wantErr(t, err, "InvalidParameterException", "")

	g := f.adminGetUser(t, "alice")
	if aws.ToString(g.Username) != "alice" || g.UserStatus != "FORCE_CHANGE_PASSWORD" || !g.Enabled || g.UserCreateDate == nil || g.UserLastModifiedDate == nil {
		t.Errorf("AdminGetUser = %+v", g)
	}
	if attrMap(g.UserAttributes)["email_verified"] != "true" {
		t.Errorf("AdminGetUser email_verified = %q, want \"true\"", attrMap(g.UserAttributes)["email_verified"])
	}
	// Lookup by sub works too.
	if g2 := f.adminGetUser(t, am["sub"]); aws.ToString(g2.Username) != "alice" {
		t.Errorf("AdminGetUser by sub: %q", aws.ToString(g2.Username))
	}
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: p, Username: aws.String("nobody")})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Missing00"), Username: aws.String("alice")})
	wantErr(t, err, "ResourceNotFoundException", "")

	// Attributes: update, email change resets email_verified, delete.
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String("alice"),
		UserAttributes: []types.AttributeType{attr("name", "Alice A."), attr("email", "alice2@example.com")}})
	ok(t, err)
	m := attrMap(f.adminGetUser(t, "alice").UserAttributes)
	if m["name"] != "Alice A." || m["email"] != "alice2@example.com" || m["email_verified"] == "true" {
		t.Errorf("after AdminUpdateUserAttributes: %v (email change must reset email_verified)", m)
	}
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String("alice"),
		UserAttributes: []types.AttributeType{attr("email_verified", "true")}})
	ok(t, err)
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String("alice"),
		UserAttributes: []types.AttributeType{attr("sub", "f00")}})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = admin.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: p, Username: aws.String("alice"), UserAttributeNames: []string{"name", "custom:tier"}})
	ok(t, err)
	m = attrMap(f.adminGetUser(t, "alice").UserAttributes)
	if _, has := m["name"]; has {
		t.Errorf("name survived AdminDeleteUserAttributes: %v", m)
	}
	if _, has := m["custom:tier"]; has {
		t.Errorf("custom:tier survived AdminDeleteUserAttributes: %v", m)
	}
	if m["email_verified"] != "true" {
		t.Errorf("email_verified = %q after setting it", m["email_verified"])
	}

	// AdminSetUserPassword: policy, permanent → CONFIRMED, temporary → FORCE_CHANGE_PASSWORD.
	wantErr(t, f.adminSetPassword("alice", "alllowercase1", true), "InvalidPasswordException", "")
	ok(t, f.adminSetPassword("alice", "Perm-Passw0rd", true))
	if s := f.adminGetUser(t, "alice").UserStatus; s != "CONFIRMED" {
		t.Errorf("after AdminSetUserPassword Permanent: status %s", s)
	}
	f.tokens(t, "alice", "Perm-Passw0rd")
	ok(t, f.adminSetPassword("alice", "Temp-Passw0rd2", false))
	if s := f.adminGetUser(t, "alice").UserStatus; s != "FORCE_CHANGE_PASSWORD" {
		t.Errorf("after AdminSetUserPassword temporary: status %s", s)
	}
	wantErr(t, f.adminSetPassword("nobody", "Perm-Passw0rd", true), "UserNotFoundException", "")

	// AdminConfirmSignUp on a signed-up (UNCONFIRMED) user.
	su := call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("bob"), Password: aws.String("Passw0rd-bob"),
		UserAttributes: []types.AttributeType{attr("email", "bob@example.com")}})).must(t)
	if su.UserConfirmed || !uuidRe.MatchString(aws.ToString(su.UserSub)) {
		t.Errorf("SignUp = confirmed %v sub %q", su.UserConfirmed, aws.ToString(su.UserSub))
	}
	_, err = f.passwordAuth("bob", "Passw0rd-bob")
	wantErr(t, err, "UserNotConfirmedException", "")
	_, err = f.passwordAuth("bob", "Passw0rd-wrong") // only the right password learns the state
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	_, err = admin.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: p, Username: aws.String("bob")})
	ok(t, err)
	if s := f.adminGetUser(t, "bob").UserStatus; s != "CONFIRMED" {
		t.Errorf("after AdminConfirmSignUp: status %s", s)
	}
	_, err = admin.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: p, Username: aws.String("bob")})
	wantErr(t, err, "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
	f.tokens(t, "bob", "Passw0rd-bob")

	// AdminDeleteUser.
	_, err = admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: p, Username: aws.String("bob")})
	ok(t, err)
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: p, Username: aws.String("bob")})
	wantErr(t, err, "UserNotFoundException", "")
	_, err = admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: p, Username: aws.String("bob")})
	wantErr(t, err, "UserNotFoundException", "")
	// The name is free again.
	f.createUser(t, "bob", "Passw0rd-bob2")
}

// scnAdminCreateUserMessages: the invitation carries a usable temporary password; SUPPRESS sends
// nothing; RESEND re-sends to a FORCE_CHANGE_PASSWORD user only.
func scnAdminCreateUserMessages(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	p := aws.String(f.pool)

	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("ivy"),
		UserAttributes: []types.AttributeType{attr("email", "ivy@example.com"), attr("email_verified", "true")}})).must(t)
	msg := lastMessage(t, ep, "ivy@example.com", message.KindAdminCreateUser)
	if msg.Code == "" || msg.Medium != "EMAIL" || msg.Pool != f.pool {
		t.Fatalf("invitation = %+v", msg)
	}
	out := call(f.passwordAuth("ivy", msg.Code)).must(t)
	if out.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Errorf("sign-in with the generated temporary password: challenge %q, want NEW_PASSWORD_REQUIRED", out.ChallengeName)
	}

	// RESEND: a new temporary password, the old one stops working.
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("ivy"), MessageAction: "RESEND"})).must(t)
	msg2 := lastMessage(t, ep, "ivy@example.com", message.KindAdminCreateUser)
	if msg2.Code == "" || msg2.Code == msg.Code {
		t.Errorf("RESEND: temporary password %q, want a new one (old %q)", msg2.Code, msg.Code)
	}
	_, err := f.passwordAuth("ivy", msg.Code)
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	call(f.passwordAuth("ivy", msg2.Code)).must(t)

	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("nobody"), MessageAction: "RESEND"})
	wantErr(t, err, "UserNotFoundException", "")
	f.createUser(t, "jack", "Passw0rd-jack", attr("email", "jack@example.com"))
	if n := countMessages(ep, "jack@example.com"); n != 0 {
		t.Errorf("SUPPRESS: %d messages sent to jack", n)
	}
	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("jack"), MessageAction: "RESEND"})
	wantErr(t, err, "UnsupportedUserStateException", "")
}

// scnListUsers: Filter (spec §2.7), AttributesToGet, Limit and PaginationToken.
func scnListUsers(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.Schema = []types.SchemaAttributeType{{Name: aws.String("tier"), AttributeDataType: "String", Mutable: aws.Bool(true)}}
	}, nil)
	p := aws.String(f.pool)
	const n = 7
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("user%02d", i)
		f.createUser(t, u, "Passw0rd-"+u, attr("email", u+"@example.com"), attr("name", fmt.Sprintf("Name %d", i%3)), attr("custom:tier", "x"))
	}
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("pending"), MessageAction: "SUPPRESS",
		UserAttributes: []types.AttributeType{attr("email", "pending@other.org"), attr("name", "Quote \"Q\" Person")}})).must(t)
	_, err := admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: p, Username: aws.String("user03")})
	ok(t, err)

	list := func(filter string, limit int32, attrs []string) []types.UserType {
		t.Helper()
		var all []types.UserType
		var next *string
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("ListUsers: PaginationToken never ends")
			}
			in := &cip.ListUsersInput{UserPoolId: p, PaginationToken: next, AttributesToGet: attrs}
			if filter != "" {
				in.Filter = aws.String(filter)
			}
			if limit > 0 {
				in.Limit = aws.Int32(limit)
			}
			out := call(admin.ListUsers(ctx, in)).must(t)
			if limit > 0 && len(out.Users) > int(limit) {
				t.Fatalf("ListUsers returned %d users for Limit %d", len(out.Users), limit)
			}
			all = append(all, out.Users...)
			if next = out.PaginationToken; next == nil {
				return all
			}
		}
	}
	usernames := func(us []types.UserType) []string {
		var out []string
		for _, u := range us {
			out = append(out, aws.ToString(u.Username))
		}
		slices.Sort(out)
		return out
	}

	all := list("", 3, nil)
	if got := usernames(all); len(got) != n+1 || len(slices.Compact(slices.Clone(got))) != n+1 {
		t.Errorf("ListUsers with Limit 3 over %d users saw %v (each must appear once)", n+1, got)
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`email = "user02@example.com"`, []string{"user02"}},
		{`email ^= "user0"`, []string{"user00", "user01", "user02", "user03", "user04", "user05", "user06"}},
		{`username = "pending"`, []string{"pending"}},
		{`name = "Name 1"`, []string{"user01", "user04"}},
		{`name = "Quote \"Q\" Person"`, []string{"pending"}},
		{`cognito:user_status = "FORCE_CHANGE_PASSWORD"`, []string{"pending"}},
		{`cognito:user_status = "force_change_password"`, []string{"pending"}},
		{`status = "Disabled"`, []string{"user03"}},
		{`email = "nobody@example.com"`, nil},
	} {
		if got := usernames(list(c.filter, 0, nil)); !slices.Equal(got, c.want) {
			t.Errorf("ListUsers Filter %s = %v, want %v", c.filter, got, c.want)
		}
	}
	if got, want := usernames(list(`email ^= "user0"`, 2, nil)), usernames(list(`email ^= "user0"`, 0, nil)); !slices.Equal(got, want) {
		t.Errorf("ListUsers with a filter and Limit 2 saw %v, without a limit %v", got, want)
	}
	call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("signedup"), Password: aws.String("Passw0rd-su")})).must(t)
	if got := usernames(list(`cognito:user_status = "UNCONFIRMED"`, 0, nil)); !slices.Equal(got, []string{"signedup"}) {
		t.Errorf("ListUsers UNCONFIRMED = %v", got)
	}
	sub := attrMap(f.adminGetUser(t, "user05").UserAttributes)["sub"]
	if got := usernames(list(`sub = "`+sub+`"`, 0, nil)); !slices.Equal(got, []string{"user05"}) {
		t.Errorf("ListUsers by sub = %v", got)
	}

	// AttributesToGet restricts the attributes returned.
	one := list(`username = "user01"`, 0, []string{"email"})
	if len(one) != 1 {
		t.Fatalf("ListUsers username filter: %d users", len(one))
	}
	if m := attrMap(one[0].Attributes); m["email"] != "user01@example.com" || m["name"] != "" || m["custom:tier"] != "" {
		t.Errorf("AttributesToGet [email]: attributes %v", m)
	}
	if u := one[0]; u.UserStatus != "CONFIRMED" || !u.Enabled || u.UserCreateDate == nil {
		t.Errorf("UserType shape: %+v", u)
	}

	for _, bad := range []string{`custom:tier = "x"`, `email = user01`, `email == "x"`, `nonsense`, `email = "a" and name = "b"`} {
		_, err := admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: p, Filter: aws.String(bad)})
		wantErr(t, err, "InvalidParameterException", "")
	}
	_, err = admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: p, Limit: aws.Int32(61)})
	wantErr(t, err, "InvalidParameterException", "")
}
