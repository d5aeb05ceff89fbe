//go:build !js && !wasip1

package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"

	"github.com/poolgate/poolgate/internal/handoff"
)

// proxy sends an allowed request to the route's origin itself, with httputil.ReverseProxy
// over the configured Transport, and streams the answer back. Only native builds get here:
// the wasm hosts take every allowed request as a handoff (proxy_wasm.go).
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request, rt *route, rewrite func(*httputil.ProxyRequest)) {
	p := &httputil.ReverseProxy{
		Transport:  g.cfg.Transport,
		BufferPool: &g.buffers,
		Rewrite:    rewrite,
		ModifyResponse: func(resp *http.Response) error {
			if rt.cors != nil {
				handoff.StripCORS(resp.Header)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			status, desc := http.StatusBadGateway, "The origin could not be reached."
			if errors.Is(err, context.DeadlineExceeded) {
				status, desc = http.StatusGatewayTimeout, "The origin did not answer in time."
			}
			if req.Context().Err() == nil || status == http.StatusGatewayTimeout {
				g.cfg.Logf("gateway: route %s: origin %s: %v", rt.name, rt.specOrigin, err)
			}
			g.refuse(w, rt, status, desc)
		},
	}
	// Let an HTTP/1 server read the rest of the request while the response streams back.
	http.NewResponseController(w).EnableFullDuplex()
	p.ServeHTTP(w, r)
}
