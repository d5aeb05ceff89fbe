package e2e

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
)

// scnCrossPoolIsolation: a client, a token, a block or a name from one pool never acts in another.
func scnCrossPoolIsolation(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pub := ep.Public()
	a := newFixture(t, ep, nil, nil)
	b := newFixture(t, ep, nil, nil)
	a.createUser(t, "same", "Passw0rd-inA")
	b.createUser(t, "same", "Passw0rd-inB")
	b.createUser(t, "onlyb", "Passw0rd-onlyb")

	// A client of pool B named with pool A.
	_, err := admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(a.pool), ClientId: aws.String(b.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "same", "PASSWORD": "Passw0rd-inB"}})
	wantErrIn(t, err, "ResourceNotFoundException", "InvalidParameterException", "NotAuthorizedException")
	_, err = admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(a.pool), ClientId: aws.String(b.client),
		AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: map[string]string{"USERNAME": "same", "PASSWORD": "Passw0rd-inA"}})
	wantErrIn(t, err, "ResourceNotFoundException", "InvalidParameterException", "NotAuthorizedException")
	_, err = admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(a.pool), ClientId: aws.String(b.client)})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(a.pool), ClientId: aws.String(b.client), ClientName: aws.String("hijacked")})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(a.pool), ClientId: aws.String(b.client)})
	wantErr(t, err, "ResourceNotFoundException", "")
	rb := b.tokens(t, "same", "Passw0rd-inB") // B's client is intact

	// Public calls resolve the pool from the client: B's client signs in B's users only.
	_, err = b.passwordAuth("same", "Passw0rd-inA")
	wantErr(t, err, "NotAuthorizedException", wrongPassword)
	if c := claims(t, aws.ToString(rb.IdToken)); c["iss"] != ep.IssuerBase+"/"+b.pool {
		t.Errorf("B's token iss = %v", c["iss"])
	}
	gu := call(pub.GetUser(ctx, &cip.GetUserInput{AccessToken: rb.AccessToken})).must(t)
	if attrMap(gu.UserAttributes)["sub"] != attrMap(b.adminGetUser(t, "same").UserAttributes)["sub"] {
		t.Errorf("GetUser with B's token returned another user's sub")
	}

	// A refresh token or SECRET_BLOCK of pool B is refused at pool A's client.
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(a.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(rb.RefreshToken)}})
	wantErr(t, err, "NotAuthorizedException", "")
	ch, err := b.srpStart(t, "same")
	ok(t, err)
	_, err = (&fixture{ep: ep, pool: a.pool, client: a.client}).srpRespond(t, ch, "Passw0rd-inA", srpNow(ep))
	wantErr(t, err, "NotAuthorizedException", "")

	// Admin calls on pool A do not reach B's users.
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(a.pool), Username: aws.String("onlyb")})
	wantErr(t, err, "UserNotFoundException", "")
	call(admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(a.pool), GroupName: aws.String("ga")})).must(t)
	_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(a.pool), Username: aws.String("onlyb"), GroupName: aws.String("ga")})
	wantErr(t, err, "UserNotFoundException", "")
	lu := call(admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(a.pool)})).must(t)
	if len(lu.Users) != 1 || aws.ToString(lu.Users[0].Username) != "same" {
		t.Errorf("ListUsers of pool A lists %d users", len(lu.Users))
	}

	// Forged pagination tokens are a 400 (or an empty page), never another pool's users or a 5xx.
	for _, tok := range []string{"garbage", base64.RawURLEncoding.EncodeToString([]byte("uu/" + b.pool + "/")), base64.StdEncoding.EncodeToString([]byte("same")), "%%%"} {
		out, err := admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(a.pool), PaginationToken: aws.String(tok)})
		if err != nil {
			wantErrIn(t, err, "InvalidParameterException", "NotAuthorizedException")
			continue
		}
		for _, u := range out.Users {
			if aws.ToString(u.Username) == "onlyb" {
				t.Errorf("ListUsers of pool A with PaginationToken %q listed pool B's user", tok)
			}
		}
	}
	for _, tok := range []string{"garbage", "%%%"} {
		_, err := admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5), NextToken: aws.String(tok)})
		if err != nil {
			wantErrIn(t, err, "InvalidParameterException", "NotAuthorizedException")
		}
		_, err = admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: aws.String(a.pool), NextToken: aws.String(tok)})
		if err != nil {
			wantErrIn(t, err, "InvalidParameterException", "NotAuthorizedException")
		}
		_, err = admin.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(a.pool), MaxResults: aws.Int32(5), NextToken: aws.String(tok)})
		if err != nil {
			wantErrIn(t, err, "InvalidParameterException", "NotAuthorizedException")
		}
		_, err = admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: aws.String(a.pool), GroupName: aws.String("ga"), NextToken: aws.String(tok)})
		if err != nil {
			wantErrIn(t, err, "InvalidParameterException", "NotAuthorizedException")
		}
	}
}

func srpNow(ep *Endpoint) string { return srp.FormatTimestamp(ep.Now()) }

// scnDeletedUserRecreated: tokens of a deleted user do not work for a new user of the same name,
// and tokens of a deleted pool are refused cleanly.
func scnDeletedUserRecreated(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pub := ep.Public()
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "reborn", "Passw0rd-first", attr("email", "first@example.com"))
	old := f.tokens(t, "reborn", "Passw0rd-first")
	_, err := admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("reborn")})
	ok(t, err)
	f.createUser(t, "reborn", "Passw0rd-second", attr("email", "second@example.com"))

	if out, err := pub.GetUser(ctx, &cip.GetUserInput{AccessToken: old.AccessToken}); err == nil {
		t.Errorf("an access token of the deleted user reads the new user of the same name: %v", attrMap(out.UserAttributes))
	} else {
		wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException")
	}
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(old.RefreshToken)}})
	if err == nil {
		t.Errorf("a refresh token of the deleted user issues tokens for the new user of the same name")
	} else {
		wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException")
	}
	_, err = pub.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: old.AccessToken})
	wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException")
	f.tokens(t, "reborn", "Passw0rd-second")

	// Tokens of a deleted client are refused.
	gone := &fixture{ep: ep, pool: f.pool, client: aws.ToString(newClient(t, ep, f.pool, nil).ClientId)}
	gt := gone.tokens(t, "reborn", "Passw0rd-second")
	_, err = admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(f.pool), ClientId: aws.String(gone.client)})
	ok(t, err)
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: gt.AccessToken})
	wantErrIn(t, err, "NotAuthorizedException", "ResourceNotFoundException")
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(gone.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(gt.RefreshToken)}})
	wantErrIn(t, err, "NotAuthorizedException", "ResourceNotFoundException")

	// Deleting the pool: its tokens and clients are refused with 4xx.
	cur := f.tokens(t, "reborn", "Passw0rd-second")
	_, err = admin.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(f.pool)})
	ok(t, err)
	_, err = pub.GetUser(ctx, &cip.GetUserInput{AccessToken: cur.AccessToken})
	wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException", "ResourceNotFoundException")
	_, err = pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(cur.RefreshToken)}})
	wantErrIn(t, err, "ResourceNotFoundException", "NotAuthorizedException")
	_, err = f.passwordAuth("reborn", "Passw0rd-second")
	wantErr(t, err, "ResourceNotFoundException", "")
}

// scnNamesWithSlashes: names may contain "/" (Cognito allows punctuation in usernames and group
// names); they must not bleed into each other through prefix listings.
func scnNamesWithSlashes(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	p := aws.String(f.pool)
	for _, g := range []string{"team", "team/leads"} {
		call(admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: p, GroupName: aws.String(g)})).must(t)
	}
	f.createUser(t, "lead", "Passw0rd-lead")
	f.createUser(t, "team/lead", "Passw0rd-slash")
	f.createUser(t, "member", "Passw0rd-member")
	_, err := admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String("lead"), GroupName: aws.String("team/leads")})
	ok(t, err)
	_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String("member"), GroupName: aws.String("team")})
	ok(t, err)

	members := func(g string) []string {
		t.Helper()
		out := call(admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: p, GroupName: aws.String(g)})).must(t)
		var names []string
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.Username))
		}
		return names
	}
	if m := members("team"); !slices.Equal(m, []string{"member"}) {
		t.Errorf("ListUsersInGroup team = %v, want [member] (team/leads must not leak in)", m)
	}
	if m := members("team/leads"); !slices.Equal(m, []string{"lead"}) {
		t.Errorf("ListUsersInGroup team/leads = %v, want [lead]", m)
	}
	_, err = admin.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: p, GroupName: aws.String("team")})
	ok(t, err)
	if m := members("team/leads"); !slices.Equal(m, []string{"lead"}) {
		t.Errorf("after DeleteGroup team: team/leads members = %v, want [lead]", m)
	}
	ug := call(admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: p, Username: aws.String("lead")})).must(t)
	if len(ug.Groups) != 1 || aws.ToString(ug.Groups[0].GroupName) != "team/leads" {
		t.Errorf("lead's groups after DeleteGroup team: %+v", ug.Groups)
	}
	if g := claims(t, aws.ToString(f.tokens(t, "lead", "Passw0rd-lead").IdToken))["cognito:groups"]; !slices.Equal(stringsOf(g), []string{"team/leads"}) {
		t.Errorf("lead's cognito:groups = %v", g)
	}

	// Users "lead" and "team/lead" are distinct.
	_, err = admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: p, Username: aws.String("team/lead")})
	ok(t, err)
	f.tokens(t, "lead", "Passw0rd-lead")
	lu := call(admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: p})).must(t)
	if len(lu.Users) != 2 {
		t.Errorf("ListUsers after deleting team/lead: %d users, want 2", len(lu.Users))
	}
	// Whitespace is not allowed in usernames.
	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String("has space"), MessageAction: "SUPPRESS"})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: p, Username: aws.String(strings.Repeat("x", 129)), MessageAction: "SUPPRESS"})
	wantErr(t, err, "InvalidParameterException", "")
}

// scnLongNames: names as long as the API admits make keys longer than a store key may be when
// spelled out (a membership of a 128-character group and username of 3-byte characters is 793
// bytes; a 2048-character alias, over 6 KB): they are digested, and the memberships and
// aliases work and list back by name (before, AdminAddUserToGroup was a 500).
func scnLongNames(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.AliasAttributes = []types.AliasAttributeType{"preferred_username"}
	}, nil)
	p := aws.String(f.pool)
	user1, user2 := strings.Repeat("ア", 128), strings.Repeat("ア", 127)+"イ"
	group1, group2 := strings.Repeat("グ", 128), strings.Repeat("グ", 127)+"ル"
	alias := strings.Repeat("プ", 2048)
	f.createUser(t, user1, "Passw0rd-long1", types.AttributeType{Name: aws.String("preferred_username"), Value: aws.String(alias)})
	f.createUser(t, user2, "Passw0rd-long2")
	_, err := admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String(user2),
		UserAttributes: []types.AttributeType{{Name: aws.String("preferred_username"), Value: aws.String(alias)}}})
	wantErr(t, err, "AliasExistsException", "")
	for _, g := range []string{group1, group2} {
		call(admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: p, GroupName: aws.String(g)})).must(t)
	}
	for _, m := range [][2]string{{user1, group1}, {user2, group1}, {user1, group2}} {
		call(admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String(m[0]), GroupName: aws.String(m[1])})).must(t)
	}
	members := func(g string) []string {
		t.Helper()
		out := call(admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: p, GroupName: aws.String(g)})).must(t)
		var names []string
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.Username))
		}
		slices.Sort(names)
		return names
	}
	if m := members(group1); !slices.Equal(m, []string{user1, user2}) {
		t.Errorf("ListUsersInGroup group1 = %q, want both users", m)
	}
	if m := members(group2); !slices.Equal(m, []string{user1}) {
		t.Errorf("ListUsersInGroup group2 = %q, want user1", m)
	}
	ug := call(admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: p, Username: aws.String(user1)})).must(t)
	var groups []string
	for _, g := range ug.Groups {
		groups = append(groups, aws.ToString(g.GroupName))
	}
	if !slices.Equal(groups, []string{group1, group2}) {
		t.Errorf("AdminListGroupsForUser user1 = %q", groups)
	}
	if g := claims(t, aws.ToString(f.tokens(t, user1, "Passw0rd-long1").IdToken))["cognito:groups"]; !slices.Equal(sorted(stringsOf(g)), []string{group1, group2}) {
		t.Errorf("user1's cognito:groups = %q", g)
	}
	_, err = admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: p, Username: aws.String(user1)})
	ok(t, err)
	if m := members(group1); !slices.Equal(m, []string{user2}) {
		t.Errorf("ListUsersInGroup group1 after deleting user1 = %q, want user2", m)
	}
	// user1's alias went with it.
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: p, Username: aws.String(user2),
		UserAttributes: []types.AttributeType{{Name: aws.String("preferred_username"), Value: aws.String(alias)}}})
	ok(t, err)
}

// scnUnicode: non-ASCII usernames and passwords work with SRP and password flows (UTF-8, as
// identity-js hashes them).
func scnUnicode(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "jürgen", "Pässwörd-1Ü", attr("name", "Jürgen Müller"))
	out := call(f.srpSignIn(t, "jürgen", "Pässwörd-1Ü")).must(t)
	c := claims(t, aws.ToString(out.AuthenticationResult.IdToken))
	if c["cognito:username"] != "jürgen" || c["name"] != "Jürgen Müller" {
		t.Errorf("claims = %v", c)
	}
	f.tokens(t, "jürgen", "Pässwörd-1Ü")
	_, err := f.passwordAuth("jürgen", "Passwörd-1Ü")
	wantErr(t, err, "NotAuthorizedException", wrongPassword)
}

// scnPhoneNumbers: phone_number as the auto-verified attribute: SMS delivery, masking, E.164.
func scnPhoneNumbers(t *testing.T, ep *Endpoint) {
	pub := ep.Public()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{"phone_number"}
	}, nil)
	out := call(pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String("phil"), Password: aws.String("Passw0rd-phil"),
		UserAttributes: []types.AttributeType{attr("phone_number", "+15555550123")}})).must(t)
	d := out.CodeDeliveryDetails
	if d == nil || d.DeliveryMedium != "SMS" || aws.ToString(d.AttributeName) != "phone_number" ||
		!strings.HasSuffix(aws.ToString(d.Destination), "0123") || strings.Contains(aws.ToString(d.Destination), "555555") {
		t.Errorf("CodeDeliveryDetails = %+v, want SMS to a masked +*******0123", d)
	}
	m := lastMessage(t, ep, "+15555550123", message.KindSignUp)
	if m.Medium != "SMS" || m.Attribute != "phone_number" {
		t.Errorf("message = %+v", m)
	}
	_, err := pub.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.client), Username: aws.String("phil"), ConfirmationCode: aws.String(m.Code)})
	ok(t, err)
	c := claims(t, aws.ToString(f.tokens(t, "phil", "Passw0rd-phil").IdToken))
	if c["phone_number"] != "+15555550123" || c["phone_number_verified"] != true {
		t.Errorf("id token phone claims: %v / %v", c["phone_number"], c["phone_number_verified"])
	}
	for _, bad := range []string{"555-0123", "15555550123", "+1 555 555 0123"} {
		_, err := pub.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String(name("ph")), Password: aws.String("Passw0rd-ph"),
			UserAttributes: []types.AttributeType{attr("phone_number", bad)}})
		wantErr(t, err, "InvalidParameterException", "")
	}
}

// scnAliases: AliasAttributes [email, preferred_username]: sign-in by a verified alias, and a
// verified alias belongs to one user only.
func scnAliases(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.AliasAttributes = []types.AliasAttributeType{"email", "preferred_username"}
	}, nil)
	f.createUser(t, "ann", "Passw0rd-ann", attr("email", "ann@example.com"), attr("email_verified", "true"), attr("preferred_username", "annie"))
	f.createUser(t, "ben", "Passw0rd-ben", attr("email", "ben@example.com"))

	for _, login := range []string{"ann@example.com", "annie"} {
		ch, err := f.srpStart(t, login)
		ok(t, err)
		if ch.params["USER_ID_FOR_SRP"] != "ann" {
			t.Errorf("sign-in as %s: USER_ID_FOR_SRP %q, want ann", login, ch.params["USER_ID_FOR_SRP"])
		}
		call(f.srpRespond(t, ch, "Passw0rd-ann", srpNow(ep))).must(t)
		f.tokens(t, login, "Passw0rd-ann")
	}
	// An unverified email is not an alias.
	_, err := f.passwordAuth("ben@example.com", "Passw0rd-ben")
	wantErrIn(t, err, "NotAuthorizedException", "UserNotFoundException")
	// A verified alias held by ann cannot be claimed by ben.
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(f.pool), Username: aws.String("ben"),
		UserAttributes: []types.AttributeType{attr("email", "ann@example.com"), attr("email_verified", "true")}})
	wantErr(t, err, "AliasExistsException", "")
	_, err = admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(f.pool), Username: aws.String("ben"),
		UserAttributes: []types.AttributeType{attr("preferred_username", "annie")}})
	wantErrIn(t, err, "AliasExistsException", "UsernameExistsException")
	// AdminGetUser resolves a verified alias.
	if g := f.adminGetUser(t, "ann@example.com"); aws.ToString(g.Username) != "ann" {
		t.Errorf("AdminGetUser by alias: %q", aws.ToString(g.Username))
	}
}

// scnConcurrency: requests racing on several guest instances.
func scnConcurrency(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	const n = 6
	for i := 0; i < n; i++ {
		f.createUser(t, fmt.Sprintf("c%d", i), "Passw0rd-c")
	}
	// The pool's first tokens are signed concurrently: every instance must end up with the same
	// two keys, and every token must verify against the published JWKS.
	var wg sync.WaitGroup
	toks := make([]*types.AuthenticationResultType, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, err := f.passwordAuth(fmt.Sprintf("c%d", i), "Passw0rd-c")
			if err == nil {
				toks[i] = out.AuthenticationResult
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("concurrent sign-in %d: %v", i, errs[i])
		}
		verifyToken(t, ep, f.pool, aws.ToString(toks[i].IdToken), "id", f.client)
		verifyToken(t, ep, f.pool, aws.ToString(toks[i].AccessToken), "access", f.client)
	}
	if kids := jwksKids(t, ep, f.pool); len(kids) != 2 {
		t.Errorf("after concurrent first use the JWKS has %d keys, want 2 (one id, one access): %v", len(kids), kids)
	}
	// Later tokens are signed with the published keys too.
	for i := 0; i < n; i++ {
		verifyToken(t, ep, f.pool, aws.ToString(f.tokens(t, fmt.Sprintf("c%d", i), "Passw0rd-c").AccessToken), "access", f.client)
	}
}
