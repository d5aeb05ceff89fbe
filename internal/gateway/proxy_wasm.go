//go:build js || wasip1

package gateway

import (
	"net/http"
	"net/http/httputil"
)

// proxy refuses: in the wasm builds only the host reaches origins, and both hosts (hostsim
// and the Worker's glue) take every allowed request as a handoff (WithHandoff), so a request
// here came from a host that did not. Leaving httputil.ReverseProxy out of these builds keeps
// net/http's Transport out of them.
func (g *Gateway) proxy(w http.ResponseWriter, _ *http.Request, rt *route, _ func(*httputil.ProxyRequest)) {
	g.cfg.Logf("gateway: route %s: the host took no handoff; origins are reached only by the host", rt.name)
	g.refuse(w, rt, http.StatusBadGateway, "The request could not be sent to the origin.")
}
