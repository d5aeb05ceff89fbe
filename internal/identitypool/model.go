package identitypool

import (
	"encoding/json"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// CognitoIdentityProvider is one user-pool app client whose ID tokens the identity pool
// accepts (wire CognitoIdentityProvider).
type CognitoIdentityProvider struct {
	ProviderName         string `json:"ProviderName,omitempty"` // cognito-idp.<region>.amazonaws.com/<userPoolId>
	ClientId             string `json:"ClientId,omitempty"`
	ServerSideTokenCheck *bool  `json:"ServerSideTokenCheck,omitempty"`
}

// serverSide reports whether ServerSideTokenCheck is on (default off, as in Cognito).
func (p CognitoIdentityProvider) serverSide() bool {
	return p.ServerSideTokenCheck != nil && *p.ServerSideTokenCheck
}

// PoolSettings are the members CreateIdentityPool and UpdateIdentityPool share.
type PoolSettings struct {
	IdentityPoolName               string                    `json:"IdentityPoolName" aws:"required"`
	AllowUnauthenticatedIdentities *bool                     `json:"AllowUnauthenticatedIdentities" aws:"required"`
	AllowClassicFlow               *bool                     `json:"AllowClassicFlow,omitempty"`
	SupportedLoginProviders        map[string]string         `json:"SupportedLoginProviders,omitempty"`
	DeveloperProviderName          string                    `json:"DeveloperProviderName,omitempty"`
	OpenIdConnectProviderARNs      []string                  `json:"OpenIdConnectProviderARNs,omitempty"`
	CognitoIdentityProviders       []CognitoIdentityProvider `json:"CognitoIdentityProviders,omitempty"`
	SamlProviderARNs               []string                  `json:"SamlProviderARNs,omitempty"`
	IdentityPoolTags               map[string]string         `json:"IdentityPoolTags,omitempty"`
}

// allowsGuests reports whether unauthenticated identities are allowed.
func (s *PoolSettings) allowsGuests() bool {
	return s.AllowUnauthenticatedIdentities != nil && *s.AllowUnauthenticatedIdentities
}

// IdentityPool is the wire IdentityPool: the id and the settings.
type IdentityPool struct {
	IdentityPoolId string `json:"IdentityPoolId"`
	PoolSettings
}

// RoleMapping is the wire RoleMapping (spec §7.5).
type RoleMapping struct {
	Type                    string              `json:"Type" aws:"required"` // "Token" | "Rules"
	AmbiguousRoleResolution string              `json:"AmbiguousRoleResolution,omitempty"`
	RulesConfiguration      *RulesConfiguration `json:"RulesConfiguration,omitempty"`
}

// RulesConfiguration holds the rules of a Rules mapping, evaluated in order.
type RulesConfiguration struct {
	Rules []MappingRule `json:"Rules" aws:"required"`
}

// MappingRule maps a claim match to a role.
type MappingRule struct {
	Claim     string `json:"Claim" aws:"required"`
	MatchType string `json:"MatchType" aws:"required"` // Equals | Contains | StartsWith | NotEqual
	Value     string `json:"Value" aws:"required"`
	RoleARN   string `json:"RoleARN" aws:"required"`
}

// storedPool is an identity pool as kept in the store.
type storedPool struct {
	IdentityPool
	Roles        map[string]string      `json:"Roles,omitempty"`
	RoleMappings map[string]RoleMapping `json:"RoleMappings,omitempty"`
	Created      time.Time              `json:"Created"`
	Modified     time.Time              `json:"Modified"`
}

// identity is an identity as kept in the store.
type identity struct {
	IdentityId     string `json:"IdentityId"`
	IdentityPoolId string `json:"IdentityPoolId"`
	// Logins maps each linked provider name (canonical form) to the user's identifier there
	// (a user pool's sub, an OIDC sub, a developer user identifier).
	Logins map[string]string `json:"Logins,omitempty"`
	// Authenticated stays set once a login was linked: removing the last login leaves the
	// identity unreachable rather than turning it into a guest (spec §7.4, UnlinkIdentity).
	Authenticated bool      `json:"Authenticated,omitempty"`
	Created       time.Time `json:"Created"`
	Modified      time.Time `json:"Modified"`
	// MergedInto names the identity this one was merged into; the record is then only a
	// forwarding address for public calls made with the old id.
	MergedInto string `json:"MergedInto,omitempty"`
}

// IdentityDescription is the wire IdentityDescription.
type IdentityDescription struct {
	IdentityId       string            `json:"IdentityId"`
	Logins           []string          `json:"Logins,omitempty"`
	CreationDate     awsjson.EpochTime `json:"CreationDate"`
	LastModifiedDate awsjson.EpochTime `json:"LastModifiedDate"`
}

// Credentials is the wire Credentials (Expiration in epoch seconds, spec §7.1).
type Credentials struct {
	AccessKeyId  string            `json:"AccessKeyId"`
	SecretKey    string            `json:"SecretKey"`
	SessionToken string            `json:"SessionToken"`
	Expiration   awsjson.EpochTime `json:"Expiration"`
}

// Role is a role as declared in the configuration: an ARN and an IAM-style policy.
type Role struct {
	Arn    string          `json:"Arn"`
	Policy json.RawMessage `json:"Policy"` // the policy document, compacted
}

// OIDCProvider is an external OpenID Connect issuer, declared in the configuration the way
// IAM's CreateOpenIDConnectProvider declares one. Its provider name (the Logins key and the
// last part of its ARN) is Url without its scheme.
type OIDCProvider struct {
	Url          string   `json:"Url"`
	ClientIDList []string `json:"ClientIDList"`
	// JwksUri overrides discovery (<Url>/.well-known/openid-configuration).
	JwksUri string `json:"JwksUri,omitempty"`
}
