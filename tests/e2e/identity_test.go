package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// identityScenario is one identity-pool scenario; it talks to the server through ep and to the
// origin behind the sigv4 route through o.
type identityScenario struct {
	name string
	run  func(t *testing.T, ep *Endpoint, o *testOrigin)
}

// identityScenarios run in order on one server configured with identityConfig; the last one
// moves the clock past the credentials' lifetime.
var identityScenarios = []identityScenario{
	{"GuestFlow", scnIdentityGuest},
	{"AuthenticatedFlow", scnIdentityAuthenticated},
	{"RoleRules", scnIdentityRoleRules},
	{"DenyOnAmbiguity", scnIdentityDenyOnAmbiguity},
	{"DisabledGuests", scnIdentityDisabledGuests},
	{"Management", scnIdentityManagement},
	{"BadInput", scnIdentityBadInput},
	{"GatewayRefusals", scnIdentityGatewayRefusals},
}

// identityActions are the identity-pool actions issue 4 delivers; each must succeed at least
// once through the SDK.
var identityActions = []string{
	"GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "GetOpenIdTokenForDeveloperIdentity", "UnlinkIdentity",
	"CreateIdentityPool", "DescribeIdentityPool", "UpdateIdentityPool", "ListIdentityPools", "DeleteIdentityPool",
	"SetIdentityPoolRoles", "GetIdentityPoolRoles", "ListIdentities", "DescribeIdentity", "DeleteIdentities",
	"LookupDeveloperIdentity",
}

func runIdentityScenarios(t *testing.T, ep *Endpoint, o *testOrigin) {
	for _, s := range identityScenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, ep, o) })
	}
	t.Run("EveryActionSucceeded", func(t *testing.T) {
		if m := ep.calls.missing(identityActions); len(m) > 0 {
			t.Fatalf("these actions never returned 200 through the SDK: %v", m)
		}
	})
}

// TestIdentityHostsim runs the identity scenarios against the wasm guest under hostsim.
func TestIdentityHostsim(t *testing.T) {
	o := newTestOrigin(t)
	s := startSim(t, simOptions{Config: identityConfig(o.srv.URL)})
	runIdentityScenarios(t, s.Endpoint, o)
}

func scnIdentityGuest(t *testing.T, ep *Endpoint, o *testOrigin) {
	id, c := vend(t, ep, idOpenPool, nil)
	if other, _ := vend(t, ep, idOpenPool, nil); other == id {
		t.Fatal("two guests share an identity")
	}
	r := s3Do(t, ep, c, http.MethodGet, "public/readme.txt", "", ep.Now())
	wantS3(t, r, http.StatusOK, "")
	got := o.last(t)
	if got.Path != "/"+idBucket+"/public/readme.txt" || got.Header.Get("X-Poolgate-Identity-Id") != id ||
		got.Header.Get("X-Poolgate-Authenticated") != "false" || got.Header.Get("X-Poolgate-Role-Arn") != idGuestRole ||
		got.Header.Get("X-Amz-Security-Token") != "" || got.Header.Get("Authorization") != "" {
		t.Fatalf("origin saw %s with %v", got.Path, got.Header)
	}
	before := o.count()
	wantS3(t, s3Do(t, ep, c, http.MethodPut, "public/readme.txt", "x", ep.Now()), http.StatusForbidden, "AccessDenied")
	wantS3(t, s3Do(t, ep, c, http.MethodGet, id+"/notes.txt", "", ep.Now()), http.StatusForbidden, "AccessDenied")
	if o.count() != before {
		t.Fatal("a denied request reached the origin")
	}
}

func scnIdentityAuthenticated(t *testing.T, ep *Endpoint, o *testOrigin) {
	tok := idUser(t, ep, idUserPool, idClient, "id-alice")
	// Amplify's key form for GetId, the canonical one for the credentials: one identity.
	pub := ep.Identity(false)
	id := *call(pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(idOpenPool), Logins: map[string]string{amplifyKey(ep, idUserPool): tok}})).must(t).IdentityId
	gotID, c := vend(t, ep, idOpenPool, map[string]string{canonicalKey(idUserPool): tok})
	if gotID != id {
		t.Fatalf("canonical key gave %s, Amplify key %s", gotID, id)
	}
	r := s3Do(t, ep, c, http.MethodPut, id+"/doc.txt", "hello origin", ep.Now())
	wantS3(t, r, http.StatusOK, "")
	got := o.last(t)
	if got.Method != http.MethodPut || got.Body != "hello origin" || got.Header.Get("X-Poolgate-Username") != "id-alice" ||
		got.Header.Get("X-Poolgate-Authenticated") != "true" || got.Header.Get("X-Poolgate-Role-Arn") != idAuthRole ||
		got.Header.Get("X-Poolgate-Action") != "s3:PutObject" || got.Header.Get("X-Poolgate-Resource") != "arn:aws:s3:::files/"+id+"/doc.txt" {
		t.Fatalf("origin saw %s %s %q with %v", got.Method, got.Path, got.Body, got.Header)
	}
	wantS3(t, s3Do(t, ep, c, http.MethodGet, id+"/doc.txt", "", ep.Now()), http.StatusOK, "")
	wantS3(t, s3Do(t, ep, c, http.MethodDelete, id+"/doc.txt", "", ep.Now()), http.StatusOK, "")
	wantS3(t, s3Do(t, ep, c, http.MethodGet, "public/logo.png", "", ep.Now()), http.StatusOK, "")

	// Another user's prefix is denied.
	bobTok := idUser(t, ep, idUserPool, idClient, "id-bob")
	bobID, bob := vend(t, ep, idOpenPool, map[string]string{canonicalKey(idUserPool): bobTok})
	wantS3(t, s3Do(t, ep, bob, http.MethodGet, id+"/doc.txt", "", ep.Now()), http.StatusForbidden, "AccessDenied")
	wantS3(t, s3Do(t, ep, c, http.MethodPut, bobID+"/x", "x", ep.Now()), http.StatusForbidden, "AccessDenied")

	// A guest who signs in keeps its identity.
	guest, _ := vend(t, ep, idOpenPool, nil)
	carolTok := idUser(t, ep, idUserPool, idClient, "id-carol")
	out := call(pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(guest),
		Logins: map[string]string{amplifyKey(ep, idUserPool): carolTok}})).must(t)
	if *out.IdentityId != guest {
		t.Fatalf("guest upgrade gave %s, want %s", *out.IdentityId, guest)
	}
	if again, _ := vend(t, ep, idOpenPool, map[string]string{canonicalKey(idUserPool): carolTok}); again != guest {
		t.Fatalf("after the upgrade GetId gave %s, want %s", again, guest)
	}

	// The basic flow's OpenID token verifies against the published JWKS.
	oid := call(pub.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: map[string]string{canonicalKey(idUserPool): tok}})).must(t)
	if _, err := jwt.Parse([]byte(*oid.Token), jwt.WithKeySet(fetchJWKS(t, ep, "cognito-identity")), jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(ep.Now)), jwt.WithIssuer(ep.IssuerBase+"/cognito-identity"), jwt.WithAudience(idOpenPool),
		jwt.WithSubject(id)); err != nil {
		t.Fatalf("OpenID token does not verify with jwx against the published JWKS: %v", err)
	}
	// UnlinkIdentity: carol removes her login; the identity is no longer reachable with it.
	call(pub.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{IdentityId: aws.String(guest),
		Logins: map[string]string{canonicalKey(idUserPool): carolTok}, LoginsToRemove: []string{canonicalKey(idUserPool)}})).must(t)
	_, err := pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(guest),
		Logins: map[string]string{canonicalKey(idUserPool): carolTok}})
	wantErr(t, err, "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
}

func scnIdentityRoleRules(t *testing.T, ep *Endpoint, o *testOrigin) {
	ed := idUser(t, ep, idUserPool, idClient, "id-editor", "editors")
	_, editor := vend(t, ep, idRulesPool, map[string]string{canonicalKey(idUserPool): ed})
	wantS3(t, s3Do(t, ep, editor, http.MethodPut, "shared/plan.txt", "v1", ep.Now()), http.StatusOK, "")
	if got := o.last(t); got.Header.Get("X-Poolgate-Role-Arn") != idEditorRole {
		t.Fatalf("editor's role %q", got.Header.Get("X-Poolgate-Role-Arn"))
	}
	wantS3(t, s3Do(t, ep, editor, http.MethodDelete, "shared/plan.txt", "", ep.Now()), http.StatusOK, "")
	// The explicit Deny in the editor's policy wins over its s3:*.
	wantS3(t, s3Do(t, ep, editor, http.MethodDelete, "public/logo.png", "", ep.Now()), http.StatusForbidden, "AccessDenied")

	vw := idUser(t, ep, idUserPool, idClient, "id-viewer", "viewers")
	_, viewer := vend(t, ep, idRulesPool, map[string]string{canonicalKey(idUserPool): vw})
	wantS3(t, s3Do(t, ep, viewer, http.MethodGet, "shared/plan.txt", "", ep.Now()), http.StatusOK, "")
	wantS3(t, s3Do(t, ep, viewer, http.MethodPut, "shared/plan.txt", "v2", ep.Now()), http.StatusForbidden, "AccessDenied")

	// No matching rule: AmbiguousRoleResolution AuthenticatedRole.
	plain := idUser(t, ep, idUserPool, idClient, "id-plain")
	id, c := vend(t, ep, idRulesPool, map[string]string{canonicalKey(idUserPool): plain})
	wantS3(t, s3Do(t, ep, c, http.MethodPut, id+"/mine.txt", "x", ep.Now()), http.StatusOK, "")
	if got := o.last(t); got.Header.Get("X-Poolgate-Role-Arn") != idAuthRole {
		t.Fatalf("fallback role %q", got.Header.Get("X-Poolgate-Role-Arn"))
	}
}

func scnIdentityDenyOnAmbiguity(t *testing.T, ep *Endpoint, o *testOrigin) {
	pub := ep.Identity(false)
	none := idUser(t, ep, idUserPool, idClient, "id-nogroup")
	logins := map[string]string{canonicalKey(idUserPool): none}
	id := call(pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(idTokenPool), Logins: logins})).must(t)
	_, err := pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	wantErr(t, err, "NotAuthorizedException", "")

	both := idUser(t, ep, idUserPool, idClient, "id-both", "viewers", "editors")
	logins = map[string]string{canonicalKey(idUserPool): both}
	_, c := vend(t, ep, idTokenPool, logins)
	wantS3(t, s3Do(t, ep, c, http.MethodPut, "shared/x", "x", ep.Now()), http.StatusOK, "")
	if got := o.last(t); got.Header.Get("X-Poolgate-Role-Arn") != idEditorRole {
		t.Fatalf("cognito:preferred_role gave %q", got.Header.Get("X-Poolgate-Role-Arn"))
	}
	// CustomRoleArn among cognito:roles is honoured, outside it refused.
	id = call(pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(idTokenPool), Logins: logins})).must(t)
	out := call(pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins,
		CustomRoleArn: aws.String(idViewerRole)})).must(t)
	viewer := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretKey, SessionToken: *out.Credentials.SessionToken}
	wantS3(t, s3Do(t, ep, viewer, http.MethodPut, "shared/x", "x", ep.Now()), http.StatusForbidden, "AccessDenied")
	_, err = pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins,
		CustomRoleArn: aws.String(idGuestRole)})
	wantErr(t, err, "NotAuthorizedException", "")
}

func scnIdentityDisabledGuests(t *testing.T, ep *Endpoint, o *testOrigin) {
	adm, pub := ep.Identity(true), ep.Identity(false)
	p := call(adm.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("guests-then-not"),
		AllowUnauthenticatedIdentities: true})).must(t)
	call(adm.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: p.IdentityPoolId,
		Roles: map[string]string{"unauthenticated": idGuestRole, "authenticated": idAuthRole}})).must(t)
	guest, c := vend(t, ep, *p.IdentityPoolId, nil)
	wantS3(t, s3Do(t, ep, c, http.MethodGet, "public/a", "", ep.Now()), http.StatusOK, "")

	call(adm.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: p.IdentityPoolId, IdentityPoolName: aws.String("guests-then-not"),
		AllowUnauthenticatedIdentities: false})).must(t)
	const msg = "Unauthenticated access is not supported for this identity pool."
	_, err := pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: p.IdentityPoolId})
	wantErr(t, err, "NotAuthorizedException", msg)
	_, err = pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(guest)})
	wantErr(t, err, "NotAuthorizedException", msg)
	// A pool that never allowed guests.
	_, err = pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(idRulesPool)})
	wantErr(t, err, "NotAuthorizedException", msg)
}

func scnIdentityManagement(t *testing.T, ep *Endpoint, o *testOrigin) {
	adm := ep.Identity(true)
	p := call(adm.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("managed"), AllowUnauthenticatedIdentities: true,
		DeveloperProviderName:    aws.String("login.e2e.test"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(canonicalKey(idUserPool)), ClientId: aws.String(idClient)}}})).must(t)
	pid := p.IdentityPoolId
	d := call(adm.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: pid})).must(t)
	if *d.IdentityPoolName != "managed" || *d.DeveloperProviderName != "login.e2e.test" {
		t.Fatalf("DescribeIdentityPool %+v", d)
	}
	call(adm.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: pid, Roles: map[string]string{"authenticated": idAuthRole, "unauthenticated": idGuestRole},
		RoleMappings: map[string]citypes.RoleMapping{canonicalKey(idUserPool) + ":" + idClient: {Type: citypes.RoleMappingTypeToken,
			AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole}}})).must(t)
	r := call(adm.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: pid})).must(t)
	if r.Roles["authenticated"] != idAuthRole || r.RoleMappings[canonicalKey(idUserPool)+":"+idClient].Type != citypes.RoleMappingTypeToken {
		t.Fatalf("GetIdentityPoolRoles %+v", r)
	}
	found := false
	for l := call(adm.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})).must(t); ; {
		for _, x := range l.IdentityPools {
			found = found || *x.IdentityPoolId == *pid
		}
		if l.NextToken == nil {
			break
		}
		l = call(adm.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(60), NextToken: l.NextToken})).must(t)
	}
	if !found {
		t.Fatal("ListIdentityPools misses the new pool")
	}

	// Developer-authenticated identities.
	dev := call(adm.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: pid,
		Logins: map[string]string{"login.e2e.test": "dev-user-1"}})).must(t)
	look := call(adm.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: pid, DeveloperUserIdentifier: aws.String("dev-user-1")})).must(t)
	if *look.IdentityId != *dev.IdentityId {
		t.Fatalf("LookupDeveloperIdentity %s, want %s", *look.IdentityId, *dev.IdentityId)
	}
	devLogins := map[string]string{"cognito-identity.amazonaws.com": *dev.Token}
	creds := call(ep.Identity(false).GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: dev.IdentityId, Logins: devLogins})).must(t)
	if *creds.IdentityId != *dev.IdentityId {
		t.Fatalf("developer credentials for %s", *creds.IdentityId)
	}

	guest, _ := vend(t, ep, *pid, nil)
	ids := call(adm.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: pid, MaxResults: aws.Int32(60)})).must(t)
	if len(ids.Identities) != 2 {
		t.Fatalf("ListIdentities %d identities, want 2", len(ids.Identities))
	}
	di := call(adm.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(guest)})).must(t)
	if !epochNear(di.CreationDate, ep.Now()) {
		t.Fatalf("DescribeIdentity %+v", di)
	}
	del := call(adm.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{guest}})).must(t)
	if len(del.UnprocessedIdentityIds) != 0 {
		t.Fatalf("DeleteIdentities %+v", del)
	}
	_, err := adm.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(guest)})
	wantErr(t, err, "ResourceNotFoundException", "Identity '"+guest+"' not found.")
	call(adm.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: pid})).must(t)
	_, err = adm.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: pid})
	wantErr(t, err, "ResourceNotFoundException", "IdentityPool '"+*pid+"' not found.")
	// Management needs the admin signature.
	_, err = ep.Identity(false).ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	wantErr(t, err, "MissingAuthenticationTokenException", "")
}

func scnIdentityBadInput(t *testing.T, ep *Endpoint, o *testOrigin) {
	pub := ep.Identity(false)
	tok := idUser(t, ep, idUserPool, idClient, "id-badinput")
	other := idUser(t, ep, idOtherPool, idOtherCl, "id-badinput")
	getID := func(logins map[string]string) error {
		_, err := pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(idOpenPool), Logins: logins})
		return err
	}
	wantErr(t, getID(map[string]string{canonicalKey(idOtherPool): other}), "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
	wantErr(t, getID(map[string]string{canonicalKey(idUserPool): other}), "NotAuthorizedException", "Invalid login token. Couldn't verify signed token.")
	wantErr(t, getID(map[string]string{canonicalKey(idUserPool): tamper(tok)}), "NotAuthorizedException", "Invalid login token. Couldn't verify signed token.")
	wantErr(t, getID(map[string]string{canonicalKey(idUserPool): "garbage"}), "NotAuthorizedException", "Invalid login token. Couldn't verify signed token.")
	wantErr(t, getID(map[string]string{"accounts.google.com": tok}), "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
	_, err := pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000")})
	wantErr(t, err, "ResourceNotFoundException", "IdentityPool 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")
	_, err = pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000")})
	wantErr(t, err, "ResourceNotFoundException", "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")

	// Malformed bodies and Logins, sent raw.
	for _, body := range []string{
		`{"IdentityPoolId": "` + idOpenPool + `", "Logins": "not a map"}`,
		`{"IdentityPoolId": "` + idOpenPool + `", "Logins": {"k": 7}}`,
		`{"IdentityPoolId": "` + idOpenPool + `", "Logins": {"k": ""}}`,
		`{"IdentityPoolId": "` + idOpenPool + `", "Logins": {"": "t"}}`,
		`{"IdentityPoolId": ["x"]}`,
		`{"IdentityPoolId": "` + idOpenPool + `"`,
	} {
		r := rawIdentityCall(t, ep, "GetId", body)
		wantRawError(t, r, "SerializationException", "InvalidParameterException")
	}

	// A signed-out user's token is refused where ServerSideTokenCheck is on.
	ep.Advance(t, time.Second)
	call(ep.Admin().AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(idUserPool), Username: aws.String("id-badinput")})).must(t)
	wantErr(t, getID(map[string]string{canonicalKey(idUserPool): tok}), "NotAuthorizedException", "")
	// An expired token.
	ep.Advance(t, time.Hour)
	fresh := idSignIn(t, ep, idUserPool, idClient, "id-badinput")
	ep.Advance(t, time.Hour)
	err = getID(map[string]string{canonicalKey(idUserPool): fresh})
	wantErr(t, err, "NotAuthorizedException", "")
	if !strings.Contains(err.Error(), "Token expired") {
		t.Fatalf("expired token: %v", err)
	}
}

// rawIdentityCall POSTs body to the identity-pool API.
func rawIdentityCall(t testing.TB, ep *Endpoint, action, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+action)
	return doRaw(t, req)
}

func scnIdentityGatewayRefusals(t *testing.T, ep *Endpoint, o *testOrigin) {
	tok := idUser(t, ep, idUserPool, idClient, "id-gateway")
	id, c := vend(t, ep, idOpenPool, map[string]string{canonicalKey(idUserPool): tok})
	key := id + "/f.txt"
	wantS3(t, s3Do(t, ep, c, http.MethodGet, key, "", ep.Now()), http.StatusOK, "")
	before := o.count()

	forged := c
	forged.SessionToken = tamperToken(c.SessionToken)
	wantS3(t, s3Do(t, ep, forged, http.MethodGet, key, "", ep.Now()), http.StatusForbidden, "InvalidToken")
	wrongSecret := c
	wrongSecret.SecretAccessKey = strings.Repeat("x", 40)
	wantS3(t, s3Do(t, ep, wrongSecret, http.MethodGet, key, "", ep.Now()), http.StatusForbidden, "SignatureDoesNotMatch")
	noToken := c
	noToken.SessionToken = ""
	wantS3(t, s3Do(t, ep, noToken, http.MethodGet, key, "", ep.Now()), http.StatusForbidden, "InvalidAccessKeyId")
	foreign := aws.Credentials{AccessKeyID: "ASIAFOREIGNKEY000000", SecretAccessKey: "s", SessionToken: "AQoDYXdzEJr" + strings.Repeat("A", 200)}
	wantS3(t, s3Do(t, ep, foreign, http.MethodGet, key, "", ep.Now()), http.StatusForbidden, "InvalidToken")
	// A signature replayed outside the skew window.
	wantS3(t, s3Do(t, ep, c, http.MethodGet, key, "", ep.Now().Add(-6*time.Minute)), http.StatusForbidden, "RequestTimeTooSkewed")
	// The admin key pair is not a vended credential.
	admin := aws.Credentials{AccessKeyID: ep.AdminKeyID, SecretAccessKey: ep.AdminKey}
	wantS3(t, s3Do(t, ep, admin, http.MethodGet, key, "", ep.Now()), http.StatusForbidden, "InvalidAccessKeyId")
	// Unsigned.
	req, _ := http.NewRequest(http.MethodGet, ep.URL+"/s3/"+idBucket+"/"+key, nil)
	if r := doRaw(t, req); r.Status != http.StatusForbidden {
		t.Fatalf("unsigned request: %d %s", r.Status, r.Body)
	}
	if o.count() != before {
		t.Fatal("a refused request reached the origin")
	}
	// Expired credentials, freshly signed.
	ep.Advance(t, time.Hour+time.Second)
	wantS3(t, s3Do(t, ep, c, http.MethodGet, key, "", ep.Now()), http.StatusForbidden, "ExpiredToken")
	if o.count() != before {
		t.Fatal("an expired credential reached the origin")
	}
}
