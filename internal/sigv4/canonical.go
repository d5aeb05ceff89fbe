package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// uriEncode percent-encodes every byte of s except the RFC 3986 unreserved characters
// (A-Z a-z 0-9 - _ . ~) with upper-case hex; '/' is kept when keepSlash is set.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// wirePath returns the request path as the client sent it (still percent-encoded).
func wirePath(r *http.Request) string {
	p := ""
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ = strings.Cut(r.RequestURI, "?")
	} else if r.URL != nil {
		p = r.URL.EscapedPath()
	}
	if p == "" {
		p = "/"
	}
	return p
}

// canonicalURIs returns the canonical URI of the request and, when it differs, the
// normalized form some clients sign.
//
// S3 style (singleEncode) uses the path as sent. Every other service encodes the sent path
// once more, so "%" becomes "%25" (what the Go v2 signer does). The JS v3 signer and botocore
// first drop empty and "." segments and resolve ".." (RFC 3986 §5.2.4 plus AWS's collapsing of
// "//"), so that form is offered as a second candidate.
func canonicalURIs(r *http.Request, singleEncode bool) []string {
	p := wirePath(r)
	if singleEncode {
		return []string{p}
	}
	out := []string{uriEncode(p, true)}
	if n := uriEncode(normalizePath(p), true); n != out[0] {
		out = append(out, n)
	}
	return out
}

// normalizePath removes empty, "." and ".." segments the way botocore and the JS v3 signer do.
func normalizePath(p string) string {
	var segs []string
	for s := range strings.SplitSeq(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	var b strings.Builder
	if strings.HasPrefix(p, "/") {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(segs, "/"))
	if len(segs) > 0 && strings.HasSuffix(p, "/") {
		b.WriteByte('/')
	}
	return b.String()
}

type queryPair struct{ rawKey, rawValue, key, value string }

// canonicalQueries returns the canonical query string: pairs k=v, each side decoded from
// the wire and RFC 3986 encoded again, sorted by encoded key then encoded value (AWS's rule).
// The Go v2 and JS v3 signers sort by the decoded key instead, which orders some non-ASCII
// and punctuation keys differently; when that order differs it is the second candidate.
// A query that does not decode is an InvalidSignature *Error.
func canonicalQueries(rawQuery string) ([]string, error) {
	var pairs []queryPair
	for piece := range strings.SplitSeq(rawQuery, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		rk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, NewError(InvalidSignature, "The query string is not validly percent-encoded.")
		}
		rv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, NewError(InvalidSignature, "The query string is not validly percent-encoded.")
		}
		pairs = append(pairs, queryPair{rk, rv, uriEncode(rk, false), uriEncode(rv, false)})
	}
	join := func() string {
		var b strings.Builder
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(p.key)
			b.WriteByte('=')
			b.WriteString(p.value)
		}
		return b.String()
	}
	slices.SortStableFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	out := []string{join()}
	slices.SortStableFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.rawKey, b.rawKey); c != 0 {
			return c
		}
		return strings.Compare(a.rawValue, b.rawValue)
	})
	if alt := join(); alt != out[0] {
		out = append(out, alt)
	}
	return out, nil
}

// canonicalHeaders returns "name:value\n" for every signed header, in the order given.
// Values are trimmed, runs of spaces collapsed, repeated headers joined with ",". host comes
// from r.Host; content-length falls back to r.ContentLength for requests built in-process
// (the Go client sends it from that field, not from the header map).
func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		var values []string
		switch name {
		case "host":
			h := r.Host
			if h == "" && r.URL != nil {
				h = r.URL.Host
			}
			values = []string{h}
		default:
			values = r.Header.Values(name)
			if len(values) == 0 && name == "content-length" && r.ContentLength > 0 {
				values = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(collapseSpaces(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// collapseSpaces trims surrounding whitespace and turns each run of spaces into one.
func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if prev {
				continue
			}
			prev = true
		} else {
			prev = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
