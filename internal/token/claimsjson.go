package token

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/poolgate/poolgate/internal/jsonwrite"
)

// appendJSON appends v as encoding/json encodes it without HTML escaping, for the values
// claims hold (strings, booleans, integers, integer json.Numbers, string lists, and lists
// and objects of those), without reflection: every token issued encodes its claims, and in
// WebAssembly reflection costs many times what it does natively. It reports false, leaving
// dst as it was, for anything else (floats, other numbers, other types), which encodeJSON
// then hands to encoding/json. FuzzAppendJSON holds it to encoding/json.
func appendJSON(dst []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, v), true
	case string:
		return jsonwrite.AppendString(dst, v, false), true
	case int:
		return strconv.AppendInt(dst, int64(v), 10), true
	case int64:
		return strconv.AppendInt(dst, v, 10), true
	case json.Number:
		if !isJSONInteger(string(v)) {
			return dst, false
		}
		return append(dst, v...), true
	case []string:
		return jsonwrite.AppendStrings(dst, v, false), true
	case []any:
		if v == nil {
			return append(dst, "null"...), true
		}
		start := len(dst)
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendJSON(dst, e); !ok {
				return dst[:start], false
			}
		}
		return append(dst, ']'), true
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), true
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		start := len(dst)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonwrite.AppendString(dst, k, false)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendJSON(dst, v[k]); !ok {
				return dst[:start], false
			}
		}
		return append(dst, '}'), true
	}
	return dst, false
}

// isJSONInteger reports whether s is -?(0|[1-9][0-9]*), a number encoding/json writes as is.
func isJSONInteger(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
