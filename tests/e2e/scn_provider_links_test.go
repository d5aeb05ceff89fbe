package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// scnProviderLinks: AdminLinkProviderForUser and AdminDisableProviderForUser through the AWS
// SDK, with Cognito's errors for a missing destination, a source linked elsewhere and a
// subject with nothing to disable. (The sign-in that follows a link: scnFederationLinks.)
func scnProviderLinks(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	call(admin.CreateIdentityProvider(ctx, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(f.pool),
		ProviderName: aws.String("Google"), ProviderType: types.IdentityProviderTypeTypeGoogle,
		ProviderDetails: map[string]string{"client_id": "g", "client_secret": "s", "authorize_scopes": "openid email"}})).must(t)
	f.createUser(t, "linked", "Passw0rd-linked")
	f.createUser(t, "other", "Passw0rd-other")
	source := func(v string) *types.ProviderUserIdentifierType {
		return &types.ProviderUserIdentifierType{ProviderName: aws.String("Google"),
			ProviderAttributeName: aws.String("Cognito_Subject"), ProviderAttributeValue: aws.String(v)}
	}
	dest := func(u string) *types.ProviderUserIdentifierType {
		return &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String(u)}
	}

	call(admin.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(f.pool),
		DestinationUser: dest("linked"), SourceUser: source("google-sub-1")})).must(t)
	u := call(admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("linked")})).must(t)
	identities := ""
	for _, a := range u.UserAttributes {
		if aws.ToString(a.Name) == "identities" {
			identities = aws.ToString(a.Value)
		}
	}
	if identities == "" {
		t.Errorf("linked user has no identities attribute: %+v", u.UserAttributes)
	}

	_, err := admin.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(f.pool),
		DestinationUser: dest("other"), SourceUser: source("google-sub-1")})
	wantErr(t, err, "AliasExistsException", "")
	_, err = admin.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(f.pool),
		DestinationUser: dest("nobody"), SourceUser: source("google-sub-2")})
	wantErr(t, err, "UserNotFoundException", "")

	call(admin.AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{UserPoolId: aws.String(f.pool),
		User: source("google-sub-1")})).must(t)
	// The link is gone: the source may now be linked to another user.
	call(admin.AdminLinkProviderForUser(ctx, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(f.pool),
		DestinationUser: dest("other"), SourceUser: source("google-sub-1")})).must(t)
	_, err = admin.AdminDisableProviderForUser(ctx, &cip.AdminDisableProviderForUserInput{UserPoolId: aws.String(f.pool),
		User: source("never-seen")})
	wantErr(t, err, "UserNotFoundException", "")
}
