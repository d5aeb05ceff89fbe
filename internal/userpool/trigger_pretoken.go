package userpool

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// Pre token generation (AWS's "Pre token generation Lambda trigger"): V1_0 changes the ID
// token's claims and the groups; V2_0 changes ID and access token claims, access token
// scopes and the groups; V3_0 is V2_0 also for the client_credentials grant.

// tokenSourceKey carries the triggerSource of the tokens a call issues when it is not the
// default (TokenGeneration_Authentication, or _HostedAuth for managed login).
type tokenSourceKey struct{}

// withTokenSource marks the tokens issued under ctx as source's.
func withTokenSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, tokenSourceKey{}, source)
}

// groupConfiguration is the event's view of the user's groups.
type groupConfiguration struct {
	GroupsToOverride   []string `json:"groupsToOverride"`
	IAMRolesToOverride []string `json:"iamRolesToOverride"`
	PreferredRole      *string  `json:"preferredRole"`
}

type preTokenRequest struct {
	UserAttributes     map[string]string   `json:"userAttributes"`
	GroupConfiguration *groupConfiguration `json:"groupConfiguration"`
	Scopes             []string            `json:"scopes,omitempty"` // V2_0, V3_0
	ClientMetadata     map[string]string   `json:"clientMetadata,omitempty"`
}

// claimChanges is one token's claimsToAddOrOverride / claimsToSuppress (and, for access
// tokens, scopesToAdd / scopesToSuppress).
type claimChanges struct {
	ClaimsToAddOrOverride map[string]json.RawMessage `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string                   `json:"claimsToSuppress"`
	ScopesToAdd           []string                   `json:"scopesToAdd"`
	ScopesToSuppress      []string                   `json:"scopesToSuppress"`
}

type groupOverride struct {
	GroupsToOverride   *[]string `json:"groupsToOverride"`
	IAMRolesToOverride *[]string `json:"iamRolesToOverride"`
	PreferredRole      *string   `json:"preferredRole"`
}

type preTokenResponseV1 struct {
	ClaimsOverrideDetails *struct {
		claimChanges
		GroupOverrideDetails *groupOverride `json:"groupOverrideDetails"`
	} `json:"claimsOverrideDetails"`
}

type preTokenResponseV2 struct {
	ClaimsAndScopeOverrideDetails *struct {
		IDTokenGeneration     *claimChanges  `json:"idTokenGeneration"`
		AccessTokenGeneration *claimChanges  `json:"accessTokenGeneration"`
		GroupOverrideDetails  *groupOverride `json:"groupOverrideDetails"`
	} `json:"claimsAndScopeOverrideDetails"`
}

// protectedClaims are the claims a handler cannot add, change or suppress; Cognito ignores
// such changes [est: its documentation lists the claims, not the answer to a handler that
// tries; poolgate leaves them as they are and logs it].
var protectedClaims = []string{"acr", "amr", "aud", "at_hash", "auth_time", "azp", "c_hash", "client_id", "event_id",
	"exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "scope", "sub", "token_use", "username", "version"}

func protectedClaim(name string) bool {
	return slices.Contains(protectedClaims, name) || (strings.HasPrefix(name, "cognito:") &&
		name != "cognito:groups" && name != "cognito:roles" && name != "cognito:preferred_role") || name == ""
}

// preTokenGeneration runs the pool's PreTokenGeneration on the claims of the tokens mintTokens
// is about to sign (id may be nil when no ID token is issued) and applies its answer.
func (s *Service) preTokenGeneration(ctx context.Context, p *Pool, c *Client, u *User, ev authEvent, groups []*Group, id, access map[string]any) error {
	if _, ok := p.triggerArn("PreTokenGeneration"); !ok {
		return nil
	}
	source, _ := ctx.Value(tokenSourceKey{}).(string)
	if source == "" {
		source = "TokenGeneration_Authentication"
		if ev.oauth() {
			source = "TokenGeneration_HostedAuth"
		}
	}
	gc := &groupConfiguration{GroupsToOverride: groupNames(groups), IAMRolesToOverride: []string{}}
	for _, g := range groups {
		if g.RoleArn != "" && !slices.Contains(gc.IAMRolesToOverride, g.RoleArn) {
			gc.IAMRolesToOverride = append(gc.IAMRolesToOverride, g.RoleArn)
		}
	}
	req := preTokenRequest{UserAttributes: eventAttributes(u), GroupConfiguration: gc, ClientMetadata: clientMetadata(ctx)}
	version := p.triggerVersion("PreTokenGeneration")
	if version == "1" {
		var out preTokenResponseV1
		if err := s.invokeTrigger(ctx, p, "PreTokenGeneration", source, u.Username, c.ClientId, req, &out); err != nil {
			return err
		}
		d := out.ClaimsOverrideDetails
		if d == nil {
			return nil
		}
		for _, v := range d.ClaimsToAddOrOverride {
			if len(v) == 0 || v[0] != '"' {
				// V1_0 claims are strings (AWS: "claimsToAddOrOverride ... string values").
				return awsjson.New(awsjson.ErrInvalidLambdaResponse, "Unrecognizable lambda output")
			}
		}
		s.applyClaims(p, id, &d.claimChanges, false)
		applyGroups(id, access, d.GroupOverrideDetails)
		return nil
	}
	req.Scopes = strings.Fields(claimString(access, "scope"))
	var out preTokenResponseV2
	if err := s.invokeTrigger(ctx, p, "PreTokenGeneration", source, u.Username, c.ClientId, req, &out); err != nil {
		return err
	}
	d := out.ClaimsAndScopeOverrideDetails
	if d == nil {
		return nil
	}
	s.applyClaims(p, id, d.IDTokenGeneration, false)
	s.applyClaims(p, access, d.AccessTokenGeneration, true)
	applyGroups(id, access, d.GroupOverrideDetails)
	return nil
}

// applyClaims applies one token's changes: suppressions first, then additions (a claim both
// suppressed and added ends up added, as on Cognito), then, for an access token, scopes.
func (s *Service) applyClaims(p *Pool, claims map[string]any, ch *claimChanges, access bool) {
	if claims == nil || ch == nil {
		return
	}
	for _, name := range ch.ClaimsToSuppress {
		if protectedClaim(name) {
			s.d.Logf("userpool: PreTokenGeneration of pool %s: claim %q cannot be suppressed; left as it is", p.Id, clipValue(name))
			continue
		}
		delete(claims, name)
	}
	for name, raw := range ch.ClaimsToAddOrOverride {
		if protectedClaim(name) {
			s.d.Logf("userpool: PreTokenGeneration of pool %s: claim %q cannot be set; left as it is", p.Id, clipValue(name))
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) == nil && v != nil {
			claims[name] = v
		}
	}
	if !access || (len(ch.ScopesToAdd) == 0 && len(ch.ScopesToSuppress) == 0) {
		return
	}
	scopes := strings.Fields(claimString(claims, "scope"))
	scopes = slices.DeleteFunc(scopes, func(sc string) bool { return slices.Contains(ch.ScopesToSuppress, sc) })
	for _, sc := range ch.ScopesToAdd {
		if sc != "" && !strings.ContainsAny(sc, " \t\r\n") && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	claims["scope"] = strings.Join(scopes, " ")
}

// applyGroups replaces the groups the tokens carry: cognito:groups in both, roles and the
// preferred role in the ID token. An empty list removes the claim.
func applyGroups(id, access map[string]any, g *groupOverride) {
	if g == nil {
		return
	}
	set := func(claims map[string]any, name string, v []string) {
		if claims == nil {
			return
		}
		if len(v) == 0 {
			delete(claims, name)
			return
		}
		claims[name] = slices.Clone(v)
	}
	if g.GroupsToOverride != nil {
		set(id, "cognito:groups", *g.GroupsToOverride)
		set(access, "cognito:groups", *g.GroupsToOverride)
	}
	if g.IAMRolesToOverride != nil {
		set(id, "cognito:roles", *g.IAMRolesToOverride)
	}
	if g.PreferredRole != nil && id != nil {
		if *g.PreferredRole == "" {
			delete(id, "cognito:preferred_role")
		} else {
			id["cognito:preferred_role"] = *g.PreferredRole
		}
	}
}

// clientCredentialsTrigger runs PreTokenGeneration V3_0 for a client_credentials access
// token (TokenGeneration_ClientCredentials; there is no user, so userName is empty and
// userAttributes too). V1_0 and V2_0 functions are not called for it, as on Cognito.
func (s *Service) clientCredentialsTrigger(ctx context.Context, p *Pool, c *Client, access map[string]any) error {
	if _, ok := p.triggerArn("PreTokenGeneration"); !ok || p.triggerVersion("PreTokenGeneration") != "3" {
		return nil
	}
	req := preTokenRequest{UserAttributes: map[string]string{}, Scopes: strings.Fields(claimString(access, "scope"))}
	var out preTokenResponseV2
	if err := s.invokeTrigger(ctx, p, "PreTokenGeneration", "TokenGeneration_ClientCredentials", "", c.ClientId, req, &out); err != nil {
		return err
	}
	if d := out.ClaimsAndScopeOverrideDetails; d != nil {
		s.applyClaims(p, access, d.AccessTokenGeneration, true)
	}
	return nil
}
