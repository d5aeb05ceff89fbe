package federation

import (
	"context"
	"crypto/subtle"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/userpool"
)

// The OpenID Connect code flow (OIDC providers, Google, Sign in with Apple) and the plain
// OAuth 2.0 code flow of Login with Amazon and Facebook. Endpoints come from
// ProviderDetails (Cognito's presets fill them for the social providers); an OIDC provider
// missing any of authorize_url, token_url or jwks_uri is looked up in its issuer's discovery
// document (cached per instance for discoveryTTL).
const (
	discoveryTTL = time.Hour
	// keysTTL and keysPenalty: a provider's key set is trusted for keysTTL; a token naming an
	// unknown kid refetches it at most once per keysPenalty (internal/jose's penalty box).
	keysTTL     = time.Hour
	keysPenalty = time.Minute
)

// idTokenAlgs are the signature algorithms accepted on providers' ID tokens.
var idTokenAlgs = []string{jose.RS256, jose.ES256}

type remoteKeys = jose.RemoteKeys

// endpoints are a provider's URLs for one sign-in.
type endpoints struct {
	authorize, token, userinfo, jwks string
	issuers                          []string // accepted iss values of ID tokens
	// basicAuth: send the client secret with HTTP Basic (client_secret_basic) rather than
	// in the form (client_secret_post).
	basicAuth bool
}

type discoveryDoc struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	JwksURI               string   `json:"jwks_uri"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
}

type cachedDiscovery struct {
	doc     discoveryDoc
	fetched time.Time
}

// endpointsOf resolves ip's endpoints.
func (f *Federation) endpointsOf(ctx context.Context, ip *userpool.IdentityProvider) (*endpoints, error) {
	d := ip.ProviderDetails
	e := &endpoints{authorize: d["authorize_url"], token: d["token_url"], userinfo: d["attributes_url"], jwks: d["jwks_uri"]}
	if iss := d["oidc_issuer"]; iss != "" {
		e.issuers = []string{iss}
	}
	switch ip.ProviderType {
	case "Google":
		// Google writes its issuer with and without the scheme.
		e.issuers = append(e.issuers, "accounts.google.com")
	case "OIDC":
		if e.authorize == "" || e.token == "" || e.jwks == "" {
			doc, err := f.discover(ctx, d["oidc_issuer"])
			if err != nil {
				return nil, err
			}
			e.authorize = cmpOr(e.authorize, doc.AuthorizationEndpoint)
			e.token = cmpOr(e.token, doc.TokenEndpoint)
			e.jwks = cmpOr(e.jwks, doc.JwksURI)
			e.userinfo = cmpOr(e.userinfo, doc.UserinfoEndpoint)
			// RFC 8414 §2: client_secret_basic is the default when the list is absent.
			e.basicAuth = len(doc.TokenAuthMethods) == 0 || slices.Contains(doc.TokenAuthMethods, "client_secret_basic")
		}
	}
	for name, v := range map[string]string{"authorize_url": e.authorize, "token_url": e.token} {
		if _, err := checkEndpoint(name, v); err != nil {
			return nil, err
		}
	}
	for name, v := range map[string]string{"attributes_url": e.userinfo, "jwks_uri": e.jwks} {
		if v == "" {
			continue
		}
		if _, err := checkEndpoint(name, v); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// discover returns issuer's discovery document (OpenID Connect Discovery 1.0 §4), cached.
func (f *Federation) discover(ctx context.Context, issuer string) (*discoveryDoc, error) {
	if _, err := checkEndpoint("oidc_issuer", issuer); err != nil {
		return nil, err
	}
	now := f.cfg.Now()
	f.mu.Lock()
	c, ok := f.discovery[issuer]
	f.mu.Unlock()
	if ok && now.Sub(c.fetched) < discoveryTTL {
		return &c.doc, nil
	}
	var doc discoveryDoc
	if err := f.getJSON(ctx, "discovery", strings.TrimRight(issuer, "/")+"/.well-known/openid-configuration", "", &doc); err != nil {
		return nil, err
	}
	if doc.Issuer != issuer {
		return nil, providerErr("discovery: the document names issuer %q, not %q", doc.Issuer, issuer)
	}
	f.mu.Lock()
	f.discovery[issuer] = cachedDiscovery{doc: doc, fetched: now}
	f.mu.Unlock()
	return &doc, nil
}

// beginOAuth builds the authorization request of an OAuth 2.0 / OIDC provider.
func (f *Federation) beginOAuth(ctx context.Context, ip *userpool.IdentityProvider, callback, state string) (string, Pending, error) {
	e, err := f.endpointsOf(ctx, ip)
	if err != nil {
		return "", Pending{}, err
	}
	au, _ := url.Parse(e.authorize)
	q := au.Query()
	q.Set("response_type", "code")
	q.Set("client_id", ip.ProviderDetails["client_id"])
	q.Set("redirect_uri", callback)
	q.Set("state", state)
	scopes := strings.FieldsFunc(ip.ProviderDetails["authorize_scopes"], func(r rune) bool { return r == ' ' || r == ',' })
	var p Pending
	switch ip.ProviderType {
	case "Facebook":
		// Graph API scopes are comma-separated.
		q.Set("scope", strings.Join(scopes, ","))
	default:
		q.Set("scope", strings.Join(scopes, " "))
	}
	switch ip.ProviderType {
	case "OIDC", "Google", "SignInWithApple":
		if p.Nonce, err = f.randomToken(32); err != nil {
			return "", Pending{}, err
		}
		q.Set("nonce", p.Nonce)
	}
	switch ip.ProviderType {
	case "OIDC", "Google", "LoginWithAmazon":
		// PKCE (RFC 7636, S256) toward the providers that take it.
		if p.Verifier, err = f.randomToken(32); err != nil {
			return "", Pending{}, err
		}
		q.Set("code_challenge", pkceChallenge(p.Verifier))
		q.Set("code_challenge_method", "S256")
	}
	if ip.ProviderType == "SignInWithApple" && len(scopes) > 0 {
		// Apple answers requests for name or email only with response_mode=form_post, so its
		// callback arrives as a POST to /oauth2/idpresponse.
		q.Set("response_mode", "form_post")
	}
	au.RawQuery = q.Encode()
	return au.String(), p, nil
}

// tokenResponse is a token endpoint's answer (RFC 6749 §5.1, OIDC Core §3.1.3.3).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
}

// redeem exchanges code at the token endpoint.
func (f *Federation) redeem(ctx context.Context, ip *userpool.IdentityProvider, e *endpoints, callback, code, verifier string) (*tokenResponse, error) {
	clientID := ip.ProviderDetails["client_id"]
	secret := ip.ProviderDetails["client_secret"]
	if ip.ProviderType == "SignInWithApple" {
		var err error
		if secret, err = f.appleClientSecret(ip); err != nil {
			return nil, err
		}
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	basicUser := ""
	if e.basicAuth {
		basicUser = clientID
	} else {
		form.Set("client_id", clientID)
		form.Set("client_secret", secret)
	}
	var tr tokenResponse
	if err := f.postForm(ctx, "token request", e.token, form, basicUser, secret, "", &tr); err != nil {
		return nil, err
	}
	if tr.AccessToken == "" && tr.IDToken == "" {
		return nil, providerErr("token request: the answer holds no token")
	}
	return &tr, nil
}

// finishOIDC redeems the code of an OIDC provider, Google or Apple, verifies the ID token
// and reads the user info endpoint when there is one.
func (f *Federation) finishOIDC(ctx context.Context, ip *userpool.IdentityProvider, callback, code string, p Pending) (*userpool.ExternalIdentity, error) {
	e, err := f.endpointsOf(ctx, ip)
	if err != nil {
		return nil, err
	}
	tr, err := f.redeem(ctx, ip, e, callback, code, p.Verifier)
	if err != nil {
		return nil, err
	}
	if tr.IDToken == "" {
		return nil, providerErr("token request: the answer holds no id_token")
	}
	claims, err := f.verifyIDToken(ctx, ip, e, tr.IDToken, p.Nonce)
	if err != nil {
		return nil, err
	}
	attrs := flatClaims(claims.Raw)
	if e.userinfo != "" && tr.AccessToken != "" {
		info, err := f.userinfo(ctx, ip, e.userinfo, tr.AccessToken)
		if err != nil {
			return nil, err
		}
		// OIDC Core §5.3.2: user info whose sub is not the ID token's must not be used.
		if info["sub"] != claims.Subject {
			return nil, providerErr("user info: its sub is not the ID token's")
		}
		for k, v := range info {
			attrs[k] = v
		}
	}
	return identity(ip, attrs, claims.Subject, claims.Issuer)
}

// userinfo reads the attributes endpoint with the access token, by GET or, when
// attributes_request_method says so, POST.
func (f *Federation) userinfo(ctx context.Context, ip *userpool.IdentityProvider, endpoint, accessToken string) (map[string]string, error) {
	var raw map[string]any
	var err error
	if ip.ProviderDetails["attributes_request_method"] == "POST" {
		err = f.postForm(ctx, "user info", endpoint, url.Values{}, "", "", accessToken, &raw)
	} else {
		err = f.getJSON(ctx, "user info", endpoint, accessToken, &raw)
	}
	if err != nil {
		return nil, err
	}
	return flatClaims(raw), nil
}

// verifyIDToken verifies an ID token through internal/jose: RS256 or ES256 signature by a
// key of the provider's JWKS, exp/nbf/iat, iss among the provider's issuers, aud naming the
// client id (and azp the client when there are several audiences), the nonce Begin sent,
// and a sub.
func (f *Federation) verifyIDToken(ctx context.Context, ip *userpool.IdentityProvider, e *endpoints, raw, nonce string) (*jose.Claims, error) {
	if e.jwks == "" {
		return nil, providerErr("the provider has no jwks_uri to verify its ID token with")
	}
	v := jose.Verifier{Crypto: f.cfg.Crypto, Keys: f.jwksOf(e.jwks), Algs: idTokenAlgs, Now: f.cfg.Now}
	claims, _, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, providerErr("ID token: %v", err)
	}
	clientID := ip.ProviderDetails["client_id"]
	if err := claims.Check(jose.Expect{Issuers: e.issuers, Audiences: []string{clientID}}); err != nil {
		return nil, providerErr("ID token: %v", err)
	}
	if len(claims.Audience) > 1 && claims.String("azp") != clientID {
		return nil, providerErr("ID token: several audiences and azp is not the client")
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(claims.String("nonce")), []byte(nonce)) != 1 {
		return nil, providerErr("ID token: the nonce is not the one sent")
	}
	if claims.Subject == "" {
		return nil, providerErr("ID token: no sub")
	}
	return claims, nil
}

// jwksOf returns the cached key set at uri, fetched through the host's transport.
func (f *Federation) jwksOf(uri string) *remoteKeys {
	f.mu.Lock()
	defer f.mu.Unlock()
	ks := f.keys[uri]
	if ks == nil {
		ks = &jose.RemoteKeys{Name: uri, Now: f.cfg.Now, TTL: keysTTL, Penalty: keysPenalty,
			Fetch: func(ctx context.Context) ([]byte, error) {
				req, err := newGet(ctx, uri)
				if err != nil {
					return nil, err
				}
				return f.send(req, "key set")
			}}
		f.keys[uri] = ks
	}
	return ks
}
