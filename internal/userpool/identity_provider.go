package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/listing"
	"github.com/poolgate/poolgate/internal/store"
)

// Identity providers are the outside sign-ins a pool federates (Google, Facebook, Login
// with Amazon, Sign in with Apple, any OIDC provider, SAML). This file is their
// configuration; the federation flow itself comes with the managed-login pages.
//
// Each provider's record is uip/<pool>/<name>, its secrets (client_secret, Apple's
// private_key) sealed at rest; each of its IdpIdentifiers has the index key
// uii/<pool>/<identifier> → name, written in the same commit as the record, so an identifier
// names one provider of the pool.

const sealPurposeProvider = "userpool/idp-secrets"

// Provider types (wire IdentityProviderTypeType).
var providerTypes = []string{"SAML", "Facebook", "Google", "LoginWithAmazon", "SignInWithApple", "OIDC"}

// IdentityProvider is a provider on the wire (IdentityProviderType) and, with its secrets
// taken out, as stored.
type IdentityProvider struct {
	UserPoolId       string            `json:"UserPoolId"`
	ProviderName     string            `json:"ProviderName"`
	ProviderType     string            `json:"ProviderType"`
	ProviderDetails  map[string]string `json:"ProviderDetails"`
	AttributeMapping map[string]string `json:"AttributeMapping,omitempty"`
	IdpIdentifiers   []string          `json:"IdpIdentifiers"`
	LastModifiedDate awsjson.EpochTime `json:"LastModifiedDate"`
	CreationDate     awsjson.EpochTime `json:"CreationDate"`
}

// storedProvider is a provider with the secret ProviderDetails sealed.
type storedProvider struct {
	IdentityProvider
	SealedSecrets []byte `json:"SealedSecrets,omitempty"`
}

// CreateIdentityProviderInput is the CreateIdentityProvider request.
type CreateIdentityProviderInput struct {
	UserPoolId       string            `json:"UserPoolId" aws:"required"`
	ProviderName     string            `json:"ProviderName" aws:"required" validate:"IdentityProvider.NewProviderName"`
	ProviderType     string            `json:"ProviderType" aws:"required"`
	ProviderDetails  map[string]string `json:"ProviderDetails" aws:"required"`
	AttributeMapping map[string]string `json:"AttributeMapping,omitempty"`
	IdpIdentifiers   []string          `json:"IdpIdentifiers,omitempty"`
}

// UpdateIdentityProviderInput is the UpdateIdentityProvider request: members it omits keep
// their value; ProviderDetails given are merged into the stored ones.
type UpdateIdentityProviderInput struct {
	UserPoolId       string            `json:"UserPoolId" aws:"required"`
	ProviderName     string            `json:"ProviderName" aws:"required" validate:"IdentityProvider.ProviderName"`
	ProviderDetails  map[string]string `json:"ProviderDetails,omitempty"`
	AttributeMapping map[string]string `json:"AttributeMapping,omitempty"`
	IdpIdentifiers   []string          `json:"IdpIdentifiers,omitempty"`
}

// IdentityProviderRef names a provider (Describe, Delete).
type IdentityProviderRef struct {
	UserPoolId   string `json:"UserPoolId" aws:"required"`
	ProviderName string `json:"ProviderName" aws:"required" validate:"IdentityProvider.ProviderName"`
}

// GetIdentityProviderByIdentifierInput is the GetIdentityProviderByIdentifier request.
type GetIdentityProviderByIdentifierInput struct {
	UserPoolId    string `json:"UserPoolId" aws:"required"`
	IdpIdentifier string `json:"IdpIdentifier" aws:"required"`
}

// IdentityProviderOutput is the response of every single-provider action.
type IdentityProviderOutput struct {
	IdentityProvider *IdentityProvider `json:"IdentityProvider"`
}

// ListIdentityProvidersInput is the ListIdentityProviders request.
type ListIdentityProvidersInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	MaxResults *int   `json:"MaxResults,omitempty" validate:"ListIdentityProviders.MaxResults"`
	NextToken  string `json:"NextToken,omitempty"`
}

// ProviderDescription is one provider in a ListIdentityProviders response.
type ProviderDescription struct {
	ProviderName     string            `json:"ProviderName"`
	ProviderType     string            `json:"ProviderType"`
	LastModifiedDate awsjson.EpochTime `json:"LastModifiedDate"`
	CreationDate     awsjson.EpochTime `json:"CreationDate"`
}

// ListIdentityProvidersOutput is the ListIdentityProviders response.
type ListIdentityProvidersOutput struct {
	Providers []ProviderDescription `json:"Providers"`
	NextToken string                `json:"NextToken,omitempty"`
}

func providerKey(pool, name string) string         { return "uip/" + pool + "/" + name }
func providerIDKey(pool, identifier string) string { return "uii/" + pool + "/" + identifier }

// providerRules says, per provider type, which ProviderDetails keys a caller must give,
// which it may give, which are secret (sealed at rest), and which endpoints Cognito fills in
// (every one may be given instead). The preset endpoints are the providers' real ones.
type providerRules struct {
	required []string
	optional []string
	defaults map[string]string
}

var secretProviderDetails = []string{"client_secret", "private_key"}

// endpointKeys are the ProviderDetails that hold a provider's URLs.
var endpointKeys = []string{"authorize_url", "token_url", "attributes_url", "jwks_uri", "oidc_issuer"}

var providerRulesByType = map[string]providerRules{
	"Google": {
		required: []string{"client_id", "client_secret", "authorize_scopes"},
		optional: []string{"authorize_url", "token_url", "attributes_url", "attributes_url_add_attributes", "jwks_uri", "oidc_issuer"},
		defaults: map[string]string{
			"authorize_url":                 "https://accounts.google.com/o/oauth2/v2/auth",
			"token_url":                     "https://www.googleapis.com/oauth2/v4/token",
			"attributes_url":                "https://www.googleapis.com/oauth2/v3/userinfo",
			"attributes_url_add_attributes": "true",
			"jwks_uri":                      "https://www.googleapis.com/oauth2/v3/certs",
			"oidc_issuer":                   "https://accounts.google.com",
		},
	},
	"Facebook": {
		required: []string{"client_id", "client_secret", "authorize_scopes"},
		optional: []string{"api_version", "authorize_url", "token_url", "attributes_url", "attributes_url_add_attributes"},
		defaults: map[string]string{
			"api_version":                   "v17.0",
			"authorize_url":                 "https://www.facebook.com/v17.0/dialog/oauth",
			"token_url":                     "https://graph.facebook.com/v17.0/oauth/access_token",
			"attributes_url":                "https://graph.facebook.com/me?fields=",
			"attributes_url_add_attributes": "true",
		},
	},
	"LoginWithAmazon": {
		required: []string{"client_id", "client_secret", "authorize_scopes"},
		optional: []string{"authorize_url", "token_url", "attributes_url", "attributes_url_add_attributes"},
		defaults: map[string]string{
			"authorize_url":                 "https://www.amazon.com/ap/oa",
			"token_url":                     "https://api.amazon.com/auth/o2/token",
			"attributes_url":                "https://api.amazon.com/user/profile",
			"attributes_url_add_attributes": "false",
		},
	},
	"SignInWithApple": {
		required: []string{"client_id", "team_id", "key_id", "private_key", "authorize_scopes"},
		optional: []string{"authorize_url", "token_url", "attributes_url_add_attributes", "jwks_uri", "oidc_issuer"},
		defaults: map[string]string{
			"authorize_url":                 "https://appleid.apple.com/auth/authorize",
			"token_url":                     "https://appleid.apple.com/auth/token",
			"attributes_url_add_attributes": "false",
			"jwks_uri":                      "https://appleid.apple.com/auth/keys",
			"oidc_issuer":                   "https://appleid.apple.com",
		},
	},
	// OIDC endpoints not given are found through the issuer's discovery document when the
	// provider is first used (issue 14's sign-in flow), as Cognito does.
	"OIDC": {
		required: []string{"client_id", "client_secret", "attributes_request_method", "oidc_issuer", "authorize_scopes"},
		optional: []string{"authorize_url", "token_url", "attributes_url", "jwks_uri", "attributes_url_add_attributes"},
	},
	"SAML": {
		optional: []string{"MetadataURL", "MetadataFile", "IDPSignout", "EncryptedResponses", "RequestSigningAlgorithm", "IDPInit"},
	},
}

// maxSAMLMetadata bounds a SAML MetadataFile (the model's StringType maximum).
const maxSAMLMetadata = 131072

// completeProviderDetails checks details for a provider of type typ and fills in the
// endpoints Cognito fills. It returns a new map.
func completeProviderDetails(typ string, details map[string]string) (map[string]string, error) {
	rules := providerRulesByType[typ]
	out := map[string]string{}
	for k, v := range details {
		if !slices.Contains(rules.required, k) && !slices.Contains(rules.optional, k) {
			return nil, awsjson.InvalidParameter("%s is not a valid ProviderDetails key for provider type %s.", clipName(k), typ)
		}
		out[k] = v
	}
	for _, k := range rules.required {
		if out[k] == "" {
			return nil, awsjson.InvalidParameter("%s is required for provider type %s.", k, typ)
		}
	}
	if typ == "Facebook" && out["api_version"] != "" && details["authorize_url"] == "" && details["token_url"] == "" {
		v := out["api_version"]
		if !isFacebookVersion(v) {
			return nil, awsjson.InvalidParameter("api_version %s is not a Facebook Graph API version (v<major>.<minor>).", clipName(v))
		}
		out["authorize_url"] = "https://www.facebook.com/" + v + "/dialog/oauth"
		out["token_url"] = "https://graph.facebook.com/" + v + "/oauth/access_token"
	}
	for k, v := range rules.defaults {
		if _, given := out[k]; !given {
			out[k] = v
		}
	}
	for _, k := range endpointKeys {
		if v, ok := out[k]; ok {
			if err := checkProviderURL(k, v); err != nil {
				return nil, err
			}
		}
	}
	if m, ok := out["attributes_request_method"]; ok && m != "GET" && m != "POST" {
		return nil, awsjson.InvalidParameter("attributes_request_method must be GET or POST.")
	}
	for _, k := range []string{"attributes_url_add_attributes", "IDPSignout", "EncryptedResponses", "IDPInit"} {
		if v, ok := out[k]; ok && v != "true" && v != "false" {
			return nil, awsjson.InvalidParameter("%s must be true or false.", k)
		}
	}
	if typ == "SAML" {
		if err := checkSAMLMetadata(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkSAMLMetadata: exactly one of MetadataURL and MetadataFile, bounded; the metadata is
// parsed when the SAML sign-in flow uses it.
func checkSAMLMetadata(d map[string]string) error {
	u, f := d["MetadataURL"], d["MetadataFile"]
	switch {
	case (u == "") == (f == ""):
		return awsjson.InvalidParameter("Exactly one of MetadataURL and MetadataFile must be given for a SAML provider.")
	case u != "":
		return checkProviderURL("MetadataURL", u)
	case len(f) > maxSAMLMetadata:
		return awsjson.InvalidParameter("MetadataFile must be at most %d characters.", maxSAMLMetadata)
	}
	if a, ok := d["RequestSigningAlgorithm"]; ok && a != "rsa-sha256" {
		return awsjson.InvalidParameter("RequestSigningAlgorithm must be rsa-sha256.")
	}
	return nil
}

// checkProviderURL: Cognito requires https provider URLs; poolgate also takes http for a
// loopback host (a provider run locally in tests).
func checkProviderURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return awsjson.InvalidParameter("%s must be an absolute https URL.", key)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return awsjson.InvalidParameter("%s must be an absolute https URL.", key)
}

func isLoopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

func isFacebookVersion(v string) bool {
	major, minor, ok := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	if !ok || !strings.HasPrefix(v, "v") || major == "" || minor == "" {
		return false
	}
	for _, r := range major + minor {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// usernameClaims is what Cognito maps the federated user's username from when the caller's
// AttributeMapping does not say: each provider's user identifier.
var usernameClaims = map[string]string{
	"Google": "sub", "Facebook": "id", "LoginWithAmazon": "user_id", "SignInWithApple": "sub", "OIDC": "sub",
}

// completeAttributeMapping returns m with Cognito's username mapping added when m has none.
func completeAttributeMapping(typ string, m map[string]string) map[string]string {
	claim, ok := usernameClaims[typ]
	if _, given := m["username"]; given || !ok {
		return m
	}
	out := map[string]string{"username": claim}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkProviderName: a social provider is named after its type; "COGNITO" is the pool's own
// sign-in.
func checkProviderName(name, typ string) error {
	if strings.EqualFold(name, "COGNITO") {
		return awsjson.InvalidParameter("The provider name COGNITO is reserved.")
	}
	if typ != "OIDC" && typ != "SAML" && name != typ {
		return awsjson.InvalidParameter("The provider name must be %s for provider type %s.", typ, typ)
	}
	return nil
}

// checkIdpIdentifiers refuses repeated identifiers within one request.
func checkIdpIdentifiers(ids []string) ([]string, error) {
	out := []string{}
	for _, id := range ids {
		if slices.Contains(out, id) {
			return nil, awsjson.New(awsjson.ErrDuplicateProvider, "Duplicate identifier %s.", id)
		}
		out = append(out, id)
	}
	return out, nil
}

func providerNotFound(name string) error {
	return awsjson.ResourceNotFound("Identity provider %s does not exist.", name)
}

// getProvider returns a provider with its secrets opened, or store.ErrNotFound.
func (s *Service) getProvider(ctx context.Context, pool, name string) (*IdentityProvider, error) {
	var sp storedProvider
	if err := s.getJSON(ctx, providerKey(pool, name), &sp); err != nil {
		return nil, err
	}
	ip := sp.IdentityProvider
	if ip.ProviderDetails == nil {
		ip.ProviderDetails = map[string]string{}
	}
	if ip.IdpIdentifiers == nil {
		ip.IdpIdentifiers = []string{}
	}
	if len(sp.SealedSecrets) > 0 {
		plain, err := s.d.AtRest.Open(sealPurposeProvider+"/"+pool+"/"+name, sp.SealedSecrets, s.now())
		if err != nil {
			return nil, fmt.Errorf("userpool: identity provider %s secrets: %w", name, err)
		}
		var secrets map[string]string
		if err := json.Unmarshal(plain, &secrets); err != nil {
			return nil, fmt.Errorf("userpool: identity provider %s secrets: %w", name, err)
		}
		for k, v := range secrets {
			ip.ProviderDetails[k] = v
		}
	}
	return &ip, nil
}

// putProvider writes ip (its secrets sealed) and brings its identifier index keys in line
// with prev (nil for a new provider), inside a transaction on the pool's shard: an identifier
// another provider holds is DuplicateProviderException, decided on what the transaction read.
func (s *Service) putProvider(ctx context.Context, ip, prev *IdentityProvider) error {
	if !s.inTxn() {
		return fmt.Errorf("userpool: putProvider of %s outside a transaction", ip.ProviderName)
	}
	sp := storedProvider{IdentityProvider: *ip}
	sp.ProviderDetails = map[string]string{}
	secrets := map[string]string{}
	for k, v := range ip.ProviderDetails {
		if slices.Contains(secretProviderDetails, k) {
			secrets[k] = v
		} else {
			sp.ProviderDetails[k] = v
		}
	}
	if len(secrets) > 0 {
		plain, err := json.Marshal(secrets)
		if err != nil {
			return err
		}
		if sp.SealedSecrets, err = s.d.AtRest.Seal(sealPurposeProvider+"/"+ip.UserPoolId+"/"+ip.ProviderName, plain, zeroTime); err != nil {
			return err
		}
	}
	if prev != nil {
		for _, id := range prev.IdpIdentifiers {
			if slices.Contains(ip.IdpIdentifiers, id) {
				continue
			}
			k := providerIDKey(ip.UserPoolId, id)
			if ref, err := s.d.Store.Get(ctx, k); err == nil && string(ref) == ip.ProviderName {
				if err := s.d.Store.Delete(ctx, k); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	for _, id := range ip.IdpIdentifiers {
		k := providerIDKey(ip.UserPoolId, id)
		ref, err := s.d.Store.Get(ctx, k)
		switch {
		case err == nil && string(ref) == ip.ProviderName:
			continue
		case err == nil:
			return awsjson.New(awsjson.ErrDuplicateProvider, "The identifier %s is already used by identity provider %s.", id, ref)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := s.d.Store.Put(ctx, k, []byte(ip.ProviderName), store.PutOptions{}); err != nil {
			return err
		}
	}
	return s.putJSON(ctx, providerKey(ip.UserPoolId, ip.ProviderName), &sp)
}

func (s *Service) createIdentityProvider(ctx context.Context, in *CreateIdentityProviderInput) (*IdentityProviderOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	ip, err := s.newIdentityProvider(ctx, p, in)
	if err != nil {
		return nil, err
	}
	return &IdentityProviderOutput{IdentityProvider: ip}, nil
}

// newIdentityProvider validates in and creates the provider only if its name is free.
func (s *Service) newIdentityProvider(ctx context.Context, p *Pool, in *CreateIdentityProviderInput) (*IdentityProvider, error) {
	if err := checkEnum("providerType", in.ProviderType, providerTypes...); err != nil {
		return nil, err
	}
	if err := checkProviderName(in.ProviderName, in.ProviderType); err != nil {
		return nil, err
	}
	details, err := completeProviderDetails(in.ProviderType, in.ProviderDetails)
	if err != nil {
		return nil, err
	}
	ids, err := checkIdpIdentifiers(in.IdpIdentifiers)
	if err != nil {
		return nil, err
	}
	now := awsjson.Epoch(s.now())
	ip := &IdentityProvider{UserPoolId: p.Id, ProviderName: in.ProviderName, ProviderType: in.ProviderType,
		ProviderDetails: details, AttributeMapping: completeAttributeMapping(in.ProviderType, in.AttributeMapping), IdpIdentifiers: ids,
		CreationDate: now, LastModifiedDate: now}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.getProvider(ctx, p.Id, in.ProviderName); err == nil {
			return awsjson.New(awsjson.ErrDuplicateProvider, "A provider with the name %s already exists in this user pool.", in.ProviderName)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return ts.putProvider(ctx, ip, nil)
	})
	if err != nil {
		return nil, err
	}
	return ip, nil
}

func (s *Service) describeIdentityProvider(ctx context.Context, in *IdentityProviderRef) (*IdentityProviderOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	ip, err := s.getProvider(ctx, in.UserPoolId, in.ProviderName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, providerNotFound(in.ProviderName)
	}
	if err != nil {
		return nil, err
	}
	return &IdentityProviderOutput{IdentityProvider: ip}, nil
}

func (s *Service) getIdentityProviderByIdentifier(ctx context.Context, in *GetIdentityProviderByIdentifierInput) (*IdentityProviderOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	notFound := awsjson.ResourceNotFound("Identity provider with identifier %s does not exist.", in.IdpIdentifier)
	ref, err := s.d.Store.Get(ctx, providerIDKey(in.UserPoolId, in.IdpIdentifier))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	ip, err := s.getProvider(ctx, in.UserPoolId, string(ref))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(ip.IdpIdentifiers, in.IdpIdentifier)) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return &IdentityProviderOutput{IdentityProvider: ip}, nil
}

func (s *Service) updateIdentityProvider(ctx context.Context, in *UpdateIdentityProviderInput) (*IdentityProviderOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	var ip *IdentityProvider
	err := s.atomically(ctx, poolShard(in.UserPoolId), func(ts *Service) error {
		prev, err := ts.getProvider(ctx, in.UserPoolId, in.ProviderName)
		if errors.Is(err, store.ErrNotFound) {
			return providerNotFound(in.ProviderName)
		}
		if err != nil {
			return err
		}
		next := *prev
		next.ProviderDetails = prev.ProviderDetails
		if in.ProviderDetails != nil {
			merged := map[string]string{}
			for k, v := range prev.ProviderDetails {
				merged[k] = v
			}
			for k, v := range in.ProviderDetails {
				merged[k] = v
			}
			if next.ProviderDetails, err = completeProviderDetails(prev.ProviderType, merged); err != nil {
				return err
			}
		}
		if in.AttributeMapping != nil {
			next.AttributeMapping = completeAttributeMapping(prev.ProviderType, in.AttributeMapping)
		}
		if in.IdpIdentifiers != nil {
			if next.IdpIdentifiers, err = checkIdpIdentifiers(in.IdpIdentifiers); err != nil {
				return err
			}
		}
		next.LastModifiedDate = awsjson.Epoch(ts.now())
		ip = &next
		return ts.putProvider(ctx, ip, prev)
	})
	if err != nil {
		return nil, err
	}
	return &IdentityProviderOutput{IdentityProvider: ip}, nil
}

func (s *Service) deleteIdentityProvider(ctx context.Context, in *IdentityProviderRef) (*struct{}, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	err := s.atomically(ctx, poolShard(in.UserPoolId), func(ts *Service) error {
		ip, err := ts.getProvider(ctx, in.UserPoolId, in.ProviderName)
		if errors.Is(err, store.ErrNotFound) {
			return providerNotFound(in.ProviderName)
		}
		if err != nil {
			return err
		}
		for _, id := range ip.IdpIdentifiers {
			k := providerIDKey(in.UserPoolId, id)
			if ref, err := ts.d.Store.Get(ctx, k); err == nil && string(ref) == ip.ProviderName {
				if err := ts.d.Store.Delete(ctx, k); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return ts.d.Store.Delete(ctx, providerKey(in.UserPoolId, in.ProviderName))
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (s *Service) listIdentityProviders(ctx context.Context, in *ListIdentityProvidersInput) (*ListIdentityProvidersOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit, err := listLimit("maxResults", in.MaxResults)
	if err != nil {
		return nil, err
	}
	prefix := providerKey(p.Id, "")
	providers, next, err := listing.Page(ctx, s.pager(), "ListIdentityProviders/"+p.Id, prefix, in.NextToken, limit,
		func(key string) (ProviderDescription, bool, error) {
			var sp storedProvider
			if ok, err := s.getListed(ctx, key, &sp); !ok || err != nil {
				return ProviderDescription{}, false, err
			}
			return ProviderDescription{ProviderName: sp.ProviderName, ProviderType: sp.ProviderType,
				LastModifiedDate: sp.LastModifiedDate, CreationDate: sp.CreationDate}, true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListIdentityProvidersOutput{Providers: providers, NextToken: next}, nil
}
