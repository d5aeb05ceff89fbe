package identitypool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/store"
)

// errNoRole is returned by role for an ARN the configuration does not declare.
var errNoRole = errors.New("identitypool: role not declared")

type cachedRole struct {
	raw []byte
	doc *policy.Document
}

// role returns the parsed policy of a declared role. Roles live in the store (the
// configuration is applied once, by one instance); parsed policies are cached per instance
// and reused while the stored document is unchanged.
func (s *Service) role(ctx context.Context, arn string) (*policy.Document, error) {
	var r Role
	err := s.getJSON(ctx, roleKey(arn), &r)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", errNoRole, arn)
	}
	if err != nil {
		return nil, err
	}
	s.rolesMu.Lock()
	c := s.roles[arn]
	s.rolesMu.Unlock()
	if c != nil && bytes.Equal(c.raw, r.Policy) {
		return c.doc, nil
	}
	doc, err := policy.Parse(r.Policy)
	if err != nil {
		return nil, fmt.Errorf("identitypool: role %s: %w", arn, err)
	}
	s.rolesMu.Lock()
	s.roles[arn] = &cachedRole{raw: r.Policy, doc: doc}
	s.rolesMu.Unlock()
	return doc, nil
}

// resolveRole picks the role for authenticated logins (spec §7.5):
//  1. the first login (in provider-name order) with a RoleMapping decides;
//  2. no mapping: Roles.authenticated (a CustomRoleArn must then name that same role);
//  3. Token: CustomRoleArn must be in cognito:roles; else cognito:preferred_role; else ambiguous;
//  4. Rules: the first matching rule, or with CustomRoleArn the matching rule naming it;
//     no match is ambiguous;
//  5. ambiguous: AuthenticatedRole → Roles.authenticated; Deny → NotAuthorizedException.
func resolveRole(p *storedPool, logins []*login, customRoleArn string) (string, error) {
	var mapping *RoleMapping
	var from *login
	ordered := slices.Clone(logins)
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].Provider < ordered[j].Provider })
	for _, l := range ordered {
		for _, key := range l.mappingKeys() {
			if m, ok := p.RoleMappings[key]; ok {
				mapping, from = &m, l
				break
			}
		}
		if mapping != nil {
			break
		}
	}
	authRole := p.Roles["authenticated"]
	if mapping == nil {
		if authRole == "" {
			return "", badRoleConfig()
		}
		if customRoleArn != "" && customRoleArn != authRole {
			return "", awsjson.NotAuthorized("CustomRoleArn %s is not allowed for this login.", clip(customRoleArn))
		}
		return authRole, nil
	}
	ambiguous := func() (string, error) {
		if mapping.AmbiguousRoleResolution == "AuthenticatedRole" {
			if authRole == "" {
				return "", badRoleConfig()
			}
			if customRoleArn != "" && customRoleArn != authRole {
				return "", awsjson.NotAuthorized("CustomRoleArn %s is not allowed for this login.", clip(customRoleArn))
			}
			return authRole, nil
		}
		return "", awsjson.NotAuthorized("Unable to resolve a role: the token matches no role and the identity pool's AmbiguousRoleResolution is Deny.")
	}
	switch mapping.Type {
	case "Token":
		roles := claimStrings(from.Claims, "cognito:roles")
		if customRoleArn != "" {
			if !slices.Contains(roles, customRoleArn) {
				return "", awsjson.NotAuthorized("CustomRoleArn %s is not among the roles of the token.", clip(customRoleArn))
			}
			return customRoleArn, nil
		}
		if pref, ok := from.Claims["cognito:preferred_role"].(string); ok && pref != "" {
			return pref, nil
		}
		return ambiguous()
	default: // Rules
		first := ""
		for _, r := range mapping.RulesConfiguration.Rules {
			if !r.matches(from.Claims) {
				continue
			}
			if customRoleArn == "" {
				return r.RoleARN, nil
			}
			if r.RoleARN == customRoleArn {
				return r.RoleARN, nil
			}
			if first == "" {
				first = r.RoleARN
			}
		}
		if first != "" {
			return "", awsjson.NotAuthorized("CustomRoleArn %s is not a role of any matching rule.", clip(customRoleArn))
		}
		return ambiguous()
	}
}

// matches evaluates one rule on the token's claims. A list claim (cognito:groups) matches
// when any element does, except NotEqual, which needs every element to differ. A missing
// claim matches nothing (NotEqual included: spec §7.5 skips the rule).
func (r MappingRule) matches(claims map[string]any) bool {
	values, ok := claimValues(claims, r.Claim)
	if !ok {
		return false
	}
	if r.MatchType == "NotEqual" {
		return !slices.Contains(values, r.Value)
	}
	for _, v := range values {
		switch r.MatchType {
		case "Equals":
			if v == r.Value {
				return true
			}
		case "Contains":
			if strings.Contains(v, r.Value) {
				return true
			}
		case "StartsWith":
			if strings.HasPrefix(v, r.Value) {
				return true
			}
		}
	}
	return false
}

// claimValues renders a claim as strings: a string, a number or boolean as its JSON text,
// a list element by element.
func claimValues(claims map[string]any, name string) ([]string, bool) {
	v, ok := claims[name]
	if !ok || v == nil {
		return nil, false
	}
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := scalarString(e); ok {
				out = append(out, s)
			}
		}
		return out, true
	default:
		s, ok := scalarString(t)
		if !ok {
			return nil, false
		}
		return []string{s}, true
	}
}

func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		if t {
			return "true", true
		}
		return "false", true
	case float64:
		b, _ := json.Marshal(t)
		return string(b), true
	}
	return "", false
}

func claimStrings(claims map[string]any, name string) []string {
	list, _ := claims[name].([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
