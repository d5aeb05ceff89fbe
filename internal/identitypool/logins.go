package identitypool

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Logins limits from the API model.
const (
	maxLogins          = 10
	maxLoginKeyLen     = 128
	maxLoginTokenLen   = 50000
	maxDeveloperUserID = 1024
)

type loginKind int

const (
	kindUserPool  loginKind = iota // an ID token of one of poolgate's user pools
	kindOIDC                       // an ID token of an external OpenID Connect provider
	kindOpenID                     // an OpenID token from GetOpenIdToken(ForDeveloperIdentity)
	kindDeveloper                  // a developer user identifier (admin calls only)
)

// login is one validated Logins entry.
type login struct {
	Key      string // as the client sent it
	Provider string // canonical provider name: the linking key and the amr entry
	Kind     loginKind
	UserID   string // the user's id at the provider (sub, or the developer user identifier)
	ClientID string // user pools: the app client (aud) the token was issued to
	Claims   map[string]any
	Username string // user pools: cognito:username
}

// linkable reports whether the login is linked to identities (OpenID tokens only prove one).
func (l *login) linkable() bool { return l.Kind != kindOpenID }

// mappingKeys are the RoleMappings keys that apply to the login (spec §7.5).
func (l *login) mappingKeys() []string {
	switch l.Kind {
	case kindUserPool:
		return []string{l.Provider + ":" + l.ClientID}
	case kindOIDC:
		return []string{l.Provider}
	}
	return nil
}

// stripScheme returns a URL without "https://" or "http://".
func stripScheme(u string) string {
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return rest
	}
	rest, _ := strings.CutPrefix(u, "http://")
	return rest
}

// userPoolOf returns the user-pool id a Logins key names, in either form clients send
// (spec §7.3): cognito-idp.<region>.amazonaws.com/<poolId>, or the pool's issuer without its
// scheme (what Amplify derives from the ID token's iss).
func (s *Service) userPoolOf(key string) (string, bool) {
	if region, poolID, ok := userPoolKey(key); ok {
		return poolID, strings.HasPrefix(poolID, region+"_") // the key's region is the pool's
	}
	if rest, ok := strings.CutPrefix(key, stripScheme(s.d.IssuerBase)+"/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return rest, true
	}
	return "", false
}

// canonicalUserPoolProvider is the canonical provider name of a user pool.
func canonicalUserPoolProvider(poolID string) string {
	region, _, _ := strings.Cut(poolID, "_")
	return "cognito-idp." + region + ".amazonaws.com/" + poolID
}

// canonicalProvider maps a Logins key (as in LoginsToRemove) to its canonical name.
func (s *Service) canonicalProvider(key string) string {
	if pool, ok := s.userPoolOf(key); ok {
		return canonicalUserPoolProvider(pool)
	}
	if key == stripScheme(s.OpenIDIssuer()) {
		return CognitoIdentityProviderName
	}
	return key
}

func invalidLogin(format string, args ...any) error {
	return awsjson.NotAuthorized("Invalid login token. "+format, args...)
}

func unsupportedProvider() error {
	return awsjson.NotAuthorized("Token is not from a supported provider of this identity pool.")
}

// validateLogins checks every entry of a Logins map against the pool's providers and returns
// the validated logins in key order. Structural problems are InvalidParameterException; a
// token that does not prove its login is NotAuthorizedException; an external provider that
// cannot be reached is ExternalServiceException. Developer logins are accepted only when
// allowDeveloper is set (GetOpenIdTokenForDeveloperIdentity).
func (s *Service) validateLogins(ctx context.Context, p *storedPool, logins map[string]string, allowDeveloper bool) ([]*login, error) {
	if len(logins) > maxLogins {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to %d", maxLogins)
	}
	keys := make([]string, 0, len(logins))
	for k, v := range logins {
		if k == "" || len(k) > maxLoginKeyLen {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'logins' failed to satisfy constraint: Map keys must have length between 1 and %d", maxLoginKeyLen)
		}
		if v == "" || len(v) > maxLoginTokenLen {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'logins' failed to satisfy constraint: Map values must have length between 1 and %d", maxLoginTokenLen)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*login, 0, len(keys))
	seen := map[string]string{}
	for _, k := range keys {
		l, err := s.validateLogin(ctx, p, k, logins[k], allowDeveloper)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[l.Provider]; dup {
			if prev == l.UserID {
				continue // the same login under both key forms
			}
			return nil, awsjson.InvalidParameter("Logins holds two different logins for provider %s.", l.Provider)
		}
		seen[l.Provider] = l.UserID
		out = append(out, l)
	}
	return out, nil
}

func (s *Service) validateLogin(ctx context.Context, p *storedPool, key, value string, allowDeveloper bool) (*login, error) {
	switch {
	case key == CognitoIdentityProviderName || key == stripScheme(s.OpenIDIssuer()):
		return s.validateOpenIDLogin(ctx, p, key, value)
	case p.DeveloperProviderName != "" && key == p.DeveloperProviderName:
		if !allowDeveloper {
			return nil, invalidLogin("Developer provider logins are accepted only by GetOpenIdTokenForDeveloperIdentity.")
		}
		if len(value) > maxDeveloperUserID {
			return nil, awsjson.InvalidParameter("A developer user identifier is at most %d characters.", maxDeveloperUserID)
		}
		return &login{Key: key, Provider: key, Kind: kindDeveloper, UserID: value}, nil
	}
	if poolID, ok := s.userPoolOf(key); ok {
		return s.validateUserPoolLogin(ctx, p, key, poolID, value)
	}
	return s.validateOIDCLogin(ctx, p, key, value)
}

// validateUserPoolLogin checks an ID token of one of poolgate's user pools (spec §7.3):
// signature, exp, iss, token_use, aud among the configured clients, and with
// ServerSideTokenCheck the user's sign-out, disable and revocation state.
func (s *Service) validateUserPoolLogin(ctx context.Context, p *storedPool, key, poolID, raw string) (*login, error) {
	provider := canonicalUserPoolProvider(poolID)
	var entries []CognitoIdentityProvider
	for _, c := range p.CognitoIdentityProviders {
		if c.ProviderName == provider {
			entries = append(entries, c)
		}
	}
	if len(entries) == 0 {
		return nil, unsupportedProvider()
	}
	// The unverified aud only picks the entry, and with it whether ServerSideTokenCheck
	// applies; the verified aud must then name the same entry.
	unverified, err := jose.Parse(raw)
	if err != nil {
		return nil, invalidLogin("Couldn't verify signed token.")
	}
	aud := unverified.UnverifiedClaims().String("aud")
	i := slices.IndexFunc(entries, func(c CognitoIdentityProvider) bool { return c.ClientId == aud })
	claims, err := s.d.UserPools.CheckIDToken(ctx, poolID, raw, i >= 0 && entries[i].serverSide())
	if err != nil {
		return nil, userPoolLoginError(err, unverified, s.now().Unix())
	}
	if i < 0 || claims.String("aud") != aud {
		return nil, invalidLogin("Incorrect token audience.")
	}
	return &login{Key: key, Provider: provider, Kind: kindUserPool, UserID: claims.Subject, ClientID: aud, Claims: claims.Raw,
		Username: claims.String("cognito:username")}, nil
}

// userPoolLoginError maps a CheckIDToken failure to its wire error.
func userPoolLoginError(err error, t *jose.JWS, now int64) error {
	switch {
	case errors.Is(err, userpool.ErrLoginExpired):
		return invalidLogin("Token expired: %s >= %d", expOf(t), now)
	case errors.Is(err, userpool.ErrLoginRevoked):
		return invalidLogin("Token has been revoked, or its user signed out or was disabled.")
	case errors.Is(err, userpool.ErrLoginInvalid):
		return invalidLogin("Couldn't verify signed token.")
	}
	return err
}

// expOf reads a token's exp for an error message (the token is already known authentic).
func expOf(t *jose.JWS) string {
	if n, ok := t.UnverifiedClaims().Raw["exp"].(json.Number); ok {
		return n.String()
	}
	return "?"
}

// validateOpenIDLogin checks an OpenID token this service signed for an identity of pool p.
func (s *Service) validateOpenIDLogin(ctx context.Context, p *storedPool, key, raw string) (*login, error) {
	claims, err := s.d.Keys.Verify(ctx, KeyringID, raw)
	switch {
	case errors.Is(err, jose.ErrExpired):
		exp := "?"
		if t, perr := jose.Parse(raw); perr == nil {
			exp = expOf(t)
		}
		return nil, invalidLogin("Token expired: %s >= %d", exp, s.now().Unix())
	case errors.Is(err, jose.ErrInvalid):
		return nil, invalidLogin("Couldn't verify signed token.")
	case err != nil:
		return nil, err
	}
	if claims.Check(jose.Expect{Issuers: []string{s.OpenIDIssuer()}}) != nil {
		return nil, invalidLogin("Issuer doesn't match providerName")
	}
	if claims.String("aud") != p.IdentityPoolId {
		return nil, invalidLogin("Incorrect token audience.")
	}
	if !validIdentityID(claims.Subject) {
		return nil, invalidLogin("Couldn't verify signed token.")
	}
	return &login{Key: key, Provider: CognitoIdentityProviderName, Kind: kindOpenID, UserID: claims.Subject, Claims: claims.Raw}, nil
}

// authenticated reports whether an OpenID token was issued to an authenticated identity.
func (l *login) authenticated() bool {
	return slices.Contains(claimStrings(l.Claims, "amr"), "authenticated")
}

// validateOIDCLogin checks an ID token of an external OpenID Connect provider: one named by
// the pool's OpenIdConnectProviderARNs (declared in the configuration), or a public provider
// in SupportedLoginProviders that speaks OpenID Connect (e.g. accounts.google.com).
func (s *Service) validateOIDCLogin(ctx context.Context, p *storedPool, key, raw string) (*login, error) {
	var issuers, audiences []string
	jwksURI := ""
	for _, arn := range p.OpenIdConnectProviderARNs {
		if oidcProviderName(arn) != key {
			continue
		}
		prov, err := s.oidcProvider(ctx, key)
		if err != nil {
			return nil, err
		}
		issuers, audiences, jwksURI = []string{prov.Url}, prov.ClientIDList, prov.JwksUri
		break
	}
	if issuers == nil {
		clients, ok := p.SupportedLoginProviders[key]
		if !ok {
			return nil, unsupportedProvider()
		}
		switch key {
		case "graph.facebook.com", "www.amazon.com", "api.twitter.com", "www.digits.com":
			return nil, invalidLogin("poolgate cannot validate %s tokens: the provider does not issue OpenID Connect ID tokens.", key)
		}
		issuers = []string{"https://" + key}
		if key == "accounts.google.com" {
			issuers = append(issuers, key) // Google has issued both forms
		}
		for c := range strings.SplitSeq(clients, ",") {
			if c = strings.TrimSpace(c); c != "" {
				audiences = append(audiences, c)
			}
		}
	}
	claims, err := s.verifyOIDC(ctx, issuers, jwksURI, audiences, raw)
	if err != nil {
		return nil, err
	}
	return &login{Key: key, Provider: key, Kind: kindOIDC, UserID: claims.Subject, ClientID: claims.String("aud"), Claims: claims.Raw}, nil
}

// oidcProvider loads a declared OIDC provider.
func (s *Service) oidcProvider(ctx context.Context, name string) (*OIDCProvider, error) {
	var prov OIDCProvider
	if err := s.getJSON(ctx, oidcRecordKey(name), &prov); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsjson.NotAuthorized("Token is from OpenID Connect provider %s, which poolgate's configuration does not declare.", clip(name))
		}
		return nil, err
	}
	return &prov, nil
}
