package gateway

import (
	"github.com/poolgate/poolgate/internal/handoff"
	"net/http"
	"slices"
	"strings"
)

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// allows reports whether origin may call the route.
func (c *corsPolicy) allows(origin string) bool {
	return origin != "" && (c.anyOrigin || slices.Contains(c.origins, strings.ToLower(origin)))
}

// allowOrigin is the Access-Control-Allow-Origin value for an allowed origin.
func (c *corsPolicy) allowOrigin(origin string) string {
	if c.anyOrigin && !c.credentials {
		return "*"
	}
	return origin
}

// preflight answers a CORS preflight at the edge, without touching the origin: 204 with the
// allowances when the origin, the method and every requested header are allowed, 403 without
// any Access-Control-Allow-* header otherwise (the browser then refuses the real request).
func (c *corsPolicy) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	var requested []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
				requested = append(requested, f)
			}
		}
	}
	ok := c.allows(origin) && slices.Contains(c.methods, method)
	for _, f := range requested {
		if !ok {
			break
		}
		ok = handoff.ValidToken(f) && (c.anyHeader || slices.Contains(c.headers, f))
	}
	if !ok {
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"cors_preflight_refused","error_description":"The origin, method or headers are not allowed on this route."}` + "\n"))
		return
	}
	h.Set("Access-Control-Allow-Origin", c.allowOrigin(origin))
	h.Set("Access-Control-Allow-Methods", strings.Join(c.methods, ", "))
	switch {
	case len(requested) > 0:
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	case !c.anyHeader:
		h.Set("Access-Control-Allow-Headers", strings.Join(c.headers, ", "))
	}
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Max-Age", c.maxAge)
	w.WriteHeader(http.StatusNoContent)
}

// decorate adds the CORS response headers for an allowed origin to h (the gateway's own
// refusals and the origin's responses alike).
func (c *corsPolicy) decorate(h http.Header, origin string) {
	h.Add("Vary", "Origin")
	if !c.allows(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", c.allowOrigin(origin))
	h.Set("Access-Control-Expose-Headers", c.expose)
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}
