// Package handoff is the contract between the gateway (internal/gateway, running in the guest)
// and the host that sends the requests it lets through (hostsim in Go, the Worker's JS glue
// edge/worker.mjs): the Upstream the gateway hands over, its JSON encoding, the rule by which
// a host may reuse a decision without asking the gateway again, and the host half written in
// Go (Serve, BodyTee).
//
// # Why hosts send the requests
//
// A wasm guest sees every body byte cross its boundary twice and, on workerd, cannot hold a
// stream across requests. So hosts that can move bodies themselves take allowed requests from
// the gateway as an Upstream and send them to the origin, streaming the request and the
// response. The gateway still decides everything: which requests pass, the outgoing head
// (rewritten by the same code as its own proxy), and the answers for an origin that fails.
//
// # Who owns what
//
//	client ──request──▶ host ──head (+ body as far as the guest reads it)──▶ guest: gateway
//	                     │                                                     │ decides
//	                     │◀──────── Upstream (JSON), or a complete response ───┘
//	                     │
//	                     ├──method, URL, Header + whole body (BodyTee: read part, then rest)──▶ origin
//	client ◀─response────┤◀──────────────────────── response head + streamed body ────────────┘
//	                       (edited: StripCORS, then ResponseHeader added)
//	                       or Unreachable / TimedOut as they are
//
// The parts:
//   - The gateway owns the decision and every byte of the outgoing head: Method, URL, Host,
//     Header (hop-by-hop headers and X-Poolgate-* already removed, identity and X-Forwarded-*
//     headers set), and the complete answers for an origin that cannot be reached or is slow.
//     It writes nothing to its ResponseWriter for a handed-off request.
//   - The host owns the body and the connection: it sends the incoming body whole (the bytes
//     the guest read of it, then the rest; BodyTee), waits at most TimeoutMillis for the
//     origin's response head, and streams the response body without a limit of its own.
//   - The host neither interprets nor edits Header: it sends those pairs as they are (its
//     HTTP client adds only what the protocol itself needs, such as framing headers).
//
// # Implementations
//
//	side              Go                                         JavaScript (the Worker)
//	gateway (guest)   internal/gateway: handOff, reuseOf         —
//	host: decode      Decode (hostsim/handler.go)                JSON.parse in edge/worker.mjs
//	host: send        Serve, BodyTee (hostsim)                   sendUpstream in edge/bridge.mjs
//	host: reuse       Reuse.Apply, ReuseKey (the rule; tests)    edge/reuse.mjs (applyReuse, grantKey)
//
// hostsim checks every Upstream with Decode before it sends anything (the guest is a separate
// module it runs); the Worker's glue takes the JSON of the Go program it runs in the same
// isolate as it is. hostsim does not reuse decisions: each request reaches the guest.
//
// # Encoding
//
// The Upstream crosses as JSON (the response body of a StatusHandoff response in the wasip1
// ABI, internal/abi; a handoff answer of status 0 in the Worker). Headers are lists of
// [name, value] pairs, one per value, in order. MarshalJSON writes the form encoding/json
// would (fuzzed against it); Decode checks what a host must be able to trust before it sends
// anything: a method token, an absolute http(s) URL, header names that are tokens and values
// without control characters other than tab, statuses 100..999, a positive timeout.
//
//	{"method":"GET","url":"http://origin:8080/api/x?q=1","header":[["X-Poolgate-Sub","…"],…],
//	 "length":0,"timeoutMs":30000,
//	 "unreachable":{"status":502,"header":[…],"body":"…"},"timedOut":{"status":504,…},
//	 "reuse":{"ttlMs":29000,"drop":["connection",…,"authorization"],"dropPrefix":"x-poolgate-",
//	          "unless":["te","upgrade","x-amz-target","access-control-request-method"],
//	          "set":[["X-Poolgate-Sub","…"],["X-Forwarded-For","203.0.113.7"],…]}}
//
// # Reuse
//
// An Upstream may carry a Reuse: the gateway's decision for one token, method, URL, Host,
// Origin and client address, good for TTLMillis. A host may send a later request with the
// same key (the method, the URL, the ReuseKeyHeaders values and the client address) on
// itself, without the gateway, until the time is up or the gateway reports a change; the
// outgoing headers are then Reuse.Apply of the later request's own headers, and everything
// else is the stored Upstream's (its Length aside: the later body is its own). Apply is the
// rule in Go; edge/reuse.mjs is the same rule in JavaScript, and both run the vectors in
// testdata/reuse.json, so the two copies of this security decision cannot drift. The gateway's
// tests check that Apply gives exactly the headers its own forwarding would send.
package handoff

import (
	"slices"
	"strings"
	"time"
)

// OriginTimeout bounds the wait for an origin's response head on a handed-off request.
const OriginTimeout = 30 * time.Second

// Upstream is an allowed request as the gateway sends it on: the host sends Method to URL
// with Header and the incoming request's body (the bytes the guest read of it, then the
// rest), and answers with the origin's response, edited as the fields say. Its JSON form
// crosses from the guest to the host.
type Upstream struct {
	Method string `json:"method"`
	URL    string `json:"url"` // absolute http(s) URL
	// Host is the Host header to send; "" means the URL's host.
	Host string `json:"host,omitempty"`
	// Header holds the request headers to send, one [name, value] pair per value: hop-by-hop
	// headers and X-Poolgate-* already removed, identity and X-Forwarded-* headers set.
	Header [][2]string `json:"header"`
	// Length is the incoming body's length; -1 when unknown.
	Length int64 `json:"length"`
	// StripCORS removes the origin's Access-Control-* response headers (the route answers
	// CORS itself).
	StripCORS bool `json:"stripCORS,omitempty"`
	// ResponseHeader pairs are added to the origin's response headers after hop-by-hop and
	// CORS removal.
	ResponseHeader [][2]string `json:"responseHeader,omitempty"`
	// TimeoutMillis bounds the wait for the origin's response head.
	TimeoutMillis int64 `json:"timeoutMs"`
	// Unreachable is the answer when the origin cannot be reached; TimedOut when its response
	// head does not arrive in time.
	Unreachable Answer `json:"unreachable"`
	TimedOut    Answer `json:"timedOut"`
	// Reuse, when set, lets the host send later requests like this one on without asking
	// the gateway again (see Reuse).
	Reuse *Reuse `json:"reuse,omitempty"`
}

// Answer is a complete response the host sends as it is.
type Answer struct {
	Status int         `json:"status"`
	Header [][2]string `json:"header"`
	Body   string      `json:"body"`
}

// ReuseKeyHeaders are the request headers (besides the method and the URL) on which a jwt
// route's decision depends; the Worker's glue also keys reuse by its client address
// (CF-Connecting-IP, the request's RemoteAddr there).
var ReuseKeyHeaders = []string{"authorization", "host", "origin"}

// ReuseKey is the key a Reuse is kept under: the method, the URL, the values of
// ReuseKeyHeaders (a header's values joined with ", ", as a Fetch API Headers object reads
// them; "" when absent) and the client's address, one per line. A request without an
// Authorization header has no key (ok false): the gateway offers no Reuse for it.
func ReuseKey(method, url string, header [][2]string, clientAddr string) (key string, ok bool) {
	values := make([]string, len(ReuseKeyHeaders))
	seen := make([]bool, len(ReuseKeyHeaders))
	for _, kv := range header {
		i := slices.Index(ReuseKeyHeaders, strings.ToLower(kv[0]))
		if i < 0 {
			continue
		}
		if seen[i] {
			values[i] += ", "
		}
		values[i] += kv[1]
		seen[i] = true
	}
	if !seen[0] { // authorization
		return "", false
	}
	return method + "\n" + url + "\n" + strings.Join(values, "\n") + "\n" + clientAddr, true
}

// Reuse is a gateway decision a host may apply again, without the gateway, to a later request
// with the same method, URL and ReuseKeyHeaders values (the same token, to the same place,
// from the same origin) for TTLMillis: the Upstream stands as it is but for its Header, which
// the host builds from the later request's headers with Apply.
//
// The gateway offers Reuse only for jwt routes, and only for as long as its own answer could
// not change: until the token expires (with the route's skew), the instance would read the
// route table again, the issuer's keys would be fetched again, or (on routes that check
// revocation) the cached revocation state of that user and sign-in expires. Hosts must also
// drop every Reuse when the gateway reports a change (gateway Config.Changed).
type Reuse struct {
	TTLMillis  int64       `json:"ttlMs"`
	Drop       []string    `json:"drop"`       // lower case
	DropPrefix string      `json:"dropPrefix"` // lower case
	Unless     []string    `json:"unless"`     // lower case
	Set        [][2]string `json:"set"`
}

// Apply is the reuse rule: the headers to send for a later request with the given headers
// (same key), or ok false when the decision does not cover it (it carries a header named in
// Unless: its rewrite depends on it) and it must go to the gateway. The result is the
// request's own headers with names in lower case, minus those named in Drop, starting with
// DropPrefix, or named in a Connection header (a comma-separated list; names are trimmed of
// spaces and tabs, and compared without case), in their order; then the Set pairs.
func (r *Reuse) Apply(header [][2]string) (out [][2]string, ok bool) {
	var listed []string
	for _, kv := range header {
		name := strings.ToLower(kv[0])
		if slices.Contains(r.Unless, name) {
			return nil, false
		}
		if name == "connection" {
			for n := range strings.SplitSeq(kv[1], ",") {
				listed = append(listed, strings.ToLower(strings.Trim(n, " \t")))
			}
		}
	}
	out = make([][2]string, 0, len(header)+len(r.Set))
	for _, kv := range header {
		name := strings.ToLower(kv[0])
		if slices.Contains(r.Drop, name) || strings.HasPrefix(name, r.DropPrefix) || slices.Contains(listed, name) {
			continue
		}
		out = append(out, [2]string{name, kv[1]})
	}
	for _, kv := range r.Set {
		out = append(out, [2]string{strings.ToLower(kv[0]), kv[1]})
	}
	return out, true
}
