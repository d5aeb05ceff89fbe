package gateway

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/handoff"
	"github.com/poolgate/poolgate/internal/jose"
)

// RouteSpec declares one gateway route in the configuration file's "Routes" section.
//
// A request belongs to a route when its Host matches Host (if set), its path is PathPrefix or
// lies beneath it (a prefix "/api" matches "/api" and "/api/x", not "/apix"), and its method is
// one of Methods (if set). The longest matching prefix wins; a route with a Host beats one
// without for the same prefix.
type RouteSpec struct {
	Name       string   `json:"Name,omitempty"` // for logs and the X-Poolgate-Route header; default PathPrefix
	Type       string   `json:"Type,omitempty"` // "jwt" (default) or "sigv4"
	PathPrefix string   `json:"PathPrefix"`
	Methods    []string `json:"Methods,omitempty"`
	Host       string   `json:"Host,omitempty"` // exact host (and port, if sent), case-insensitive

	// Origin is the URL allowed requests are forwarded to: scheme, host and an optional base
	// path the request path is appended to (after removing PathPrefix when StripPrefix).
	Origin       string `json:"Origin"`
	StripPrefix  bool   `json:"StripPrefix,omitempty"`
	PreserveHost bool   `json:"PreserveHost,omitempty"` // send the client's Host instead of the origin's
	// ForwardAuthorization keeps the Authorization header (and, on sigv4 routes,
	// X-Amz-Security-Token) on forwarded requests; by default they are removed.
	ForwardAuthorization bool `json:"ForwardAuthorization,omitempty"`

	Jwt   *JWTSpec   `json:"Jwt,omitempty"`   // required for Type "jwt"
	SigV4 *SigV4Spec `json:"SigV4,omitempty"` // optional for Type "sigv4" (S3-style defaults)
	Cors  *CORSSpec  `json:"Cors,omitempty"`  // nil: no CORS handling (preflights need a token like any request)
}

// JWTSpec is what a jwt route requires of the bearer token.
type JWTSpec struct {
	// Issuers the token may come from (matched exactly on the iss claim).
	Issuers []IssuerSpec `json:"Issuers"`
	// TokenUse "access" or "id" requires that token_use claim; "" accepts either (or none).
	TokenUse string `json:"TokenUse,omitempty"`
	// ClientIds, when set, must contain the token's client: client_id for access tokens, aud
	// (any element) for ID tokens, either one for tokens without token_use.
	ClientIds []string `json:"ClientIds,omitempty"`
	// Scopes, when set, are required from the scope claim (space-separated) or scp (array):
	// any one of them, or all with ScopeMatch "all".
	Scopes     []string `json:"Scopes,omitempty"`
	ScopeMatch string   `json:"ScopeMatch,omitempty"` // "any" (default) or "all"
	// Groups, when set, requires membership of at least one of them (the issuer's GroupsClaim).
	Groups []string `json:"Groups,omitempty"`
	// CheckRevocation honours GlobalSignOut, AdminUserGlobalSignOut, AdminDisableUser, user
	// deletion and RevokeToken for tokens of poolgate's own pools. Each instance caches what it
	// read for RevocationCacheSeconds (default 30, 0 reads the store on every request), which
	// bounds how long a revoked token still passes (plus the store's own propagation delay).
	CheckRevocation        bool `json:"CheckRevocation,omitempty"`
	RevocationCacheSeconds *int `json:"RevocationCacheSeconds,omitempty"`
	// ClockSkewSeconds is the leeway on exp, nbf and iat (default 30, at most 300).
	ClockSkewSeconds *int `json:"ClockSkewSeconds,omitempty"`
}

// IssuerSpec names one token issuer: a poolgate user pool (UserPoolId), or any other issuer
// (Issuer, with its JWKS at JwksUri, default Issuer + "/.well-known/jwks.json").
type IssuerSpec struct {
	UserPoolId string `json:"UserPoolId,omitempty"`
	Issuer     string `json:"Issuer,omitempty"`
	JwksUri    string `json:"JwksUri,omitempty"`
	// Algorithms allowed for this issuer's tokens: "RS256" (the default) and/or "ES256".
	// "none" and HMAC algorithms can never be allowed.
	Algorithms []string `json:"Algorithms,omitempty"`
	// JwksCacheSeconds is how long fetched keys are trusted before they are fetched again
	// (default 3600; 300 for poolgate pools). Unknown kids trigger an earlier refetch, at most
	// one per PenaltySeconds.
	JwksCacheSeconds *int `json:"JwksCacheSeconds,omitempty"`
	// GroupsClaim names the claim holding group names (default "cognito:groups").
	GroupsClaim string `json:"GroupsClaim,omitempty"`
}

// SigV4Spec configures a sigv4 route. The zero value is S3 style: path-style requests
// /<bucket>/<key> below the prefix, GET/HEAD → s3:GetObject (s3:ListBucket without a key),
// PUT → s3:PutObject, DELETE → s3:DeleteObject, resource arn:aws:s3:::<bucket>/<key>
// (arn:aws:s3:::<bucket> without a key), errors as S3's XML.
type SigV4Spec struct {
	Service string `json:"Service,omitempty"` // credential scope service; default "s3"
	Region  string `json:"Region,omitempty"`  // credential scope region; "" accepts any
	// Bucket fixes the bucket: the whole path below the prefix is then the key.
	Bucket string `json:"Bucket,omitempty"`
	// Actions maps an HTTP method to the policy action, replacing the S3 default for it.
	Actions map[string]string `json:"Actions,omitempty"`
	// Resource is the resource template; {bucket}, {key} and {path} (the path below the
	// prefix, without its leading slash) are substituted. Default: the S3 ARNs above.
	Resource    string `json:"Resource,omitempty"`
	ErrorFormat string `json:"ErrorFormat,omitempty"` // "xml" (default) or "json"
	// MaxSkewSeconds bounds the distance between X-Amz-Date and the clock (default 300).
	MaxSkewSeconds int `json:"MaxSkewSeconds,omitempty"`
}

// CORSSpec answers browsers' preflights at the edge and adds CORS headers to responses.
type CORSSpec struct {
	AllowOrigins     []string `json:"AllowOrigins"`            // exact origins ("https://app.example.com") or "*"
	AllowMethods     []string `json:"AllowMethods,omitempty"`  // default: the route's Methods, or the common ones
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`  // default: what the route type needs; "*" allows any
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"` // WWW-Authenticate is always exposed
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	MaxAgeSeconds    *int     `json:"MaxAgeSeconds,omitempty"` // default 600
}

// Route types.
const (
	TypeJWT   = "jwt"
	TypeSigV4 = "sigv4"
)

// Algorithms the gateway can verify.
const (
	RS256 = jose.RS256
	ES256 = jose.ES256
)

// Defaults and limits of the configuration.
const (
	DefaultClockSkew       = 30 * time.Second
	MaxClockSkew           = 5 * time.Minute
	DefaultRevocationCache = 30 * time.Second
	MaxRevocationCache     = 10 * time.Minute
	DefaultJWKSCache       = time.Hour
	DefaultPoolKeysCache   = 5 * time.Minute
	// PenaltySeconds is the least time between two JWKS fetches caused by unknown kids or
	// failed fetches (aws-jwt-verify's penalty box).
	PenaltySeconds    = 10
	DefaultCORSMaxAge = 10 * time.Minute
	maxRoutes         = 256
)

var defaultCORSMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

var (
	jwtCORSHeaders   = []string{"authorization", "content-type"}
	sigv4CORSHeaders = []string{"authorization", "content-type", "x-amz-date", "x-amz-security-token",
		"x-amz-content-sha256", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request"}
)

// route is a RouteSpec checked and compiled for matching and serving.
type route struct {
	name       string
	typ        string
	prefix     string // without a trailing slash, except "/" itself
	methods    []string
	host       string // lower case
	origin     *url.URL
	strip      bool
	keepHost   bool
	keepAuthz  bool
	jwt        *jwtRoute
	sigv4      *sigv4Route
	cors       *corsPolicy
	specOrigin string
	reuseDrop  []string // the request headers forwarding removes (handoff.go, Reuse)

	// plainAnswers are the handoff's failure answers when no header was set beforehand
	// (handoff.go): the same for every request of the route, so made once.
	plainAnswers struct {
		once                  sync.Once
		unreachable, timedOut handoff.Answer
	}
}

type jwtRoute struct {
	issuers         []*issuer
	tokenUse        string
	clientIDs       []string
	scopes          []string
	allScopes       bool
	groups          []string
	checkRevocation bool
	revocationTTL   time.Duration
	skew            time.Duration
}

// issuer is one accepted token issuer; keys identifies its key set in the gateway's cache.
type issuer struct {
	iss         string // exact iss claim
	poolID      string // poolgate pool, "" for external issuers
	jwksURI     string // external issuers
	algs        []string
	jwksTTL     time.Duration
	groupsClaim string
	keys        string
}

type sigv4Route struct {
	service  string
	region   string
	bucket   string
	actions  map[string]string
	resource string
	json     bool
	maxSkew  time.Duration
}

type corsPolicy struct {
	origins     []string
	anyOrigin   bool
	methods     []string
	headers     []string // lower case
	anyHeader   bool
	expose      string
	credentials bool
	maxAge      string
}

// compileContext supplies what compiling needs from the service.
type compileContext struct {
	poolIssuer func(poolID string) string // nil: no poolgate pools available
	sigv4      bool                       // sigv4 routes can be served
}

// compileRoutes checks specs and compiles them. Errors name the route.
func compileRoutes(specs []RouteSpec, cc compileContext) ([]*route, error) {
	if len(specs) > maxRoutes {
		return nil, fmt.Errorf("gateway: %d routes; at most %d", len(specs), maxRoutes)
	}
	routes := make([]*route, 0, len(specs))
	names := map[string]bool{}
	for i := range specs {
		rt, err := compileRoute(&specs[i], cc)
		if err != nil {
			name := specs[i].Name
			if name == "" {
				name = specs[i].PathPrefix
			}
			return nil, fmt.Errorf("gateway: route %d (%q): %w", i, name, err)
		}
		if names[rt.name] {
			return nil, fmt.Errorf("gateway: route %d: the name %q is used twice", i, rt.name)
		}
		names[rt.name] = true
		for _, other := range routes {
			if other.prefix == rt.prefix && other.host == rt.host && methodsOverlap(other.methods, rt.methods) {
				return nil, fmt.Errorf("gateway: routes %q and %q serve the same host, prefix and method", other.name, rt.name)
			}
		}
		routes = append(routes, rt)
	}
	return routes, nil
}

func methodsOverlap(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, m := range a {
		if slices.Contains(b, m) {
			return true
		}
	}
	return false
}

func compileRoute(s *RouteSpec, cc compileContext) (*route, error) {
	rt := &route{name: s.Name, typ: s.Type, strip: s.StripPrefix, keepHost: s.PreserveHost,
		keepAuthz: s.ForwardAuthorization, specOrigin: s.Origin, reuseDrop: reuseDropFor(s.ForwardAuthorization)}
	if rt.typ == "" {
		rt.typ = TypeJWT
	}
	p := s.PathPrefix
	switch {
	case p == "" || p[0] != '/':
		return nil, errors.New("PathPrefix must start with /")
	case strings.ContainsAny(p, "?#%\\") || hasControl(p):
		return nil, errors.New("PathPrefix must be a plain path (no ?, #, %, \\ or control characters)")
	case cleanPathErr(p) != "":
		return nil, fmt.Errorf("PathPrefix %s", cleanPathErr(p))
	}
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	rt.prefix = p
	if rt.name == "" {
		rt.name = p
	}
	if hasControl(rt.name) || len(rt.name) > 128 {
		return nil, errors.New("Name must be at most 128 characters without control characters")
	}
	for _, m := range s.Methods {
		if !validMethod(m) {
			return nil, fmt.Errorf("method %q is not an upper-case HTTP method token", m)
		}
		if !slices.Contains(rt.methods, m) {
			rt.methods = append(rt.methods, m)
		}
	}
	rt.host = strings.ToLower(s.Host)
	if strings.ContainsAny(rt.host, "/ ") || hasControl(rt.host) {
		return nil, fmt.Errorf("Host %q is not a host name", s.Host)
	}

	u, err := url.Parse(s.Origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("Origin %q must be an http(s) URL without credentials, query or fragment", s.Origin)
	}
	rt.origin = u

	switch rt.typ {
	case TypeJWT:
		if s.SigV4 != nil {
			return nil, errors.New("a jwt route takes no SigV4 section")
		}
		if s.Jwt == nil {
			return nil, errors.New("a jwt route needs a Jwt section")
		}
		if rt.jwt, err = compileJWT(s.Jwt, cc); err != nil {
			return nil, err
		}
	case TypeSigV4:
		if s.Jwt != nil {
			return nil, errors.New("a sigv4 route takes no Jwt section")
		}
		if !cc.sigv4 {
			return nil, errors.New("sigv4 routes need identity-pool credentials, which this service does not have")
		}
		spec := s.SigV4
		if spec == nil {
			spec = &SigV4Spec{}
		}
		if rt.sigv4, err = compileSigV4(spec); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("Type %q is not %q or %q", s.Type, TypeJWT, TypeSigV4)
	}
	if s.Cors != nil {
		if rt.cors, err = compileCORS(s.Cors, rt); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

func compileJWT(s *JWTSpec, cc compileContext) (*jwtRoute, error) {
	j := &jwtRoute{tokenUse: s.TokenUse, clientIDs: s.ClientIds, scopes: s.Scopes, groups: s.Groups,
		checkRevocation: s.CheckRevocation, revocationTTL: DefaultRevocationCache, skew: DefaultClockSkew}
	switch s.TokenUse {
	case "", "access", "id":
	default:
		return nil, fmt.Errorf("TokenUse %q is not \"access\", \"id\" or empty", s.TokenUse)
	}
	switch s.ScopeMatch {
	case "", "any":
	case "all":
		j.allScopes = true
	default:
		return nil, fmt.Errorf("ScopeMatch %q is not \"any\" or \"all\"", s.ScopeMatch)
	}
	for _, sc := range s.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \"\\") || hasControl(sc) {
			return nil, fmt.Errorf("scope %q is not a scope token", sc)
		}
	}
	for _, list := range [][]string{s.ClientIds, s.Groups} {
		if slices.Contains(list, "") {
			return nil, errors.New("ClientIds and Groups must not contain empty strings")
		}
	}
	if s.ClockSkewSeconds != nil {
		if *s.ClockSkewSeconds < 0 || time.Duration(*s.ClockSkewSeconds)*time.Second > MaxClockSkew {
			return nil, fmt.Errorf("ClockSkewSeconds %d is not within 0..%d", *s.ClockSkewSeconds, int(MaxClockSkew/time.Second))
		}
		j.skew = time.Duration(*s.ClockSkewSeconds) * time.Second
	}
	if s.RevocationCacheSeconds != nil {
		if *s.RevocationCacheSeconds < 0 || time.Duration(*s.RevocationCacheSeconds)*time.Second > MaxRevocationCache {
			return nil, fmt.Errorf("RevocationCacheSeconds %d is not within 0..%d", *s.RevocationCacheSeconds, int(MaxRevocationCache/time.Second))
		}
		j.revocationTTL = time.Duration(*s.RevocationCacheSeconds) * time.Second
	}
	if len(s.Issuers) == 0 {
		return nil, errors.New("Jwt.Issuers must name at least one issuer")
	}
	seen := map[string]bool{}
	for i := range s.Issuers {
		is, err := compileIssuer(&s.Issuers[i], cc)
		if err != nil {
			return nil, fmt.Errorf("issuer %d: %w", i, err)
		}
		if seen[is.iss] {
			return nil, fmt.Errorf("issuer %q is listed twice", is.iss)
		}
		seen[is.iss] = true
		if j.checkRevocation && is.poolID == "" {
			return nil, fmt.Errorf("CheckRevocation works only for poolgate user pools, not for %s", is.iss)
		}
		j.issuers = append(j.issuers, is)
	}
	return j, nil
}

func compileIssuer(s *IssuerSpec, cc compileContext) (*issuer, error) {
	is := &issuer{groupsClaim: s.GroupsClaim, algs: []string{RS256}}
	if is.groupsClaim == "" {
		is.groupsClaim = "cognito:groups"
	}
	switch {
	case s.UserPoolId != "" && (s.Issuer != "" || s.JwksUri != ""):
		return nil, errors.New("name either a UserPoolId or an Issuer, not both")
	case s.UserPoolId != "":
		if cc.poolIssuer == nil {
			return nil, errors.New("this service has no user pools")
		}
		if strings.ContainsAny(s.UserPoolId, "/ ") || hasControl(s.UserPoolId) {
			return nil, fmt.Errorf("UserPoolId %q is not a pool id", s.UserPoolId)
		}
		is.poolID = s.UserPoolId
		is.iss = cc.poolIssuer(s.UserPoolId)
		is.jwksTTL = DefaultPoolKeysCache
		is.keys = "pool:" + s.UserPoolId
	case s.Issuer != "":
		u, err := url.Parse(s.Issuer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("Issuer %q is not an http(s) URL", s.Issuer)
		}
		is.iss = s.Issuer
		is.jwksURI = s.JwksUri
		if is.jwksURI == "" {
			is.jwksURI = strings.TrimSuffix(s.Issuer, "/") + "/.well-known/jwks.json"
		}
		ju, err := url.Parse(is.jwksURI)
		if err != nil || (ju.Scheme != "https" && ju.Scheme != "http") || ju.Host == "" || ju.User != nil {
			return nil, fmt.Errorf("JwksUri %q is not an http(s) URL", is.jwksURI)
		}
		is.jwksTTL = DefaultJWKSCache
		is.keys = "jwks:" + is.jwksURI
	default:
		return nil, errors.New("name a UserPoolId or an Issuer")
	}
	if len(s.Algorithms) > 0 {
		is.algs = nil
		for _, a := range s.Algorithms {
			if a != RS256 && a != ES256 {
				return nil, fmt.Errorf("algorithm %q is not allowed (only RS256 and ES256 are supported)", a)
			}
			if !slices.Contains(is.algs, a) {
				is.algs = append(is.algs, a)
			}
		}
	}
	if s.JwksCacheSeconds != nil {
		if *s.JwksCacheSeconds < PenaltySeconds || *s.JwksCacheSeconds > 7*24*3600 {
			return nil, fmt.Errorf("JwksCacheSeconds %d is not within %d..%d", *s.JwksCacheSeconds, PenaltySeconds, 7*24*3600)
		}
		is.jwksTTL = time.Duration(*s.JwksCacheSeconds) * time.Second
	}
	return is, nil
}

func compileSigV4(s *SigV4Spec) (*sigv4Route, error) {
	v := &sigv4Route{service: s.Service, region: s.Region, bucket: s.Bucket, resource: s.Resource,
		maxSkew: 5 * time.Minute, actions: map[string]string{}}
	if v.service == "" {
		v.service = "s3"
	}
	for _, f := range []string{v.service, v.region, v.bucket} {
		if strings.ContainsAny(f, "/ ") || hasControl(f) {
			return nil, fmt.Errorf("SigV4 Service, Region and Bucket must not contain '/', spaces or control characters (%q)", f)
		}
	}
	for m, a := range s.Actions {
		if !validMethod(m) {
			return nil, fmt.Errorf("SigV4.Actions: %q is not an upper-case HTTP method token", m)
		}
		if a == "" || strings.ContainsAny(a, " *?") || !strings.Contains(a, ":") {
			return nil, fmt.Errorf("SigV4.Actions[%s]: %q is not a service:Action name", m, a)
		}
		v.actions[m] = a
	}
	switch s.ErrorFormat {
	case "", "xml":
	case "json":
		v.json = true
	default:
		return nil, fmt.Errorf("SigV4.ErrorFormat %q is not \"xml\" or \"json\"", s.ErrorFormat)
	}
	if s.MaxSkewSeconds != 0 {
		if s.MaxSkewSeconds < 1 || s.MaxSkewSeconds > 900 {
			return nil, fmt.Errorf("SigV4.MaxSkewSeconds %d is not within 1..900", s.MaxSkewSeconds)
		}
		v.maxSkew = time.Duration(s.MaxSkewSeconds) * time.Second
	}
	return v, nil
}

func compileCORS(s *CORSSpec, rt *route) (*corsPolicy, error) {
	c := &corsPolicy{credentials: s.AllowCredentials, maxAge: fmt.Sprint(int(DefaultCORSMaxAge / time.Second))}
	if len(s.AllowOrigins) == 0 {
		return nil, errors.New("Cors.AllowOrigins must list at least one origin (or \"*\")")
	}
	for _, o := range s.AllowOrigins {
		if o == "*" {
			c.anyOrigin = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			return nil, fmt.Errorf("Cors.AllowOrigins: %q is not an origin (scheme://host[:port])", o)
		}
		c.origins = append(c.origins, strings.ToLower(o))
	}
	if c.anyOrigin && c.credentials {
		return nil, errors.New("Cors: AllowCredentials cannot be combined with the origin \"*\"")
	}
	c.methods = s.AllowMethods
	if len(c.methods) == 0 {
		c.methods = rt.methods
	}
	if len(c.methods) == 0 {
		c.methods = defaultCORSMethods
	}
	for _, m := range c.methods {
		if !validMethod(m) {
			return nil, fmt.Errorf("Cors.AllowMethods: %q is not an upper-case HTTP method token", m)
		}
	}
	headers := s.AllowHeaders
	if len(headers) == 0 {
		headers = jwtCORSHeaders
		if rt.typ == TypeSigV4 {
			headers = sigv4CORSHeaders
		}
	}
	for _, h := range headers {
		if h == "*" {
			c.anyHeader = true
			continue
		}
		if !handoff.ValidToken(h) {
			return nil, fmt.Errorf("Cors.AllowHeaders: %q is not a header name", h)
		}
		c.headers = append(c.headers, strings.ToLower(h))
	}
	expose := []string{"WWW-Authenticate"}
	for _, h := range s.ExposeHeaders {
		if !handoff.ValidToken(h) {
			return nil, fmt.Errorf("Cors.ExposeHeaders: %q is not a header name", h)
		}
		expose = append(expose, h)
	}
	c.expose = strings.Join(expose, ", ")
	if s.MaxAgeSeconds != nil {
		if *s.MaxAgeSeconds < 0 || *s.MaxAgeSeconds > 86400 {
			return nil, fmt.Errorf("Cors.MaxAgeSeconds %d is not within 0..86400", *s.MaxAgeSeconds)
		}
		c.maxAge = fmt.Sprint(*s.MaxAgeSeconds)
	}
	return c, nil
}

// validMethod accepts upper-case method tokens (GET, PUT, PROPFIND, ...).
func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
