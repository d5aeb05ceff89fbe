// Package jsonread reads JSON without reflection, byte by byte, into the values encoding/json
// would give: for the hot paths of the guests (token headers and claims, stored user records),
// where encoding/json's reflection costs 10–15× more in WebAssembly than natively. Every
// reading is held to encoding/json's by fuzz targets (internal/jose FuzzDecodeObject,
// internal/userpool FuzzDecodeStoredUser).
package jsonread

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// UniqueObject decodes exactly one JSON object, numbers as json.Number, refusing duplicate
// member names at its top level and anything after the object. It reads what
// encoding/json reads (with Decoder.UseNumber), into the same values (objects as
// map[string]any, arrays as []any, strings with invalid UTF-8 and lone surrogates replaced by
// U+FFFD as encoding/json replaces them), and refuses what it refuses.
func UniqueObject(b []byte) (map[string]any, error) { return topObject(b, true) }

// Object is UniqueObject that keeps the last of duplicate member names, as encoding/json
// does: for request bodies, which encoding/json would read the same way.
func Object(b []byte) (map[string]any, error) { return topObject(b, false) }

func topObject(b []byte, unique bool) (map[string]any, error) {
	d := New(b)
	d.Space()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	v, err := d.object(0, unique)
	if err != nil {
		return nil, err
	}
	if !d.End() {
		return nil, errors.New("data after the JSON object")
	}
	return v, nil
}

// Value decodes exactly one JSON value of any kind (numbers as json.Number), refusing
// anything after it, as encoding/json's Unmarshal into an any (with Decoder.UseNumber) reads
// it.
func Value(b []byte) (any, error) {
	d := New(b)
	d.Space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if !d.End() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// New returns a Reader at the start of b.
func New(b []byte) *Reader { return &Reader{b: b} }

// End skips white space and reports whether nothing follows.
func (d *Reader) End() bool {
	d.Space()
	return d.i == len(d.b)
}

// Next skips white space and reports whether the next byte is c, consuming it if so.
func (d *Reader) Next(c byte) bool {
	d.Space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// Peek skips white space and returns the next byte (0 at the end).
func (d *Reader) Peek() byte {
	d.Space()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// Offset is the reader's position in its input.
func (d *Reader) Offset() int { return d.i }

// Input is the reader's input.
func (d *Reader) Input() []byte { return d.b }

// String reads a string (after white space) as encoding/json unquotes it.
func (d *Reader) String() (string, error) {
	if d.Peek() != '"' {
		return "", d.errorf("want a string")
	}
	return d.string()
}

// Number reads a number (after white space).
func (d *Reader) Number() (json.Number, error) {
	if c := d.Peek(); c != '-' && (c < '0' || c > '9') {
		return "", d.errorf("want a number")
	}
	return d.number()
}

// Null reads null (after white space), reporting whether it was there.
func (d *Reader) Null() bool {
	return d.Peek() == 'n' && d.literal("null") == nil
}

// Bool reads true or false (after white space).
func (d *Reader) Bool() (bool, error) {
	switch d.Peek() {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	}
	return false, d.errorf("want true or false")
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// Reader reads JSON values from b at i.
type Reader struct {
	b []byte
	i int
}

// Space skips white space.
func (d *Reader) Space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", d.i, fmt.Sprintf(format, args...))
}

// value reads any value at d.i (after space).
func (d *Reader) value(depth int) (any, error) {
	if d.i >= len(d.b) {
		return nil, d.errorf("unexpected end")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth, false)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("unexpected %q", c)
	}
}

func (d *Reader) literal(word string) error {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return d.errorf("bad literal")
	}
	d.i += len(word)
	return nil
}

// object reads an object at d.i ('{'); unique refuses a member name seen before.
func (d *Reader) object(depth int, unique bool) (map[string]any, error) {
	if depth++; depth > maxDepth {
		return nil, d.errorf("nested too deeply")
	}
	d.i++ // '{'
	m := map[string]any{}
	d.Space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.Space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, d.errorf("want a member name")
		}
		name, err := d.string()
		if err != nil {
			return nil, err
		}
		d.Space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, d.errorf("want ':'")
		}
		d.i++
		d.Space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		if _, dup := m[name]; dup && unique {
			return nil, errors.New("a member name appears twice")
		}
		m[name] = v
		d.Space()
		if d.i >= len(d.b) {
			return nil, d.errorf("unexpected end")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, d.errorf("want ',' or '}'")
		}
	}
}

func (d *Reader) array(depth int) ([]any, error) {
	if depth++; depth > maxDepth {
		return nil, d.errorf("nested too deeply")
	}
	d.i++ // '['
	a := []any{}
	d.Space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return a, nil
	}
	for {
		d.Space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		d.Space()
		if d.i >= len(d.b) {
			return nil, d.errorf("unexpected end")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a, nil
		default:
			return nil, d.errorf("want ',' or ']'")
		}
	}
}

// number reads a number (RFC 8259 grammar) as json.Number.
func (d *Reader) number() (json.Number, error) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case digits() == 0:
		return "", d.errorf("bad number")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", d.errorf("bad fraction")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", d.errorf("bad exponent")
		}
	}
	return json.Number(d.b[start:d.i]), nil
}

// string reads a string at d.i ('"'), unescaped; invalid UTF-8 and lone surrogates become
// U+FFFD, control characters are refused, as encoding/json does.
func (d *Reader) string() (string, error) {
	d.i++ // '"'
	start := d.i
	// Fast path: no escapes, ASCII or valid UTF-8.
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := d.b[start:d.i]
			d.i++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return string(validUTF8(s)), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(validUTF8(out)), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				return "", d.errorf("unexpected end")
			}
			e := d.b[d.i]
			d.i++
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errorf("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A pair decodes to one rune; anything else is U+FFFD (the next
					// escape, if not the pair's second half, is read on its own).
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						r2, ok := d.hex4()
						if ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								out = utf8.AppendRune(out, dec)
								break
							}
						}
						d.i = save
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", d.errorf("bad escape")
			}
		default:
			out = append(out, c)
			d.i++
		}
	}
	return "", d.errorf("unterminated string")
}

// hex4 reads four hex digits.
func (d *Reader) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// validUTF8 replaces each invalid byte of s by U+FFFD, as encoding/json does.
func validUTF8(s []byte) []byte {
	if utf8.Valid(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, s[:n]...)
		}
		s = s[n:]
	}
	return out
}
