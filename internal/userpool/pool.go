package userpool

import (
	"context"
	"errors"
	"fmt"
	"github.com/poolgate/poolgate/internal/listing"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// PoolSettings are the user-pool settings CreateUserPool and UpdateUserPool share. UpdateUserPool
// follows AWS: a setting it omits goes back to its default.
type PoolSettings struct {
	Policies                    *PoolPolicies          `json:"Policies,omitempty"`
	AutoVerifiedAttributes      []string               `json:"AutoVerifiedAttributes,omitempty"`
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
	// MFA factors beyond SMS (mfa_config.go; a poolgate extension of these actions).
	SoftwareTokenMfaConfiguration *SoftwareTokenMfaConfig `json:"SoftwareTokenMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *EmailMfaConfig         `json:"EmailMfaConfiguration,omitempty"`
	// Threat protection (risk_config.go).
	UserPoolAddOns *UserPoolAddOns `json:"UserPoolAddOns,omitempty"`
}

// CreateUserPoolInput is the CreateUserPool request.
type CreateUserPoolInput struct {
	PoolName              string                 `json:"PoolName" aws:"required"`
	UsernameAttributes    []string               `json:"UsernameAttributes,omitempty"`
	AliasAttributes       []string               `json:"AliasAttributes,omitempty"`
	UsernameConfiguration *UsernameConfiguration `json:"UsernameConfiguration,omitempty"`
	Schema                []SchemaAttributeInput `json:"Schema,omitempty"`
	PoolSettings
}

// UserPoolType is a pool on the wire: the stored pool plus computed members.
type UserPoolType struct {
	Pool
	EstimatedNumberOfUsers int `json:"EstimatedNumberOfUsers"`
}

// CreateUserPoolOutput is the CreateUserPool response.
type CreateUserPoolOutput struct {
	UserPool *UserPoolType `json:"UserPool"`
}

// DescribeUserPoolInput is the DescribeUserPool request.
type DescribeUserPoolInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
}

// DescribeUserPoolOutput is the DescribeUserPool response.
type DescribeUserPoolOutput struct {
	UserPool *UserPoolType `json:"UserPool"`
}

// ListUserPoolsInput is the ListUserPools request.
type ListUserPoolsInput struct {
	MaxResults *int   `json:"MaxResults" aws:"required"`
	NextToken  string `json:"NextToken,omitempty"`
}

// UserPoolDescriptionType is one pool in a ListUserPools response.
type UserPoolDescriptionType struct {
	Id               string            `json:"Id"`
	Name             string            `json:"Name"`
	LambdaConfig     *LambdaConfig     `json:"LambdaConfig,omitempty"`
	Status           string            `json:"Status,omitempty"`
	CreationDate     awsjson.EpochTime `json:"CreationDate"`
	LastModifiedDate awsjson.EpochTime `json:"LastModifiedDate"`
}

// ListUserPoolsOutput is the ListUserPools response.
type ListUserPoolsOutput struct {
	UserPools []UserPoolDescriptionType `json:"UserPools"`
	NextToken string                    `json:"NextToken,omitempty"`
}

// UpdateUserPoolInput is the UpdateUserPool request. UsernameAttributes, AliasAttributes,
// UsernameConfiguration and Schema cannot change after creation and are not part of it.
type UpdateUserPoolInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	PoolName   string `json:"PoolName,omitempty"`
	PoolSettings
}

// DeleteUserPoolInput is the DeleteUserPool request.
type DeleteUserPoolInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
}

// poolStatus is the (deprecated) Status AWS still reports for a usable pool.
const poolStatus = "Enabled"

func (s *Service) createUserPool(ctx context.Context, in *CreateUserPoolInput) (*CreateUserPoolOutput, error) {
	p, err := s.newPool(in)
	if err != nil {
		return nil, err
	}
	for {
		if p.Id, err = s.newPoolID(); err != nil {
			return nil, err
		}
		if _, err := s.d.Store.Get(ctx, poolKey(p.Id)); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		// The signing keys exist before the pool does (token.Keyring.Prepare).
		if err := s.d.Keys.Prepare(ctx, p.Id); err != nil {
			return nil, err
		}
		s.stampPool(p)
		err := s.createPoolRecord(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			continue // the id was taken meanwhile
		}
		if err != nil {
			return nil, err
		}
		break
	}
	return &CreateUserPoolOutput{UserPool: s.describePool(p, 0)}, nil
}

// newPool validates a CreateUserPool request and returns the pool it describes (no id, no dates).
func (s *Service) newPool(in *CreateUserPoolInput) (*Pool, error) {
	if !validResourceName(in.PoolName) {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+", in.PoolName)
	}
	if len(in.UsernameAttributes) > 0 && len(in.AliasAttributes) > 0 {
		return nil, awsjson.InvalidParameter("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
	}
	if err := checkEnumList("usernameAttributes", in.UsernameAttributes, "email", "phone_number"); err != nil {
		return nil, err
	}
	if err := checkEnumList("aliasAttributes", in.AliasAttributes, "email", "phone_number", "preferred_username"); err != nil {
		return nil, err
	}
	if in.UsernameConfiguration != nil && in.UsernameConfiguration.CaseSensitive == nil {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value null at 'usernameConfiguration.caseSensitive' failed to satisfy constraint: Member must not be null")
	}
	schema, err := buildSchema(in.Schema)
	if err != nil {
		return nil, err
	}
	p := &Pool{
		UsernameAttributes: dedupe(in.UsernameAttributes),
		AliasAttributes:    dedupe(in.AliasAttributes),
		SchemaAttributes:   schema,
	}
	if in.UsernameConfiguration != nil {
		cs := *in.UsernameConfiguration.CaseSensitive
		p.UsernameConfiguration = &UsernameConfiguration{CaseSensitive: &cs}
	}
	if err := applyPoolSettings(p, in.PoolName, &in.PoolSettings); err != nil {
		return nil, err
	}
	return p, nil
}

// applyPoolSettings validates settings and writes them (defaults for what is omitted) into p.
func applyPoolSettings(p *Pool, name string, in *PoolSettings) error {
	if name != "" {
		if !validResourceName(name) {
			return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+", name)
		}
		p.Name = name
	}
	var policy *PasswordPolicy
	if in.Policies != nil {
		policy = in.Policies.PasswordPolicy
	}
	pp, err := validatePasswordPolicy(policy)
	if err != nil {
		return err
	}
	p.Policies = &PoolPolicies{PasswordPolicy: &pp}
	if err := checkEnumList("autoVerifiedAttributes", in.AutoVerifiedAttributes, "email", "phone_number"); err != nil {
		return err
	}
	p.AutoVerifiedAttributes = dedupe(in.AutoVerifiedAttributes)
	p.MfaConfiguration = in.MfaConfiguration
	if p.MfaConfiguration == "" {
		p.MfaConfiguration = "OFF"
	}
	if err := checkEnum("mfaConfiguration", p.MfaConfiguration, "OFF", "ON", "OPTIONAL"); err != nil {
		return err
	}
	p.DeletionProtection = in.DeletionProtection
	if p.DeletionProtection == "" {
		p.DeletionProtection = "INACTIVE"
	}
	if err := checkEnum("deletionProtection", p.DeletionProtection, "ACTIVE", "INACTIVE"); err != nil {
		return err
	}
	acuc := AdminCreateUserConfig{UnusedAccountValidityDays: 7}
	if in.AdminCreateUserConfig != nil {
		acuc = *in.AdminCreateUserConfig
		if acuc.UnusedAccountValidityDays == 0 {
			acuc.UnusedAccountValidityDays = 7
		}
		if err := checkRange("adminCreateUserConfig.unusedAccountValidityDays", acuc.UnusedAccountValidityDays, 0, 365); err != nil {
			return err
		}
	}
	p.AdminCreateUserConfig = &acuc
	if in.UserPoolTier != "" {
		if err := checkEnum("userPoolTier", in.UserPoolTier, "LITE", "ESSENTIALS", "PLUS"); err != nil {
			return err
		}
	}
	p.AccountRecoverySetting = in.AccountRecoverySetting
	p.VerificationMessageTemplate = in.VerificationMessageTemplate
	p.EmailConfiguration = in.EmailConfiguration
	p.SmsConfiguration = in.SmsConfiguration
	p.DeviceConfiguration = in.DeviceConfiguration
	p.UserAttributeUpdateSettings = in.UserAttributeUpdateSettings
	p.UserPoolTags = in.UserPoolTags
	p.EmailVerificationMessage = in.EmailVerificationMessage
	p.EmailVerificationSubject = in.EmailVerificationSubject
	p.SmsVerificationMessage = in.SmsVerificationMessage
	p.SmsAuthenticationMessage = in.SmsAuthenticationMessage
	p.UserPoolTier = in.UserPoolTier
	if err := applyAddOns(p, in.UserPoolAddOns); err != nil {
		return err
	}
	lc, err := checkLambdaConfig(in.LambdaConfig, p.UserPoolTier)
	if err != nil {
		return err
	}
	p.LambdaConfig = lc
	return applyPoolMfa(p, in)
}

// stampPool fills the members derived from the pool id and the clock.
func (s *Service) stampPool(p *Pool) {
	now := awsjson.Epoch(s.now())
	if p.CreationDate.Time().IsZero() {
		p.CreationDate = now
	}
	p.LastModifiedDate = now
	p.Arn = fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", poolRegion(p.Id, s.d.Region), s.d.AccountID, p.Id)
	p.Status = ""
}

// poolRegion is the region a pool id names (the part before "_"), def when it names none.
func poolRegion(id, def string) string {
	if i := strings.LastIndex(id, "_"); i > 0 {
		return id[:i]
	}
	return def
}

func (s *Service) describePool(p *Pool, users int) *UserPoolType {
	out := &UserPoolType{Pool: *p, EstimatedNumberOfUsers: users}
	out.Status = poolStatus
	return out
}

func (s *Service) describeUserPool(ctx context.Context, in *DescribeUserPoolInput) (*DescribeUserPoolOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	keys, err := s.listKeys(ctx, userKey(p.Id, ""))
	if err != nil {
		return nil, err
	}
	return &DescribeUserPoolOutput{UserPool: s.describePool(p, len(keys))}, nil
}

func (s *Service) listUserPools(ctx context.Context, in *ListUserPoolsInput) (*ListUserPoolsOutput, error) {
	if err := checkRange("maxResults", *in.MaxResults, 1, 60); err != nil {
		return nil, err
	}
	pools, next, err := listing.Page(ctx, s.pager(), "ListUserPools", poolKey(""), in.NextToken, *in.MaxResults,
		func(key string) (UserPoolDescriptionType, bool, error) {
			p, err := s.getPool(ctx, strings.TrimPrefix(key, poolKey("")))
			if err != nil {
				if isNotFound(err) {
					return UserPoolDescriptionType{}, false, nil
				}
				return UserPoolDescriptionType{}, false, err
			}
			return UserPoolDescriptionType{Id: p.Id, Name: p.Name, LambdaConfig: p.LambdaConfig, Status: poolStatus,
				CreationDate: p.CreationDate, LastModifiedDate: p.LastModifiedDate}, true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListUserPoolsOutput{UserPools: pools, NextToken: next}, nil
}

func (s *Service) updateUserPool(ctx context.Context, in *UpdateUserPoolInput) (*struct{}, error) {
	err := s.atomically(ctx, globalShard, func(ts *Service) error {
		p, err := ts.getPool(ctx, in.UserPoolId)
		if err != nil {
			return err
		}
		if err := applyPoolSettings(p, in.PoolName, &in.PoolSettings); err != nil {
			return err
		}
		ts.stampPool(p)
		return ts.putPool(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// Per-pool key prefixes that DeleteUserPool clears besides the clients (which have an index):
// users, index keys, groups and memberships, revoked and rotated refresh tokens, spent SRP
// secret blocks, redeemed authorization codes (internal/oauth), lockout records, spent MFA
// sessions and TOTP codes (mfau), resource servers, identity providers and their identifiers,
// provider links and spent SAML assertions (internal/federation), classic UI customizations,
// managed login styles and their client index.
var poolScopedKinds = []string{"uu", "ux", "ugm", "ug", "rv", "rtu", "srpu", "oac", "lk", "mfau", "urs", "uip", "uii", "ufl", "sar", "uic", "mlb", "mlc"}

func (s *Service) deleteUserPool(ctx context.Context, in *DeleteUserPoolInput) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if p.DeletionProtection == "ACTIVE" {
		return nil, awsjson.InvalidParameter("The user pool %s has deletion protection activated. Deactivate it before deleting the user pool.", p.Id)
	}
	// Children first, the pool record last: a failed deletion can be retried.
	clients, err := s.listKeys(ctx, clientKey(p.Id, ""))
	if err != nil {
		return nil, err
	}
	for _, k := range clients {
		if err := s.deleteClient(ctx, p.Id, strings.TrimPrefix(k, clientKey(p.Id, ""))); err != nil {
			return nil, err
		}
	}
	for _, kind := range poolScopedKinds {
		keys, err := s.listKeys(ctx, kind+"/"+p.Id+"/")
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if err := s.d.Store.Delete(ctx, k); err != nil {
				return nil, err
			}
		}
	}
	if err := s.d.Keys.DeletePool(ctx, p.Id); err != nil {
		return nil, err
	}
	// Its domains become free for other pools.
	if err := s.releaseDomains(ctx, p.Id); err != nil && !isNotFound(err) {
		return nil, err
	}
	if err := s.d.Store.Delete(ctx, poolKey(p.Id)); err != nil {
		return nil, err
	}
	s.cache.pools.forget(poolKey(p.Id))
	return &struct{}{}, nil
}

func isNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, awsjson.ErrResourceNotFound)
}

// checkEnum reports a value outside a model enum the way the service words it.
func checkEnum(member, v string, allowed ...string) error {
	if contains(allowed, v) {
		return nil
	}
	return awsjson.InvalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, member, strings.Join(allowed, ", "))
}

func checkEnumList(member string, vs []string, allowed ...string) error {
	for _, v := range vs {
		if err := checkEnum(member+".member", v, allowed...); err != nil {
			return err
		}
	}
	return nil
}

// dedupe returns list without repeated entries, in first-seen order (nil for an empty list).
func dedupe(list []string) []string {
	var out []string
	for _, v := range list {
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
