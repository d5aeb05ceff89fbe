package policy

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// A pattern is a compiled Action, Resource or condition value: literal text, the wildcards
// '*' (any run of characters) and '?' (one character), and policy variables "${name}" or
// "${name, 'default'}". A substituted value is matched literally: a '*' in a user's name is
// not a wildcard (so a caller cannot widen a resource by choosing an odd identifier).
type pattern struct {
	parts   []part
	literal string // the whole pattern when it has no wildcard and no variable
	isLit   bool
	prefix  string // the literal text before the first wildcard or variable: a quick reject
}

type partKind uint8

const (
	partText partKind = iota // literal text
	partStar                 // '*'
	partOne                  // '?'
	partVar                  // ${name}
)

type part struct {
	kind       partKind
	text       string // partText: the text; partVar: the variable name, lower-cased
	def        string // partVar: default value
	hasDefault bool
}

// maxVarName bounds a variable name; IAM's own keys are far shorter.
const maxVarName = 128

// compile parses s; with vars false, "${" is ordinary text (Version 2008-10-17).
func compile(s string, vars bool) (pattern, error) {
	var p pattern
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			p.parts = append(p.parts, part{kind: partText, text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '*':
			flush()
			if n := len(p.parts); n == 0 || p.parts[n-1].kind != partStar { // "**" == "*"
				p.parts = append(p.parts, part{kind: partStar})
			}
			i++
		case c == '?':
			flush()
			p.parts = append(p.parts, part{kind: partOne})
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return p, errors.New("unterminated policy variable")
			}
			body := s[i+2 : i+2+end]
			i += 2 + end + 1
			switch body {
			case "*", "?", "$": // ${*} ${?} ${$} stand for the literal characters
				text.WriteString(body)
				continue
			}
			v, err := parseVar(body)
			if err != nil {
				return p, err
			}
			flush()
			p.parts = append(p.parts, v)
		default:
			text.WriteByte(c)
			i++
		}
	}
	flush()
	switch {
	case len(p.parts) == 0:
		p.isLit = true
	case len(p.parts) == 1 && p.parts[0].kind == partText:
		p.isLit, p.literal = true, p.parts[0].text
	case p.parts[0].kind == partText:
		p.prefix = p.parts[0].text
	}
	return p, nil
}

// parseVar parses the inside of "${...}": a key name, optionally ", 'default'".
func parseVar(body string) (part, error) {
	name, rest, hasDef := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxVarName {
		return part{}, errors.New("empty or overlong policy variable name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(":._-/", c) >= 0) {
			return part{}, errors.New("policy variable name holds a character outside [A-Za-z0-9:._/-]")
		}
	}
	v := part{kind: partVar, text: strings.ToLower(name)}
	if hasDef {
		rest = strings.TrimSpace(rest)
		if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' || strings.Contains(rest[1:len(rest)-1], "'") {
			return part{}, errors.New("policy variable default must be one quoted string: ${key, 'default'}")
		}
		v.def, v.hasDefault = rest[1:len(rest)-1], true
	}
	return v, nil
}

// element is one unit the matcher walks: a literal byte, or a wildcard.
type element struct {
	kind partKind // partText (literal byte c), partStar or partOne
	c    byte
}

// expand resolves variables into literal elements. ok is false when a variable without a
// default is absent from the request: the pattern then matches nothing, as in IAM.
func (p *pattern) expand(r *Request, buf []element) (elems []element, ok bool) {
	elems = buf[:0]
	for _, pt := range p.parts {
		switch pt.kind {
		case partText:
			for i := 0; i < len(pt.text); i++ {
				elems = append(elems, element{kind: partText, c: pt.text[i]})
			}
		case partVar:
			v, found := r.lookup(pt.text)
			if !found {
				if !pt.hasDefault {
					return nil, false
				}
				v = pt.def
			}
			for i := 0; i < len(v); i++ {
				elems = append(elems, element{kind: partText, c: v[i]})
			}
		default:
			elems = append(elems, element{kind: pt.kind})
		}
	}
	return elems, true
}

// match reports whether s matches the pattern. fold compares ASCII letters case-insensitively.
func (p *pattern) match(r *Request, s string, fold bool) bool {
	if p.isLit {
		if fold {
			return strings.EqualFold(p.literal, s)
		}
		return p.literal == s
	}
	if len(s) < len(p.prefix) || !(s[:len(p.prefix)] == p.prefix || fold && strings.EqualFold(s[:len(p.prefix)], p.prefix)) {
		return false
	}
	var stack [128]element
	elems, ok := p.expand(r, stack[:])
	if !ok {
		return false
	}
	return glob(elems, s, fold)
}

// glob matches s against elems with the classic linear backtracking over the last '*'.
// '?' consumes one UTF-8 character.
func glob(elems []element, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(elems) {
			switch e := elems[pi]; e.kind {
			case partStar:
				starP, starS = pi, si
				pi++
				continue
			case partOne:
				_, n := utf8.DecodeRuneInString(s[si:])
				pi, si = pi+1, si+n
				continue
			default:
				if e.c == s[si] || fold && lower(e.c) == lower(s[si]) {
					pi, si = pi+1, si+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		pi, si = starP+1, starS
	}
	for pi < len(elems) && elems[pi].kind == partStar {
		pi++
	}
	return pi == len(elems)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// lookup finds a single-valued key; names compare case-insensitively. name is lower-case.
func (r *Request) lookup(name string) (string, bool) {
	if v, ok := r.Vars[name]; ok {
		return v, true
	}
	for k, v := range r.Vars {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	if vs, ok := r.set(name); ok && len(vs) == 1 {
		return vs[0], true
	}
	return "", false
}

// values returns every value of a key, single- or multi-valued.
func (r *Request) values(name string) ([]string, bool) {
	if vs, ok := r.set(name); ok {
		return vs, true
	}
	if v, ok := r.lookup(name); ok {
		return []string{v}, true
	}
	return nil, false
}

func (r *Request) set(name string) ([]string, bool) {
	if vs, ok := r.Sets[name]; ok {
		return vs, true
	}
	for k, vs := range r.Sets {
		if strings.EqualFold(k, name) {
			return vs, true
		}
	}
	return nil, false
}
