package identitypool_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// verifyOpenIDToken checks an OpenID token against the JWKS the service publishes, with an
// independent JOSE library, and returns its claims.
func verifyOpenIDToken(t *testing.T, e *env, tok string) map[string]any {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/cognito-identity/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	set, err := jwk.Parse(raw)
	if err != nil {
		t.Fatalf("JWKS: %v\n%s", err, raw)
	}
	payload, err := jws.Verify([]byte(tok), jws.WithKeySet(set, jws.WithRequireKid(true)))
	if err != nil {
		t.Fatalf("OpenID token does not verify against the published JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(e.srv.URL + "/cognito-identity/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != claims["iss"] || doc["jwks_uri"] != e.srv.URL+"/cognito-identity/.well-known/jwks.json" {
		t.Fatalf("discovery %v", doc)
	}
	return claims
}

func TestGetOpenIdToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	guest := e.mustID(guestPool, nil)
	out, err := e.idPublic.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(guest)})
	if err != nil {
		t.Fatal(err)
	}
	claims := verifyOpenIDToken(t, e, *out.Token)
	if claims["sub"] != guest || claims["aud"] != guestPool ||
		claims["https://cognito-identity.amazonaws.com/identity-pool-arn"] != "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/"+guestPool {
		t.Fatalf("claims %v", claims)
	}
	if amr := claims["amr"].([]any); len(amr) != 1 || amr[0] != "unauthenticated" {
		t.Fatalf("guest amr %v", amr)
	}
	tok := e.user(userPool, clientID, "rita")
	logins := map[string]string{canonical(userPool): tok}
	id := e.mustID(guestPool, logins)
	out, err = e.idPublic.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	claims = verifyOpenIDToken(t, e, *out.Token)
	amr := claims["amr"].([]any)
	if len(amr) != 3 || amr[0] != "authenticated" || amr[1] != canonical(userPool) || !strings.HasPrefix(amr[2].(string), canonical(userPool)+":CognitoSignIn:") {
		t.Fatalf("amr %v", amr)
	}
	// The token is itself a login for the identity (the cognito-identity.amazonaws.com key).
	p, got := e.mustCreds(id, map[string]string{"cognito-identity.amazonaws.com": *out.Token}, "")
	if got != id || p.RoleArn != authRole {
		t.Fatalf("credentials from the OpenID token: %+v", p)
	}
	// But not for another pool's identity.
	other := e.mustID(closedPool, logins)
	_, _, err = e.creds(other, map[string]string{"cognito-identity.amazonaws.com": *out.Token}, "")
	wantAPIError(t, err, "NotAuthorizedException", "Incorrect token audience")
}

func TestManageIdentityPools(t *testing.T) {
	e := newEnv(t, envOptions{})
	created, err := e.idAdmin.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("app pool"), AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(true),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(canonical(userPool)), ClientId: aws.String(clientID), ServerSideTokenCheck: aws.Bool(true)}},
		SupportedLoginProviders:  map[string]string{"accounts.google.com": "google-client"},
		IdentityPoolTags:         map[string]string{"env": "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	pid := *created.IdentityPoolId
	if !identityIDRE.MatchString(pid) || !created.AllowUnauthenticatedIdentities || !*created.AllowClassicFlow ||
		*created.CognitoIdentityProviders[0].ClientId != clientID || created.IdentityPoolTags["env"] != "test" {
		t.Fatalf("CreateIdentityPool %+v", created)
	}
	d, err := e.idAdmin.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(pid)})
	if err != nil || *d.IdentityPoolName != "app pool" || d.SupportedLoginProviders["accounts.google.com"] != "google-client" {
		t.Fatalf("DescribeIdentityPool %+v %v", d, err)
	}
	// Roles must be declared in the configuration.
	_, err = e.idAdmin.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pid),
		Roles: map[string]string{"authenticated": "arn:aws:iam::123456789012:role/Nope"}})
	wantAPIError(t, err, "InvalidParameterException", "not declared")
	_, err = e.idAdmin.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pid),
		Roles: map[string]string{"admins": authRole}})
	wantAPIError(t, err, "InvalidParameterException", "Roles key")
	_, err = e.idAdmin.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pid),
		Roles:        map[string]string{"authenticated": authRole},
		RoleMappings: map[string]citypes.RoleMapping{canonical(userPool): {Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny}}})
	wantAPIError(t, err, "InvalidParameterException", "not a provider of this identity pool")
	mapping := map[string]citypes.RoleMapping{canonical(userPool) + ":" + clientID: {
		Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole,
		RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{{
			Claim: aws.String("custom:dept"), MatchType: citypes.MappingRuleMatchTypeStartsWith, Value: aws.String("eng"), RoleARN: aws.String(editorRole)}}},
	}}
	if _, err := e.idAdmin.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pid),
		Roles: map[string]string{"authenticated": authRole, "unauthenticated": guestRole}, RoleMappings: mapping}); err != nil {
		t.Fatal(err)
	}
	roles, err := e.idAdmin.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(pid)})
	if err != nil || roles.Roles["unauthenticated"] != guestRole ||
		*roles.RoleMappings[canonical(userPool)+":"+clientID].RulesConfiguration.Rules[0].Value != "eng" {
		t.Fatalf("GetIdentityPoolRoles %+v %v", roles, err)
	}
	up, err := e.idAdmin.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: aws.String(pid),
		IdentityPoolName: aws.String("renamed"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(canonical(userPool)), ClientId: aws.String(clientID)}}})
	if err != nil || *up.IdentityPoolName != "renamed" || up.AllowUnauthenticatedIdentities || up.SupportedLoginProviders != nil {
		t.Fatalf("UpdateIdentityPool %+v %v", up, err)
	}
	// Removing the provider a mapping names is refused.
	_, err = e.idAdmin.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: aws.String(pid),
		IdentityPoolName: aws.String("renamed"), AllowUnauthenticatedIdentities: false})
	wantAPIError(t, err, "InvalidParameterException", "not a provider of this identity pool")

	// Listing pages through every pool.
	var names []string
	var next *string
	for {
		l, err := e.idAdmin.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.IdentityPools) > 2 {
			t.Fatalf("page of %d", len(l.IdentityPools))
		}
		for _, p := range l.IdentityPools {
			names = append(names, *p.IdentityPoolName)
		}
		if next = l.NextToken; next == nil {
			break
		}
	}
	slices.Sort(names)
	if want := []string{"closed", "developer", "guests", "renamed", "rules"}; !slices.Equal(names, want) {
		t.Fatalf("ListIdentityPools names %v, want %v", names, want)
	}
	_, err = e.idAdmin.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(2), NextToken: aws.String("forged")})
	wantAPIError(t, err, "InvalidParameterException", "pagination token")
	_, err = e.idAdmin.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(61)})
	wantAPIError(t, err, "InvalidParameterException", "less than or equal to 60")

	// Identities: list, describe, delete.
	var ids []string
	for range 5 {
		ids = append(ids, e.mustID(guestPool, nil))
	}
	var listed []string
	next = nil
	for {
		l, err := e.idAdmin.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(guestPool), MaxResults: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		if *l.IdentityPoolId != guestPool {
			t.Fatalf("ListIdentities pool %s", *l.IdentityPoolId)
		}
		for _, d := range l.Identities {
			listed = append(listed, *d.IdentityId)
		}
		if next = l.NextToken; next == nil {
			break
		}
	}
	slices.Sort(listed)
	sorted := slices.Sorted(slices.Values(ids))
	if !slices.Equal(listed, sorted) {
		t.Fatalf("ListIdentities %v, want %v", listed, sorted)
	}
	del, err := e.idAdmin.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: ids[:2]})
	if err != nil || len(del.UnprocessedIdentityIds) != 0 {
		t.Fatalf("DeleteIdentities %+v %v", del, err)
	}
	_, err = e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(ids[0])})
	wantAPIError(t, err, "ResourceNotFoundException", "Identity '"+ids[0]+"' not found.")
	_, _, err = e.creds(ids[1], nil, "")
	wantAPIError(t, err, "ResourceNotFoundException", "not found")

	// Deleting a pool deletes its identities.
	if _, err := e.idAdmin.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: aws.String(guestPool)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.idAdmin.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(guestPool)})
	wantAPIError(t, err, "ResourceNotFoundException", "IdentityPool '"+guestPool+"' not found.")
	_, err = e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(ids[2])})
	wantAPIError(t, err, "ResourceNotFoundException", "not found")
	_, err = e.getID(guestPool, nil)
	wantAPIError(t, err, "ResourceNotFoundException", "not found")

	// Management is SigV4-only.
	_, err = e.idPublic.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(closedPool)})
	wantAPIError(t, err, "MissingAuthenticationTokenException", "")
}

func TestManageValidation(t *testing.T) {
	e := newEnv(t, envOptions{})
	for name, in := range map[string]*ci.CreateIdentityPoolInput{
		"bad name":          {IdentityPoolName: aws.String("no:colons")},
		"bad provider":      {IdentityPoolName: aws.String("x"), CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String("us-east-1_X"), ClientId: aws.String("c")}}},
		"bad client":        {IdentityPoolName: aws.String("x"), CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(canonical(userPool)), ClientId: aws.String("no spaces")}}},
		"other region pool": {IdentityPoolName: aws.String("x"), CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String("cognito-idp.eu-west-1.amazonaws.com/" + userPool), ClientId: aws.String("c")}}},
		"bad oidc arn":      {IdentityPoolName: aws.String("x"), OpenIdConnectProviderARNs: []string{"arn:aws:iam::1:oidc/x"}},
		"reserved dev name": {IdentityPoolName: aws.String("x"), DeveloperProviderName: aws.String("accounts.google.com")},
	} {
		_, err := e.idAdmin.CreateIdentityPool(ctx, in)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		wantAPIError(t, err, "InvalidParameterException", "")
	}
	_, err := e.idAdmin.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{IdentityPoolId: aws.String(devPool),
		IdentityPoolName: aws.String("developer"), DeveloperProviderName: aws.String("other.dev"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(canonical(userPool)), ClientId: aws.String(clientID)}}})
	wantAPIError(t, err, "InvalidParameterException", "cannot be changed")
	_, err = e.idAdmin.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", "not found")
	_, err = e.idAdmin.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", "not found")
	_, err = e.idAdmin.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(devPool)})
	wantAPIError(t, err, "InvalidParameterException", "Either IdentityId or DeveloperUserIdentifier")
	_, err = e.idAdmin.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{"not an id"}})
	wantAPIError(t, err, "InvalidParameterException", "identityIdsToDelete")
}

func TestApplyConfigIdempotent(t *testing.T) {
	e := newEnv(t, envOptions{})
	a, err := e.svc.ApplyConfig(ctx, []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	if a.Identity == nil || len(a.Identity.Roles.Unchanged) != 4 || len(a.Identity.IdentityPools.Unchanged) != 4 ||
		len(a.Identity.Roles.Created)+len(a.Identity.IdentityPools.Updated) != 0 {
		t.Fatalf("second apply %+v", a.Identity)
	}
	changed := strings.Replace(testConfig, `"IdentityPoolName": "rules"`, `"IdentityPoolName": "rules2"`, 1)
	changed = strings.Replace(changed, `"Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/public/*"`, `"Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/pub/*"`, 1)
	a, err = e.svc.ApplyConfig(ctx, []byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Identity.IdentityPools.Updated, []string{rulesPool}) || !slices.Equal(a.Identity.Roles.Updated, []string{guestRole}) {
		t.Fatalf("apply after a change %+v", a.Identity)
	}
	// The new policy applies to credentials vended from now on.
	p, _ := e.mustCreds(e.mustID(guestPool, nil), nil, "")
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::files/pub/x", nil) != 1 {
		t.Fatal("updated policy not used")
	}
	for name, bad := range map[string]string{
		"unknown role in pool": strings.Replace(testConfig, `"unauthenticated": "arn:aws:iam::123456789012:role/Guest"`, `"unauthenticated": "arn:aws:iam::123456789012:role/Missing"`, 1),
		"bad policy":           strings.Replace(testConfig, `"Effect": "Allow", "Action": "s3:*"`, `"Effect": "Maybe", "Action": "s3:*"`, 1),
		"bad pool id":          strings.Replace(testConfig, `"IdentityPoolId": "us-east-1:11111111-1111-4111-8111-111111111111"`, `"IdentityPoolId": "pool-1"`, 1),
		"unknown member":       strings.Replace(testConfig, `"IdentityPoolName": "rules"`, `"IdentityPoolName": "rules", "Typo": 1`, 1),
		"undeclared oidc":      strings.Replace(testConfig, `"IdentityPoolName": "rules",`, `"IdentityPoolName": "rules", "OpenIdConnectProviderARNs": ["arn:aws:iam::123456789012:oidc-provider/idp.example.com"],`, 1),
	} {
		if _, err := e.svc.ApplyConfig(ctx, []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
