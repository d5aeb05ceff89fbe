package gateway

import (
	"context"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/handoff"
)

// Hosts that can move bodies themselves (the Worker's glue, hostsim) take allowed requests
// from the gateway as a handoff.Upstream and send them to the origin themselves (the contract
// is internal/handoff's). This file is the gateway's half: it builds the Upstream of an allowed
// request with its own proxy's rewriting, and says for how long a host may reuse it.

type handoffKey struct{}

// WithHandoff returns a context under which the gateway passes allowed requests to take
// instead of forwarding them. take is called on the handler's goroutine before the handler
// returns; the handler then writes nothing to its ResponseWriter, and the host answers.
func WithHandoff(ctx context.Context, take func(*handoff.Upstream)) context.Context {
	return context.WithValue(ctx, handoffKey{}, take)
}

func handoffFrom(ctx context.Context) func(*handoff.Upstream) {
	take, _ := ctx.Value(handoffKey{}).(func(*handoff.Upstream))
	return take
}

// handOff builds the Upstream of an allowed request with the proxy's own rewriting (outbound)
// and gives it to take. The headers already set on w (CORS) go into the Upstream's answers.
//
// reuseUntil is when the decision to let this request through may change (zero: it is not
// to be reused); until then the Upstream carries a Reuse.
func (g *Gateway) handOff(w http.ResponseWriter, take func(*handoff.Upstream), r *http.Request, rt *route, rewrite func(*httputil.ProxyRequest), reuseUntil time.Time) {
	out, err := outbound(r, rewrite)
	if err != nil {
		g.cfg.Logf("gateway: route %s: building the upstream request: %v", rt.name, err)
		g.refuse(w, rt, http.StatusBadGateway, "The request could not be sent to the origin.")
		return
	}
	respHeader := w.Header()
	u := &handoff.Upstream{
		Method:         out.Method,
		URL:            out.URL.String(),
		Host:           out.Host,
		Length:         r.ContentLength,
		StripCORS:      rt.cors != nil,
		ResponseHeader: pairs(respHeader),
		TimeoutMillis:  handoff.OriginTimeout.Milliseconds(),
	}
	if len(respHeader) == 0 {
		a := &rt.plainAnswers
		a.once.Do(func() { a.unreachable, a.timedOut = g.failureAnswers(rt, respHeader) })
		u.Unreachable, u.TimedOut = a.unreachable, a.timedOut
	} else {
		u.Unreachable, u.TimedOut = g.failureAnswers(rt, respHeader)
	}
	if r.Body == nil || r.Body == http.NoBody {
		u.Length = 0
	}
	for name, values := range out.Header {
		if name == "User-Agent" && len(values) == 1 && values[0] == "" {
			continue // the proxy's way of sending none
		}
		for _, v := range values {
			u.Header = append(u.Header, [2]string{name, v})
		}
	}
	if ttl := reuseUntil.Sub(g.now()); !reuseUntil.IsZero() && ttl >= time.Millisecond {
		u.Reuse = reuseOf(u.Header, rt.reuseDrop, ttl)
	}
	take(u)
}

// proxyDropped are the request headers the forwarding rewrite removes whatever they hold:
// httputil.ReverseProxy's hop-by-hop list, and the Forwarded and X-Forwarded-* headers it
// replaces (SetXForwarded); and Host, which is never a header in Go (the host sends the
// URL's host, or Upstream.Host). reuseUnless are the headers whose presence makes the
// rewrite or the decision depend on more than a Reuse's key: Te: trailers is kept, an
// upgrade is passed on, an API target or a CORS preflight is not the route's to forward.
var (
	proxyDropped = []string{"connection", "proxy-connection", "keep-alive", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "host"}
	reuseUnless = []string{"te", "upgrade", "x-amz-target", "access-control-request-method"}
	reusePrefix = strings.ToLower(HeaderPrefix)
)

// reuseDropFor lists the request headers a route's forwarding removes whatever they hold.
func reuseDropFor(keepAuthz bool) []string {
	drop := slices.Clone(proxyDropped)
	if !keepAuthz {
		drop = append(drop, "authorization")
	}
	return drop
}

// reuseOf describes the rewrite that produced header (the outgoing headers of a request
// whose incoming headers went through the route's forwarding) for a later request: the
// headers the rewrite controls (those in drop or under the identity prefix) are set as they
// are now; every other header is the later request's own.
func reuseOf(header [][2]string, drop []string, ttl time.Duration) *handoff.Reuse {
	r := &handoff.Reuse{TTLMillis: ttl.Milliseconds(), Drop: drop, DropPrefix: reusePrefix, Unless: reuseUnless, Set: [][2]string{}}
	for _, kv := range header {
		name := strings.ToLower(kv[0])
		if strings.HasPrefix(name, reusePrefix) || slices.Contains(drop, name) {
			r.Set = append(r.Set, kv)
		}
	}
	return r
}

// failureAnswers are the answers for an origin that cannot be reached and one that is too
// slow, on top of the headers already set for the response.
func (g *Gateway) failureAnswers(rt *route, base http.Header) (unreachable, timedOut handoff.Answer) {
	return g.answer(rt, base, http.StatusBadGateway, "The origin could not be reached."),
		g.answer(rt, base, http.StatusGatewayTimeout, "The origin did not answer in time.")
}

// answer renders one of the gateway's refusals as an Answer, on top of the headers already
// set for the response.
func (g *Gateway) answer(rt *route, base http.Header, status int, desc string) handoff.Answer {
	rec := &recorder{h: base.Clone()}
	g.refuse(rec, rt, status, desc)
	return handoff.Answer{Status: rec.status, Header: pairs(rec.h), Body: rec.body.String()}
}

func pairs(h http.Header) [][2]string {
	var out [][2]string
	for name, values := range h {
		for _, v := range values {
			out = append(out, [2]string{name, v})
		}
	}
	return out
}

// recorder collects a small response in memory.
type recorder struct {
	h      http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.h }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
