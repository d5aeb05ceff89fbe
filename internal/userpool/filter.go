package userpool

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// userFilter is a parsed ListUsers Filter (spec §2.7): `<attribute> <op> "<value>"` where op
// is "=" (exact match) or "^=" (prefix match).
type userFilter struct {
	Attr   string
	Prefix bool
	Value  string
}

// filterAttributes are the searchable attributes.
var filterAttributes = []string{"username", "email", "phone_number", "name", "given_name",
	"family_name", "preferred_username", "cognito:user_status", "status", "sub"}

// maxFilterLen bounds a Filter in UTF-16 code units, as Cognito counts (a filter naming a
// 128-character username of 3-byte characters is 140 units, 396 bytes).
const maxFilterLen = 256

// parseFilter parses a ListUsers Filter; an empty (or all-blank) filter is nil, matching every user.
func parseFilter(s string) (*userFilter, error) {
	units := 0
	for _, r := range s {
		units += max(utf16.RuneLen(r), 1)
	}
	if units > maxFilterLen {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'filter' failed to satisfy constraint: Member must have length less than or equal to %d", maxFilterLen)
	}
	rest := strings.TrimLeft(s, " \t")
	if rest == "" {
		return nil, nil
	}
	bad := awsjson.InvalidParameter("Error while parsing filter.")
	i := 0
	for i < len(rest) && isFilterNameByte(rest[i]) {
		i++
	}
	if i == 0 {
		return nil, bad
	}
	f := &userFilter{Attr: rest[:i]}
	rest = strings.TrimLeft(rest[i:], " \t")
	switch {
	case strings.HasPrefix(rest, "^="):
		f.Prefix = true
		rest = rest[2:]
	case strings.HasPrefix(rest, "="):
		rest = rest[1:]
	default:
		return nil, bad
	}
	rest = strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(rest, `"`) {
		return nil, bad
	}
	var value strings.Builder
	closed := false
	for i = 1; i < len(rest); i++ {
		c := rest[i]
		if c == '\\' {
			if i+1 == len(rest) {
				return nil, bad
			}
			i++
			value.WriteByte(rest[i])
			continue
		}
		if c == '"' {
			closed = true
			i++
			break
		}
		value.WriteByte(c)
	}
	if !closed || strings.Trim(rest[i:], " \t") != "" {
		return nil, bad
	}
	f.Value = value.String()
	if !contains(filterAttributes, f.Attr) {
		return nil, awsjson.InvalidParameter("Invalid search attribute: %s", f.Attr)
	}
	return f, nil
}

func isFilterNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-'
}

// String renders f in the filter syntax (parseFilter(f.String()) gives f back).
func (f *userFilter) String() string {
	if f == nil {
		return ""
	}
	op := "="
	if f.Prefix {
		op = "^="
	}
	v := strings.ReplaceAll(f.Value, `\`, `\\`)
	v = strings.ReplaceAll(v, `"`, `\"`)
	return f.Attr + " " + op + " " + `"` + v + `"`
}

// match reports whether u passes the filter (a nil filter passes everyone).
func (f *userFilter) match(u *User) bool {
	if f == nil {
		return true
	}
	var have string
	fold := false
	switch f.Attr {
	case "username":
		have = u.Username
	case "cognito:user_status":
		have, fold = u.Status, true
	case "status":
		have = "Disabled"
		if u.Enabled {
			have = "Enabled"
		}
	default:
		have = u.Attr(f.Attr)
		if have == "" {
			return false
		}
	}
	want := f.Value
	if fold {
		have, want = strings.ToUpper(have), strings.ToUpper(want)
	}
	if f.Prefix {
		return strings.HasPrefix(have, want)
	}
	return have == want
}

// GoString helps test failures show filters unambiguously.
func (f *userFilter) GoString() string {
	if f == nil {
		return "nil"
	}
	return "{" + f.Attr + " prefix=" + strconv.FormatBool(f.Prefix) + " " + strconv.Quote(f.Value) + "}"
}
