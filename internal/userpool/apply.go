package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/trigger"
)

// ConfigSpec is the user-pool part of poolgate's declarative configuration file.
type ConfigSpec struct {
	UserPools []PoolSpec `json:"UserPools"`
	// Functions map the Lambda ARNs of pools' LambdaConfig to where poolgate runs them
	// (trigger_functions.go); present (even empty), they replace the stored table.
	Functions []trigger.Function `json:"Functions"`
}

// PoolSpec declares one pool: its id (required, so that applying the file twice names the
// same pool), the CreateUserPool settings, its managed-login configuration (a domain,
// resource servers, identity providers), and its app clients and groups. PoolName defaults
// to the id.
type PoolSpec struct {
	Id string `json:"Id"`
	CreateUserPoolInput
	Domain            *DomainSpec            `json:"Domain,omitempty"`
	ResourceServers   []ResourceServerSpec   `json:"ResourceServers,omitempty"`
	IdentityProviders []IdentityProviderSpec `json:"IdentityProviders,omitempty"`
	// UICustomization is the pool-wide (ALL) classic hosted UI customization; it needs Domain.
	UICustomization *UICustomizationSpec `json:"UICustomization,omitempty"`
	Clients         []ClientSpec         `json:"Clients,omitempty"`
	Groups          []GroupSpec          `json:"Groups,omitempty"`
}

// DomainSpec declares the pool's domain: CreateUserPoolDomain's members minus UserPoolId, or
// just the prefix as a string ("Domain": "myapp").
type DomainSpec struct {
	Domain              string              `json:"Domain"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion *int                `json:"ManagedLoginVersion,omitempty"`
}

// UnmarshalJSON takes the object form (strictly: an unknown member is an error, as in the
// rest of the file) or a prefix string.
func (d *DomainSpec) UnmarshalJSON(b []byte) error {
	var prefix string
	if json.Unmarshal(b, &prefix) == nil {
		*d = DomainSpec{Domain: prefix}
		return nil
	}
	type plain DomainSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(d))
}

// ResourceServerSpec declares one resource server (CreateResourceServer's members minus
// UserPoolId); applying it again replaces its name and scopes.
type ResourceServerSpec struct {
	Identifier string                `json:"Identifier"`
	Name       string                `json:"Name"`
	Scopes     []ResourceServerScope `json:"Scopes,omitempty"`
}

// IdentityProviderSpec declares one identity provider (CreateIdentityProvider's members minus
// UserPoolId); applying it again replaces its details, mapping and identifiers.
type IdentityProviderSpec struct {
	ProviderName     string            `json:"ProviderName"`
	ProviderType     string            `json:"ProviderType"`
	ProviderDetails  map[string]string `json:"ProviderDetails"`
	AttributeMapping map[string]string `json:"AttributeMapping,omitempty"`
	IdpIdentifiers   []string          `json:"IdpIdentifiers,omitempty"`
}

// ClientSpec declares one app client: its id (required), an optional fixed secret (or
// GenerateSecret, generated once and kept), and the CreateUserPoolClient settings.
// ClientName defaults to the id.
type ClientSpec struct {
	ClientId       string `json:"ClientId"`
	ClientName     string `json:"ClientName,omitempty"`
	GenerateSecret bool   `json:"GenerateSecret,omitempty"`
	ClientSecret   string `json:"ClientSecret,omitempty"`
	ClientSettings
	// The client's own branding: a classic customization (needs the pool's Domain) and a
	// managed login style (branding_apply.go).
	UICustomization      *UICustomizationSpec      `json:"UICustomization,omitempty"`
	ManagedLoginBranding *ManagedLoginBrandingSpec `json:"ManagedLoginBranding,omitempty"`
}

// GroupSpec declares one group (CreateGroup's members minus UserPoolId).
type GroupSpec struct {
	GroupName string `json:"GroupName"`
	GroupSettings
}

// Applied reports what Apply did, by kind.
type Applied struct {
	Pools             Changes `json:"Pools"`
	Domains           Changes `json:"Domains"`
	ResourceServers   Changes `json:"ResourceServers"`
	IdentityProviders Changes `json:"IdentityProviders"`
	Branding          Changes `json:"Branding"`
	Clients           Changes `json:"Clients"`
	Groups            Changes `json:"Groups"`
	Functions         Changes `json:"Functions"` // named by ARN
}

// Changes lists the names of the records Apply created, updated and left as they were.
// Domains are named by their domain; resource servers, identity providers, clients and groups
// "<poolId>/<name>"; branding "<poolId>/<clientId or ALL>/UICustomization" or
// "<poolId>/<clientId>/ManagedLoginBranding".
type Changes struct {
	Created   []string `json:"Created,omitempty"`
	Updated   []string `json:"Updated,omitempty"`
	Unchanged []string `json:"Unchanged,omitempty"`
}

func (c *Changes) add(state applyState, name string) {
	switch state {
	case created:
		c.Created = append(c.Created, name)
	case updated:
		c.Updated = append(c.Updated, name)
	default:
		c.Unchanged = append(c.Unchanged, name)
	}
}

func (c Changes) String() string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged", len(c.Created), len(c.Updated), len(c.Unchanged))
}

func (c Changes) empty() bool { return len(c.Created)+len(c.Updated)+len(c.Unchanged) == 0 }

// String is a one-line summary for start-up logs (managed-login kinds only when declared).
func (a *Applied) String() string {
	out := "user pools: " + a.Pools.String()
	for _, k := range []struct {
		name string
		c    Changes
	}{{"domains", a.Domains}, {"resource servers", a.ResourceServers}, {"identity providers", a.IdentityProviders}, {"branding", a.Branding}, {"functions", a.Functions}} {
		if !k.c.empty() {
			out += "; " + k.name + ": " + k.c.String()
		}
	}
	return out + "; app clients: " + a.Clients.String() + "; groups: " + a.Groups.String()
}

type applyState int

const (
	unchanged applyState = iota
	created
	updated
)

// Apply brings the store in line with spec: missing pools, domains, resource servers,
// identity providers, clients and groups are created
// with the declared ids, changed settings are updated, and records the spec does not name
// are left alone. Applying the same spec again changes nothing. Pool settings that cannot
// change after creation (UsernameAttributes, AliasAttributes, UsernameConfiguration, and
// existing Schema attributes; new custom attributes may be added) are an error.
func (s *Service) Apply(ctx context.Context, spec ConfigSpec) (*Applied, error) {
	out := &Applied{}
	if err := s.applyFunctions(ctx, spec.Functions, out); err != nil {
		return out, err
	}
	seenPools := map[string]bool{}
	seenClients := map[string]bool{}
	for i := range spec.UserPools {
		ps := &spec.UserPools[i]
		if !poolIDRE.MatchString(ps.Id) || len(ps.Id) > 55 {
			return out, fmt.Errorf("userpool: config: user pool %d: Id %q must look like <region>_<alphanumerics> (e.g. us-east-1_Example1)", i, ps.Id)
		}
		if seenPools[ps.Id] {
			return out, fmt.Errorf("userpool: config: user pool %s is declared twice", ps.Id)
		}
		seenPools[ps.Id] = true
		p, state, err := s.applyPool(ctx, ps)
		if err != nil {
			return out, fmt.Errorf("userpool: config: user pool %s: %w", ps.Id, err)
		}
		out.Pools.add(state, p.Id)
		if err := s.applyManagedLogin(ctx, p, ps, out); err != nil {
			return out, fmt.Errorf("userpool: config: user pool %s: %w", p.Id, err)
		}
		for j := range ps.Clients {
			cs := &ps.Clients[j]
			if seenClients[cs.ClientId] {
				return out, fmt.Errorf("userpool: config: app client %s is declared twice", cs.ClientId)
			}
			seenClients[cs.ClientId] = true
			state, err := s.applyClient(ctx, p, cs)
			if err != nil {
				return out, fmt.Errorf("userpool: config: user pool %s: app client %q: %w", p.Id, cs.ClientId, err)
			}
			out.Clients.add(state, p.Id+"/"+cs.ClientId)
			if err := s.applyClientBranding(ctx, p, cs, out); err != nil {
				return out, fmt.Errorf("userpool: config: user pool %s: app client %q: %w", p.Id, cs.ClientId, err)
			}
		}
		seenGroups := map[string]bool{}
		for j := range ps.Groups {
			gs := &ps.Groups[j]
			if seenGroups[gs.GroupName] {
				return out, fmt.Errorf("userpool: config: user pool %s: group %s is declared twice", p.Id, gs.GroupName)
			}
			seenGroups[gs.GroupName] = true
			state, err := s.applyGroup(ctx, p, gs)
			if err != nil {
				return out, fmt.Errorf("userpool: config: user pool %s: group %q: %w", p.Id, gs.GroupName, err)
			}
			out.Groups.add(state, p.Id+"/"+gs.GroupName)
		}
	}
	return out, nil
}

func (s *Service) applyPool(ctx context.Context, ps *PoolSpec) (*Pool, applyState, error) {
	in := ps.CreateUserPoolInput
	if in.PoolName == "" {
		in.PoolName = ps.Id
	}
	want, err := s.newPool(&in)
	if err != nil {
		return nil, unchanged, err
	}
	want.Id = ps.Id
	have, err := s.getPool(ctx, ps.Id)
	if isNotFound(err) {
		if err := s.d.Keys.Prepare(ctx, want.Id); err != nil { // before the pool exists (createUserPool)
			return nil, unchanged, err
		}
		s.stampPool(want)
		if err := s.createPoolRecord(ctx, want); errors.Is(err, store.ErrConflict) {
			return nil, unchanged, errors.New("the pool was created concurrently; apply again")
		} else if err != nil {
			return nil, unchanged, err
		}
		return want, created, nil
	}
	if err != nil {
		return nil, unchanged, err
	}
	if err := checkImmutable(have, want); err != nil {
		return nil, unchanged, err
	}
	want.SchemaAttributes = mergeSchema(have.SchemaAttributes, want.SchemaAttributes)
	want.Domain, want.CustomDomain = have.Domain, have.CustomDomain // the domains' own (applyDomain)
	want.CreationDate, want.LastModifiedDate, want.Arn, want.Status = have.CreationDate, have.LastModifiedDate, have.Arn, have.Status
	same, err := sameJSON(have, want)
	if err != nil || same {
		return have, unchanged, err
	}
	s.stampPool(want)
	err = s.atomically(ctx, globalShard, func(ts *Service) error {
		cur, err := ts.getPool(ctx, ps.Id)
		if err != nil {
			return err
		}
		if same, err := sameJSON(cur, have); err != nil || !same {
			return errors.Join(err, errors.New("the pool changed while the configuration was applied; apply again"))
		}
		return ts.putPool(ctx, want)
	})
	return want, updated, err
}

// checkImmutable refuses changes to what a pool fixes at creation.
func checkImmutable(have, want *Pool) error {
	if !equalStrings(have.UsernameAttributes, want.UsernameAttributes) {
		return errors.New("UsernameAttributes cannot change after the pool is created")
	}
	if !equalStrings(have.AliasAttributes, want.AliasAttributes) {
		return errors.New("AliasAttributes cannot change after the pool is created")
	}
	if have.CaseSensitive() != want.CaseSensitive() {
		return errors.New("UsernameConfiguration.CaseSensitive cannot change after the pool is created")
	}
	for _, a := range have.SchemaAttributes {
		b, ok := want.Schema(a.Name)
		if !ok {
			return fmt.Errorf("schema attribute %s cannot be removed", a.Name)
		}
		if same, err := sameJSON(a, b); err != nil || !same {
			return fmt.Errorf("schema attribute %s cannot change after the pool is created", a.Name)
		}
	}
	return nil
}

// mergeSchema keeps the stored order and appends the custom attributes the spec adds.
func mergeSchema(have, want []SchemaAttribute) []SchemaAttribute {
	out := append([]SchemaAttribute(nil), have...)
	for _, a := range want {
		found := false
		for _, h := range have {
			if h.Name == a.Name {
				found = true
				break
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

func (s *Service) applyClient(ctx context.Context, p *Pool, cs *ClientSpec) (applyState, error) {
	if !clientIDRE.MatchString(cs.ClientId) {
		return unchanged, errors.New("ClientId is required and must match [\\w+]{1,128}")
	}
	if err := s.claimClientID(ctx, cs.ClientId, p.Id); errors.Is(err, store.ErrConflict) {
		owner, err := s.d.Store.Get(ctx, clientIndexKey(cs.ClientId))
		if err != nil {
			return unchanged, err
		}
		return unchanged, fmt.Errorf("the client id is already used by user pool %s", owner)
	} else if err != nil {
		return unchanged, err
	}
	have, err := s.getClient(ctx, p.Id, cs.ClientId)
	if err != nil && !isNotFound(err) {
		return unchanged, err
	}
	if isNotFound(err) {
		have = nil
	}
	want := &Client{UserPoolId: p.Id, ClientId: cs.ClientId, ClientName: cs.ClientName}
	if want.ClientName == "" {
		want.ClientName = cs.ClientId
	}
	if cs.ClientSecret == "" && cs.GenerateSecret && have != nil && have.ClientSecret != "" {
		want.ClientSecret = have.ClientSecret // generated on an earlier run: keep it
	} else if err := s.setClientSecret(want, cs.GenerateSecret, cs.ClientSecret); err != nil {
		return unchanged, err
	}
	refs, err := s.loadOAuthRefs(ctx, p.Id, &cs.ClientSettings)
	if err != nil {
		return unchanged, err
	}
	if err := applyClientSettings(p, want, &cs.ClientSettings, refs); err != nil {
		return unchanged, err
	}
	state := created
	if have == nil {
		s.stampClient(want)
	} else {
		want.CreationDate, want.LastModifiedDate = have.CreationDate, have.LastModifiedDate
		same, err := sameJSON(have, want)
		if err != nil || same {
			return unchanged, err
		}
		s.stampClient(want)
		state = updated
	}
	// Written only if the record is still as read above (absent for a new client).
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.getClient(ctx, p.Id, cs.ClientId)
		switch {
		case isNotFound(err):
			cur = nil
		case err != nil:
			return err
		}
		if (cur == nil) != (have == nil) {
			return errors.New("the client changed while the configuration was applied; apply again")
		}
		if cur != nil {
			if same, err := sameJSON(cur, have); err != nil || !same {
				return errors.Join(err, errors.New("the client changed while the configuration was applied; apply again"))
			}
		}
		return ts.putClient(ctx, want)
	})
	return state, err
}

func (s *Service) applyGroup(ctx context.Context, p *Pool, gs *GroupSpec) (applyState, error) {
	have, err := s.getGroup(ctx, p.Id, gs.GroupName)
	if isNotFound(err) {
		_, err := s.newGroup(ctx, p, gs.GroupName, &gs.GroupSettings)
		return created, err
	}
	if err != nil {
		return unchanged, err
	}
	if err := checkGroupSettings(&gs.GroupSettings); err != nil {
		return unchanged, err
	}
	want := *have
	want.Description, want.RoleArn, want.Precedence = gs.Description, gs.RoleArn, gs.Precedence
	same, err := sameJSON(have, &want)
	if err != nil || same {
		return unchanged, err
	}
	want.LastModifiedDate = awsjson.Epoch(s.now())
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.getGroup(ctx, p.Id, gs.GroupName)
		if err != nil {
			return err
		}
		if same, err := sameJSON(cur, have); err != nil || !same {
			return errors.Join(err, errors.New("the group changed while the configuration was applied; apply again"))
		}
		return ts.putGroup(ctx, &storedGroup{Group: want})
	})
	return updated, err
}

// sameJSON compares two records by their stored form.
func sameJSON(a, b any) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ja, jb), nil
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// applyManagedLogin applies a pool's resource servers and identity providers (before its
// clients, which name their scopes and providers), its domain, and then its pool-wide classic
// UI customization (which needs the domain).
func (s *Service) applyManagedLogin(ctx context.Context, p *Pool, ps *PoolSpec, out *Applied) error {
	seen := map[string]bool{}
	for j := range ps.ResourceServers {
		rs := &ps.ResourceServers[j]
		if seen[rs.Identifier] {
			return fmt.Errorf("resource server %s is declared twice", rs.Identifier)
		}
		seen[rs.Identifier] = true
		state, err := s.applyResourceServer(ctx, p, rs)
		if err != nil {
			return fmt.Errorf("resource server %q: %w", rs.Identifier, err)
		}
		out.ResourceServers.add(state, p.Id+"/"+rs.Identifier)
	}
	seen = map[string]bool{}
	for j := range ps.IdentityProviders {
		ip := &ps.IdentityProviders[j]
		if seen[ip.ProviderName] {
			return fmt.Errorf("identity provider %s is declared twice", ip.ProviderName)
		}
		seen[ip.ProviderName] = true
		state, err := s.applyIdentityProvider(ctx, p, ip)
		if err != nil {
			return fmt.Errorf("identity provider %q: %w", ip.ProviderName, err)
		}
		out.IdentityProviders.add(state, p.Id+"/"+ip.ProviderName)
	}
	if ps.Domain != nil {
		state, err := s.applyDomain(ctx, p, ps.Domain)
		if err != nil {
			return fmt.Errorf("domain %q: %w", ps.Domain.Domain, err)
		}
		out.Domains.add(state, ps.Domain.Domain)
	}
	if ps.UICustomization != nil {
		state, err := s.applyUICustomization(ctx, p, allClients, ps.UICustomization)
		if err != nil {
			return fmt.Errorf("UICustomization: %w", err)
		}
		out.Branding.add(state, p.Id+"/"+allClients+"/UICustomization")
	}
	return nil
}

// applyClientBranding applies a client's UICustomization and ManagedLoginBranding.
func (s *Service) applyClientBranding(ctx context.Context, p *Pool, cs *ClientSpec, out *Applied) error {
	if cs.UICustomization != nil {
		state, err := s.applyUICustomization(ctx, p, cs.ClientId, cs.UICustomization)
		if err != nil {
			return fmt.Errorf("UICustomization: %w", err)
		}
		out.Branding.add(state, p.Id+"/"+cs.ClientId+"/UICustomization")
	}
	if cs.ManagedLoginBranding != nil {
		state, err := s.applyBranding(ctx, p, cs.ClientId, cs.ManagedLoginBranding)
		if err != nil {
			return fmt.Errorf("ManagedLoginBranding: %w", err)
		}
		out.Branding.add(state, p.Id+"/"+cs.ClientId+"/ManagedLoginBranding")
	}
	return nil
}

// checkShapes runs the API's member checks (awsjson.Decode) on a request built from the
// configuration file, so the file meets the same constraints as the API.
func checkShapes[In any](in *In) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return awsjson.Decode(b, new(In))
}

func (s *Service) applyDomain(ctx context.Context, p *Pool, ds *DomainSpec) (applyState, error) {
	in := &CreateUserPoolDomainInput{Domain: ds.Domain, UserPoolId: p.Id, CustomDomainConfig: ds.CustomDomainConfig,
		ManagedLoginVersion: ds.ManagedLoginVersion}
	if err := checkShapes(in); err != nil {
		return unchanged, err
	}
	have, err := s.getDomain(ctx, ds.Domain)
	if err != nil {
		return unchanged, err
	}
	if have == nil {
		_, err := s.newDomain(ctx, in)
		return created, err
	}
	if have.UserPoolId != p.Id {
		return unchanged, fmt.Errorf("the domain belongs to user pool %s", have.UserPoolId)
	}
	if have.custom() != (ds.CustomDomainConfig != nil) {
		return unchanged, errors.New("a domain cannot change between prefix and custom; delete it first")
	}
	version, err := checkManagedLoginVersion(p, ds.ManagedLoginVersion)
	if err != nil {
		return unchanged, err
	}
	same, err := sameJSON(have.CustomDomainConfig, ds.CustomDomainConfig)
	if err != nil || (same && have.ManagedLoginVersion == version) {
		return unchanged, err
	}
	_, err = s.updateUserPoolDomain(ctx, &UpdateUserPoolDomainInput{Domain: ds.Domain, UserPoolId: p.Id,
		CustomDomainConfig: ds.CustomDomainConfig, ManagedLoginVersion: &version})
	return updated, err
}

func (s *Service) applyResourceServer(ctx context.Context, p *Pool, spec *ResourceServerSpec) (applyState, error) {
	in := &ResourceServerInput{UserPoolId: p.Id, Identifier: spec.Identifier, Name: spec.Name, Scopes: spec.Scopes}
	if err := checkShapes(in); err != nil {
		return unchanged, err
	}
	want, err := newResourceServer(p.Id, in)
	if err != nil {
		return unchanged, err
	}
	have, err := s.getResourceServer(ctx, p.Id, spec.Identifier)
	if errors.Is(err, store.ErrNotFound) {
		_, err := s.putNewResourceServer(ctx, p, in)
		return created, err
	}
	if err != nil {
		return unchanged, err
	}
	if same, err := sameJSON(have, want); err != nil || same {
		return unchanged, err
	}
	_, err = s.updateResourceServer(ctx, in)
	return updated, err
}

func (s *Service) applyIdentityProvider(ctx context.Context, p *Pool, spec *IdentityProviderSpec) (applyState, error) {
	in := &CreateIdentityProviderInput{UserPoolId: p.Id, ProviderName: spec.ProviderName, ProviderType: spec.ProviderType,
		ProviderDetails: spec.ProviderDetails, AttributeMapping: spec.AttributeMapping, IdpIdentifiers: spec.IdpIdentifiers}
	if err := checkShapes(in); err != nil {
		return unchanged, err
	}
	have, err := s.getProvider(ctx, p.Id, spec.ProviderName)
	if errors.Is(err, store.ErrNotFound) {
		_, err := s.newIdentityProvider(ctx, p, in)
		return created, err
	}
	if err != nil {
		return unchanged, err
	}
	if have.ProviderType != spec.ProviderType {
		return unchanged, fmt.Errorf("ProviderType cannot change from %s", have.ProviderType)
	}
	details, err := completeProviderDetails(spec.ProviderType, spec.ProviderDetails)
	if err != nil {
		return unchanged, err
	}
	ids, err := checkIdpIdentifiers(spec.IdpIdentifiers)
	if err != nil {
		return unchanged, err
	}
	want := *have
	want.ProviderDetails, want.AttributeMapping, want.IdpIdentifiers = details, completeAttributeMapping(spec.ProviderType, spec.AttributeMapping), ids
	if same, err := sameJSON(have, &want); err != nil || same {
		return unchanged, err
	}
	want.LastModifiedDate = awsjson.Epoch(s.now())
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.getProvider(ctx, p.Id, spec.ProviderName)
		if err != nil {
			return err
		}
		if same, err := sameJSON(cur, have); err != nil || !same {
			return errors.Join(err, errors.New("the identity provider changed while the configuration was applied; apply again"))
		}
		return ts.putProvider(ctx, &want, cur)
	})
	return updated, err
}
