package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// scnManageUserPools: Create/Describe/List/Update/Delete UserPool with the options the issue
// names (password policy, username/alias attributes, auto-verified attributes, username case,
// schema with custom attributes, MFA setting, admin-create-user config, deletion protection).
func scnManageUserPools(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	created := ep.Now()
	p := newPool(t, ep, func(in *cip.CreateUserPoolInput) {
		in.Policies.PasswordPolicy.MinimumLength = aws.Int32(12)
		in.Policies.PasswordPolicy.RequireSymbols = true
		in.Policies.PasswordPolicy.TemporaryPasswordValidityDays = 3
		in.AliasAttributes = []types.AliasAttributeType{"email", "preferred_username"}
		in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}
		in.MfaConfiguration = "OFF"
		in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}
		in.Schema = []types.SchemaAttributeType{
			{Name: aws.String("tier"), AttributeDataType: "String", Mutable: aws.Bool(true),
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("1"), MaxLength: aws.String("16")}},
			{Name: aws.String("age"), AttributeDataType: "Number", Mutable: aws.Bool(true)},
		}
		in.UserPoolTags = map[string]string{"team": "e2e"}
	})
	id := aws.ToString(p.Id)

	d := call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})).must(t).UserPool
	if got, want := aws.ToString(d.Arn), "arn:aws:cognito-idp:us-east-1:"; len(got) < len(want) || got[:len(want)] != want || got[len(got)-len("userpool/"+id):] != "userpool/"+id {
		t.Errorf("Arn = %q, want arn:aws:cognito-idp:us-east-1:<account>:userpool/%s", got, id)
	}
	if !epochNear(d.CreationDate, created) {
		t.Errorf("CreationDate = %v, want the server clock %v", d.CreationDate, created)
	}
	pp := d.Policies.PasswordPolicy
	if aws.ToInt32(pp.MinimumLength) != 12 || !pp.RequireSymbols || !pp.RequireUppercase || pp.TemporaryPasswordValidityDays != 3 {
		t.Errorf("PasswordPolicy not echoed: %+v", pp)
	}
	if !slices.Equal(d.AliasAttributes, []types.AliasAttributeType{"email", "preferred_username"}) {
		t.Errorf("AliasAttributes = %v", d.AliasAttributes)
	}
	if d.UsernameConfiguration == nil || aws.ToBool(d.UsernameConfiguration.CaseSensitive) {
		t.Errorf("UsernameConfiguration = %+v, want CaseSensitive false", d.UsernameConfiguration)
	}
	if d.AdminCreateUserConfig == nil || !d.AdminCreateUserConfig.AllowAdminCreateUserOnly {
		t.Errorf("AdminCreateUserConfig = %+v", d.AdminCreateUserConfig)
	}
	if d.MfaConfiguration != "OFF" {
		t.Errorf("MfaConfiguration = %q, want OFF", d.MfaConfiguration)
	}
	schema := map[string]types.SchemaAttributeType{}
	for _, a := range d.SchemaAttributes {
		schema[aws.ToString(a.Name)] = a
	}
	for _, std := range []string{"sub", "email", "email_verified", "phone_number", "name", "given_name", "family_name", "updated_at"} {
		if _, ok := schema[std]; !ok {
			t.Errorf("SchemaAttributes lack the standard attribute %s", std)
		}
	}
	if a, ok := schema["custom:tier"]; !ok || a.AttributeDataType != "String" || a.StringAttributeConstraints == nil || aws.ToString(a.StringAttributeConstraints.MaxLength) != "16" {
		t.Errorf("custom:tier = %+v (present %v)", a, ok)
	}
	if a, ok := schema["custom:age"]; !ok || a.AttributeDataType != "Number" {
		t.Errorf("custom:age = %+v (present %v)", a, ok)
	}
	if s, ok := schema["sub"]; ok && (aws.ToBool(s.Mutable) || !aws.ToBool(s.Required)) {
		t.Errorf("sub must be required and immutable: %+v", s)
	}
	if d.UserPoolTags["team"] != "e2e" {
		t.Errorf("UserPoolTags = %v", d.UserPoolTags)
	}

	// UsernameAttributes and AliasAttributes are mutually exclusive.
	_, err := admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:           aws.String(name("bad")),
		UsernameAttributes: []types.UsernameAttributeType{"email"},
		AliasAttributes:    []types.AliasAttributeType{"email"},
	})
	wantErr(t, err, "InvalidParameterException", "")

	// EstimatedNumberOfUsers counts users.
	f := &fixture{ep: ep, pool: id}
	f.createUser(t, name("u"), "Very-Long-Passw0rd!")
	d = call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})).must(t).UserPool
	if d.EstimatedNumberOfUsers != 1 {
		t.Errorf("EstimatedNumberOfUsers = %d, want 1", d.EstimatedNumberOfUsers)
	}

	// ListUserPools pages with NextToken and finds every pool exactly once.
	p2 := newPool(t, ep, nil)
	p3 := newPool(t, ep, nil)
	seen := map[string]int{}
	var next *string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("ListUserPools: NextToken never ends")
		}
		out := call(admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(2), NextToken: next})).must(t)
		if len(out.UserPools) > 2 {
			t.Fatalf("ListUserPools returned %d pools for MaxResults 2", len(out.UserPools))
		}
		for _, u := range out.UserPools {
			seen[aws.ToString(u.Id)]++
			if aws.ToString(u.Id) == id && aws.ToString(u.Name) != aws.ToString(p.Name) {
				t.Errorf("ListUserPools: name %q, want %q", aws.ToString(u.Name), aws.ToString(p.Name))
			}
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	for _, want := range []string{id, aws.ToString(p2.Id), aws.ToString(p3.Id)} {
		if seen[want] != 1 {
			t.Errorf("ListUserPools listed %s %d times, want once", want, seen[want])
		}
	}

	// UpdateUserPool: given settings change; omitted ones return to their defaults (AWS semantics).
	ep.Advance(t, 2*time.Second)
	_, err = admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{
		UserPoolId:         aws.String(id),
		Policies:           &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(10), RequireNumbers: true}},
		DeletionProtection: "ACTIVE",
	})
	ok(t, err)
	d = call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})).must(t).UserPool
	if pp := d.Policies.PasswordPolicy; aws.ToInt32(pp.MinimumLength) != 10 || pp.RequireSymbols || !pp.RequireNumbers {
		t.Errorf("after UpdateUserPool: PasswordPolicy %+v, want MinimumLength 10 and only numbers required", pp)
	}
	if d.DeletionProtection != "ACTIVE" {
		t.Errorf("DeletionProtection = %q, want ACTIVE", d.DeletionProtection)
	}
	if d.AdminCreateUserConfig != nil && d.AdminCreateUserConfig.AllowAdminCreateUserOnly {
		t.Errorf("UpdateUserPool without AdminCreateUserConfig kept AllowAdminCreateUserOnly (omitted settings reset to defaults)")
	}
	if !slices.Equal(d.AliasAttributes, []types.AliasAttributeType{"email", "preferred_username"}) {
		t.Errorf("AliasAttributes are immutable but changed to %v", d.AliasAttributes)
	}
	if d.LastModifiedDate == nil || d.CreationDate == nil || !d.LastModifiedDate.After(*d.CreationDate) {
		t.Errorf("LastModifiedDate %v not after CreationDate %v", d.LastModifiedDate, d.CreationDate)
	}

	// Deletion protection, then delete for real.
	_, err = admin.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(id)})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(id), DeletionProtection: "INACTIVE"})
	ok(t, err)
	_, err = admin.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(id)})
	ok(t, err)
	_, err = admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	wantErr(t, err, "ResourceNotFoundException", "")
	for next = nil; ; {
		out := call(admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60), NextToken: next})).must(t)
		for _, u := range out.UserPools {
			if aws.ToString(u.Id) == id {
				t.Errorf("ListUserPools still lists the deleted pool")
			}
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	_, err = admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(id)})
	wantErr(t, err, "ResourceNotFoundException", "")
	if status, _, body := httpGet(t, ep.URL+"/"+id+"/.well-known/jwks.json"); status < 400 || status >= 500 {
		t.Errorf("JWKS of a deleted pool: status %d (%s), want a 4xx", status, body)
	}
	for _, pid := range []string{aws.ToString(p2.Id), aws.ToString(p3.Id)} {
		_, err = admin.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(pid)})
		ok(t, err)
	}
}

// scnManageUserPoolClients: Create/Describe/List/Update/Delete UserPoolClient.
func scnManageUserPoolClients(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pool := aws.ToString(newPool(t, ep, nil).Id)

	c := newClient(t, ep, pool, func(in *cip.CreateUserPoolClientInput) {
		in.GenerateSecret = true
		in.AccessTokenValidity = aws.Int32(30)
		in.IdTokenValidity = aws.Int32(2)
		in.RefreshTokenValidity = 7
		in.TokenValidityUnits = &types.TokenValidityUnitsType{AccessToken: "minutes", IdToken: "hours", RefreshToken: "days"}
		in.PreventUserExistenceErrors = "ENABLED"
		in.EnableTokenRevocation = aws.Bool(true)
		in.AuthSessionValidity = aws.Int32(5)
		in.ReadAttributes = []string{"email", "name"}
		in.WriteAttributes = []string{"name"}
		in.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: "ENABLED", RetryGracePeriodSeconds: aws.Int32(10)}
	})
	id := aws.ToString(c.ClientId)
	if !secretRe.MatchString(aws.ToString(c.ClientSecret)) {
		t.Errorf("GenerateSecret: secret %q is not 51 lower-case alphanumerics", aws.ToString(c.ClientSecret))
	}
	d := call(admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: aws.String(id)})).must(t).UserPoolClient
	if aws.ToString(d.ClientSecret) != aws.ToString(c.ClientSecret) {
		t.Errorf("DescribeUserPoolClient: secret %q, want the generated one", aws.ToString(d.ClientSecret))
	}
	if aws.ToInt32(d.AccessTokenValidity) != 30 || d.TokenValidityUnits == nil || d.TokenValidityUnits.AccessToken != "minutes" ||
		d.RefreshTokenValidity != 7 || aws.ToInt32(d.IdTokenValidity) != 2 {
		t.Errorf("validities not echoed: access %v id %v refresh %v units %+v", aws.ToInt32(d.AccessTokenValidity), aws.ToInt32(d.IdTokenValidity), d.RefreshTokenValidity, d.TokenValidityUnits)
	}
	if d.PreventUserExistenceErrors != "ENABLED" || !aws.ToBool(d.EnableTokenRevocation) || aws.ToInt32(d.AuthSessionValidity) != 5 {
		t.Errorf("settings not echoed: %q %v %v", d.PreventUserExistenceErrors, aws.ToBool(d.EnableTokenRevocation), aws.ToInt32(d.AuthSessionValidity))
	}
	if !slices.Equal(d.ExplicitAuthFlows, allFlows) {
		t.Errorf("ExplicitAuthFlows = %v", d.ExplicitAuthFlows)
	}
	if d.RefreshTokenRotation == nil || d.RefreshTokenRotation.Feature != "ENABLED" {
		t.Errorf("RefreshTokenRotation = %+v", d.RefreshTokenRotation)
	}

	// A caller-provided secret is used as given.
	given := "givensecret0123456789givensecret0123456789abcdefgh"
	c2 := newClient(t, ep, pool, func(in *cip.CreateUserPoolClientInput) { in.ClientSecret = aws.String(given) })
	if aws.ToString(c2.ClientSecret) != given {
		t.Errorf("ClientSecret given: got %q", aws.ToString(c2.ClientSecret))
	}
	c3 := newClient(t, ep, pool, nil)
	if c3.ClientSecret != nil {
		t.Errorf("public client has a secret")
	}

	// Validation.
	for name, mod := range map[string]func(*cip.CreateUserPoolClientInput){
		"legacy and ALLOW_ flows mixed": func(in *cip.CreateUserPoolClientInput) {
			in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ADMIN_NO_SRP_AUTH", "ALLOW_USER_SRP_AUTH"}
		},
		"access token validity over a day": func(in *cip.CreateUserPoolClientInput) {
			in.AccessTokenValidity = aws.Int32(25)
			in.TokenValidityUnits = &types.TokenValidityUnitsType{AccessToken: "hours"}
		},
		"AuthSessionValidity over 15": func(in *cip.CreateUserPoolClientInput) { in.AuthSessionValidity = aws.Int32(16) },
	} {
		in := &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool), ClientName: aws.String("bad")}
		mod(in)
		_, err := admin.CreateUserPoolClient(ctx, in)
		if err == nil {
			t.Errorf("CreateUserPoolClient with %s: accepted", name)
			continue
		}
		wantErr(t, err, "InvalidParameterException", "")
	}
	_, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String("us-east-1_Missing00"), ClientName: aws.String("x")})
	wantErr(t, err, "ResourceNotFoundException", "")

	// ListUserPoolClients pages.
	seen := map[string]bool{}
	var next *string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListUserPoolClients: NextToken never ends")
		}
		out := call(admin.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(1), NextToken: next})).must(t)
		for _, c := range out.UserPoolClients {
			if aws.ToString(c.UserPoolId) != pool {
				t.Errorf("ListUserPoolClients: UserPoolId %q", aws.ToString(c.UserPoolId))
			}
			seen[aws.ToString(c.ClientId)] = true
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if len(seen) != 3 || !seen[id] || !seen[aws.ToString(c2.ClientId)] || !seen[aws.ToString(c3.ClientId)] {
		t.Errorf("ListUserPoolClients saw %v, want the 3 clients", seen)
	}

	// UpdateUserPoolClient: the secret stays; omitted settings return to defaults
	// (ExplicitAuthFlows default is SRP + refresh + custom, so USER_PASSWORD_AUTH stops working).
	f := &fixture{ep: ep, pool: pool, client: id, secret: aws.ToString(c.ClientSecret)}
	f.createUser(t, "carol", "Passw0rd-carol")
	f.tokens(t, "carol", "Passw0rd-carol")
	up := call(admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: aws.String(pool), ClientId: aws.String(id), ClientName: aws.String("renamed"), AuthSessionValidity: aws.Int32(10),
	})).must(t).UserPoolClient
	if aws.ToString(up.ClientName) != "renamed" || aws.ToInt32(up.AuthSessionValidity) != 10 {
		t.Errorf("UpdateUserPoolClient: name %q session %v", aws.ToString(up.ClientName), aws.ToInt32(up.AuthSessionValidity))
	}
	d = call(admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: aws.String(id)})).must(t).UserPoolClient
	if aws.ToString(d.ClientSecret) != aws.ToString(c.ClientSecret) {
		t.Errorf("UpdateUserPoolClient changed the secret")
	}
	_, err = f.passwordAuth("carol", "Passw0rd-carol")
	wantErr(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")

	_, err = admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: aws.String(id)})
	ok(t, err)
	_, err = admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: aws.String(id)})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = f.srpStart(t, "carol")
	wantErr(t, err, "ResourceNotFoundException", "")
}

// scnGroups: group CRUD, membership, and the group claims in tokens.
func scnGroups(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	p := aws.String(f.pool)
	f.createUser(t, "gina", "Passw0rd-gina", attr("email", "gina@example.com"))

	g := call(admin.CreateGroup(ctx, &cip.CreateGroupInput{
		UserPoolId: p, GroupName: aws.String("editors"), Description: aws.String("Editors"),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/editors"), Precedence: aws.Int32(5),
	})).must(t).Group
	if aws.ToString(g.GroupName) != "editors" || aws.ToString(g.UserPoolId) != f.pool || aws.ToInt32(g.Precedence) != 5 || g.CreationDate == nil {
		t.Errorf("CreateGroup returned %+v", g)
	}
	_, err := admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: p, GroupName: aws.String("editors")})
	wantErr(t, err, "GroupExistsException", "")
	call(admin.CreateGroup(ctx, &cip.CreateGroupInput{
		UserPoolId: p, GroupName: aws.String("admins"), RoleArn: aws.String("arn:aws:iam::000000000000:role/admins"), Precedence: aws.Int32(1),
	})).must(t)
	call(admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: p, GroupName: aws.String("readers")})).must(t)

	got := call(admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: p, GroupName: aws.String("editors")})).must(t).Group
	if aws.ToString(got.Description) != "Editors" || aws.ToString(got.RoleArn) != "arn:aws:iam::000000000000:role/editors" {
		t.Errorf("GetGroup = %+v", got)
	}
	_, err = admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: p, GroupName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "")
	up := call(admin.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: p, GroupName: aws.String("editors"), Description: aws.String("Editors v2"), RoleArn: aws.String("arn:aws:iam::000000000000:role/editors"), Precedence: aws.Int32(5)})).must(t).Group
	if aws.ToString(up.Description) != "Editors v2" {
		t.Errorf("UpdateGroup = %+v", up)
	}

	// ListGroups pages with Limit/NextToken.
	names := map[string]bool{}
	var next *string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListGroups: NextToken never ends")
		}
		out := call(admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: p, Limit: aws.Int32(2), NextToken: next})).must(t)
		for _, g := range out.Groups {
			names[aws.ToString(g.GroupName)] = true
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if len(names) != 3 {
		t.Errorf("ListGroups saw %v, want 3 groups", names)
	}

	for _, gn := range []string{"editors", "admins"} {
		_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String("gina"), GroupName: aws.String(gn)})
		ok(t, err)
	}
	_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String("gina"), GroupName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String("nobody"), GroupName: aws.String("admins")})
	wantErr(t, err, "UserNotFoundException", "")

	// Membership listings page too.
	f.createUser(t, "hugo", "Passw0rd-hugo")
	_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: p, Username: aws.String("hugo"), GroupName: aws.String("admins")})
	ok(t, err)
	var members []string
	var next2 *string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListUsersInGroup: NextToken never ends")
		}
		out := call(admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: p, GroupName: aws.String("admins"), Limit: aws.Int32(1), NextToken: next2})).must(t)
		for _, u := range out.Users {
			members = append(members, aws.ToString(u.Username))
		}
		if next2 = out.NextToken; next2 == nil {
			break
		}
	}
	if !slices.Equal(sorted(members), []string{"gina", "hugo"}) {
		t.Errorf("ListUsersInGroup admins with Limit 1 saw %v", members)
	}
	var groups []string
	next2 = nil
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("AdminListGroupsForUser: NextToken never ends")
		}
		out := call(admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: p, Username: aws.String("gina"), Limit: aws.Int32(1), NextToken: next2})).must(t)
		for _, g := range out.Groups {
			groups = append(groups, aws.ToString(g.GroupName))
		}
		if next2 = out.NextToken; next2 == nil {
			break
		}
	}
	if !slices.Equal(sorted(groups), []string{"admins", "editors"}) {
		t.Errorf("AdminListGroupsForUser gina with Limit 1 saw %v", groups)
	}
	_, err = admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: p, Username: aws.String("hugo")})
	ok(t, err)
	if in := call(admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: p, GroupName: aws.String("admins")})).must(t); len(in.Users) != 1 {
		t.Errorf("a deleted user is still listed in its group: %d members", len(in.Users))
	}

	ug := call(admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: p, Username: aws.String("gina")})).must(t)
	var ugNames []string
	for _, g := range ug.Groups {
		ugNames = append(ugNames, aws.ToString(g.GroupName))
	}
	slices.Sort(ugNames)
	if !slices.Equal(ugNames, []string{"admins", "editors"}) {
		t.Errorf("AdminListGroupsForUser = %v", ugNames)
	}
	in := call(admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: p, GroupName: aws.String("admins")})).must(t)
	if len(in.Users) != 1 || aws.ToString(in.Users[0].Username) != "gina" || in.Users[0].UserStatus != "CONFIRMED" || len(in.Users[0].Attributes) == 0 {
		t.Errorf("ListUsersInGroup = %+v", in.Users)
	}
	_, err = admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: p, GroupName: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "")

	// Tokens carry the groups and their roles; preferred role = lowest precedence.
	res := f.tokens(t, "gina", "Passw0rd-gina")
	idc, _ := verifyToken(t, ep, f.pool, aws.ToString(res.IdToken), "id", f.client)
	if g := stringsOf(idc["cognito:groups"]); !slices.Equal(sorted(g), []string{"admins", "editors"}) {
		t.Errorf("id token cognito:groups = %v", idc["cognito:groups"])
	}
	if r := stringsOf(idc["cognito:roles"]); !slices.Equal(sorted(r), []string{"arn:aws:iam::000000000000:role/admins", "arn:aws:iam::000000000000:role/editors"}) {
		t.Errorf("id token cognito:roles = %v", idc["cognito:roles"])
	}
	if idc["cognito:preferred_role"] != "arn:aws:iam::000000000000:role/admins" {
		t.Errorf("cognito:preferred_role = %v", idc["cognito:preferred_role"])
	}
	acc, _ := verifyToken(t, ep, f.pool, aws.ToString(res.AccessToken), "access", f.client)
	if g := stringsOf(acc["cognito:groups"]); !slices.Equal(sorted(g), []string{"admins", "editors"}) {
		t.Errorf("access token cognito:groups = %v", acc["cognito:groups"])
	}

	_, err = admin.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: p, Username: aws.String("gina"), GroupName: aws.String("editors")})
	ok(t, err)
	_, err = admin.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: p, GroupName: aws.String("admins")})
	ok(t, err)
	_, err = admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: p, GroupName: aws.String("admins")})
	wantErr(t, err, "ResourceNotFoundException", "")
	ug = call(admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: p, Username: aws.String("gina")})).must(t)
	if len(ug.Groups) != 0 {
		t.Errorf("after removal and DeleteGroup, gina is still in %d groups", len(ug.Groups))
	}
	res = f.tokens(t, "gina", "Passw0rd-gina")
	if idc := claims(t, aws.ToString(res.IdToken)); idc["cognito:groups"] != nil {
		t.Errorf("id token of a user in no group carries cognito:groups %v (spec §5.2: omitted)", idc["cognito:groups"])
	}
	_, err = admin.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: p, GroupName: aws.String("admins")})
	wantErr(t, err, "ResourceNotFoundException", "")
}

func stringsOf(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
