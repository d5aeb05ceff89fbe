package userpool

import (
	"context"
	"errors"
	"github.com/poolgate/poolgate/internal/listing"
	"net/url"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// ClientSettings are the app-client settings CreateUserPoolClient and UpdateUserPoolClient
// share. UpdateUserPoolClient follows AWS: a setting it omits goes back to its default.
type ClientSettings struct {
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
	AllowedOAuthFlowsUserPoolClient          bool                  `json:"AllowedOAuthFlowsUserPoolClient,omitempty"`
	PreventUserExistenceErrors               string                `json:"PreventUserExistenceErrors,omitempty"`
	EnableTokenRevocation                    *bool                 `json:"EnableTokenRevocation,omitempty"`
	EnablePropagateAdditionalUserContextData bool                  `json:"EnablePropagateAdditionalUserContextData,omitempty"`
	AuthSessionValidity                      int                   `json:"AuthSessionValidity,omitempty"`
	RefreshTokenRotation                     *RefreshTokenRotation `json:"RefreshTokenRotation,omitempty"`
	AnalyticsConfiguration                   map[string]any        `json:"AnalyticsConfiguration,omitempty"`
}

// CreateUserPoolClientInput is the CreateUserPoolClient request.
type CreateUserPoolClientInput struct {
	UserPoolId     string `json:"UserPoolId" aws:"required"`
	ClientName     string `json:"ClientName" aws:"required"`
	GenerateSecret bool   `json:"GenerateSecret,omitempty"`
	ClientSecret   string `json:"ClientSecret,omitempty"`
	ClientSettings
}

// UserPoolClientOutput is the response of CreateUserPoolClient, DescribeUserPoolClient and
// UpdateUserPoolClient.
type UserPoolClientOutput struct {
	UserPoolClient *Client `json:"UserPoolClient"`
}

// DescribeUserPoolClientInput is the DescribeUserPoolClient request.
type DescribeUserPoolClientInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	ClientId   string `json:"ClientId" aws:"required"`
}

// ListUserPoolClientsInput is the ListUserPoolClients request.
type ListUserPoolClientsInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	MaxResults *int   `json:"MaxResults,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

// UserPoolClientDescription is one client in a ListUserPoolClients response.
type UserPoolClientDescription struct {
	ClientId   string `json:"ClientId"`
	UserPoolId string `json:"UserPoolId"`
	ClientName string `json:"ClientName"`
}

// ListUserPoolClientsOutput is the ListUserPoolClients response.
type ListUserPoolClientsOutput struct {
	UserPoolClients []UserPoolClientDescription `json:"UserPoolClients"`
	NextToken       string                      `json:"NextToken,omitempty"`
}

// UpdateUserPoolClientInput is the UpdateUserPoolClient request. The client secret is kept.
type UpdateUserPoolClientInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	ClientId   string `json:"ClientId" aws:"required"`
	ClientName string `json:"ClientName,omitempty"`
	ClientSettings
}

// DeleteUserPoolClientInput is the DeleteUserPoolClient request.
type DeleteUserPoolClientInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	ClientId   string `json:"ClientId" aws:"required"`
}

func (s *Service) createUserPoolClient(ctx context.Context, in *CreateUserPoolClientInput) (*UserPoolClientOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	c := &Client{UserPoolId: p.Id, ClientName: in.ClientName}
	if err := s.setClientSecret(c, in.GenerateSecret, in.ClientSecret); err != nil {
		return nil, err
	}
	refs, err := s.loadOAuthRefs(ctx, p.Id, &in.ClientSettings)
	if err != nil {
		return nil, err
	}
	if err := applyClientSettings(p, c, &in.ClientSettings, refs); err != nil {
		return nil, err
	}
	for {
		if c.ClientId, err = s.newClientID(); err != nil {
			return nil, err
		}
		err := s.claimClientID(ctx, c.ClientId, p.Id)
		if err == nil {
			if _, err := s.d.Store.Get(ctx, clientKey(p.Id, c.ClientId)); errors.Is(err, store.ErrNotFound) {
				break // a fresh id, not one of this pool's existing clients
			} else if err != nil {
				return nil, err
			}
			continue
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
	}
	s.stampClient(c)
	if err := s.putClient(ctx, c); err != nil {
		return nil, err
	}
	return &UserPoolClientOutput{UserPoolClient: c}, nil
}

// setClientSecret gives c the secret the caller chose, a generated one, or none.
func (s *Service) setClientSecret(c *Client, generate bool, given string) error {
	switch {
	case given != "":
		if !validClientSecret(given) {
			return awsjson.InvalidParameter("1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length between 24 and 64 and match pattern [\\w+]+")
		}
		c.ClientSecret = given
	case generate:
		secret, err := s.newClientSecret()
		if err != nil {
			return err
		}
		c.ClientSecret = secret
	default:
		c.ClientSecret = ""
	}
	return nil
}

func (s *Service) stampClient(c *Client) {
	now := awsjson.Epoch(s.now())
	if c.CreationDate.Time().IsZero() {
		c.CreationDate = now
	}
	c.LastModifiedDate = now
}

// Explicit auth flows: the current ALLOW_ names and the legacy ones, which cannot be mixed.
var (
	allowAuthFlows = []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH",
		"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"}
	legacyAuthFlows = []string{"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}
	standardScopes  = []string{"phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"}
)

// Token validity ranges (spec §2.4).
const (
	minTokenValidity   = 5 * time.Minute
	maxTokenValidity   = 24 * time.Hour
	minRefreshValidity = time.Hour
	maxRefreshValidity = 3650 * 24 * time.Hour
)

// applyClientSettings validates settings against pool p and writes them (defaults for what is
// omitted) into c. The name, id, secret and dates are the caller's.
func applyClientSettings(p *Pool, c *Client, in *ClientSettings, refs oauthRefs) error {
	if !validResourceName(c.ClientName) {
		return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'clientName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+", c.ClientName)
	}
	units := TokenValidityUnits{}
	if in.TokenValidityUnits != nil {
		units = *in.TokenValidityUnits
	}
	for member, u := range map[string]string{"accessToken": units.AccessToken, "idToken": units.IdToken, "refreshToken": units.RefreshToken} {
		if u != "" {
			if err := checkEnum("tokenValidityUnits."+member, u, "seconds", "minutes", "hours", "days"); err != nil {
				return err
			}
		}
	}
	c.TokenValidityUnits = nil
	if in.TokenValidityUnits != nil {
		c.TokenValidityUnits = &units
	}
	c.AccessTokenValidity = in.AccessTokenValidity
	c.IdTokenValidity = in.IdTokenValidity
	c.RefreshTokenValidity = in.RefreshTokenValidity
	if c.AccessTokenValidity < 0 || c.IdTokenValidity < 0 || c.RefreshTokenValidity < 0 {
		return awsjson.InvalidParameter("Token validity cannot be negative.")
	}
	if c.RefreshTokenValidity == 0 {
		// Zero means the default of 30 days, expressed in the refresh token's unit.
		c.RefreshTokenValidity = int64(30 * 24 * time.Hour / unitDuration(unit(c.TokenValidityUnits, "refresh")))
	}
	if c.AccessTokenValidity != 0 {
		if d := c.AccessTTL(); d < minTokenValidity || d > maxTokenValidity {
			return awsjson.InvalidParameter("Invalid range for token validity: the access token validity must be between 5 minutes and 1 day.")
		}
	}
	if c.IdTokenValidity != 0 {
		if d := c.IDTTL(); d < minTokenValidity || d > maxTokenValidity {
			return awsjson.InvalidParameter("Invalid range for token validity: the ID token validity must be between 5 minutes and 1 day.")
		}
	}
	if d := c.RefreshTTL(); d < minRefreshValidity || d > maxRefreshValidity {
		return awsjson.InvalidParameter("Invalid range for token validity: the refresh token validity must be between 60 minutes and 10 years.")
	}

	var allow, legacy bool
	for _, f := range in.ExplicitAuthFlows {
		switch {
		case contains(allowAuthFlows, f):
			allow = true
		case contains(legacyAuthFlows, f):
			legacy = true
		default:
			return checkEnum("explicitAuthFlows.member", f, append(append([]string{}, allowAuthFlows...), legacyAuthFlows...)...)
		}
	}
	if allow && legacy {
		return awsjson.InvalidParameter("The ExplicitAuthFlows value cannot mix legacy values (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH) with ALLOW_ values.")
	}
	c.ExplicitAuthFlows = dedupe(in.ExplicitAuthFlows)

	c.PreventUserExistenceErrors = in.PreventUserExistenceErrors
	if c.PreventUserExistenceErrors == "" {
		c.PreventUserExistenceErrors = "LEGACY"
	}
	if err := checkEnum("preventUserExistenceErrors", c.PreventUserExistenceErrors, "ENABLED", "LEGACY"); err != nil {
		return err
	}
	revocation := true
	if in.EnableTokenRevocation != nil {
		revocation = *in.EnableTokenRevocation
	}
	c.EnableTokenRevocation = &revocation
	c.EnablePropagateAdditionalUserContextData = in.EnablePropagateAdditionalUserContextData
	c.AuthSessionValidity = in.AuthSessionValidity
	if c.AuthSessionValidity == 0 {
		c.AuthSessionValidity = 3
	}
	if err := checkRange("authSessionValidity", c.AuthSessionValidity, 3, 15); err != nil {
		return err
	}
	c.RefreshTokenRotation = nil
	if r := in.RefreshTokenRotation; r != nil {
		if err := checkEnum("refreshTokenRotation.feature", r.Feature, "ENABLED", "DISABLED"); err != nil {
			return err
		}
		if err := checkRange("refreshTokenRotation.retryGracePeriodSeconds", r.RetryGracePeriodSeconds, 0, 60); err != nil {
			return err
		}
		rr := *r
		c.RefreshTokenRotation = &rr
	}

	for _, list := range []struct {
		name  string
		attrs []string
	}{{"read", in.ReadAttributes}, {"write", in.WriteAttributes}} {
		for _, a := range list.attrs {
			if _, ok := p.Schema(a); !ok || (list.name == "write" && a == "sub") {
				return awsjson.InvalidParameter("Invalid %s attributes specified while creating a client", list.name)
			}
		}
	}
	c.ReadAttributes = dedupe(in.ReadAttributes)
	c.WriteAttributes = dedupe(in.WriteAttributes)
	c.AnalyticsConfiguration = in.AnalyticsConfiguration
	return applyOAuthSettings(p, c, in, refs)
}

// oauthRefs are what a client's OAuth settings name that must exist in its pool: the custom
// scopes ("<resource server>/<scope>") and identity providers, as found when the settings
// were checked (inside the client's transaction when it has one, so a concurrent deletion of
// what was found conflicts with the write).
type oauthRefs struct {
	scopes    map[string]bool
	providers map[string]bool
}

// loadOAuthRefs looks up the custom scopes and identity providers in names.
func (s *Service) loadOAuthRefs(ctx context.Context, pool string, in *ClientSettings) (oauthRefs, error) {
	refs := oauthRefs{scopes: map[string]bool{}, providers: map[string]bool{}}
	servers := map[string]*ResourceServer{}
	for _, sc := range in.AllowedOAuthScopes {
		i := strings.LastIndexByte(sc, '/')
		if contains(standardScopes, sc) || i <= 0 {
			continue
		}
		id := sc[:i]
		rs, seen := servers[id]
		if !seen {
			var err error
			rs, err = s.getResourceServer(ctx, pool, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return refs, err
			}
			servers[id] = rs
		}
		refs.scopes[sc] = rs != nil && rs.HasScope(sc[i+1:])
	}
	for _, name := range in.SupportedIdentityProviders {
		if name == "COGNITO" {
			continue
		}
		if _, done := refs.providers[name]; done {
			continue
		}
		_, err := s.getProvider(ctx, pool, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return refs, err
		}
		refs.providers[name] = err == nil
	}
	return refs, nil
}

// applyOAuthSettings validates and stores the managed-login settings of a client, with
// Cognito's rules: redirect URLs are absolute, https unless the host is loopback, without a
// fragment; DefaultRedirectURI is one of CallbackURLs; client_credentials needs a secret,
// custom scopes only, and neither code nor implicit; every scope and provider exists.
func applyOAuthSettings(p *Pool, c *Client, in *ClientSettings, refs oauthRefs) error {
	for _, idp := range in.SupportedIdentityProviders {
		if idp != "COGNITO" && !refs.providers[idp] {
			return awsjson.InvalidParameter("The provider %s does not exist for User Pool %s", idp, p.Id)
		}
	}
	c.SupportedIdentityProviders = dedupe(in.SupportedIdentityProviders)
	for _, list := range [][]string{in.CallbackURLs, in.LogoutURLs} {
		for _, u := range list {
			if err := checkRedirectURL(u); err != nil {
				return err
			}
		}
	}
	c.CallbackURLs = dedupe(in.CallbackURLs)
	c.LogoutURLs = dedupe(in.LogoutURLs)
	c.DefaultRedirectURI = in.DefaultRedirectURI
	if c.DefaultRedirectURI != "" && !contains(c.CallbackURLs, c.DefaultRedirectURI) {
		return awsjson.InvalidParameter("DefaultRedirectURI %s must be one of the CallbackURLs.", c.DefaultRedirectURI)
	}
	for _, f := range in.AllowedOAuthFlows {
		if err := checkEnum("allowedOAuthFlows.member", f, "code", "implicit", "client_credentials"); err != nil {
			return err
		}
	}
	flows := dedupe(in.AllowedOAuthFlows)
	for _, sc := range in.AllowedOAuthScopes {
		if !contains(standardScopes, sc) && !refs.scopes[sc] {
			return awsjson.New(awsjson.ErrScopeDoesNotExist, "Invalid scope requested: %s", sc)
		}
	}
	if contains(flows, "client_credentials") {
		if len(flows) > 1 {
			return awsjson.New(awsjson.ErrInvalidOAuthFlow, "client_credentials flow can not be selected with either implicit or code flow")
		}
		if c.ClientSecret == "" {
			return awsjson.New(awsjson.ErrInvalidOAuthFlow, "client_credentials flow can not be selected if client does not have a client secret.")
		}
		for _, sc := range in.AllowedOAuthScopes {
			if contains(standardScopes, sc) {
				return awsjson.New(awsjson.ErrInvalidOAuthFlow, "client_credentials flow can only be used with custom scopes; %s is not one.", sc)
			}
		}
	}
	if in.AllowedOAuthFlowsUserPoolClient {
		if len(flows) == 0 {
			return awsjson.New(awsjson.ErrInvalidOAuthFlow, "AllowedOAuthFlows are required when AllowedOAuthFlowsUserPoolClient is true.")
		}
		if len(in.AllowedOAuthScopes) == 0 {
			return awsjson.InvalidParameter("AllowedOAuthScopes are required when AllowedOAuthFlowsUserPoolClient is true.")
		}
		if !contains(flows, "client_credentials") && len(c.CallbackURLs) == 0 {
			return awsjson.InvalidParameter("CallbackURLs are required for the code and implicit flows.")
		}
	}
	c.AllowedOAuthFlows = flows
	c.AllowedOAuthScopes = dedupe(in.AllowedOAuthScopes)
	c.AllowedOAuthFlowsUserPoolClient = in.AllowedOAuthFlowsUserPoolClient
	return nil
}

// checkRedirectURL enforces Cognito's rule for callback and sign-out URLs: absolute (an
// app's own scheme allowed), no fragment, and https unless the host is localhost. Cognito
// also takes http for the loopback addresses 127.0.0.1 and [::1]; so does poolgate.
func checkRedirectURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		return awsjson.InvalidParameter("%s is not a valid URL.", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return awsjson.InvalidParameter("%s cannot contain a fragment.", raw)
	}
	if strings.EqualFold(u.Scheme, "http") && !isLoopbackHost(u.Hostname()) {
		return awsjson.InvalidParameter("%s cannot use the HTTP protocol.", raw)
	}
	return nil
}

func unitDuration(u string) time.Duration {
	switch u {
	case "seconds":
		return time.Second
	case "minutes":
		return time.Minute
	case "hours":
		return time.Hour
	}
	return 24 * time.Hour
}

func (s *Service) describeUserPoolClient(ctx context.Context, in *DescribeUserPoolClientInput) (*UserPoolClientOutput, error) {
	c, err := s.getClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	return &UserPoolClientOutput{UserPoolClient: c}, nil
}

func (s *Service) listUserPoolClients(ctx context.Context, in *ListUserPoolClientsInput) (*ListUserPoolClientsOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit, err := listLimit("maxResults", in.MaxResults)
	if err != nil {
		return nil, err
	}
	prefix := clientKey(p.Id, "")
	clients, next, err := listing.Page(ctx, s.pager(), "ListUserPoolClients/"+p.Id, prefix, in.NextToken, limit,
		func(key string) (UserPoolClientDescription, bool, error) {
			var sc storedClient
			if ok, err := s.getListed(ctx, key, &sc); !ok || err != nil {
				return UserPoolClientDescription{}, false, err
			}
			return UserPoolClientDescription{ClientId: sc.ClientId, UserPoolId: p.Id, ClientName: sc.ClientName}, true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListUserPoolClientsOutput{UserPoolClients: clients, NextToken: next}, nil
}

func (s *Service) updateUserPoolClient(ctx context.Context, in *UpdateUserPoolClientInput) (*UserPoolClientOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	var c *Client
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		var err error
		if c, err = ts.getClient(ctx, p.Id, in.ClientId); err != nil {
			return err
		}
		if in.ClientName != "" {
			c.ClientName = in.ClientName
		}
		refs, err := ts.loadOAuthRefs(ctx, p.Id, &in.ClientSettings)
		if err != nil {
			return err
		}
		if err := applyClientSettings(p, c, &in.ClientSettings, refs); err != nil {
			return err
		}
		ts.stampClient(c)
		return ts.putClient(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return &UserPoolClientOutput{UserPoolClient: c}, nil
}

func (s *Service) deleteUserPoolClient(ctx context.Context, in *DeleteUserPoolClientInput) (*struct{}, error) {
	if _, err := s.getClient(ctx, in.UserPoolId, in.ClientId); err != nil {
		return nil, err
	}
	if err := s.deleteClient(ctx, in.UserPoolId, in.ClientId); err != nil {
		return nil, err
	}
	if err := s.dropClientBranding(ctx, in.UserPoolId, in.ClientId); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
