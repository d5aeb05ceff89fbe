package gateway

import (
	"errors"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
)

// outbound builds the request httputil.ReverseProxy (with rewrite as its Rewrite) would send
// for r, without sending it. Hosts that take handoffs send it themselves; building it here
// rather than by running a ReverseProxy against a capturing transport keeps ReverseProxy, and
// with it net/http's Transport (TLS, x509, the dialer, HTTP/2: about 0.8 MB gzip), out of the
// wasm builds. TestOutboundMatchesReverseProxy holds it to ReverseProxy's own preparation.
func outbound(r *http.Request, rewrite func(*httputil.ProxyRequest)) (*http.Request, error) {
	out := r.Clone(r.Context())
	if r.ContentLength == 0 {
		out.Body = nil
	}
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	out.Close = false

	upgrade := upgradeType(out.Header)
	if !printableASCII(upgrade) {
		return nil, errors.New("gateway: client tried to switch to an invalid protocol")
	}
	removeHopByHop(out.Header)
	if headerHasToken(r.Header["Te"], "trailers") {
		out.Header.Set("Te", "trailers")
	}
	if upgrade != "" {
		out.Header.Set("Connection", "Upgrade")
		out.Header.Set("Upgrade", upgrade)
	}

	out.Header.Del("Forwarded")
	out.Header.Del("X-Forwarded-For")
	out.Header.Del("X-Forwarded-Host")
	out.Header.Del("X-Forwarded-Proto")
	out.URL.RawQuery = cleanQuery(out.URL.RawQuery)
	pr := &httputil.ProxyRequest{In: r, Out: out}
	rewrite(pr)
	out = pr.Out
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header.Set("User-Agent", "") // no User-Agent rather than Go's
	}
	return out, nil
}

// hopHeaders are the hop-by-hop headers (RFC 9110 §7.6.1) ReverseProxy removes.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// removeHopByHop removes the hop-by-hop headers and those the Connection header names.
func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for _, name := range strings.Split(f, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// upgradeType is the protocol a request asks to switch to ("" when it asks none).
func upgradeType(h http.Header) string {
	if !headerHasToken(h["Connection"], "Upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}

// headerHasToken reports whether any comma-separated element of values is token, compared
// ASCII case-insensitively (httpguts.HeaderValuesContainsToken; strings.EqualFold would also
// fold non-ASCII letters such as 'ſ' into 's').
func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for _, el := range strings.Split(v, ",") {
			if asciiEqualFold(strings.Trim(el, " \t"), token) {
				return true
			}
		}
	}
	return false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// cleanQuery re-encodes a query holding what url.ParseQuery rejects (a ';' or a malformed
// escape), dropping those parameters, as ReverseProxy does; any other query is unchanged.
func cleanQuery(s string) string {
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			return reencodeQuery(s)
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return reencodeQuery(s)
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

func reencodeQuery(s string) string {
	v, _ := url.ParseQuery(s)
	return v.Encode()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
