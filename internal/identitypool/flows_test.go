package identitypool_test

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/creds"
	"github.com/poolgate/poolgate/internal/policy"
)

var identityIDRE = regexp.MustCompile(`^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func (e *env) getID(pool string, logins map[string]string) (string, error) {
	out, err := e.idPublic.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
	if err != nil {
		return "", err
	}
	return *out.IdentityId, nil
}

func (e *env) mustID(pool string, logins map[string]string) string {
	e.t.Helper()
	id, err := e.getID(pool, logins)
	if err != nil {
		e.t.Fatalf("GetId: %v", err)
	}
	if !identityIDRE.MatchString(id) {
		e.t.Fatalf("IdentityId %q", id)
	}
	return id
}

// creds vends credentials and opens them the way the gateway does, returning the principal.
func (e *env) creds(id string, logins map[string]string, custom string) (*creds.Principal, string, error) {
	in := &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins}
	if custom != "" {
		in.CustomRoleArn = aws.String(custom)
	}
	out, err := e.idPublic.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return nil, "", err
	}
	c := out.Credentials
	if !regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`).MatchString(*c.AccessKeyId) || len(*c.SecretKey) != 40 || *c.SessionToken == "" {
		e.t.Fatalf("credentials %+v", c)
	}
	if got, want := *c.Expiration, e.clock.Now().Add(time.Hour); !got.Equal(want) {
		e.t.Fatalf("Expiration %v, want %v", got, want)
	}
	v, err := creds.NewVerifier(masterKey, e.clock.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	secret, p, err := v.Lookup(*c.AccessKeyId, *c.SessionToken)
	if err != nil {
		e.t.Fatalf("vended credentials do not open: %v", err)
	}
	if secret != *c.SecretKey {
		e.t.Fatal("secret mismatch")
	}
	return p, *out.IdentityId, nil
}

func (e *env) mustCreds(id string, logins map[string]string, custom string) (*creds.Principal, string) {
	e.t.Helper()
	p, got, err := e.creds(id, logins, custom)
	if err != nil {
		e.t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	return p, got
}

func TestGuestFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	a := e.mustID(guestPool, nil)
	b := e.mustID(guestPool, nil)
	if a == b {
		t.Fatal("two guest GetId calls returned one identity")
	}
	p, got := e.mustCreds(a, nil, "")
	if got != a || p.IdentityID != a || p.IdentityPoolID != guestPool || p.RoleArn != guestRole || p.Authenticated {
		t.Fatalf("guest principal %+v", p)
	}
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::files/public/logo.png", nil) != policy.Allow {
		t.Error("guest policy does not allow public files")
	}
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::files/"+a+"/x", nil) != policy.ImplicitDeny {
		t.Error("guest reads a per-identity prefix")
	}
	if _, _, err := e.creds(a, nil, editorRole); err == nil {
		t.Error("a guest chose its own role")
	} else {
		wantAPIError(t, err, "NotAuthorizedException", "CustomRoleArn")
	}
	d, err := e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(a)})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Logins) != 0 || !d.CreationDate.Equal(e.clock.Now()) {
		t.Fatalf("DescribeIdentity %+v", d)
	}
}

func TestAuthenticatedFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.user(userPool, clientID, "alice")
	id := e.mustID(guestPool, map[string]string{canonical(userPool): tok})
	if again := e.mustID(guestPool, map[string]string{e.amplify(userPool): tok}); again != id {
		t.Fatalf("the Amplify key form gave identity %s, want %s", again, id)
	}
	p, got := e.mustCreds(id, map[string]string{e.amplify(userPool): tok}, "")
	if got != id || p.RoleArn != authRole || !p.Authenticated || p.Username != "alice" ||
		!slices.Equal(p.Logins, []string{canonical(userPool)}) {
		t.Fatalf("principal %+v", p)
	}
	if p.Evaluate("s3:PutObject", "arn:aws:s3:::files/"+id+"/notes.txt", nil) != policy.Allow {
		t.Error("own prefix denied")
	}
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::files/us-east-1:00000000-0000-4000-8000-000000000000/x", nil) != policy.ImplicitDeny {
		t.Error("another identity's prefix allowed")
	}
	// An authenticated identity needs a login.
	_, _, err := e.creds(id, nil, "")
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match")
	// Another user's login does not open alice's identity.
	bob := e.user(userPool, clientID, "bob")
	_, _, err = e.creds(id, map[string]string{canonical(userPool): bob}, "")
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match")
	// GetOpenIdToken works on the same terms.
	oid, err := e.idPublic.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: map[string]string{canonical(userPool): tok}})
	if err != nil || *oid.IdentityId != id || *oid.Token == "" {
		t.Fatalf("GetOpenIdToken: %v", err)
	}
	d, err := e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(id)})
	if err != nil || !slices.Equal(d.Logins, []string{canonical(userPool)}) {
		t.Fatalf("DescribeIdentity %+v %v", d, err)
	}
}

func TestGuestUpgradeKeepsIdentity(t *testing.T) {
	e := newEnv(t, envOptions{})
	guest := e.mustID(guestPool, nil)
	tok := e.user(userPool, clientID, "carol")
	p, got := e.mustCreds(guest, map[string]string{e.amplify(userPool): tok}, "")
	if got != guest || !p.Authenticated || p.RoleArn != authRole {
		t.Fatalf("upgrade: identity %s principal %+v", got, p)
	}
	if id := e.mustID(guestPool, map[string]string{canonical(userPool): tok}); id != guest {
		t.Fatalf("GetId after the upgrade: %s, want the guest identity %s", id, guest)
	}
	// The identity is now authenticated: guest access to it is over.
	_, _, err := e.creds(guest, nil, "")
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match")
}

func TestGuestMergesIntoExistingIdentity(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.user(userPool, clientID, "dave")
	owner := e.mustID(guestPool, map[string]string{canonical(userPool): tok})
	guest := e.mustID(guestPool, nil)
	_, got := e.mustCreds(guest, map[string]string{canonical(userPool): tok}, "")
	if got != owner {
		t.Fatalf("merge returned %s, want the existing identity %s", got, owner)
	}
	_, err := e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(guest)})
	wantAPIError(t, err, "ResourceNotFoundException", "not found")
	// A client still holding the guest id is forwarded.
	if _, got := e.mustCreds(guest, map[string]string{canonical(userPool): tok}, ""); got != owner {
		t.Fatalf("forwarded to %s, want %s", got, owner)
	}
	list, err := e.idAdmin.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(guestPool), MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list.Identities {
		if *d.IdentityId == guest {
			t.Fatal("merged identity still listed")
		}
	}
}

func TestDisabledGuests(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, err := e.getID(closedPool, nil)
	wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")

	guest := e.mustID(guestPool, nil)
	e.mustCreds(guest, nil, "")
	if _, err := e.idAdmin.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{
		IdentityPoolId: aws.String(guestPool), IdentityPoolName: aws.String("guests"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: nil,
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.creds(guest, nil, "")
	wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported")
	_, err = e.getID(guestPool, nil)
	wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported")
	// GetOpenIdToken too.
	_, err = e.idPublic.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(guest)})
	wantAPIError(t, err, "NotAuthorizedException", "Unauthenticated access is not supported")
}

func TestTokenRoleMapping(t *testing.T) {
	e := newEnv(t, envOptions{})
	both := e.user(userPool, clientID, "erin", "editors", "viewers")
	logins := map[string]string{canonical(userPool): both}
	id := e.mustID(closedPool, logins)
	p, _ := e.mustCreds(id, logins, "")
	if p.RoleArn != editorRole {
		t.Fatalf("preferred role: %s, want %s (the group with the lowest precedence)", p.RoleArn, editorRole)
	}
	if p, _ := e.mustCreds(id, logins, viewerRole); p.RoleArn != viewerRole {
		t.Fatalf("CustomRoleArn among cognito:roles: %s", p.RoleArn)
	}
	_, _, err := e.creds(id, logins, guestRole)
	wantAPIError(t, err, "NotAuthorizedException", "not among the roles of the token")

	none := e.user(userPool, clientID, "frank")
	nl := map[string]string{canonical(userPool): none}
	nid := e.mustID(closedPool, nl)
	_, _, err = e.creds(nid, nl, "")
	wantAPIError(t, err, "NotAuthorizedException", "AmbiguousRoleResolution is Deny")
}

func TestRulesRoleMapping(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		user   string
		groups []string
		want   string
	}{
		{"gina", []string{"editors"}, editorRole},
		{"hank", []string{"viewers"}, viewerRole},
		{"ivan", []string{"viewers", "editors"}, editorRole}, // first matching rule wins
		{"judy", []string{"plain"}, authRole},                // no rule: AmbiguousRoleResolution AuthenticatedRole
		{"kim", nil, authRole},                               // no groups claim at all
	} {
		tok := e.user(userPool, clientID, tc.user, tc.groups...)
		logins := map[string]string{canonical(userPool): tok}
		p, _ := e.mustCreds(e.mustID(rulesPool, logins), logins, "")
		if p.RoleArn != tc.want {
			t.Errorf("%s in %v: role %s, want %s", tc.user, tc.groups, p.RoleArn, tc.want)
		}
	}
	// CustomRoleArn picks among the matching rules only.
	tok := e.user(userPool, clientID, "lena", "viewers", "editors")
	logins := map[string]string{canonical(userPool): tok}
	id := e.mustID(rulesPool, logins)
	if p, _ := e.mustCreds(id, logins, viewerRole); p.RoleArn != viewerRole {
		t.Fatalf("CustomRoleArn of a matching rule: %s", p.RoleArn)
	}
	_, _, err := e.creds(id, logins, authRole)
	wantAPIError(t, err, "NotAuthorizedException", "not a role of any matching rule")
}

func TestLoginValidation(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.user(userPool, clientID, "mike")
	other := e.user(userPool2, otherPool, "mike")
	wrongClient := e.signIn(userPool, clientID2, "mike")
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	tampered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	// A token whose claims were swapped for another user's, keeping the signature.
	swapped := parts[0] + "." + strings.Split(e.user(userPool, clientID, "nina"), ".")[1] + "." + parts[2]
	access, err := e.admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(userPool), ClientId: aws.String(clientID), AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
		AuthParameters: map[string]string{"USERNAME": "mike", "PASSWORD": password},
	})
	if err != nil {
		t.Fatal(err)
	}
	many := map[string]string{}
	for i := range 11 {
		many["p"+strings.Repeat("x", i)+".example.com"] = "t"
	}
	tests := []struct {
		name   string
		logins map[string]string
		code   string
		msg    string
	}{
		{"another pool's token under its own key", map[string]string{canonical(userPool2): other}, "NotAuthorizedException", "not from a supported provider"},
		{"another pool's token under this pool's key", map[string]string{canonical(userPool): other}, "NotAuthorizedException", "Couldn't verify signed token"},
		{"client not configured", map[string]string{canonical(userPool): wrongClient}, "NotAuthorizedException", "Incorrect token audience"},
		{"access token", map[string]string{canonical(userPool): *access.AuthenticationResult.AccessToken}, "NotAuthorizedException", "Couldn't verify signed token"},
		{"tampered signature", map[string]string{canonical(userPool): tampered}, "NotAuthorizedException", "Couldn't verify signed token"},
		{"swapped claims", map[string]string{canonical(userPool): swapped}, "NotAuthorizedException", "Couldn't verify signed token"},
		{"garbage", map[string]string{canonical(userPool): "not-a-jwt"}, "NotAuthorizedException", "Couldn't verify signed token"},
		{"unknown provider", map[string]string{"accounts.google.com": tok}, "NotAuthorizedException", "not from a supported provider"},
		{"wrong region in key", map[string]string{"cognito-idp.eu-west-1.amazonaws.com/" + userPool: tok}, "NotAuthorizedException", "not from a supported provider"},
		{"developer key on a public call", map[string]string{devName: "user-1"}, "NotAuthorizedException", "not from a supported provider"},
		{"too many logins", many, "InvalidParameterException", "less than or equal to 10"},
		{"key too long", map[string]string{strings.Repeat("k", 129): tok}, "InvalidParameterException", "Map keys"},
		{"two users for one provider", map[string]string{canonical(userPool): tok, e.amplify(userPool): e.signIn(userPool, clientID, "nina")}, "InvalidParameterException", "two different logins"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.getID(guestPool, tc.logins)
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
	// Expired.
	e.clock.Advance(time.Hour)
	_, err = e.getID(guestPool, map[string]string{canonical(userPool): tok})
	wantAPIError(t, err, "NotAuthorizedException", "Token expired: ")
}

func TestServerSideTokenCheck(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.user(userPool, clientID, "olga")
	logins := map[string]string{canonical(userPool): tok}
	e.mustID(guestPool, logins)
	e.clock.Advance(time.Second)
	if _, err := e.admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(userPool), Username: aws.String("olga")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.getID(guestPool, logins)
	wantAPIError(t, err, "NotAuthorizedException", "revoked")
	// The closed pool does not ask for the check: the signed-out token still validates there.
	if _, err := e.getID(closedPool, logins); err != nil {
		t.Fatalf("pool without ServerSideTokenCheck: %v", err)
	}
	fresh := e.signIn(userPool, clientID, "olga")
	if _, err := e.getID(guestPool, map[string]string{canonical(userPool): fresh}); err != nil {
		t.Fatalf("fresh token after sign-out: %v", err)
	}
	if _, err := e.admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(userPool), Username: aws.String("olga")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.getID(guestPool, map[string]string{canonical(userPool): fresh})
	wantAPIError(t, err, "NotAuthorizedException", "revoked")
}

func TestUnlinkIdentity(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.user(userPool, clientID, "pete")
	logins := map[string]string{canonical(userPool): tok}
	id := e.mustID(guestPool, logins)
	stranger := e.user(userPool, clientID, "quinn")
	_, err := e.idPublic.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{IdentityId: aws.String(id),
		Logins: map[string]string{canonical(userPool): stranger}, LoginsToRemove: []string{canonical(userPool)}})
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match")
	if _, err := e.idPublic.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{IdentityId: aws.String(id),
		Logins: logins, LoginsToRemove: []string{e.amplify(userPool)}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(id)})
	if err != nil || len(d.Logins) != 0 {
		t.Fatalf("after unlink: %+v %v", d, err)
	}
	// The identity is now unreachable; the login starts a new one.
	_, _, err = e.creds(id, logins, "")
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match")
	if again := e.mustID(guestPool, logins); again == id {
		t.Fatal("unlinked login still maps to the old identity")
	}
}

func TestDeveloperFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	out, err := e.idAdmin.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(devPool), Logins: map[string]string{devName: "user-7"}, TokenDuration: aws.Int64(600),
		PrincipalTags: map[string]string{"team": "blue"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.IdentityId
	claims := verifyOpenIDToken(t, e, *out.Token)
	if claims["sub"] != id || claims["aud"] != devPool || claims["iss"] != e.issuer+"/cognito-identity" {
		t.Fatalf("claims %v", claims)
	}
	if exp := claims["exp"].(float64); int64(exp) != e.clock.Now().Add(10*time.Minute).Unix() {
		t.Fatalf("exp %v", exp)
	}
	amr := claims["amr"].([]any)
	if amr[0] != "authenticated" || amr[1] != devName || amr[2] != devName+":"+devPool+":user-7" {
		t.Fatalf("amr %v", amr)
	}
	again, err := e.idAdmin.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(devPool), Logins: map[string]string{devName: "user-7"}})
	if err != nil || *again.IdentityId != id {
		t.Fatalf("second call: %v", err)
	}
	look, err := e.idAdmin.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(devPool), DeveloperUserIdentifier: aws.String("user-7")})
	if err != nil || *look.IdentityId != id || !slices.Equal(look.DeveloperUserIdentifierList, []string{"user-7"}) {
		t.Fatalf("LookupDeveloperIdentity: %+v %v", look, err)
	}
	look, err = e.idAdmin.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(devPool), IdentityId: aws.String(id)})
	if err != nil || !slices.Equal(look.DeveloperUserIdentifierList, []string{"user-7"}) {
		t.Fatalf("LookupDeveloperIdentity by id: %+v %v", look, err)
	}
	// The app hands the token to the device, which exchanges it for credentials.
	p, got := e.mustCreds(id, map[string]string{"cognito-identity.amazonaws.com": *out.Token}, "")
	if got != id || p.RoleArn != authRole || !p.Authenticated {
		t.Fatalf("developer credentials %+v", p)
	}
	// A token for another identity does not open this one.
	o2, err := e.idAdmin.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(devPool), Logins: map[string]string{devName: "user-8"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.creds(id, map[string]string{"cognito-identity.amazonaws.com": *o2.Token}, "")
	wantAPIError(t, err, "NotAuthorizedException", "Logins don't match")
	// Registering user-8 on the first identity is refused.
	_, err = e.idAdmin.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(devPool), IdentityId: aws.String(id), Logins: map[string]string{devName: "user-8"}})
	wantAPIError(t, err, "DeveloperUserAlreadyRegisteredException", "user-8")
	// The token expires.
	e.clock.Advance(11 * time.Minute)
	_, _, err = e.creds(id, map[string]string{"cognito-identity.amazonaws.com": *out.Token}, "")
	wantAPIError(t, err, "NotAuthorizedException", "Token expired")
	// Developer calls are admin calls.
	_, err = e.idPublic.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(devPool), Logins: map[string]string{devName: "user-9"}})
	wantAPIError(t, err, "MissingAuthenticationTokenException", "")
}
