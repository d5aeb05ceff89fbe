// Package federation signs users in at external identity providers for managed login: the
// OAuth 2.0 / OpenID Connect code flow toward OIDC providers, Google, Sign in with Apple and
// Login with Amazon, Facebook's Graph API flow, and SAML 2.0 as a service provider
// (the XML side behind samlengine.Engine: github.com/crewjam/saml in-process, or in the
// Worker's companion). It turns a provider's verified answer into a
// userpool.ExternalIdentity, attributes mapped through the provider's AttributeMapping;
// internal/userpool's FederatedSignIn makes the user of it, and internal/oauth runs the browser
// flow around both.
//
// The package keeps no per-sign-in state: Begin returns a Pending (nonce, PKCE verifier, SAML
// request ID) that the caller seals into the state it hands the provider, and Finish checks
// the answer against it. What it does keep, per instance, is what providers publish:
// discovery documents, key sets and fetched SAML metadata, each with a lifetime. Single-use
// state (SAML assertion IDs) goes to the store as consume-once marker keys.
//
// Every request to a provider goes through Config.Transport (the host's fetch), follows no
// redirect, and reads at most maxBody bytes of the answer. Anything a provider gets wrong is
// an error matching ErrProvider, its message bounded.
package federation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// ErrProvider matches every error about what an identity provider or its answer got wrong
// (oauth answers it as an OAuth error redirect: error=invalid_request).
var ErrProvider = errors.New("federation: identity provider error")

// Config is what Federation needs from its host.
type Config struct {
	Transport http.RoundTripper // the host's fetch; never http.DefaultTransport
	Store     store.Store       // SAML replay cache (consume-once marker keys)
	// SAML does SAML's XML work: samlxml in-process, or samlremote toward the Worker's
	// companion. nil: SAML sign-in is refused (ErrProvider).
	SAML   samlengine.Engine
	Crypto hostcrypto.Provider // required
	Now    func() time.Time
	Rand   io.Reader
}

// Federation runs sign-ins at external identity providers. It is safe for concurrent use.
type Federation struct {
	cfg Config

	mu        sync.Mutex
	discovery map[string]cachedDiscovery // by issuer
	keys      map[string]*remoteKeys     // by JWKS URI
	metadata  map[string]cachedMetadata  // SAML IdP metadata by MetadataURL
}

// New returns a Federation over cfg. Now and Rand default to the real clock and crypto/rand;
// Crypto is required (there is no default, so that a build whose host supplies its own
// provider, the Worker, links no pure-Go public-key code). Without a Transport no provider
// can be reached, and without a Store SAML responses are refused (their replay cache is the
// store).
func New(cfg Config) *Federation {
	if cfg.Crypto == nil {
		panic("federation: Config.Crypto is nil")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Federation{
		cfg:       cfg,
		discovery: map[string]cachedDiscovery{},
		keys:      map[string]*remoteKeys{},
		metadata:  map[string]cachedMetadata{},
	}
}

// Pending is what must survive between Begin and Finish; the oauth package seals it inside
// its own state (OIDC `state` / SAML `RelayState`), so federation keeps nothing itself.
type Pending struct {
	Nonce     string `json:"n,omitempty"`
	Verifier  string `json:"v,omitempty"` // PKCE code_verifier toward the provider
	RequestID string `json:"r,omitempty"` // SAML AuthnRequest ID (InResponseTo)
}

// Begin returns the URL to send the browser to. state is the opaque value the provider must
// hand back unchanged (as `state` for OAuth/OIDC providers, `RelayState` for SAML).
// callback is https://<managed-login origin>/oauth2/idpresponse for OAuth/OIDC providers and
// .../saml2/idpresponse for SAML.
func (f *Federation) Begin(ctx context.Context, poolID string, ip *userpool.IdentityProvider, callback, state string) (string, Pending, error) {
	if ip == nil {
		return "", Pending{}, providerErr("no identity provider")
	}
	switch ip.ProviderType {
	case "SAML":
		return f.beginSAML(ctx, poolID, ip, callback, state)
	case "Facebook", "LoginWithAmazon", "OIDC", "Google", "SignInWithApple":
		return f.beginOAuth(ctx, ip, callback, state)
	}
	return "", Pending{}, providerErr("provider type %s has no sign-in flow", ip.ProviderType)
}

// FinishOAuth redeems code at the provider (OIDC, Google, Apple, Amazon, Facebook) and returns
// the identity; ID tokens are verified with internal/jose (issuer, audience, nonce, expiry,
// signature from the provider's JWKS).
func (f *Federation) FinishOAuth(ctx context.Context, poolID string, ip *userpool.IdentityProvider, callback, code string, p Pending) (*userpool.ExternalIdentity, error) {
	if ip == nil {
		return nil, providerErr("no identity provider")
	}
	if code == "" || len(code) > maxCode {
		return nil, providerErr("the provider returned no usable authorization code")
	}
	switch ip.ProviderType {
	case "Facebook":
		return f.finishFacebook(ctx, ip, callback, code)
	case "LoginWithAmazon":
		return f.finishAmazon(ctx, ip, callback, code, p)
	case "OIDC", "Google", "SignInWithApple":
		return f.finishOIDC(ctx, ip, callback, code, p)
	}
	return nil, providerErr("provider type %s does not use the OAuth flow", ip.ProviderType)
}

// maxCode bounds an authorization code handed back by a provider.
const maxCode = 4096

// providerErr is an ErrProvider with a bounded message.
func providerErr(format string, args ...any) error {
	return &providerError{msg: bound.String(fmt.Sprintf(format, args...), bound.MessageBytes-64)}
}

type providerError struct{ msg string }

func (e *providerError) Error() string        { return "identity provider: " + e.msg }
func (e *providerError) Is(target error) bool { return target == ErrProvider }

// randomToken returns n random bytes, base64url without padding.
func (f *Federation) randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(f.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("federation: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// pkceChallenge is the S256 code_challenge of verifier (RFC 7636 §4.2).
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
