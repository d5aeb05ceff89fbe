package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// managedLoginActions are the configuration actions of managed login (issue 14's first
// slice); the suite must drive each one successfully at least once through the AWS SDK.
var managedLoginActions = []string{
	"CreateUserPoolDomain", "DescribeUserPoolDomain", "UpdateUserPoolDomain", "DeleteUserPoolDomain",
	"CreateResourceServer", "DescribeResourceServer", "ListResourceServers", "UpdateResourceServer", "DeleteResourceServer",
	"CreateIdentityProvider", "DescribeIdentityProvider", "ListIdentityProviders", "UpdateIdentityProvider",
	"DeleteIdentityProvider", "GetIdentityProviderByIdentifier",
	"AdminLinkProviderForUser", "AdminDisableProviderForUser",
}

// scnManagedLoginConfig: the CRUD of domains, resource servers and identity providers, and an
// app client configured for the hosted pages with them, through the AWS SDK.
func scnManagedLoginConfig(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pool := aws.ToString(newPool(t, ep, nil).Id)
	other := aws.ToString(newPool(t, ep, nil).Id)
	prefix := name("e2e-login-")
	custom := name("auth") + ".example.com"
	const certArn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001"

	// Domains: a prefix and a custom one; a name has one owner.
	cd := call(admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(pool), Domain: aws.String(prefix)})).must(t)
	if aws.ToInt32(cd.ManagedLoginVersion) != 1 || cd.CloudFrontDomain != nil {
		t.Errorf("CreateUserPoolDomain (prefix): version %v, CloudFrontDomain %v", aws.ToInt32(cd.ManagedLoginVersion), aws.ToString(cd.CloudFrontDomain))
	}
	cc := call(admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(pool), Domain: aws.String(custom),
		CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(certArn)}, ManagedLoginVersion: aws.Int32(2)})).must(t)
	if aws.ToInt32(cc.ManagedLoginVersion) != 2 || !strings.HasSuffix(aws.ToString(cc.CloudFrontDomain), ".cloudfront.net") {
		t.Errorf("CreateUserPoolDomain (custom): version %v, CloudFrontDomain %q", aws.ToInt32(cc.ManagedLoginVersion), aws.ToString(cc.CloudFrontDomain))
	}
	_, err := admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(other), Domain: aws.String(prefix)})
	wantErr(t, err, "InvalidParameterException", "Domain already associated with another user pool.")
	dd := call(admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(prefix)})).must(t).DomainDescription
	if aws.ToString(dd.UserPoolId) != pool || aws.ToString(dd.Domain) != prefix || dd.Status != types.DomainStatusTypeActive ||
		aws.ToString(dd.AWSAccountId) == "" || aws.ToString(dd.Version) == "" || dd.CustomDomainConfig != nil {
		t.Errorf("DescribeUserPoolDomain: %+v", dd)
	}
	p := call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})).must(t).UserPool
	if aws.ToString(p.Domain) != prefix || aws.ToString(p.CustomDomain) != custom {
		t.Errorf("DescribeUserPool: Domain %q, CustomDomain %q", aws.ToString(p.Domain), aws.ToString(p.CustomDomain))
	}
	ud := call(admin.UpdateUserPoolDomain(ctx, &cip.UpdateUserPoolDomainInput{UserPoolId: aws.String(pool), Domain: aws.String(custom),
		ManagedLoginVersion: aws.Int32(1)})).must(t)
	if aws.ToInt32(ud.ManagedLoginVersion) != 1 {
		t.Errorf("UpdateUserPoolDomain: version %v", aws.ToInt32(ud.ManagedLoginVersion))
	}
	dc := call(admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(custom)})).must(t).DomainDescription
	if dc.CustomDomainConfig == nil || aws.ToString(dc.CustomDomainConfig.CertificateArn) != certArn || aws.ToInt32(dc.ManagedLoginVersion) != 1 {
		t.Errorf("custom DomainDescription: %+v", dc)
	}

	// Resource servers.
	rs := call(admin.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(pool),
		Identifier: aws.String("https://orders.example.com"), Name: aws.String("Orders"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read orders")}}})).must(t).ResourceServer
	if aws.ToString(rs.Identifier) != "https://orders.example.com" || len(rs.Scopes) != 1 {
		t.Errorf("CreateResourceServer: %+v", rs)
	}
	call(admin.UpdateResourceServer(ctx, &cip.UpdateResourceServerInput{UserPoolId: aws.String(pool),
		Identifier: aws.String("https://orders.example.com"), Name: aws.String("Orders API"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read")},
			{ScopeName: aws.String("write"), ScopeDescription: aws.String("Write")}}})).must(t)
	drs := call(admin.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(pool),
		Identifier: aws.String("https://orders.example.com")})).must(t).ResourceServer
	if aws.ToString(drs.Name) != "Orders API" || len(drs.Scopes) != 2 {
		t.Errorf("DescribeResourceServer: %+v", drs)
	}
	call(admin.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(pool),
		Identifier: aws.String("scratch"), Name: aws.String("Scratch")})).must(t)
	list := call(admin.ListResourceServers(ctx, &cip.ListResourceServersInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(1)})).must(t)
	if len(list.ResourceServers) != 1 || list.NextToken == nil {
		t.Errorf("ListResourceServers page 1: %d servers, NextToken %v", len(list.ResourceServers), list.NextToken)
	}
	rest := call(admin.ListResourceServers(ctx, &cip.ListResourceServersInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(1),
		NextToken: list.NextToken})).must(t)
	if len(rest.ResourceServers) != 1 || rest.NextToken != nil {
		t.Errorf("ListResourceServers page 2: %d servers, NextToken %v", len(rest.ResourceServers), rest.NextToken)
	}
	call(admin.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: aws.String(pool), Identifier: aws.String("scratch")})).must(t)
	_, err = admin.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(pool), Identifier: aws.String("scratch")})
	wantErr(t, err, "ResourceNotFoundException", "")

	// Identity providers.
	g := call(admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(pool),
		ProviderName: aws.String("Google"), ProviderType: types.IdentityProviderTypeTypeGoogle,
		ProviderDetails:  map[string]string{"client_id": "gid", "client_secret": "gsecret", "authorize_scopes": "openid email"},
		AttributeMapping: map[string]string{"email": "email"}, IdpIdentifiers: []string{"gmail.com"}})).must(t).IdentityProvider
	if g.ProviderDetails["authorize_url"] != "https://accounts.google.com/o/oauth2/v2/auth" || g.ProviderDetails["client_secret"] != "gsecret" {
		t.Errorf("CreateIdentityProvider (Google): %v", g.ProviderDetails)
	}
	call(admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(pool),
		ProviderName: aws.String("corp-sso"), ProviderType: types.IdentityProviderTypeTypeOidc,
		ProviderDetails: map[string]string{"client_id": "c", "client_secret": "s", "attributes_request_method": "GET",
			"oidc_issuer": "https://login.example.com", "authorize_scopes": "openid"}})).must(t)
	_, err = admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(pool),
		ProviderName: aws.String("saml-idp"), ProviderType: types.IdentityProviderTypeTypeSaml,
		ProviderDetails: map[string]string{"MetadataFile": "<EntityDescriptor/>"}, IdpIdentifiers: []string{"gmail.com"}})
	wantErr(t, err, "DuplicateProviderException", "")
	call(admin.UpdateIdentityProvider(ctx, &cip.UpdateIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String("corp-sso"),
		IdpIdentifiers: []string{"example.com"}})).must(t)
	byID := call(admin.GetIdentityProviderByIdentifier(ctx, &cip.GetIdentityProviderByIdentifierInput{UserPoolId: aws.String(pool),
		IdpIdentifier: aws.String("example.com")})).must(t).IdentityProvider
	if aws.ToString(byID.ProviderName) != "corp-sso" {
		t.Errorf("GetIdentityProviderByIdentifier: %s", aws.ToString(byID.ProviderName))
	}
	dg := call(admin.DescribeIdentityProvider(ctx, &cip.DescribeIdentityProviderInput{UserPoolId: aws.String(pool),
		ProviderName: aws.String("Google")})).must(t).IdentityProvider
	if dg.ProviderType != types.IdentityProviderTypeTypeGoogle || !slices.Equal(dg.IdpIdentifiers, []string{"gmail.com"}) || dg.CreationDate == nil {
		t.Errorf("DescribeIdentityProvider: %+v", dg)
	}
	providers := call(admin.ListIdentityProviders(ctx, &cip.ListIdentityProvidersInput{UserPoolId: aws.String(pool)})).must(t).Providers
	if len(providers) != 2 {
		t.Errorf("ListIdentityProviders: %d providers, want 2", len(providers))
	}

	// An app client for the hosted pages, naming the scopes and providers above.
	c := newClient(t, ep, pool, func(in *cip.CreateUserPoolClientInput) {
		in.AllowedOAuthFlowsUserPoolClient = true
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeCode}
		in.AllowedOAuthScopes = []string{"openid", "email", "https://orders.example.com/read"}
		in.CallbackURLs = []string{"https://app.example.com/cb", "http://localhost:3000/cb"}
		in.LogoutURLs = []string{"https://app.example.com/"}
		in.DefaultRedirectURI = aws.String("https://app.example.com/cb")
		in.SupportedIdentityProviders = []string{"COGNITO", "Google", "corp-sso"}
	})
	dcl := call(admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: c.ClientId})).must(t).UserPoolClient
	if !aws.ToBool(dcl.AllowedOAuthFlowsUserPoolClient) || len(dcl.AllowedOAuthScopes) != 3 || aws.ToString(dcl.DefaultRedirectURI) != "https://app.example.com/cb" ||
		!slices.Equal(dcl.SupportedIdentityProviders, []string{"COGNITO", "Google", "corp-sso"}) {
		t.Errorf("DescribeUserPoolClient: %+v", dcl)
	}
	_, err = admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool), ClientName: aws.String("bad"),
		AllowedOAuthScopes: []string{"https://orders.example.com/delete"}})
	wantErr(t, err, "ScopeDoesNotExistException", "Invalid scope requested: https://orders.example.com/delete")
	_, err = admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool), ClientName: aws.String("bad"),
		CallbackURLs: []string{"http://app.example.com/cb"}})
	wantErr(t, err, "InvalidParameterException", "http://app.example.com/cb cannot use the HTTP protocol.")

	// Deleting: a provider, a domain, then the pool frees the other domain.
	call(admin.DeleteIdentityProvider(ctx, &cip.DeleteIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String("corp-sso")})).must(t)
	_, err = admin.GetIdentityProviderByIdentifier(ctx, &cip.GetIdentityProviderByIdentifierInput{UserPoolId: aws.String(pool),
		IdpIdentifier: aws.String("example.com")})
	wantErr(t, err, "ResourceNotFoundException", "")
	call(admin.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(pool), Domain: aws.String(prefix)})).must(t)
	gone := call(admin.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(prefix)})).must(t).DomainDescription
	if gone == nil || gone.UserPoolId != nil || gone.Domain != nil {
		t.Errorf("deleted domain described as %+v", gone)
	}
	call(admin.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(pool)})).must(t)
	call(admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(other), Domain: aws.String(custom),
		CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(certArn)}})).must(t)
}
