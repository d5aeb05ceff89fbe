package userpool

import (
	"strings"
	"unicode"
)

// The shapes Cognito gives names, ids and attribute values, checked rune by rune. They were
// regular expressions; `[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}` alone compiled to 6 MiB of
// tables at every instance start (issue 17), and the others are as easy to read as loops.
// names_test.go holds each to the expression it replaces.

// runesIn reports whether s has min to max runes, each accepted by ok. An invalid UTF-8 byte
// counts as one U+FFFD, as regexp reads it.
func runesIn(s string, min, max int, ok func(rune) bool) bool {
	n := 0
	for _, r := range s {
		n++
		if n > max || !ok(r) {
			return false
		}
	}
	return n >= min
}

// visibleRune is `[\p{L}\p{M}\p{S}\p{N}\p{P}]`: letters, marks, symbols, numbers and
// punctuation; no spaces or controls.
func visibleRune(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P)
}

// wordRune is `\w`: ASCII letters, digits and '_'.
func wordRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
}

// spaceRune is `\s`: ASCII space, tab, line feed, form feed and carriage return.
func spaceRune(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

func alnumRune(r rune) bool { return wordRune(r) && r != '_' }

func hexRune(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// resourceNameRune is `[\w\s+=,.@-]`, the characters of pool and client names.
func resourceNameRune(r rune) bool {
	return wordRune(r) || spaceRune(r) || strings.ContainsRune("+=,.@-", r)
}

// validUsername: `^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`.
func validUsername(s string) bool { return runesIn(s, 1, 128, visibleRune) }

// validGroupName: `^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`.
func validGroupName(s string) bool { return runesIn(s, 1, 128, visibleRune) }

// validCustomAttributeName: `^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,20}$` (the name after "custom:").
func validCustomAttributeName(s string) bool { return runesIn(s, 1, 20, visibleRune) }

// validResourceName: `^[\w\s+=,.@-]{1,128}$`, pool and client names.
func validResourceName(s string) bool { return runesIn(s, 1, 128, resourceNameRune) }

// validPoolID: `^[\w-]+_[0-9a-zA-Z]+$`, the shape clients check pool ids against (spec §2.1):
// a region-like prefix, the last '_', and an alphanumeric tail.
func validPoolID(s string) bool {
	i := strings.LastIndexByte(s, '_')
	return i > 0 && runesIn(s[:i], 1, len(s), func(r rune) bool { return wordRune(r) || r == '-' }) &&
		runesIn(s[i+1:], 1, len(s), alnumRune)
}

// validClientID: `^[\w+]{1,128}$`.
func validClientID(s string) bool {
	return runesIn(s, 1, 128, func(r rune) bool { return wordRune(r) || r == '+' })
}

// validClientSecret: `^[\w+]{24,64}$`.
func validClientSecret(s string) bool {
	return runesIn(s, 24, 64, func(r rune) bool { return wordRune(r) || r == '+' })
}

// validHex: `^[0-9a-fA-F]+$`.
func validHex(s string) bool { return runesIn(s, 1, len(s), hexRune) }

// validEmail: `^[^\s@]+@[^\s@]+$`, at most 2048 bytes.
func validEmail(v string) bool {
	at := strings.IndexByte(v, '@')
	notSpaceOrAt := func(r rune) bool { return !spaceRune(r) && r != '@' }
	return len(v) <= 2048 && at > 0 && runesIn(v[:at], 1, len(v), notSpaceOrAt) && runesIn(v[at+1:], 1, len(v), notSpaceOrAt)
}

// validPhone: `^\+[0-9]{4,15}$`.
func validPhone(v string) bool {
	digit := func(r rune) bool { return '0' <= r && r <= '9' }
	return strings.HasPrefix(v, "+") && runesIn(v[1:], 4, 15, digit)
}

// validRoleArn: `^arn:P+:P+:(P*)?:[0-9]+:P+(:P+)?(:P+)?$` with P `[\w+=/,.@-]`: "arn", a
// partition, a service, a region that may be empty, an account, and one to three resource
// parts.
func validRoleArn(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 6 || len(parts) > 8 || parts[0] != "arn" {
		return false
	}
	arnRune := func(r rune) bool { return wordRune(r) || strings.ContainsRune("+=/,.@-", r) }
	for i, p := range parts[1:] {
		min := 1
		if i == 2 {
			min = 0 // the region
		}
		ok := arnRune
		if i == 3 {
			ok = func(r rune) bool { return '0' <= r && r <= '9' } // the account
		}
		if !runesIn(p, min, len(p), ok) {
			return false
		}
	}
	return true
}
