package identitypool

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/token"
)

// External OIDC key handling: a provider's JWKS (found through its discovery document unless
// configured) is fetched on first use and cached per instance for oidcTTL; a token naming an
// unknown kid triggers a refetch, at most once per oidcRefetchGap, so forged kids cannot
// make poolgate hammer the provider.
const (
	oidcTTL        = time.Hour
	oidcRefetchGap = time.Minute
	maxFetchBytes  = 1 << 20
	maxJWKSKeys    = 64
)

type jwkKey struct {
	alg  string // RS256 | ES256
	pkix []byte
}

type oidcEntry struct {
	keys    map[string]jwkKey // by kid
	fetched time.Time         // last successful fetch
	tried   time.Time         // last attempt
}

type oidcCache struct {
	mu      sync.Mutex
	entries map[string]*oidcEntry // by JWKS URI
	jwksURI map[string]string     // discovered JWKS URI by issuer
}

func newOIDCCache() *oidcCache {
	return &oidcCache{entries: map[string]*oidcEntry{}, jwksURI: map[string]string{}}
}

var b64url = base64.RawURLEncoding.Strict()

// errFetch marks a failure to reach the provider.
var errFetch = errors.New("identitypool: fetching provider keys")

func externalService(err error) error {
	return awsjson.New(awsjson.ErrExternalService, "The OpenID Connect provider could not be reached: %v", err)
}

// verifyOIDC verifies an external ID token: RS256 or ES256 with a kid from the provider's
// JWKS, iss among issuers, aud (string or list) among audiences, exp in the future, nbf
// passed, and a sub.
func (s *Service) verifyOIDC(ctx context.Context, issuers []string, jwksURI string, audiences []string, raw string) (map[string]any, error) {
	bad := func() error { return invalidLogin("Couldn't verify signed token.") }
	header, claims, err := token.ParseUnverified(raw)
	if err != nil {
		return nil, bad()
	}
	alg, _ := header["alg"].(string)
	kid, _ := header["kid"].(string)
	if (alg != "RS256" && alg != "ES256") || kid == "" || header["crit"] != nil {
		return nil, bad()
	}
	iss, _ := claims["iss"].(string)
	if !slices.Contains(issuers, iss) {
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
	key, err := s.oidcKeyFor(ctx, jwksURI, kid)
	if err != nil {
		if errors.Is(err, errFetch) {
			return nil, externalService(err)
		}
		return nil, bad()
	}
	if key.alg != alg {
		return nil, bad()
	}
	i := strings.LastIndexByte(raw, '.')
	sig, err := b64url.DecodeString(raw[i+1:])
	if err != nil {
		return nil, bad()
	}
	digest := sha256.Sum256([]byte(raw[:i]))
	if alg == "RS256" {
		err = s.d.Crypto.VerifyRSA(key.pkix, digest[:], sig)
	} else {
		err = s.d.Crypto.VerifyECDSA(key.pkix, digest[:], sig)
	}
	if errors.Is(err, hostcrypto.ErrVerify) {
		return nil, bad()
	}
	if err != nil {
		return nil, fmt.Errorf("identitypool: verifying %s token: %w", alg, err)
	}

	now := s.now()
	exp, ok := numericClaim(claims, "exp")
	if !ok {
		return nil, bad()
	}
	if float64(now.Unix()) >= exp {
		return nil, invalidLogin("Token expired: %s >= %d", claims["exp"], now.Unix())
	}
	if nbf, ok := numericClaim(claims, "nbf"); ok && float64(now.Unix()) < nbf {
		return nil, invalidLogin("Token is not valid yet.")
	} else if _, present := claims["nbf"]; present && !ok {
		return nil, bad()
	}
	if !audienceMatches(claims["aud"], audiences) {
		return nil, invalidLogin("Incorrect token audience.")
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return nil, bad()
	}
	return claims, nil
}

func numericClaim(claims map[string]any, name string) (float64, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func audienceMatches(aud any, allowed []string) bool {
	switch a := aud.(type) {
	case string:
		return slices.Contains(allowed, a)
	case []any:
		for _, e := range a {
			if s, ok := e.(string); ok && slices.Contains(allowed, s) {
				return true
			}
		}
	}
	return false
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

// oidcKeyFor returns the key kid of the JWKS at uri, fetching it when it is not cached, is
// stale, or lacks kid (rate-limited).
func (s *Service) oidcKeyFor(ctx context.Context, uri, kid string) (jwkKey, error) {
	now := s.now()
	s.oidc.mu.Lock()
	e := s.oidc.entries[uri]
	if e != nil {
		if k, ok := e.keys[kid]; ok && now.Sub(e.fetched) < oidcTTL {
			s.oidc.mu.Unlock()
			return k, nil
		}
		if now.Sub(e.tried) < oidcRefetchGap {
			k, ok := e.keys[kid]
			s.oidc.mu.Unlock()
			if ok {
				return k, nil
			}
			return jwkKey{}, errors.New("identitypool: unknown kid")
		}
	}
	s.oidc.mu.Unlock()

	body, err := s.fetch(ctx, uri)
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	e = s.oidc.entries[uri]
	if e == nil {
		e = &oidcEntry{}
		s.oidc.entries[uri] = e
	}
	e.tried = now
	if err != nil {
		return jwkKey{}, err
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return jwkKey{}, fmt.Errorf("%w: %s: %v", errFetch, uri, err)
	}
	e.keys, e.fetched = keys, now
	k, ok := keys[kid]
	if !ok {
		return jwkKey{}, errors.New("identitypool: unknown kid")
	}
	return k, nil
}

// parseJWKS reads the RSA and P-256 signing keys of a JWK Set; other keys are skipped.
func parseJWKS(b []byte) (map[string]jwkKey, error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			N   string `json:"n"`
			E   string `json:"e"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %v", err)
	}
	if len(set.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("JWKS holds %d keys, more than %d", len(set.Keys), maxJWKSKeys)
	}
	out := map[string]jwkKey{}
	for _, k := range set.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		switch k.Kty {
		case "RSA":
			if k.Alg != "" && k.Alg != "RS256" {
				continue
			}
			n, err1 := b64url.DecodeString(k.N)
			e, err2 := b64url.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(n) < 256 || len(n) > 512 || len(e) == 0 || len(e) > 4 {
				continue
			}
			exp := int(new(big.Int).SetBytes(e).Int64())
			if exp < 3 || exp%2 == 0 {
				continue
			}
			der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp})
			if err != nil {
				continue
			}
			out[k.Kid] = jwkKey{alg: "RS256", pkix: der}
		case "EC":
			if k.Crv != "P-256" || (k.Alg != "" && k.Alg != "ES256") {
				continue
			}
			x, err1 := b64url.DecodeString(k.X)
			y, err2 := b64url.DecodeString(k.Y)
			if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
				continue
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err != nil {
				continue
			}
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				continue
			}
			out[k.Kid] = jwkKey{alg: "ES256", pkix: der}
		}
	}
	return out, nil
}
