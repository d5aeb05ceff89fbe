package jsonwrite

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "\b\f\n\r\t\x00\x1f\x7f",
		"<script>&amp;</script>", "line\u2028para\u2029", "bad \xff utf-8 \xc3", "ünïcødé 🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{true, false} {
			prefix := []byte("x:")
			got := AppendString(prefix, s, html)
			if want := encodingJSONValue(t, s, html); !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("AppendString(%q, escapeHTML=%v) = %s, encoding/json writes %s", s, html, got[len(prefix):], want)
			}
			if string(got[:len(prefix)]) != "x:" {
				t.Fatalf("AppendString changed what dst held: %q", got[:len(prefix)])
			}
		}
	})
}

// encodingJSONValue is what encoding/json writes for v, with and without HTML escaping.
func encodingJSONValue(t *testing.T, v any, escapeHTML bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzAppendStringsAndMap: AppendStrings and AppendStringMap write what encoding/json writes
// for the same []string and map[string]string, nil included.
func FuzzAppendStringsAndMap(f *testing.F) {
	f.Add("a\x00<b>\x00\u2028", false)
	f.Add("", true)
	f.Add("k\x00v\x00k\x00w\x00\xff\x00z", false)
	f.Fuzz(func(t *testing.T, parts string, isNil bool) {
		var list []string
		var m map[string]string
		if !isNil {
			list = strings.Split(parts, "\x00")
			m = map[string]string{}
			for i := 0; i+1 < len(list); i += 2 {
				m[list[i]] = list[i+1]
			}
		}
		for _, html := range []bool{true, false} {
			if got, want := AppendStrings(nil, list, html), encodingJSONValue(t, list, html); !bytes.Equal(got, want) {
				t.Fatalf("AppendStrings(%q, %v) = %s, encoding/json writes %s", list, html, got, want)
			}
			if got, want := AppendStringMap(nil, m, html), encodingJSONValue(t, m, html); !bytes.Equal(got, want) {
				t.Fatalf("AppendStringMap(%q, %v) = %s, encoding/json writes %s", m, html, got, want)
			}
		}
	})
}
