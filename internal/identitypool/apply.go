package identitypool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/store"
)

// ConfigSpec is the identity part of poolgate's declarative configuration file: roles with
// their policies, external OpenID Connect providers, and identity pools.
type ConfigSpec struct {
	Roles                  []RoleSpec     `json:"Roles,omitempty"`
	OpenIDConnectProviders []OIDCProvider `json:"OpenIDConnectProviders,omitempty"`
	IdentityPools          []PoolSpec     `json:"IdentityPools,omitempty"`
}

// RoleSpec declares a role: its ARN (arn:aws:iam::<account>:role/<name>) and its IAM-style
// policy document (see internal/policy).
type RoleSpec struct {
	Arn    string          `json:"Arn"`
	Policy json.RawMessage `json:"Policy"`
}

// PoolSpec declares one identity pool: its id (required, "<region>:<uuid>", so that applying
// the file twice names the same pool), the CreateIdentityPool settings, and its roles and role
// mappings as SetIdentityPoolRoles takes them.
type PoolSpec struct {
	IdentityPoolId string `json:"IdentityPoolId"`
	PoolSettings
	Roles        map[string]string      `json:"Roles,omitempty"`
	RoleMappings map[string]RoleMapping `json:"RoleMappings,omitempty"`
}

// Applied reports what Apply did, by kind.
type Applied struct {
	Roles                  Changes `json:"Roles"`
	OpenIDConnectProviders Changes `json:"OpenIDConnectProviders"`
	IdentityPools          Changes `json:"IdentityPools"`
}

// Changes lists the names of the records Apply created, updated and left as they were.
type Changes struct {
	Created   []string `json:"Created,omitempty"`
	Updated   []string `json:"Updated,omitempty"`
	Unchanged []string `json:"Unchanged,omitempty"`
}

func (c *Changes) add(existed, changed bool, name string) {
	switch {
	case !existed:
		c.Created = append(c.Created, name)
	case changed:
		c.Updated = append(c.Updated, name)
	default:
		c.Unchanged = append(c.Unchanged, name)
	}
}

func (c Changes) String() string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged", len(c.Created), len(c.Updated), len(c.Unchanged))
}

// String is a one-line summary for start-up logs.
func (a *Applied) String() string {
	return "roles: " + a.Roles.String() + "; OIDC providers: " + a.OpenIDConnectProviders.String() +
		"; identity pools: " + a.IdentityPools.String()
}

// Empty reports whether the spec declares nothing.
func (c *ConfigSpec) Empty() bool {
	return len(c.Roles) == 0 && len(c.OpenIDConnectProviders) == 0 && len(c.IdentityPools) == 0
}

// Apply writes the spec idempotently: roles first (pools refer to them), then providers,
// then pools. Records not in the spec are left alone; identities of existing pools are kept.
func (s *Service) Apply(ctx context.Context, spec ConfigSpec) (*Applied, error) {
	out := &Applied{}
	for i, r := range spec.Roles {
		existed, changed, err := s.applyRole(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("identitypool: config Roles[%d] (%s): %w", i, r.Arn, err)
		}
		out.Roles.add(existed, changed, r.Arn)
	}
	for i, o := range spec.OpenIDConnectProviders {
		name, existed, changed, err := s.applyOIDC(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("identitypool: config OpenIDConnectProviders[%d] (%s): %w", i, o.Url, err)
		}
		out.OpenIDConnectProviders.add(existed, changed, name)
	}
	for i, ps := range spec.IdentityPools {
		existed, changed, err := s.applyPool(ctx, ps)
		if err != nil {
			return nil, fmt.Errorf("identitypool: config IdentityPools[%d] (%s): %w", i, ps.IdentityPoolId, err)
		}
		out.IdentityPools.add(existed, changed, ps.IdentityPoolId)
	}
	return out, nil
}

func (s *Service) applyRole(ctx context.Context, r RoleSpec) (existed, changed bool, err error) {
	if !validRoleArn(r.Arn) {
		return false, false, errors.New("Arn must be arn:aws:iam::<12-digit account>:role/<name>")
	}
	if len(bytes.TrimSpace(r.Policy)) == 0 {
		return false, false, errors.New("Policy is required")
	}
	doc, err := policy.Parse(r.Policy)
	if err != nil {
		return false, false, err
	}
	want := Role{Arn: r.Arn, Policy: doc.JSON()}
	err = s.atomically(ctx, func(ts *Service) error {
		var cur Role
		err := ts.getJSON(ctx, roleKey(r.Arn), &cur)
		existed, changed = err == nil, true
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case bytes.Equal(cur.Policy, want.Policy):
			changed = false
			return nil
		}
		return ts.putJSON(ctx, roleKey(r.Arn), want)
	})
	return existed, changed, err
}

func (s *Service) applyOIDC(ctx context.Context, o OIDCProvider) (name string, existed, changed bool, err error) {
	u, perr := url.Parse(o.Url)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o.Url, "/") {
		return "", false, false, errors.New("Url must be an http(s) issuer URL without query, fragment or trailing slash")
	}
	if len(o.ClientIDList) == 0 {
		return "", false, false, errors.New("ClientIDList must name at least one audience")
	}
	if o.JwksUri != "" {
		if j, err := url.Parse(o.JwksUri); err != nil || (j.Scheme != "https" && j.Scheme != "http") || j.Host == "" {
			return "", false, false, errors.New("JwksUri must be an http(s) URL")
		}
	}
	name = stripScheme(o.Url)
	if len(name) > maxLoginKeyLen {
		return "", false, false, fmt.Errorf("the provider name %q is longer than %d characters", name, maxLoginKeyLen)
	}
	err = s.atomically(ctx, func(ts *Service) error {
		var cur OIDCProvider
		err := ts.getJSON(ctx, oidcRecordKey(name), &cur)
		existed, changed = err == nil, true
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case reflect.DeepEqual(cur, o):
			changed = false
			return nil
		}
		return ts.putJSON(ctx, oidcRecordKey(name), o)
	})
	return name, existed, changed, err
}

func (s *Service) applyPool(ctx context.Context, ps PoolSpec) (existed, changed bool, err error) {
	if !validPoolID(ps.IdentityPoolId) {
		return false, false, errors.New("IdentityPoolId must be <region>:<uuid>")
	}
	if ps.AllowUnauthenticatedIdentities == nil {
		f := false
		ps.AllowUnauthenticatedIdentities = &f
	}
	if err := validateSettings(&ps.PoolSettings); err != nil {
		return false, false, wireMessage(err)
	}
	for _, arn := range ps.OpenIdConnectProviderARNs {
		if _, err := s.oidcProvider(ctx, oidcProviderName(arn)); err != nil {
			return false, false, fmt.Errorf("OpenIdConnectProviderARNs: %s is not declared in OpenIDConnectProviders", arn)
		}
	}
	if err := s.checkRoles(ctx, ps.Roles); err != nil {
		return false, false, wireMessage(err)
	}
	now := s.now()
	want := &storedPool{
		IdentityPool: IdentityPool{IdentityPoolId: ps.IdentityPoolId, PoolSettings: ps.PoolSettings},
		Roles:        ps.Roles, RoleMappings: ps.RoleMappings, Created: now, Modified: now,
	}
	if err := s.checkRoleMappings(ctx, want, ps.RoleMappings); err != nil {
		return false, false, wireMessage(err)
	}
	err = s.atomically(ctx, func(ts *Service) error {
		cur, err := ts.getPool(ctx, ps.IdentityPoolId)
		var ae *awsjson.Error
		existed, changed = err == nil, true
		switch {
		case errors.As(err, &ae):
		case err != nil:
			return err
		case samePool(cur, want):
			changed = false
			return nil
		default:
			want.Created = cur.Created
		}
		return ts.putJSON(ctx, poolKey(ps.IdentityPoolId), want)
	})
	return existed, changed, err
}

// samePool compares the declared parts of two pools through their JSON form.
func samePool(a, b *storedPool) bool {
	strip := func(p *storedPool) []byte {
		c := *p
		c.Created, c.Modified = b.Created, b.Modified
		out, _ := json.Marshal(c)
		return out
	}
	return bytes.Equal(strip(a), strip(b))
}

// wireMessage turns a wire error into a plain one for configuration errors.
func wireMessage(err error) error {
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		return errors.New(ae.Message)
	}
	return err
}
