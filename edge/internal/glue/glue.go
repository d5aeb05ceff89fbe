// Package glue owns the plain-data formats the Worker's JS glue (edge/worker.mjs) and its Go
// program exchange for every request: headers travel as one string of "name:value" lines,
// because each value that crosses between JS and Go costs a call.
package glue

import (
	"net/http"
	"strings"
)

// ParseHeaderLines adds the headers in lines ("name:value" lines separated by "\n", as
// worker.mjs's headerLines writes them) to h. Lines without a colon or with an empty or
// invalid name are skipped; values are kept as sent (the runtime has validated them).
func ParseHeaderLines(lines string, h http.Header) {
	for line := range strings.SplitSeq(lines, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validName(name) {
			continue
		}
		h.Add(name, value)
	}
}

// validName reports whether name is an HTTP token (RFC 9110 §5.6.2).
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// FormatHeaderLines writes h as "name:value" lines for worker.mjs's parseHeaderLines.
// Content-Length is left out (the runtime sets it from the body), as are headers with an
// invalid name; line breaks in values become spaces.
func FormatHeaderLines(h http.Header) string {
	var b strings.Builder
	for name, values := range h {
		if !validName(name) || http.CanonicalHeaderKey(name) == "Content-Length" {
			continue
		}
		for _, v := range values {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.Map(noLineBreaks, v))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func noLineBreaks(r rune) rune {
	if r == '\r' || r == '\n' {
		return ' '
	}
	return r
}
