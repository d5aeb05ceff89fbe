package gateway

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The identity headers the gateway sets on forwarded requests. Every incoming header whose
// name starts with HeaderPrefix is removed first, so the origin can trust them. Values are
// percent-encoded where they hold bytes outside visible ASCII or '%' (and, in lists, the
// separator and ',').
const (
	HeaderPrefix   = "X-Poolgate-"
	HeaderRoute    = "X-Poolgate-Route"     // the route's name
	HeaderIssuer   = "X-Poolgate-Issuer"    // jwt: the token's iss
	HeaderSub      = "X-Poolgate-Sub"       // jwt: sub; sigv4: the identity id
	HeaderUsername = "X-Poolgate-Username"  // jwt: username or cognito:username; sigv4: the user-pool user, if any
	HeaderTokenUse = "X-Poolgate-Token-Use" // jwt: token_use
	HeaderClientID = "X-Poolgate-Client-Id" // jwt: client_id, or aud when it is one value
	HeaderGroups   = "X-Poolgate-Groups"    // jwt: group names, comma-separated
	HeaderScopes   = "X-Poolgate-Scopes"    // jwt: scopes, space-separated
	// HeaderClaims is the verified token's payload segment as signed: base64url (no padding)
	// of the claims JSON, whose top-level members are unique.
	HeaderClaims         = "X-Poolgate-Claims"
	HeaderIdentityID     = "X-Poolgate-Identity-Id"      // sigv4: the identity id
	HeaderIdentityPoolID = "X-Poolgate-Identity-Pool-Id" // sigv4
	HeaderRoleArn        = "X-Poolgate-Role-Arn"         // sigv4: the role the credentials were vended for
	HeaderAuthenticated  = "X-Poolgate-Authenticated"    // sigv4: "true" or "false"
	HeaderAccessKeyID    = "X-Poolgate-Access-Key-Id"    // sigv4
	HeaderAction         = "X-Poolgate-Action"           // sigv4: the policy action allowed
	HeaderResource       = "X-Poolgate-Resource"         // sigv4: the resource it was allowed on
)

// stripIdentity removes every X-Poolgate-* header, whatever its spelling.
func stripIdentity(h http.Header) {
	for k := range h {
		if len(k) >= len(HeaderPrefix) && strings.EqualFold(k[:len(HeaderPrefix)], HeaderPrefix) {
			delete(h, k)
		}
	}
}

// canonicalRequest returns r with every header name in canonical form (hosts may hand over
// lower-case names, e.g. from a fetch Headers object), so that Get, Del and the hop-by-hop
// and identity stripping see every spelling.
func canonicalRequest(r *http.Request) *http.Request {
	clean := true
	for k := range r.Header {
		if k != http.CanonicalHeaderKey(k) {
			clean = false
			break
		}
	}
	if clean {
		return r
	}
	h := make(http.Header, len(r.Header))
	for k, vs := range r.Header {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], vs...)
	}
	r2 := *r
	r2.Header = h
	return &r2
}

// forward sends r to the route's origin and streams the response back: method, query, body,
// headers other than hop-by-hop ones and X-Poolgate-* (Authorization only when the route
// keeps it), plus identity and X-Forwarded-* headers; the status, headers and body of the
// origin's answer come back unchanged (minus hop-by-hop headers and, on routes with a CORS
// policy, the origin's own Access-Control-* headers). Under WithHandoff the host sends it
// instead (handoff.go).
// reuseUntil is passed on to handOff.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, rt *route, identity http.Header, reuseUntil time.Time, dropHeaders ...string) {
	rewrite := func(pr *httputil.ProxyRequest) {
		out := pr.Out
		stripIdentity(out.Header)
		if !rt.keepAuthz {
			out.Header.Del("Authorization")
			for _, h := range dropHeaders {
				out.Header.Del(h)
			}
		}
		for k, vs := range identity {
			out.Header[k] = vs
		}
		if rt.strip {
			stripPrefix(out.URL, rt.prefix)
		}
		pr.SetURL(rt.origin)
		pr.SetXForwarded()
		if rt.keepHost {
			out.Host = pr.In.Host
		}
	}
	if take := handoffFrom(r.Context()); take != nil {
		g.handOff(w, take, r, rt, rewrite, reuseUntil)
		return
	}
	g.proxy(w, r, rt, rewrite)
}

// stripPrefix removes the route prefix from u's path (a path equal to the prefix becomes "/").
func stripPrefix(u *url.URL, prefix string) {
	if prefix == "/" {
		return
	}
	escaped := (&url.URL{Path: prefix}).EscapedPath()
	u.Path = strings.TrimPrefix(u.Path, prefix)
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawPath != "" {
		raw, ok := strings.CutPrefix(u.RawPath, escaped)
		if !ok || raw == "" {
			raw = ""
		}
		u.RawPath = raw
		if u.RawPath != "" && u.EscapedPath() != u.RawPath {
			u.RawPath = "" // not a valid encoding of Path: let url re-encode it
		}
	}
}

// bufferPool recycles the buffers bodies are copied through (32 KiB each).
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }
