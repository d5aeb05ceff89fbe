package identitypool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/jose"
)

// External OIDC key handling: a provider's JWKS (found through its discovery document unless
// configured) is fetched on first use through the host's fetch and cached per instance by
// internal/jose for oidcTTL; a token naming an unknown kid triggers a refetch, at most once
// per oidcRefetchGap (jose's penalty box), so forged kids cannot make poolgate hammer the
// provider.
const (
	oidcTTL        = time.Hour
	oidcRefetchGap = time.Minute
	maxFetchBytes  = 1 << 20
)

// oidcAlgs are the algorithms accepted from external providers.
var oidcAlgs = []string{jose.RS256, jose.ES256}

type oidcCache struct {
	mu      sync.Mutex
	keys    map[string]*jose.RemoteKeys // by JWKS URI
	jwksURI map[string]string           // discovered JWKS URI by issuer
}

func newOIDCCache() *oidcCache {
	return &oidcCache{keys: map[string]*jose.RemoteKeys{}, jwksURI: map[string]string{}}
}

// errFetch marks a failure to reach the provider.
var errFetch = errors.New("identitypool: fetching provider keys")

func externalService(err error) error {
	return awsjson.New(awsjson.ErrExternalService, "The OpenID Connect provider could not be reached: %v", err)
}

// verifyOIDC verifies an external ID token with internal/jose: RS256 or ES256 with a key of
// the provider's JWKS, iss among issuers, exp, nbf and iat (no skew), aud (string or list)
// among audiences, and a sub.
func (s *Service) verifyOIDC(ctx context.Context, issuers []string, jwksURI string, audiences []string, raw string) (*jose.Claims, error) {
	bad := func() error { return invalidLogin("Couldn't verify signed token.") }
	t, err := jose.Parse(raw)
	if err != nil || jose.CheckAlg(t, oidcAlgs) != nil {
		return nil, bad()
	}
	unverified := t.UnverifiedClaims()
	if !slices.Contains(issuers, unverified.Issuer) {
		return nil, invalidLogin("Issuer doesn't match providerName")
	}
	if s.d.Fetch == nil {
		return nil, externalService(errors.New("this host has no outbound fetch"))
	}
	if jwksURI == "" {
		if jwksURI, err = s.discoverJWKS(ctx, issuers[0]); err != nil {
			return nil, externalService(err)
		}
	}
	v := jose.Verifier{Crypto: s.d.Crypto, Keys: s.oidcKeys(jwksURI), Algs: oidcAlgs, Now: s.now}
	claims, _, err := v.VerifyParsed(ctx, t)
	switch {
	case errors.Is(err, jose.ErrExpired):
		return nil, invalidLogin("Token expired: %v >= %d", unverified.Raw["exp"], s.now().Unix())
	case errors.Is(err, jose.ErrNotYetValid):
		return nil, invalidLogin("Token is not valid yet.")
	case errors.Is(err, jose.ErrInvalid):
		return nil, bad()
	case errors.Is(err, jose.ErrKeysUnavailable):
		return nil, externalService(err)
	case err != nil:
		return nil, fmt.Errorf("identitypool: verifying %s token: %w", t.Alg, err)
	}
	if claims.Check(jose.Expect{Audiences: audiences}) != nil {
		return nil, invalidLogin("Incorrect token audience.")
	}
	if claims.Subject == "" {
		return nil, bad()
	}
	return claims, nil
}

// oidcKeys returns the cached key set of the JWKS at uri, creating it on first use.
func (s *Service) oidcKeys(uri string) *jose.RemoteKeys {
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	ks := s.oidc.keys[uri]
	if ks == nil {
		ks = &jose.RemoteKeys{Name: uri, Now: s.now, TTL: oidcTTL, Penalty: oidcRefetchGap,
			Fetch: func(ctx context.Context) ([]byte, error) { return s.fetch(ctx, uri) }}
		s.oidc.keys[uri] = ks
	}
	return ks
}

// discoverJWKS reads the provider's discovery document for its jwks_uri (cached).
func (s *Service) discoverJWKS(ctx context.Context, issuer string) (string, error) {
	s.oidc.mu.Lock()
	uri, ok := s.oidc.jwksURI[issuer]
	s.oidc.mu.Unlock()
	if ok {
		return uri, nil
	}
	body, err := s.fetch(ctx, strings.TrimRight(issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JwksURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("%w: discovery document: %v", errFetch, err)
	}
	if doc.Issuer != issuer || !(strings.HasPrefix(doc.JwksURI, "https://") || strings.HasPrefix(doc.JwksURI, "http://")) {
		return "", fmt.Errorf("%w: discovery document of %s names issuer %q, jwks_uri %q", errFetch, issuer, doc.Issuer, doc.JwksURI)
	}
	s.oidc.mu.Lock()
	s.oidc.jwksURI[issuer] = doc.JwksURI
	s.oidc.mu.Unlock()
	return doc.JwksURI, nil
}

func (s *Service) fetch(ctx context.Context, url string) ([]byte, error) {
	body, err := s.d.Fetch(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errFetch, url, err)
	}
	if len(body) > maxFetchBytes {
		return nil, fmt.Errorf("%w: %s: response over %d bytes", errFetch, url, maxFetchBytes)
	}
	return body, nil
}
