// Package bound bounds text that may echo outside input (error messages, header values, log
// lines) to a fixed number of bytes, keeping it valid UTF-8, so that no request can make a
// host send huge headers or write huge logs.
//
// The rules are shared with the Worker's JS glue (edge/envelope.mjs) and pinned by the test
// vectors in internal/awsjson/testdata/envelope.json, which both sides run:
//
//   - String replaces each byte that is not part of valid UTF-8 with U+FFFD; if the result is
//     longer than max bytes, it keeps the longest prefix of whole characters that fits in
//     max-3 bytes and appends Ellipsis.
//   - Header is String, then every control character (below U+0020, and U+007F; CR and LF
//     among them) becomes a space and every character outside ASCII becomes '?': a header
//     value is then safe for Go's net/http, for workerd's Headers (which take only bytes) and
//     for any log or proxy on the way. Spaces at either end are trimmed, as HTTP does.
package bound

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Ellipsis ends a clipped text.
const Ellipsis = "..."

// MessageBytes bounds an error message (the body's "message" and x-amzn-ErrorMessage): under
// 1 KiB, and room for a validation message that lists several problems (each quotes at most
// a clipped piece of its value).
const MessageBytes = 1000

// LogBytes bounds one log line (or one log call's text): room for a short stack trace.
const LogBytes = 4096

// String returns s as valid UTF-8 of at most max bytes (max >= len(Ellipsis)), ending in
// Ellipsis when it had to be cut.
func String(s string, max int) string {
	if !utf8.ValidString(s) {
		s = toValid(s)
	}
	if len(s) <= max {
		return s
	}
	cut := max - len(Ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + Ellipsis
}

// toValid replaces each byte that is not part of valid UTF-8 with U+FFFD (as encoding/json
// does when it writes the string).
func toValid(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Header returns s clipped to max bytes as a header value: printable ASCII only, control
// characters as spaces, other characters as '?', no spaces at either end (HTTP drops them).
func Header(s string, max int) string {
	s = String(s, max)
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return strings.Trim(s, " ")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		case r > 0x7f:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Trim(b.String(), " ")
}

// Logf returns a log function that formats as logf would and passes the line on clipped to
// LogBytes.
func Logf(logf func(format string, args ...any)) func(format string, args ...any) {
	return func(format string, args ...any) {
		logf("%s", String(fmt.Sprintf(format, args...), LogBytes))
	}
}

// Writer passes each Write to w clipped to LogBytes (a log.Logger writes one line per call),
// keeping a final newline. It reports every byte as written.
func Writer(w io.Writer) io.Writer { return lineWriter{w} }

type lineWriter struct{ w io.Writer }

func (l lineWriter) Write(p []byte) (int, error) {
	if len(p) <= LogBytes && utf8.Valid(p) {
		_, err := l.w.Write(p)
		return len(p), err
	}
	s := string(p)
	nl := strings.HasSuffix(s, "\n")
	s = String(strings.TrimSuffix(s, "\n"), LogBytes)
	if nl {
		s += "\n"
	}
	_, err := io.WriteString(l.w, s)
	return len(p), err
}
