package identitypool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/poolgate/poolgate/internal/listing"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Limits from the API model.
const (
	maxLoginProviders = 10
	maxRoleMappings   = 10
	maxRules          = 25
	maxListResults    = 60
)

// validateSettings checks CreateIdentityPool/UpdateIdentityPool members.
func validateSettings(ps *PoolSettings) error {
	if !validPoolName(ps.IdentityPoolName) {
		return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+", clip(ps.IdentityPoolName))
	}
	if ps.DeveloperProviderName != "" {
		if !validDeveloperProviderName(ps.DeveloperProviderName) {
			return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'developerProviderName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w._-]+", clip(ps.DeveloperProviderName))
		}
		if isReservedProvider(ps.DeveloperProviderName) {
			return awsjson.InvalidParameter("DeveloperProviderName %s names a public provider.", ps.DeveloperProviderName)
		}
	}
	if len(ps.SupportedLoginProviders) > maxLoginProviders {
		return awsjson.InvalidParameter("SupportedLoginProviders holds more than %d providers.", maxLoginProviders)
	}
	for name, client := range ps.SupportedLoginProviders {
		if !validLoginProvider(name) || client == "" || len(client) > 128 {
			return awsjson.InvalidParameter("Invalid SupportedLoginProviders entry %q.", clip(name))
		}
		if isUserPoolKey(name) || name == CognitoIdentityProviderName {
			return awsjson.InvalidParameter("SupportedLoginProviders entry %q names a Cognito provider; use CognitoIdentityProviders.", clip(name))
		}
	}
	for _, arn := range ps.OpenIdConnectProviderARNs {
		if !validOIDCArn(arn) {
			return awsjson.InvalidParameter("Invalid OpenIdConnectProviderARN %q.", clip(arn))
		}
	}
	for _, arn := range ps.SamlProviderARNs {
		if !validSamlArn(arn) {
			return awsjson.InvalidParameter("Invalid SamlProviderARN %q.", clip(arn))
		}
	}
	seen := map[string]bool{}
	for i, p := range ps.CognitoIdentityProviders {
		region, poolID, ok := userPoolKey(p.ProviderName)
		if !ok {
			return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'cognitoIdentityProviders.%d.member.providerName' failed to satisfy constraint: Member must be cognito-idp.<region>.amazonaws.com/<userPoolId>", clip(p.ProviderName), i+1)
		}
		if !strings.HasPrefix(poolID, region+"_") {
			return awsjson.InvalidParameter("Provider %s names a user pool of another region.", p.ProviderName)
		}
		if !validClientID(p.ClientId) {
			return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'cognitoIdentityProviders.%d.member.clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w_]+", clip(p.ClientId), i+1)
		}
		k := p.ProviderName + ":" + p.ClientId
		if seen[k] {
			return awsjson.InvalidParameter("Provider %s with client %s is listed twice.", p.ProviderName, p.ClientId)
		}
		seen[k] = true
	}
	for k, v := range ps.IdentityPoolTags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return awsjson.InvalidParameter("Invalid IdentityPoolTags entry %q.", clip(k))
		}
	}
	return nil
}

// isReservedProvider reports whether name is a public provider's Logins key.
func isReservedProvider(name string) bool {
	switch name {
	case "graph.facebook.com", "accounts.google.com", "www.amazon.com", "api.twitter.com",
		"www.digits.com", "appleid.apple.com", CognitoIdentityProviderName:
		return true
	}
	return strings.HasPrefix(name, "cognito-idp.")
}

// CreateIdentityPoolInput is the input of CreateIdentityPool.
type CreateIdentityPoolInput struct {
	PoolSettings
}

func (s *Service) createIdentityPool(ctx context.Context, in *CreateIdentityPoolInput) (*IdentityPool, error) {
	if err := validateSettings(&in.PoolSettings); err != nil {
		return nil, err
	}
	u, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &storedPool{
		IdentityPool: IdentityPool{IdentityPoolId: s.d.Region + ":" + u, PoolSettings: in.PoolSettings},
		Created:      now, Modified: now,
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	// Created only if the id is free.
	if err := s.d.Store.Commit(ctx, []store.Op{store.Create(poolKey(p.IdentityPoolId), b, 0)}); err != nil {
		return nil, err
	}
	return &p.IdentityPool, nil
}

// DescribeIdentityPoolInput is the input of DescribeIdentityPool (and DeleteIdentityPool,
// GetIdentityPoolRoles).
type DescribeIdentityPoolInput struct {
	IdentityPoolId string `json:"IdentityPoolId" aws:"required"`
}

func (s *Service) describeIdentityPool(ctx context.Context, in *DescribeIdentityPoolInput) (*IdentityPool, error) {
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	return &p.IdentityPool, nil
}

// UpdateIdentityPoolInput is the input of UpdateIdentityPool: every setting, replacing the
// previous ones.
type UpdateIdentityPoolInput struct {
	IdentityPoolId string `json:"IdentityPoolId" aws:"required"`
	PoolSettings
}

func (s *Service) updateIdentityPool(ctx context.Context, in *UpdateIdentityPoolInput) (*IdentityPool, error) {
	if _, err := s.getPool(ctx, in.IdentityPoolId); err != nil {
		return nil, err
	}
	if err := validateSettings(&in.PoolSettings); err != nil {
		return nil, err
	}
	var p *storedPool
	err := s.atomically(ctx, func(ts *Service) error {
		var err error
		if p, err = ts.getPool(ctx, in.IdentityPoolId); err != nil {
			return err
		}
		if p.DeveloperProviderName != "" && in.DeveloperProviderName != p.DeveloperProviderName {
			return awsjson.InvalidParameter("The DeveloperProviderName of an identity pool cannot be changed once set.")
		}
		p.PoolSettings = in.PoolSettings
		if err := ts.checkRoleMappings(ctx, p, p.RoleMappings); err != nil {
			return err
		}
		p.Modified = ts.now()
		return ts.putJSON(ctx, poolKey(p.IdentityPoolId), p)
	})
	if err != nil {
		return nil, err
	}
	return &p.IdentityPool, nil
}

// ListIdentityPoolsInput is the input of ListIdentityPools.
type ListIdentityPoolsInput struct {
	MaxResults *int   `json:"MaxResults" aws:"required"`
	NextToken  string `json:"NextToken,omitempty"`
}

// IdentityPoolShortDescription is one entry of ListIdentityPools.
type IdentityPoolShortDescription struct {
	IdentityPoolId   string `json:"IdentityPoolId"`
	IdentityPoolName string `json:"IdentityPoolName"`
}

// ListIdentityPoolsOutput is the output of ListIdentityPools.
type ListIdentityPoolsOutput struct {
	IdentityPools []IdentityPoolShortDescription `json:"IdentityPools"`
	NextToken     string                         `json:"NextToken,omitempty"`
}

func maxResults(n *int, field string) (int, error) {
	if n == nil || *n < 1 || *n > maxListResults {
		v := "null"
		if n != nil {
			v = fmt.Sprint(*n)
		}
		return 0, awsjson.InvalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have value between 1 and %d", v, field, maxListResults)
	}
	return *n, nil
}

func (s *Service) listIdentityPools(ctx context.Context, in *ListIdentityPoolsInput) (*ListIdentityPoolsOutput, error) {
	limit, err := maxResults(in.MaxResults, "maxResults")
	if err != nil {
		return nil, err
	}
	items, next, err := listing.Page(ctx, s.pager(), "ListIdentityPools", "ip/", in.NextToken, limit,
		func(key string) (IdentityPoolShortDescription, bool, error) {
			var p storedPool
			err := s.getJSON(ctx, key, &p)
			if errors.Is(err, store.ErrNotFound) {
				return IdentityPoolShortDescription{}, false, nil
			}
			return IdentityPoolShortDescription{p.IdentityPoolId, p.IdentityPoolName}, err == nil, err
		})
	if err != nil {
		return nil, err
	}
	return &ListIdentityPoolsOutput{IdentityPools: items, NextToken: next}, nil
}

func (s *Service) deleteIdentityPool(ctx context.Context, in *DescribeIdentityPoolInput) (*struct{}, error) {
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	// The pool record goes first, so a half-finished delete leaves no usable pool behind.
	if err := s.d.Store.Delete(ctx, poolKey(p.IdentityPoolId)); err != nil {
		return nil, err
	}
	for _, prefix := range []string{memberPrefix(p.IdentityPoolId), loginPrefix(p.IdentityPoolId)} {
		keys, err := s.listAll(ctx, prefix)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if prefix == memberPrefix(p.IdentityPoolId) {
				if err := s.d.Store.Delete(ctx, identityKey(strings.TrimPrefix(k, prefix))); err != nil {
					return nil, err
				}
			}
			if err := s.d.Store.Delete(ctx, k); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// listAll returns every key under prefix.
func (s *Service) listAll(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	cursor := ""
	for {
		page, err := s.d.Store.List(ctx, prefix, cursor, 1000)
		if err != nil {
			return nil, err
		}
		keys = append(keys, page.Keys...)
		if page.Cursor == "" {
			return keys, nil
		}
		cursor = page.Cursor
	}
}

// SetIdentityPoolRolesInput is the input of SetIdentityPoolRoles.
type SetIdentityPoolRolesInput struct {
	IdentityPoolId string                 `json:"IdentityPoolId" aws:"required"`
	Roles          map[string]string      `json:"Roles" aws:"required"`
	RoleMappings   map[string]RoleMapping `json:"RoleMappings,omitempty"`
}

func (s *Service) setIdentityPoolRoles(ctx context.Context, in *SetIdentityPoolRolesInput) (*struct{}, error) {
	return nil, s.atomically(ctx, func(ts *Service) error {
		p, err := ts.getPool(ctx, in.IdentityPoolId)
		if err != nil {
			return err
		}
		if err := ts.checkRoles(ctx, in.Roles); err != nil {
			return err
		}
		if err := ts.checkRoleMappings(ctx, p, in.RoleMappings); err != nil {
			return err
		}
		p.Roles, p.RoleMappings = in.Roles, in.RoleMappings
		p.Modified = ts.now()
		return ts.putJSON(ctx, poolKey(p.IdentityPoolId), p)
	})
}

// checkRoles validates the Roles map: keys "authenticated"/"unauthenticated", values the
// ARNs of declared roles.
func (s *Service) checkRoles(ctx context.Context, roles map[string]string) error {
	for k, arn := range roles {
		if k != "authenticated" && k != "unauthenticated" {
			return awsjson.InvalidParameter("Invalid Roles key %q: use authenticated or unauthenticated.", clip(k))
		}
		if err := s.checkDeclaredRole(ctx, arn); err != nil {
			return err
		}
	}
	return nil
}

// checkDeclaredRole requires a role ARN that the configuration declares.
func (s *Service) checkDeclaredRole(ctx context.Context, arn string) error {
	if !validRoleArn(arn) {
		return awsjson.InvalidParameter("Invalid role ARN %q.", clip(arn))
	}
	if _, err := s.role(ctx, arn); err != nil {
		if errors.Is(err, errNoRole) {
			return awsjson.InvalidParameter("Role %s is not declared in poolgate's configuration (Roles).", arn)
		}
		return err
	}
	return nil
}

// checkRoleMappings validates RoleMappings against the pool's providers.
func (s *Service) checkRoleMappings(ctx context.Context, p *storedPool, mappings map[string]RoleMapping) error {
	if len(mappings) > maxRoleMappings {
		return awsjson.InvalidParameter("RoleMappings holds more than %d mappings.", maxRoleMappings)
	}
	providers := mappingProviders(p)
	for key, m := range mappings {
		if !slices.Contains(providers, key) {
			return awsjson.InvalidParameter("RoleMappings key %q is not a provider of this identity pool (user pools are keyed <ProviderName>:<ClientId>).", clip(key))
		}
		switch m.Type {
		case "Token", "Rules":
		default:
			return awsjson.InvalidParameter("RoleMapping Type must be Token or Rules, not %q.", clip(m.Type))
		}
		switch m.AmbiguousRoleResolution {
		case "AuthenticatedRole", "Deny":
		default:
			return awsjson.InvalidParameter("AmbiguousRoleResolution must be AuthenticatedRole or Deny, not %q.", clip(m.AmbiguousRoleResolution))
		}
		if m.Type == "Token" {
			if m.RulesConfiguration != nil {
				return awsjson.InvalidParameter("A Token role mapping takes no RulesConfiguration.")
			}
			continue
		}
		if m.RulesConfiguration == nil || len(m.RulesConfiguration.Rules) == 0 || len(m.RulesConfiguration.Rules) > maxRules {
			return awsjson.InvalidParameter("A Rules role mapping needs 1 to %d rules.", maxRules)
		}
		for _, r := range m.RulesConfiguration.Rules {
			switch r.MatchType {
			case "Equals", "Contains", "StartsWith", "NotEqual":
			default:
				return awsjson.InvalidParameter("MatchType must be Equals, Contains, StartsWith or NotEqual, not %q.", clip(r.MatchType))
			}
			if r.Claim == "" || len(r.Claim) > 64 || r.Value == "" || len(r.Value) > 128 {
				return awsjson.InvalidParameter("A mapping rule needs a Claim (1-64 characters) and a Value (1-128).")
			}
			if err := s.checkDeclaredRole(ctx, r.RoleARN); err != nil {
				return err
			}
		}
	}
	return nil
}

// mappingProviders are the RoleMappings keys a pool accepts: "<ProviderName>:<ClientId>" for
// each user-pool client, and the provider names of its OIDC and public providers.
func mappingProviders(p *storedPool) []string {
	var out []string
	for _, c := range p.CognitoIdentityProviders {
		out = append(out, c.ProviderName+":"+c.ClientId)
	}
	for _, arn := range p.OpenIdConnectProviderARNs {
		out = append(out, oidcProviderName(arn))
	}
	for name := range p.SupportedLoginProviders {
		out = append(out, name)
	}
	return out
}

// GetIdentityPoolRolesOutput is the output of GetIdentityPoolRoles.
type GetIdentityPoolRolesOutput struct {
	IdentityPoolId string                 `json:"IdentityPoolId"`
	Roles          map[string]string      `json:"Roles,omitempty"`
	RoleMappings   map[string]RoleMapping `json:"RoleMappings,omitempty"`
}

func (s *Service) getIdentityPoolRoles(ctx context.Context, in *DescribeIdentityPoolInput) (*GetIdentityPoolRolesOutput, error) {
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	return &GetIdentityPoolRolesOutput{IdentityPoolId: p.IdentityPoolId, Roles: p.Roles, RoleMappings: p.RoleMappings}, nil
}

func clip(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
