// Package userpool implements Cognito user pools: pools, app clients, users and groups, sign-up
// and confirmation, the auth flows and their challenges, and token issuance and revocation.
package userpool

import (
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// Pool is a user pool as stored. Field names follow the wire's UserPoolType so that
// DescribeUserPool can return it after filling the computed members.
type Pool struct {
	Id                          string                 `json:"Id"`
	Name                        string                 `json:"Name"`
	Arn                         string                 `json:"Arn,omitempty"`
	Status                      string                 `json:"Status,omitempty"`
	CreationDate                awsjson.EpochTime      `json:"CreationDate"`
	LastModifiedDate            awsjson.EpochTime      `json:"LastModifiedDate"`
	Policies                    *PoolPolicies          `json:"Policies,omitempty"`
	UsernameAttributes          []string               `json:"UsernameAttributes,omitempty"`
	AliasAttributes             []string               `json:"AliasAttributes,omitempty"`
	AutoVerifiedAttributes      []string               `json:"AutoVerifiedAttributes,omitempty"`
	UsernameConfiguration       *UsernameConfiguration `json:"UsernameConfiguration,omitempty"`
	SchemaAttributes            []SchemaAttribute      `json:"SchemaAttributes,omitempty"`
	MfaConfiguration            string                 `json:"MfaConfiguration,omitempty"`
	AdminCreateUserConfig       *AdminCreateUserConfig `json:"AdminCreateUserConfig,omitempty"`
	DeletionProtection          string                 `json:"DeletionProtection,omitempty"`
	AccountRecoverySetting      map[string]any         `json:"AccountRecoverySetting,omitempty"`
	VerificationMessageTemplate map[string]any         `json:"VerificationMessageTemplate,omitempty"`
	EmailConfiguration          map[string]any         `json:"EmailConfiguration,omitempty"`
	SmsConfiguration            map[string]any         `json:"SmsConfiguration,omitempty"`
	LambdaConfig                *LambdaConfig          `json:"LambdaConfig,omitempty"`
	DeviceConfiguration         *DeviceConfiguration   `json:"DeviceConfiguration,omitempty"`
	UserAttributeUpdateSettings map[string]any         `json:"UserAttributeUpdateSettings,omitempty"`
	UserPoolTags                map[string]string      `json:"UserPoolTags,omitempty"`
	EmailVerificationMessage    string                 `json:"EmailVerificationMessage,omitempty"`
	EmailVerificationSubject    string                 `json:"EmailVerificationSubject,omitempty"`
	SmsVerificationMessage      string                 `json:"SmsVerificationMessage,omitempty"`
	SmsAuthenticationMessage    string                 `json:"SmsAuthenticationMessage,omitempty"`
	UserPoolTier                string                 `json:"UserPoolTier,omitempty"`
	// The MFA factors the pool offers (mfa_config.go); DescribeUserPool shows them too.
	SoftwareTokenMfaConfiguration *SoftwareTokenMfaConfig `json:"SoftwareTokenMfaConfiguration,omitempty"`
	SmsMfaConfiguration           *SmsMfaConfig           `json:"SmsMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *EmailMfaConfig         `json:"EmailMfaConfiguration,omitempty"`
	UserPoolAddOns                *UserPoolAddOns         `json:"UserPoolAddOns,omitempty"`
	// Domain and CustomDomain are the pool's prefix domain and custom domain (domain.go);
	// the domain index dom/<domain> is what owns a name.
	Domain       string `json:"Domain,omitempty"`
	CustomDomain string `json:"CustomDomain,omitempty"`
}

// PoolPolicies holds the pool's password policy (and, on the wire, sign-in policy).
type PoolPolicies struct {
	PasswordPolicy *PasswordPolicy `json:"PasswordPolicy,omitempty"`
}

// PasswordPolicy is the pool's password policy.
type PasswordPolicy struct {
	MinimumLength                 int  `json:"MinimumLength,omitempty"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	PasswordHistorySize           int  `json:"PasswordHistorySize,omitempty"`
	TemporaryPasswordValidityDays int  `json:"TemporaryPasswordValidityDays,omitempty"`
}

// UsernameConfiguration says whether usernames are case sensitive.
type UsernameConfiguration struct {
	CaseSensitive *bool `json:"CaseSensitive"`
}

// AdminCreateUserConfig holds the AdminCreateUser settings.
type AdminCreateUserConfig struct {
	AllowAdminCreateUserOnly  bool           `json:"AllowAdminCreateUserOnly"`
	UnusedAccountValidityDays int            `json:"UnusedAccountValidityDays,omitempty"`
	InviteMessageTemplate     map[string]any `json:"InviteMessageTemplate,omitempty"`
}

// SchemaAttribute is one attribute of the pool's schema (standard or "custom:...").
// Name is stored with its "custom:" prefix for custom attributes, as DescribeUserPool returns it.
type SchemaAttribute struct {
	Name                       string                      `json:"Name"`
	AttributeDataType          string                      `json:"AttributeDataType,omitempty"`
	DeveloperOnlyAttribute     bool                        `json:"DeveloperOnlyAttribute"`
	Mutable                    bool                        `json:"Mutable"`
	Required                   bool                        `json:"Required"`
	StringAttributeConstraints *StringAttributeConstraints `json:"StringAttributeConstraints,omitempty"`
	NumberAttributeConstraints *NumberAttributeConstraints `json:"NumberAttributeConstraints,omitempty"`
}

// StringAttributeConstraints bound a string attribute's length (decimal strings on the wire).
type StringAttributeConstraints struct {
	MinLength string `json:"MinLength,omitempty"`
	MaxLength string `json:"MaxLength,omitempty"`
}

// NumberAttributeConstraints bound a number attribute (decimal strings on the wire).
type NumberAttributeConstraints struct {
	MinValue string `json:"MinValue,omitempty"`
	MaxValue string `json:"MaxValue,omitempty"`
}

// CaseSensitive reports whether usernames in the pool are case sensitive
// (Cognito's default for pools created through the API with no UsernameConfiguration is
// case sensitive; the console default is insensitive).
func (p *Pool) CaseSensitive() bool {
	if p.UsernameConfiguration == nil || p.UsernameConfiguration.CaseSensitive == nil {
		return true
	}
	return *p.UsernameConfiguration.CaseSensitive
}

// UsesUsernameAttribute reports whether attr ("email" or "phone_number") serves as the username.
func (p *Pool) UsesUsernameAttribute(attr string) bool { return contains(p.UsernameAttributes, attr) }

// UsesAlias reports whether attr is an alias attribute.
func (p *Pool) UsesAlias(attr string) bool { return contains(p.AliasAttributes, attr) }

// Password returns the effective password policy.
func (p *Pool) Password() PasswordPolicy {
	if p.Policies == nil || p.Policies.PasswordPolicy == nil {
		return DefaultPasswordPolicy()
	}
	pp := *p.Policies.PasswordPolicy
	if pp.MinimumLength == 0 {
		pp.MinimumLength = 8
	}
	if pp.TemporaryPasswordValidityDays == 0 {
		pp.TemporaryPasswordValidityDays = 7
	}
	return pp
}

// DefaultPasswordPolicy is Cognito's default: 8 characters, all four classes, 7-day temporary passwords.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinimumLength: 8, RequireUppercase: true, RequireLowercase: true,
		RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}
}

// Schema returns the schema attribute named name (with "custom:" prefix for custom ones).
func (p *Pool) Schema(name string) (SchemaAttribute, bool) {
	for _, a := range p.SchemaAttributes {
		if a.Name == name {
			return a, true
		}
	}
	return SchemaAttribute{}, false
}

// Client is an app client as stored. ClientSecret is held sealed at rest by the repository;
// in memory it is the plain secret ("" for public clients).
type Client struct {
	UserPoolId                               string                `json:"UserPoolId"`
	ClientId                                 string                `json:"ClientId"`
	ClientName                               string                `json:"ClientName"`
	ClientSecret                             string                `json:"ClientSecret,omitempty"`
	CreationDate                             awsjson.EpochTime     `json:"CreationDate"`
	LastModifiedDate                         awsjson.EpochTime     `json:"LastModifiedDate"`
	RefreshTokenValidity                     int64                 `json:"RefreshTokenValidity,omitempty"`
	AccessTokenValidity                      int64                 `json:"AccessTokenValidity,omitempty"`
	IdTokenValidity                          int64                 `json:"IdTokenValidity,omitempty"`
	TokenValidityUnits                       *TokenValidityUnits   `json:"TokenValidityUnits,omitempty"`
	ReadAttributes                           []string              `json:"ReadAttributes,omitempty"`
	WriteAttributes                          []string              `json:"WriteAttributes,omitempty"`
	ExplicitAuthFlows                        []string              `json:"ExplicitAuthFlows,omitempty"`
	SupportedIdentityProviders               []string              `json:"SupportedIdentityProviders,omitempty"`
	CallbackURLs                             []string              `json:"CallbackURLs,omitempty"`
	LogoutURLs                               []string              `json:"LogoutURLs,omitempty"`
	DefaultRedirectURI                       string                `json:"DefaultRedirectURI,omitempty"`
	AllowedOAuthFlows                        []string              `json:"AllowedOAuthFlows,omitempty"`
	AllowedOAuthScopes                       []string              `json:"AllowedOAuthScopes,omitempty"`
	AllowedOAuthFlowsUserPoolClient          bool                  `json:"AllowedOAuthFlowsUserPoolClient"`
	PreventUserExistenceErrors               string                `json:"PreventUserExistenceErrors,omitempty"`
	EnableTokenRevocation                    *bool                 `json:"EnableTokenRevocation,omitempty"`
	EnablePropagateAdditionalUserContextData bool                  `json:"EnablePropagateAdditionalUserContextData"`
	AuthSessionValidity                      int                   `json:"AuthSessionValidity,omitempty"`
	RefreshTokenRotation                     *RefreshTokenRotation `json:"RefreshTokenRotation,omitempty"`
	AnalyticsConfiguration                   map[string]any        `json:"AnalyticsConfiguration,omitempty"`
}

// TokenValidityUnits name the unit of each validity ("seconds", "minutes", "hours", "days").
type TokenValidityUnits struct {
	AccessToken  string `json:"AccessToken,omitempty"`
	IdToken      string `json:"IdToken,omitempty"`
	RefreshToken string `json:"RefreshToken,omitempty"`
}

// RefreshTokenRotation configures refresh-token rotation for GetTokensFromRefreshToken.
type RefreshTokenRotation struct {
	Feature                 string `json:"Feature"` // "ENABLED" | "DISABLED"
	RetryGracePeriodSeconds int    `json:"RetryGracePeriodSeconds,omitempty"`
}

// AccessTTL, IDTTL and RefreshTTL return the token lifetimes (spec §2.4 defaults:
// 1 h, 1 h, 30 days).
func (c *Client) AccessTTL() time.Duration {
	return validity(c.AccessTokenValidity, unit(c.TokenValidityUnits, "access"), time.Hour)
}
func (c *Client) IDTTL() time.Duration {
	return validity(c.IdTokenValidity, unit(c.TokenValidityUnits, "id"), time.Hour)
}
func (c *Client) RefreshTTL() time.Duration {
	return validity(c.RefreshTokenValidity, unit(c.TokenValidityUnits, "refresh"), 30*24*time.Hour)
}

// SessionTTL is how long a challenge Session stays valid (AuthSessionValidity minutes, default 3).
func (c *Client) SessionTTL() time.Duration {
	if c.AuthSessionValidity <= 0 {
		return 3 * time.Minute
	}
	return time.Duration(c.AuthSessionValidity) * time.Minute
}

// AllowsFlow reports whether the client's ExplicitAuthFlows permit an AuthFlow
// (default when unset: SRP, refresh and custom).
func (c *Client) AllowsFlow(flow string) bool {
	flows := c.ExplicitAuthFlows
	if len(flows) == 0 {
		flows = []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"}
	}
	want := map[string][]string{
		"USER_SRP_AUTH":            {"ALLOW_USER_SRP_AUTH"},
		"USER_PASSWORD_AUTH":       {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
		"ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
		"ADMIN_NO_SRP_AUTH":        {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
		"REFRESH_TOKEN_AUTH":       {"ALLOW_REFRESH_TOKEN_AUTH"},
		"REFRESH_TOKEN":            {"ALLOW_REFRESH_TOKEN_AUTH"},
		"CUSTOM_AUTH":              {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
		"USER_AUTH":                {"ALLOW_USER_AUTH"},
	}[flow]
	for _, w := range want {
		if contains(flows, w) {
			return true
		}
	}
	// Legacy (non-ALLOW_) settings always permit refresh.
	if (flow == "REFRESH_TOKEN_AUTH" || flow == "REFRESH_TOKEN") && !hasAllowPrefix(flows) {
		return true
	}
	return false
}

// PreventsUserExistenceErrors reports whether unknown users must look like wrong passwords.
func (c *Client) PreventsUserExistenceErrors() bool { return c.PreventUserExistenceErrors == "ENABLED" }

// RevocationEnabled reports whether RevokeToken works for this client (default true).
func (c *Client) RevocationEnabled() bool {
	return c.EnableTokenRevocation == nil || *c.EnableTokenRevocation
}

// RotatesRefreshTokens reports whether GetTokensFromRefreshToken returns a new refresh token.
func (c *Client) RotatesRefreshTokens() bool {
	return c.RefreshTokenRotation != nil && c.RefreshTokenRotation.Feature == "ENABLED"
}

// Group is a user-pool group as stored (wire GroupType).
type Group struct {
	GroupName        string            `json:"GroupName"`
	UserPoolId       string            `json:"UserPoolId"`
	Description      string            `json:"Description,omitempty"`
	RoleArn          string            `json:"RoleArn,omitempty"`
	Precedence       *int64            `json:"Precedence,omitempty"`
	LastModifiedDate awsjson.EpochTime `json:"LastModifiedDate"`
	CreationDate     awsjson.EpochTime `json:"CreationDate"`
}

// User statuses (spec §2.2).
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
)

// User is a user as held in memory. The repository seals Secrets at rest.
type User struct {
	Username   string            `json:"username"` // canonical internal username (USER_ID_FOR_SRP)
	Sub        string            `json:"sub"`
	Attributes map[string]string `json:"attributes"` // all attributes except "sub"
	Enabled    bool              `json:"enabled"`
	Status     string            `json:"status"`
	Created    time.Time         `json:"created"`
	Modified   time.Time         `json:"modified"`
	Groups     []string          `json:"groups,omitempty"`

	// Lockout (spec §2.6): consecutive failed sign-ins and when the next attempt is allowed.
	FailedAttempts int       `json:"failedAttempts,omitempty"`
	LockedUntil    time.Time `json:"lockedUntil,omitempty"`
	// TokensValidAfter: tokens issued before it are refused (GlobalSignOut, disable).
	TokensValidAfter time.Time `json:"tokensValidAfter,omitempty"`
	// TempPasswordExpires is set while the user holds a temporary password.
	TempPasswordExpires time.Time `json:"tempPasswordExpires,omitempty"`
	PreferredMfa        string    `json:"preferredMfa,omitempty"`
	// MfaEnabled lists the factors the user has turned on (SMS_MFA, SOFTWARE_TOKEN_MFA,
	// EMAIL_OTP); LegacySmsMfa says SMS was turned on through SetUserSettings (MFAOptions).
	MfaEnabled   []string `json:"mfaEnabled,omitempty"`
	LegacySmsMfa bool     `json:"legacySmsMfa,omitempty"`

	Secrets UserSecrets `json:"-"`
}

// UserSecrets are the parts of a user that never reach the store unsealed.
type UserSecrets struct {
	Password *PasswordVerifier  `json:"password,omitempty"`
	History  []PasswordVerifier `json:"history,omitempty"` // previous passwords, newest first
	// Codes by purpose: "signup", "forgot", "verify:email", "verify:phone_number".
	Codes map[string]*Code `json:"codes,omitempty"`
	// Totp is the user's software token (mfa_totp.go).
	Totp *SoftwareToken `json:"totp,omitempty"`
	// Imported is a password hash made elsewhere, kept until the first sign-in with its
	// password replaces it by Password (password_import.go).
	Imported string `json:"imported,omitempty"`
}

// PasswordVerifier is the SRP salt and verifier of one password (spec §3.3).
type PasswordVerifier struct {
	Salt     []byte `json:"salt"`
	Verifier []byte `json:"verifier"`
}

// Code is a one-time code awaiting confirmation.
type Code struct {
	Value    string    `json:"value"`
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts,omitempty"`
}

// Attr returns the value of an attribute ("sub" included).
func (u *User) Attr(name string) string {
	if name == "sub" {
		return u.Sub
	}
	return u.Attributes[name]
}

func validity(n int64, unit string, def time.Duration) time.Duration {
	if n <= 0 {
		return def
	}
	switch unit {
	case "seconds":
		return time.Duration(n) * time.Second
	case "minutes":
		return time.Duration(n) * time.Minute
	case "days":
		return time.Duration(n) * 24 * time.Hour
	case "hours":
		return time.Duration(n) * time.Hour
	}
	return def
}

func unit(u *TokenValidityUnits, which string) string {
	def := map[string]string{"access": "hours", "id": "hours", "refresh": "days"}[which]
	if u == nil {
		return def
	}
	v := map[string]string{"access": u.AccessToken, "id": u.IdToken, "refresh": u.RefreshToken}[which]
	if v == "" {
		return def
	}
	return v
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasAllowPrefix(flows []string) bool {
	for _, f := range flows {
		if strings.HasPrefix(f, "ALLOW_") {
			return true
		}
	}
	return false
}

// AttributeType is one user attribute on the wire.
type AttributeType struct {
	Name  string  `json:"Name" aws:"required"`
	Value *string `json:"Value,omitempty"`
}

// CodeDeliveryDetails says where a code went (Destination masked).
type CodeDeliveryDetails struct {
	Destination    string `json:"Destination,omitempty"`
	DeliveryMedium string `json:"DeliveryMedium,omitempty"`
	AttributeName  string `json:"AttributeName,omitempty"`
}
