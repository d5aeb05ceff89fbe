package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/poolgate/poolgate/internal/jsonwrite"
)

// Decode parses and checks an Upstream's JSON form: a method token, an absolute
// http(s) URL, header names that are tokens and values without control characters other
// than tab, statuses 100..999 and a positive timeout.
func Decode(b []byte) (*Upstream, error) {
	var u Upstream
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, fmt.Errorf("handoff: upstream: %w", err)
	}
	if !ValidToken(u.Method) {
		return nil, fmt.Errorf("handoff: upstream: method %q", u.Method)
	}
	p, err := url.Parse(u.URL)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, fmt.Errorf("handoff: upstream: URL %q is not an absolute http(s) URL", u.URL)
	}
	if u.Host != "" && !validHeaderValue(u.Host) {
		return nil, errors.New("handoff: upstream: bad host")
	}
	if u.TimeoutMillis <= 0 {
		return nil, errors.New("handoff: upstream: timeout must be positive")
	}
	if u.Length < -1 {
		return nil, errors.New("handoff: upstream: bad length")
	}
	for _, set := range [][][2]string{u.Header, u.ResponseHeader, u.Unreachable.Header, u.TimedOut.Header} {
		if err := checkPairs(set); err != nil {
			return nil, err
		}
	}
	for _, a := range []Answer{u.Unreachable, u.TimedOut} {
		if a.Status < 100 || a.Status > 999 {
			return nil, fmt.Errorf("handoff: upstream: answer status %d", a.Status)
		}
	}
	if r := u.Reuse; r != nil {
		if r.TTLMillis <= 0 {
			return nil, errors.New("handoff: upstream: reuse ttl must be positive")
		}
		for _, names := range [][]string{r.Drop, r.Unless} {
			for _, n := range names {
				if !ValidToken(n) || n != strings.ToLower(n) {
					return nil, fmt.Errorf("handoff: upstream: reuse: bad header name %q", n)
				}
			}
		}
		if r.DropPrefix == "" || !ValidToken(r.DropPrefix) || r.DropPrefix != strings.ToLower(r.DropPrefix) {
			return nil, errors.New("handoff: upstream: reuse: bad drop prefix")
		}
		if err := checkPairs(r.Set); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

func checkPairs(set [][2]string) error {
	for _, kv := range set {
		if !ValidToken(kv[0]) || !validHeaderValue(kv[1]) {
			return fmt.Errorf("handoff: upstream: bad header %q", kv[0])
		}
	}
	return nil
}

// validHeaderValue reports whether v may be sent as a header value (RFC 9110 §5.5, with
// obs-text allowed).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ValidToken reports whether s is an RFC 9110 token (header names, methods) of at most 256
// bytes. The gateway checks its configured header names with it too.
func ValidToken(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// MarshalJSON writes u's JSON form by hand: hosts in js/wasm hand one off per request, and
// encoding/json's reflection costs there about as much as the rest of the handoff. The form
// is the one encoding/json would write (strings with invalid UTF-8 get U+FFFD).
func (u *Upstream) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 512+len(u.URL)+64*len(u.Header)+len(u.Unreachable.Body)+len(u.TimedOut.Body))
	b = append(b, `{"method":`...)
	b = jsonwrite.AppendString(b, u.Method, false)
	b = append(b, `,"url":`...)
	b = jsonwrite.AppendString(b, u.URL, false)
	if u.Host != "" {
		b = append(b, `,"host":`...)
		b = jsonwrite.AppendString(b, u.Host, false)
	}
	b = append(b, `,"header":`...)
	b = appendPairs(b, u.Header)
	b = append(b, `,"length":`...)
	b = strconv.AppendInt(b, u.Length, 10)
	if u.StripCORS {
		b = append(b, `,"stripCORS":true`...)
	}
	if len(u.ResponseHeader) > 0 {
		b = append(b, `,"responseHeader":`...)
		b = appendPairs(b, u.ResponseHeader)
	}
	b = append(b, `,"timeoutMs":`...)
	b = strconv.AppendInt(b, u.TimeoutMillis, 10)
	b = append(b, `,"unreachable":`...)
	b = appendAnswer(b, &u.Unreachable)
	b = append(b, `,"timedOut":`...)
	b = appendAnswer(b, &u.TimedOut)
	if r := u.Reuse; r != nil {
		b = append(b, `,"reuse":{"ttlMs":`...)
		b = strconv.AppendInt(b, r.TTLMillis, 10)
		b = append(b, `,"drop":`...)
		b = jsonwrite.AppendStrings(b, r.Drop, false)
		b = append(b, `,"dropPrefix":`...)
		b = jsonwrite.AppendString(b, r.DropPrefix, false)
		b = append(b, `,"unless":`...)
		b = jsonwrite.AppendStrings(b, r.Unless, false)
		b = append(b, `,"set":`...)
		b = appendPairs(b, r.Set)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendAnswer(b []byte, a *Answer) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(a.Status), 10)
	b = append(b, `,"header":`...)
	b = appendPairs(b, a.Header)
	b = append(b, `,"body":`...)
	b = jsonwrite.AppendString(b, a.Body, false)
	return append(b, '}')
}

func appendPairs(b []byte, pairs [][2]string) []byte {
	if pairs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, kv := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonwrite.AppendStrings(b, kv[:], false)
	}
	return append(b, ']')
}
