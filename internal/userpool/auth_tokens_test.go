package userpool

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestAuthNewPasswordRequired(t *testing.T) {
	a := newAuthSetup(t, map[string]any{
		"Schema": []map[string]any{{"Name": "name", "AttributeDataType": "String", "Required": true, "Mutable": true}},
	}, passwordClient)
	createUser := func(username string) {
		t.Helper()
		a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": username, "TemporaryPassword": "Temp-Passw0rd",
			"MessageAction": "SUPPRESS", "UserAttributes": []map[string]any{
				{"Name": "email", "Value": username + "@example.com"}, {"Name": "email_verified", "Value": "true"},
				{"Name": "name", "Value": "Old Name"}}})
	}
	createUser("lena")
	// The required attribute is present already: nothing is required, current attributes listed.
	status, out := a.passwordLogin("lena", "Temp-Passw0rd")
	if status != 200 || out["ChallengeName"] != "NEW_PASSWORD_REQUIRED" || out["Session"] == nil {
		t.Fatalf("sign-in with temporary password: %d %v", status, out)
	}
	cp := paramsOf(out["ChallengeParameters"])
	var required []string
	var current map[string]string
	if err := json.Unmarshal([]byte(cp["requiredAttributes"]), &required); err != nil || len(required) != 0 {
		t.Fatalf("requiredAttributes %q: %v", cp["requiredAttributes"], err)
	}
	if err := json.Unmarshal([]byte(cp["userAttributes"]), &current); err != nil || current["email"] != "lena@example.com" || current["name"] != "Old Name" {
		t.Fatalf("userAttributes %q: %v", cp["userAttributes"], err)
	}
	if cp["USER_ID_FOR_SRP"] != "lena" {
		t.Fatalf("USER_ID_FOR_SRP %q", cp["USER_ID_FOR_SRP"])
	}
	session := out["Session"].(string)

	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(
		a.respond("NEW_PASSWORD_REQUIRED", map[string]any{"USERNAME": "lena", "NEW_PASSWORD": "N3w-Password"}, "garbage-session-of-twenty-chars"))
	a.want("InvalidPasswordException", "")(
		a.respond("NEW_PASSWORD_REQUIRED", map[string]any{"USERNAME": "lena", "NEW_PASSWORD": "weakpassword"}, session))
	access, _, _ := a.tokens(a.respond("NEW_PASSWORD_REQUIRED", map[string]any{"USERNAME": "lena",
		"NEW_PASSWORD": "N3w-Password", "userAttributes.name": "New Name"}, session))
	u := a.user(a.pool, "lena")
	if u.Status != StatusConfirmed || u.Attributes["name"] != "New Name" || u.Attributes["email_verified"] != "true" {
		t.Fatalf("after NEW_PASSWORD_REQUIRED: %+v", u)
	}
	a.call("GetUser", map[string]any{"AccessToken": access})
	// The session is spent: the user left FORCE_CHANGE_PASSWORD.
	a.want("NotAuthorizedException", "")(a.respond("NEW_PASSWORD_REQUIRED",
		map[string]any{"USERNAME": "lena", "NEW_PASSWORD": "An0ther-Password"}, session))
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("lena", "Temp-Passw0rd"))
	a.tokens(a.srpLogin("lena", "N3w-Password"))

	// A missing required attribute must be given. AdminCreateUser insists on required
	// attributes, so this user (as if imported) loses "name" behind the API's back.
	a.call("AdminCreateUser", map[string]any{"UserPoolId": a.pool, "Username": "mona", "TemporaryPassword": "Temp-Passw0rd",
		"MessageAction": "SUPPRESS", "UserAttributes": []map[string]any{{"Name": "email", "Value": "mona@example.com"},
			{"Name": "name", "Value": "Mona"}}})
	p, err := a.svc.getPool(t.Context(), a.pool)
	if err != nil {
		t.Fatal(err)
	}
	mona := a.user(a.pool, "mona")
	prev := cloneUser(mona)
	delete(mona.Attributes, "name")
	if err := a.svc.atomically(t.Context(), poolShard(p.Id), func(ts *Service) error {
		return ts.putUser(t.Context(), p, mona, prev)
	}); err != nil {
		t.Fatal(err)
	}
	_, out = a.passwordLogin("mona", "Temp-Passw0rd")
	if err := json.Unmarshal([]byte(paramsOf(out["ChallengeParameters"])["requiredAttributes"]), &required); err != nil ||
		!slices.Equal(required, []string{"userAttributes.name"}) {
		t.Fatalf("requiredAttributes: %v %v", required, err)
	}
	session = out["Session"].(string)
	a.want("InvalidParameterException", "")(a.respond("NEW_PASSWORD_REQUIRED",
		map[string]any{"USERNAME": "mona", "NEW_PASSWORD": "N3w-Password"}, session))
	a.want("NotAuthorizedException", "")(a.respond("NEW_PASSWORD_REQUIRED",
		map[string]any{"USERNAME": "mona", "NEW_PASSWORD": "N3w-Password", "userAttributes.name": "Mona",
			"userAttributes.email_verified": "true"}, session))
	// Sessions expire with the client's AuthSessionValidity (3 minutes by default).
	a.clock.Advance(3*time.Minute + time.Second)
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.respond("NEW_PASSWORD_REQUIRED",
		map[string]any{"USERNAME": "mona", "NEW_PASSWORD": "N3w-Password", "userAttributes.name": "Mona"}, session))
	// Through the signed admin pair of actions.
	status, out = a.dispatch("AdminInitiateAuth", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": map[string]any{"USERNAME": "mona", "PASSWORD": "Temp-Passw0rd"}})
	if status != 200 || out["ChallengeName"] != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("AdminInitiateAuth: %d %v", status, out)
	}
	status, out = a.dispatch("AdminRespondToAuthChallenge", map[string]any{"UserPoolId": a.pool, "ClientId": a.client,
		"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": out["Session"],
		"ChallengeResponses": map[string]any{"USERNAME": "mona", "NEW_PASSWORD": "N3w-Password", "userAttributes.name": "Mona"}})
	a.tokens(status, out)

	// Temporary passwords expire (TemporaryPasswordValidityDays, 7 by default).
	createUser("nina")
	a.clock.Advance(7*24*time.Hour + time.Second)
	a.want("NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")(
		a.passwordLogin("nina", "Temp-Passw0rd"))
}

func TestAuthRefresh(t *testing.T) {
	a := newAuthSetup(t, nil, map[string]any{"RefreshTokenValidity": 60, "TokenValidityUnits": map[string]any{"RefreshToken": "minutes"}})
	a.signUpConfirmed("olga", "olga@example.com")
	access, _, refresh := a.tokens(a.srpLogin("olga", testPassword))
	first := a.verify(access)
	a.clock.Advance(10 * time.Minute)

	out := a.call("InitiateAuth", map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"REFRESH_TOKEN": refresh, "DEVICE_KEY": nil}})
	access2, id2, refresh2 := a.tokens(200, out)
	if refresh2 != "" {
		t.Fatal("REFRESH_TOKEN_AUTH returned a refresh token")
	}
	second, idc := a.verify(access2), a.verify(id2)
	if second["origin_jti"] != first["origin_jti"] || idc["origin_jti"] != first["origin_jti"] ||
		jsonInt64(t, second["auth_time"]) != jsonInt64(t, first["auth_time"]) ||
		jsonInt64(t, second["iat"]) != a.clock.Now().Unix() || second["jti"] == first["jti"] {
		t.Fatalf("refreshed claims: %v vs %v", second, first)
	}
	out = a.call("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh})
	if _, _, r := a.tokens(200, out); r != "" {
		t.Fatal("GetTokensFromRefreshToken returned a refresh token without rotation")
	}
	// Another client of the pool cannot use it.
	other, _ := a.createClient(a.pool, nil)
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": other, "RefreshToken": refresh},
		"NotAuthorizedException", "Invalid Refresh Token")
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh[:len(refresh)-4] + "AAAA"},
		"NotAuthorizedException", "Invalid Refresh Token")
	// It expires after RefreshTokenValidity.
	a.clock.Advance(51 * time.Minute)
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh},
		"NotAuthorizedException", "Refresh Token has expired")
	a.wantErr("InitiateAuth", map[string]any{"AuthFlow": "REFRESH_TOKEN", "ClientId": a.client,
		"AuthParameters": map[string]any{"REFRESH_TOKEN": refresh}}, "NotAuthorizedException", "Refresh Token has expired")
}

func TestAuthRefreshRotation(t *testing.T) {
	a := newAuthSetup(t, nil, map[string]any{"RefreshTokenRotation": map[string]any{"Feature": "ENABLED", "RetryGracePeriodSeconds": 30}})
	a.signUpConfirmed("pia", "pia@example.com")
	_, _, old := a.tokens(a.srpLogin("pia", testPassword))
	get := func(token string) map[string]any {
		t.Helper()
		return a.call("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": token})
	}
	_, _, next := a.tokens(200, get(old))
	if next == "" || next == old {
		t.Fatal("rotation did not return a new refresh token")
	}
	a.clock.Advance(20 * time.Second)
	_, _, retry := a.tokens(200, get(old)) // within the grace period
	a.clock.Advance(11 * time.Second)
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": old},
		"RefreshTokenReuseException", "")
	a.wantErr("InitiateAuth", map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"REFRESH_TOKEN": old}}, "RefreshTokenReuseException", "")
	access, _, third := a.tokens(200, get(next))
	a.tokens(200, get(retry))
	a.tokens(200, get(third))
	if c := a.verify(access); c["username"] != "pia" {
		t.Fatalf("claims: %v", c)
	}
}

func TestAuthSignOutAndRevoke(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("quin", "quin@example.com")
	access1, _, refresh1 := a.tokens(a.srpLogin("quin", testPassword))
	access2, _, refresh2 := a.tokens(a.passwordLogin("quin", testPassword))

	// RevokeToken ends one sign-in: its refresh token and its access tokens.
	a.wantErr("RevokeToken", map[string]any{"ClientId": a.client, "Token": access1}, "UnsupportedTokenTypeException", "")
	a.call("RevokeToken", map[string]any{"ClientId": a.client, "Token": refresh1})
	a.wantErr("GetUser", map[string]any{"AccessToken": access1}, "NotAuthorizedException", "Access Token has been revoked")
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh1},
		"NotAuthorizedException", "Refresh Token has been revoked")
	a.call("GetUser", map[string]any{"AccessToken": access2})
	a.call("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh2})

	// GlobalSignOut ends every sign-in, including ones in the same second.
	a.clock.Advance(300 * time.Millisecond)
	access3, _, refresh3 := a.tokens(a.passwordLogin("quin", testPassword))
	a.call("GlobalSignOut", map[string]any{"AccessToken": access2})
	for _, tok := range []string{access2, access3} {
		a.wantErr("GetUser", map[string]any{"AccessToken": tok}, "NotAuthorizedException", "Access Token has been revoked")
	}
	for _, tok := range []string{refresh2, refresh3} {
		a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": tok},
			"NotAuthorizedException", "Refresh Token has been revoked")
	}
	// A sign-in right after (same second) gets working tokens.
	access4, _, refresh4 := a.tokens(a.passwordLogin("quin", testPassword))
	a.call("GetUser", map[string]any{"AccessToken": access4})
	a.call("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh4})

	// AdminUserGlobalSignOut does the same, signed.
	a.clock.Advance(2 * time.Second)
	a.call("AdminUserGlobalSignOut", map[string]any{"UserPoolId": a.pool, "Username": "quin"})
	a.wantErr("GetUser", map[string]any{"AccessToken": access4}, "NotAuthorizedException", "Access Token has been revoked")
	a.wantErr("AdminUserGlobalSignOut", map[string]any{"UserPoolId": a.pool, "Username": "nobody"}, "UserNotFoundException", "")

	// Expired access tokens.
	access5, _, _ := a.tokens(a.passwordLogin("quin", testPassword))
	a.clock.Advance(time.Hour + time.Second)
	a.wantErr("GetUser", map[string]any{"AccessToken": access5}, "NotAuthorizedException", "Access Token has expired")
	a.wantErr("GetUser", map[string]any{"AccessToken": "a.b.c"}, "NotAuthorizedException", "Invalid Access Token")

	// Clients with revocation disabled refuse RevokeToken.
	off, _ := a.createClient(a.pool, map[string]any{"EnableTokenRevocation": false})
	a.wantErr("RevokeToken", map[string]any{"ClientId": off, "Token": refresh4}, "UnsupportedOperationException", "")
}

func TestAuthDisabledUser(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("rita", "rita@example.com")
	access, _, refresh := a.tokens(a.passwordLogin("rita", testPassword))
	a.clock.Advance(time.Second)
	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "rita"})
	a.want("NotAuthorizedException", "User is disabled.")(a.passwordLogin("rita", testPassword))
	a.want("NotAuthorizedException", "User is disabled.")(a.srpLogin("rita", testPassword))
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("rita", "Wr0ng-pass"))
	typ, _ := a.errOf(a.dispatch("GetUser", map[string]any{"AccessToken": access}))
	if typ != "NotAuthorizedException" {
		t.Fatalf("GetUser of a disabled user: %s", typ)
	}
	typ, _ = a.errOf(a.dispatch("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh}))
	if typ != "NotAuthorizedException" {
		t.Fatalf("refresh of a disabled user: %s", typ)
	}
	a.wantErr("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "rita"}, "NotAuthorizedException", "User is disabled.")
	a.call("AdminEnableUser", map[string]any{"UserPoolId": a.pool, "Username": "rita"})
	a.tokens(a.passwordLogin("rita", testPassword))
}

func TestAuthGroupClaims(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	a.signUpConfirmed("sara", "sara@example.com")
	for _, g := range []map[string]any{
		{"GroupName": "readers", "Precedence": 5, "RoleArn": "arn:aws:iam::123456789012:role/readers"},
		{"GroupName": "admins", "Precedence": 1, "RoleArn": "arn:aws:iam::123456789012:role/admins"},
		{"GroupName": "plain"},
	} {
		g["UserPoolId"] = a.pool
		a.call("CreateGroup", g)
		a.call("AdminAddUserToGroup", map[string]any{"UserPoolId": a.pool, "Username": "sara", "GroupName": g["GroupName"]})
	}
	access, id, _ := a.tokens(a.srpLogin("sara", testPassword))
	idc, ac := a.verify(id), a.verify(access)
	want := []any{"admins", "readers", "plain"}
	if !slices.Equal(idc["cognito:groups"].([]any), want) || !slices.Equal(ac["cognito:groups"].([]any), want) {
		t.Fatalf("groups: id %v access %v", idc["cognito:groups"], ac["cognito:groups"])
	}
	roles := []any{"arn:aws:iam::123456789012:role/admins", "arn:aws:iam::123456789012:role/readers"}
	if !slices.Equal(idc["cognito:roles"].([]any), roles) || idc["cognito:preferred_role"] != roles[0] {
		t.Fatalf("roles: %v %v", idc["cognito:roles"], idc["cognito:preferred_role"])
	}
	if _, ok := ac["cognito:roles"]; ok {
		t.Fatal("access token carries cognito:roles")
	}
}

func TestAuthUsernameAttributes(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"UsernameAttributes": []string{"email"}}, passwordClient)
	out := a.signUp("tom@example.com", "tom@example.com")
	sub := out["UserSub"].(string)
	u := a.user(a.pool, "tom@example.com")
	if u.Username != sub || u.Attributes["email"] != "tom@example.com" {
		t.Fatalf("user: %+v", u)
	}
	a.wantErr("SignUp", map[string]any{"ClientId": a.client, "Username": "tom", "Password": testPassword},
		"InvalidParameterException", "Username should be an email.")
	a.wantErr("SignUp", map[string]any{"ClientId": a.client, "Username": "TOM@example.com", "Password": testPassword},
		"UsernameExistsException", "An account with the given email already exists.")
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "tom@example.com",
		"ConfirmationCode": a.lastCode(sub, "SignUp")})
	_, status, ch := a.srpStart("tom@example.com")
	if cp := paramsOf(ch["ChallengeParameters"]); status != 200 || cp["USER_ID_FOR_SRP"] != sub {
		t.Fatalf("USER_ID_FOR_SRP: %v", cp)
	}
	_, id, _ := a.tokens(a.srpLogin("tom@example.com", testPassword))
	if c := a.verify(id); c["cognito:username"] != sub || c["sub"] != sub || c["email"] != "tom@example.com" {
		t.Fatalf("id claims: %v", c)
	}
	a.tokens(a.passwordLogin("tom@example.com", testPassword))
	a.tokens(a.passwordLogin(sub, testPassword))
}

func TestAuthCaseInsensitive(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"UsernameConfiguration": map[string]any{"CaseSensitive": false}}, passwordClient)
	a.signUpConfirmed("Uma", "uma@example.com")
	a.wantErr("SignUp", map[string]any{"ClientId": a.client, "Username": "UMA", "Password": testPassword},
		"UsernameExistsException", "User already exists")
	_, id, _ := a.tokens(a.srpLogin("uMa", testPassword))
	if c := a.verify(id); c["cognito:username"] != "Uma" {
		t.Fatalf("canonical username: %v", c["cognito:username"])
	}
	a.tokens(a.passwordLogin("UMA", testPassword))
}

func TestAuthReadAttributes(t *testing.T) {
	a := newAuthSetup(t, nil, map[string]any{"ReadAttributes": []string{"email", "given_name"}})
	out := a.signUp("uri", "uri@example.com")
	sub := out["UserSub"].(string)
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "uri", "ConfirmationCode": a.lastCode("uri", "SignUp")})
	access, id, _ := a.tokens(a.srpLogin("uri", testPassword))
	c := a.verify(id)
	if c["email"] != "uri@example.com" {
		t.Fatalf("email missing: %v", c)
	}
	if _, ok := c["email_verified"]; ok {
		t.Fatalf("email_verified is not readable by this client: %v", c)
	}
	got := a.call("GetUser", map[string]any{"AccessToken": access})
	var names []string
	for _, at := range got["UserAttributes"].([]any) {
		names = append(names, at.(map[string]any)["Name"].(string))
	}
	if !slices.Equal(names, []string{"sub", "email"}) {
		t.Fatalf("GetUser attributes %v (sub %s)", names, sub)
	}
}
