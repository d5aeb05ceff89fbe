// Package markup writes HTML by hand: the page's own markup verbatim, and every value escaped
// for the place it goes (element text, a quoted attribute value, a URL attribute), as
// html/template escapes it there. poolgate's managed-login pages are written with it instead
// of html/template, which (with text/template, whose method calls by name make the linker keep
// every exported method of every reachable type) cost the Worker 0.6 MB gzip, 0.9 MB once SAML
// no longer links it (issue 17).
//
// The places are chosen by the code, not inferred from the markup as html/template does: a
// page writes each value with the verb of its place, and its tests parse the page rendered
// with hostile values in every field.
package markup

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// URL is a URL known safe to follow by where it was made (the otpauth:// URI of an
// authenticator app's secret, which the scheme check would refuse). It is still normalized
// and escaped for its attribute.
type URL string

// CSS is a style sheet known safe by where it came from (the pages' own, a pool's branding
// checked by userpool). It is written as is.
type CSS string

// JS is a script known safe by where it came from (the pages' own). It is written as is.
type JS string

// Filtered is what a URL attribute gets instead of a URL whose scheme is not http, https or
// mailto: html/template's marker, a fragment that goes nowhere.
const Filtered = "#ZgotmplZ"

// Writer accumulates a page. Its first error (a format whose verbs do not match its values,
// a style sheet or script that would end its element early) is kept and returned by Bytes.
type Writer struct {
	buf []byte
	err error
}

// Grow makes room for n more bytes, so a page of about known size is written without copies.
func (w *Writer) Grow(n int) {
	w.buf = slices.Grow(w.buf, n)
}

// Print appends format with each verb replaced by the next of args:
//
//	%s  element text or a quoted attribute value (Text)
//	%u  a URL attribute value: href, src, action (URLAttr)
//	%%  a '%'
//
// format is the page's own markup and is written verbatim: it must be a constant.
func (w *Writer) Print(format string, args ...string) {
	for {
		i := strings.IndexByte(format, '%')
		if i < 0 || i+1 == len(format) {
			w.buf = append(w.buf, format...)
			break
		}
		w.buf = append(w.buf, format[:i]...)
		verb := format[i+1]
		format = format[i+2:]
		if verb == '%' {
			w.buf = append(w.buf, '%')
			continue
		}
		if len(args) == 0 {
			w.fail(fmt.Errorf("markup: %%%c has no value", verb))
			continue
		}
		switch verb {
		case 's':
			w.Text(args[0])
		case 'u':
			w.URLAttr(args[0])
		default:
			w.fail(fmt.Errorf("markup: unknown verb %%%c", verb))
		}
		args = args[1:]
	}
	if len(args) > 0 {
		w.fail(fmt.Errorf("markup: %d values without a verb", len(args)))
	}
}

// Text appends s escaped for element text (including <title>) or a quoted attribute value:
// & < > " ' and + as character references (+ because it matters in UTF-7), NUL and invalid
// UTF-8 as U+FFFD.
func (w *Writer) Text(s string) {
	w.buf = appendEscaped(w.buf, s)
}

// URLAttr appends s as the value of a URL attribute (href, src, action): a URL with a scheme
// other than http, https or mailto becomes Filtered; the bytes a URL may not hold are
// percent-encoded (a valid %XX escape is kept); the result is escaped as Text.
func (w *Writer) URLAttr(s string) {
	if !SafeURL(s) {
		s = Filtered
	}
	w.buf = appendEscaped(w.buf, normalizeURL(s))
}

// TrustedURLAttr appends u as the value of a URL attribute, normalized and escaped like
// URLAttr but whatever its scheme.
func (w *Writer) TrustedURLAttr(u URL) {
	w.buf = appendEscaped(w.buf, normalizeURL(string(u)))
}

// Style appends a <style> element holding css.
func (w *Writer) Style(css CSS) {
	w.raw("style", string(css))
}

// Script appends a <script> element holding js.
func (w *Writer) Script(js JS) {
	w.raw("script", string(js))
}

// raw appends element name holding text as is. Text that would end the element early is
// refused: it is not what its source vouched for.
func (w *Writer) raw(name, text string) {
	if EndsEarly(name, text) {
		w.fail(fmt.Errorf("markup: a %s element's text ends it early", name))
		return
	}
	w.buf = append(w.buf, "<"+name+">"...)
	w.buf = append(w.buf, text...)
	w.buf = append(w.buf, "</"+name+">"...)
}

// EndsEarly reports whether text, as the text of a <style> or <script> element (named by
// element), holds its end tag: "</" then the element's name, in any case.
func EndsEarly(element, text string) bool {
	for {
		i := strings.Index(text, "</")
		if i < 0 {
			return false
		}
		text = text[i+2:]
		if len(text) >= len(element) && strings.EqualFold(text[:len(element)], element) {
			return true
		}
	}
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Bytes returns the page written, or the first error.
func (w *Writer) Bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return w.buf, nil
}

// SafeURL reports whether s is a URL a page may link to: relative, or absolute with the
// scheme http, https or mailto (in any case). Like html/template, a ':' before any '/' starts
// a scheme.
func SafeURL(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(scheme, "/") {
		return true
	}
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
}

// entities are the character references Text writes, by byte.
var entities = [...]string{
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// appendEscaped appends s to b escaped as Text describes.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				b = append(b, "\uFFFD"...)
			case int(c) < len(entities) && entities[c] != "":
				b = append(b, entities[c]...)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// normalizeURL percent-encodes the bytes of s that a URL may not hold as they are: all but
// RFC 3986's unreserved and reserved characters and a valid %XX escape (html/template's
// normalization, which also encodes ' ( ) so the URL fits any attribute quoting).
func normalizeURL(s string) string {
	var sb strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		sb.WriteString(s[written:i])
		sb.WriteByte('%')
		sb.WriteByte("0123456789abcdef"[c>>4])
		sb.WriteByte("0123456789abcdef"[c&15])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	sb.WriteString(s[written:])
	return sb.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
