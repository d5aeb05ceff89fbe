package identitypool

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/creds"
)

// GetIdInput is the input of GetId.
type GetIdInput struct {
	IdentityPoolId string            `json:"IdentityPoolId" aws:"required"`
	AccountId      string            `json:"AccountId,omitempty"`
	Logins         map[string]string `json:"Logins,omitempty"`
}

// GetIdOutput is the output of GetId.
type GetIdOutput struct {
	IdentityId string `json:"IdentityId"`
}

// getID returns the identity of the logins (creating it on first sight), or a new guest
// identity when there are none and the pool allows guests (spec §7.4).
func (s *Service) getID(ctx context.Context, in *GetIdInput) (*GetIdOutput, error) {
	if in.AccountId != "" && !validAccountID(in.AccountId) {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'accountId' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d+", clip(in.AccountId))
	}
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	if len(in.Logins) == 0 {
		if !p.allowsGuests() {
			return nil, guestsNotAllowed()
		}
		var id *identity
		err := s.atomically(ctx, func(ts *Service) error {
			if _, err := ts.getPool(ctx, p.IdentityPoolId); err != nil {
				return err
			}
			var err error
			id, err = ts.newIdentity(ctx, p, nil)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &GetIdOutput{IdentityId: id.IdentityId}, nil
	}
	logins, err := s.validateLogins(ctx, p, in.Logins, false)
	if err != nil {
		return nil, err
	}
	id, err := s.resolveIdentity(ctx, p, nil, logins, byLogins)
	if err != nil {
		return nil, err
	}
	return &GetIdOutput{IdentityId: id.IdentityId}, nil
}

// caller is what a public call naming an identity resolved to.
type caller struct {
	pool   *storedPool
	id     *identity
	logins []*login
	// authenticated: the credentials or token are for an authenticated identity.
	authenticated bool
}

// resolveCaller loads the named identity and its pool, validates the logins and links them
// (the shared steps of GetCredentialsForIdentity and GetOpenIdToken).
func (s *Service) resolveCaller(ctx context.Context, identityID string, logins map[string]string) (*caller, error) {
	named, err := s.getIdentity(ctx, identityID, true)
	if err != nil {
		return nil, err
	}
	p, err := s.getPool(ctx, named.IdentityPoolId)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			return nil, identityNotFound(identityID)
		}
		return nil, err
	}
	if len(logins) == 0 {
		if named.Authenticated {
			return nil, loginsDontMatch()
		}
		if !p.allowsGuests() {
			return nil, guestsNotAllowed()
		}
		return &caller{pool: p, id: named}, nil
	}
	ls, err := s.validateLogins(ctx, p, logins, false)
	if err != nil {
		return nil, err
	}
	id, err := s.resolveIdentity(ctx, p, named, ls, byCaller)
	if err != nil {
		return nil, err
	}
	c := &caller{pool: p, id: id, logins: ls, authenticated: id.Authenticated}
	for _, l := range ls {
		if l.Kind != kindOpenID || l.authenticated() {
			c.authenticated = true
		}
	}
	if !c.authenticated && !p.allowsGuests() {
		return nil, guestsNotAllowed()
	}
	return c, nil
}

// GetCredentialsForIdentityInput is the input of GetCredentialsForIdentity.
type GetCredentialsForIdentityInput struct {
	IdentityId    string            `json:"IdentityId" aws:"required"`
	Logins        map[string]string `json:"Logins,omitempty"`
	CustomRoleArn string            `json:"CustomRoleArn,omitempty"`
}

// GetCredentialsForIdentityOutput is the output of GetCredentialsForIdentity.
type GetCredentialsForIdentityOutput struct {
	IdentityId  string       `json:"IdentityId"`
	Credentials *Credentials `json:"Credentials"`
}

// getCredentialsForIdentity vends credentials for the identity's role (enhanced flow).
func (s *Service) getCredentialsForIdentity(ctx context.Context, in *GetCredentialsForIdentityInput) (*GetCredentialsForIdentityOutput, error) {
	if in.CustomRoleArn != "" && !validRoleArn(in.CustomRoleArn) {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'customRoleArn' failed to satisfy constraint: Member must be a role ARN", clip(in.CustomRoleArn))
	}
	c, err := s.resolveCaller(ctx, in.IdentityId, in.Logins)
	if err != nil {
		return nil, err
	}
	var roleArn string
	if c.authenticated {
		var mapped []*login
		for _, l := range c.logins {
			if l.Kind == kindUserPool || l.Kind == kindOIDC {
				mapped = append(mapped, l)
			}
		}
		if roleArn, err = resolveRole(c.pool, mapped, in.CustomRoleArn); err != nil {
			return nil, err
		}
	} else {
		roleArn = c.pool.Roles["unauthenticated"]
		if roleArn == "" {
			return nil, badRoleConfig()
		}
		if in.CustomRoleArn != "" && in.CustomRoleArn != roleArn {
			return nil, awsjson.NotAuthorized("CustomRoleArn %s is not allowed for unauthenticated identities.", clip(in.CustomRoleArn))
		}
	}
	doc, err := s.role(ctx, roleArn)
	if errors.Is(err, errNoRole) {
		s.d.Logf("identitypool: pool %s resolved role %s, which the configuration does not declare", c.pool.IdentityPoolId, roleArn)
		return nil, badRoleConfig()
	}
	if err != nil {
		return nil, err
	}
	g := creds.Grant{
		IdentityID: c.id.IdentityId, IdentityPoolID: c.pool.IdentityPoolId, RoleArn: roleArn,
		Policy: doc, Authenticated: c.authenticated,
	}
	for _, l := range c.logins {
		if !slices.Contains(g.Logins, l.Provider) {
			g.Logins = append(g.Logins, l.Provider)
		}
		if g.Username == "" && l.Kind == kindUserPool {
			g.Username = l.Username
		}
	}
	cr, err := s.d.Creds.Issue(g)
	if err != nil {
		return nil, err
	}
	return &GetCredentialsForIdentityOutput{
		IdentityId: c.id.IdentityId,
		Credentials: &Credentials{
			AccessKeyId: cr.AccessKeyID, SecretKey: cr.SecretKey, SessionToken: cr.SessionToken,
			Expiration: awsjson.Epoch(cr.Expiration),
		},
	}, nil
}

// OpenID token lifetimes: GetOpenIdToken's tokens last 10 minutes [doc]; the developer
// call's TokenDuration defaults to 15 minutes and is at most a day (spec §7.2).
const (
	openIDTokenTTL        = 10 * time.Minute
	developerTokenDefault = 15 * time.Minute
	developerTokenMax     = 24 * time.Hour
)

// GetOpenIdTokenInput is the input of GetOpenIdToken.
type GetOpenIdTokenInput struct {
	IdentityId string            `json:"IdentityId" aws:"required"`
	Logins     map[string]string `json:"Logins,omitempty"`
}

// GetOpenIdTokenOutput is the output of GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity.
type GetOpenIdTokenOutput struct {
	IdentityId string `json:"IdentityId"`
	Token      string `json:"Token"`
}

// getOpenIDToken returns an OpenID token for the identity (basic flow). It is served whatever
// AllowClassicFlow says [est: spec §11 leaves it open; poolgate has no STS to use it with].
func (s *Service) getOpenIDToken(ctx context.Context, in *GetOpenIdTokenInput) (*GetOpenIdTokenOutput, error) {
	c, err := s.resolveCaller(ctx, in.IdentityId, in.Logins)
	if err != nil {
		return nil, err
	}
	tok, err := s.signOpenIDToken(ctx, c.pool, c.id, c.logins, c.authenticated, openIDTokenTTL, nil)
	if err != nil {
		return nil, err
	}
	return &GetOpenIdTokenOutput{IdentityId: c.id.IdentityId, Token: tok}, nil
}

// GetOpenIdTokenForDeveloperIdentityInput is the input of GetOpenIdTokenForDeveloperIdentity.
type GetOpenIdTokenForDeveloperIdentityInput struct {
	IdentityPoolId string            `json:"IdentityPoolId" aws:"required"`
	IdentityId     string            `json:"IdentityId,omitempty"`
	Logins         map[string]string `json:"Logins" aws:"required"`
	PrincipalTags  map[string]string `json:"PrincipalTags,omitempty"`
	TokenDuration  *int64            `json:"TokenDuration,omitempty"`
}

// getOpenIDTokenForDeveloperIdentity registers (or finds) the identity of a developer user
// and returns an OpenID token for it (developer-authenticated flow; admin).
func (s *Service) getOpenIDTokenForDeveloperIdentity(ctx context.Context, in *GetOpenIdTokenForDeveloperIdentityInput) (*GetOpenIdTokenOutput, error) {
	ttl := developerTokenDefault
	if in.TokenDuration != nil {
		d := time.Duration(*in.TokenDuration) * time.Second
		if *in.TokenDuration < 1 || d > developerTokenMax {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value '%d' at 'tokenDuration' failed to satisfy constraint: Member must have value between 1 and 86400", *in.TokenDuration)
		}
		ttl = d
	}
	if len(in.PrincipalTags) > 50 {
		return nil, awsjson.InvalidParameter("PrincipalTags holds more than 50 tags.")
	}
	for k, v := range in.PrincipalTags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return nil, awsjson.InvalidParameter("Invalid PrincipalTags entry %q.", clip(k))
		}
	}
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	if p.DeveloperProviderName == "" {
		return nil, awsjson.InvalidParameter("IdentityPool '%s' has no DeveloperProviderName.", p.IdentityPoolId)
	}
	if _, ok := in.Logins[p.DeveloperProviderName]; !ok {
		return nil, awsjson.InvalidParameter("Logins must hold the developer provider %s.", p.DeveloperProviderName)
	}
	logins, err := s.validateLogins(ctx, p, in.Logins, true)
	if err != nil {
		return nil, err
	}
	var named *identity
	if in.IdentityId != "" {
		if named, err = s.getIdentity(ctx, in.IdentityId, false); err != nil {
			return nil, err
		}
		if named.IdentityPoolId != p.IdentityPoolId {
			return nil, identityNotFound(in.IdentityId)
		}
		dev := in.Logins[p.DeveloperProviderName]
		owner, err := s.loginOwner(ctx, p.IdentityPoolId, p.DeveloperProviderName, dev)
		if err != nil {
			return nil, err
		}
		if owner != "" && owner != named.IdentityId {
			if rec, err := s.getIdentity(ctx, owner, false); err == nil && rec.Logins[p.DeveloperProviderName] == dev {
				return nil, awsjson.New(awsjson.ErrDeveloperUserAlreadyRegistered, "Developer user identifier '%s' is already registered to identity '%s'.", clip(dev), owner)
			}
		}
	}
	id, err := s.resolveIdentity(ctx, p, named, logins, byAdmin)
	if err != nil {
		return nil, err
	}
	tok, err := s.signOpenIDToken(ctx, p, id, logins, true, ttl, in.PrincipalTags)
	if err != nil {
		return nil, err
	}
	return &GetOpenIdTokenOutput{IdentityId: id.IdentityId, Token: tok}, nil
}

// signOpenIDToken signs an OpenID token for identity id (spec §7.4): iss OpenIDIssuer(),
// sub the identity, aud the pool, amr ["authenticated", <provider>, <provider>:<aud>:<user>...]
// or ["unauthenticated"], and the pool's ARN. RS256 [est: Cognito uses RS512].
func (s *Service) signOpenIDToken(ctx context.Context, p *storedPool, id *identity, logins []*login, authenticated bool, ttl time.Duration, tags map[string]string) (string, error) {
	now := s.now()
	amr := []string{"unauthenticated"}
	if authenticated {
		amr = []string{"authenticated"}
		for _, l := range logins {
			switch l.Kind {
			case kindOpenID:
				continue
			case kindUserPool:
				amr = append(amr, l.Provider, l.Provider+":CognitoSignIn:"+l.UserID)
			case kindDeveloper:
				amr = append(amr, l.Provider, l.Provider+":"+p.IdentityPoolId+":"+l.UserID)
			default:
				amr = append(amr, l.Provider, l.Provider+":"+l.ClientID+":"+l.UserID)
			}
		}
	}
	claims := map[string]any{
		"iss": s.OpenIDIssuer(),
		"sub": id.IdentityId,
		"aud": p.IdentityPoolId,
		"amr": amr,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"https://cognito-identity.amazonaws.com/identity-pool-arn": s.poolArn(p.IdentityPoolId),
	}
	if len(tags) > 0 {
		pt := map[string][]string{}
		for k, v := range tags {
			pt[k] = []string{v}
		}
		claims["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": pt}
	}
	return s.d.Keys.Sign(ctx, KeyringID, "id", claims)
}

// UnlinkIdentityInput is the input of UnlinkIdentity.
type UnlinkIdentityInput struct {
	IdentityId     string            `json:"IdentityId" aws:"required"`
	Logins         map[string]string `json:"Logins" aws:"required"`
	LoginsToRemove []string          `json:"LoginsToRemove" aws:"required"`
}

// unlinkIdentity removes linked logins from an identity; the caller proves the identity with
// a login linked to it. Removing the last login leaves the identity unreachable.
func (s *Service) unlinkIdentity(ctx context.Context, in *UnlinkIdentityInput) (*struct{}, error) {
	id, err := s.getIdentity(ctx, in.IdentityId, false)
	if err != nil {
		return nil, err
	}
	p, err := s.getPool(ctx, id.IdentityPoolId)
	if err != nil {
		return nil, identityNotFound(in.IdentityId)
	}
	if len(in.Logins) == 0 {
		return nil, loginsDontMatch()
	}
	logins, err := s.validateLogins(ctx, p, in.Logins, false)
	if err != nil {
		return nil, err
	}
	// One transaction: the proof is checked against the identity as it is when the logins
	// are removed.
	return nil, s.atomically(ctx, func(ts *Service) error {
		id, err := ts.getIdentity(ctx, in.IdentityId, false)
		if err != nil {
			return err
		}
		proven := slices.ContainsFunc(logins, func(l *login) bool {
			if l.Kind == kindOpenID {
				return l.UserID == id.IdentityId && l.authenticated()
			}
			return id.Logins[l.Provider] == l.UserID
		})
		if !proven {
			return loginsDontMatch()
		}
		changed := false
		for _, key := range in.LoginsToRemove {
			provider := ts.canonicalProvider(key)
			if provider == p.DeveloperProviderName && provider != "" {
				return awsjson.InvalidParameter("A developer user identifier cannot be unlinked with UnlinkIdentity.")
			}
			user, ok := id.Logins[provider]
			if !ok {
				continue
			}
			if err := ts.unindexLogin(ctx, p.IdentityPoolId, provider, user, id.IdentityId); err != nil {
				return err
			}
			delete(id.Logins, provider)
			changed = true
		}
		if !changed {
			return nil
		}
		id.Modified = ts.now()
		return ts.putJSON(ctx, identityKey(id.IdentityId), id)
	})
}
