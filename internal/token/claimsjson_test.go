package token

import (
	"bytes"
	"encoding/json"
	"testing"
)

// stdJSON is what encodeJSON wrote before appendJSON: encoding/json without HTML escaping.
func stdJSON(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzAppendJSON: claims built from arbitrary strings and numbers encode as encoding/json
// encodes them, or are left to it (appendJSON reports false only for what it does not take).
func FuzzAppendJSON(f *testing.F) {
	f.Add("sub", "a\"b\\c\x00\x1f\x7f<>&\u2028\u2029\xff\xc3é😀", int64(-5), "12", true)
	f.Add("", "", int64(0), "1.5", false)
	f.Add("cognito:groups", "\b\f\n\r\t", int64(1<<62), "-0", true)
	f.Add("k", "v", int64(7), "01", false)
	f.Fuzz(func(t *testing.T, key, val string, n int64, num string, b bool) {
		claims := map[string]any{
			key: val, "exp": n, "int": int(n), "flag": b, "nothing": nil, "num": json.Number(num),
			"aud": []string{val, key}, "none": []string(nil), "list": []any{val, n, b, nil, []string{key}},
			"nested": map[string]any{val: map[string]any{key: []any{map[string]any{"x": val}}}},
		}
		if !isJSONInteger(num) {
			if _, ok := appendJSON(nil, claims); ok {
				t.Fatalf("json.Number %q taken", num)
			}
			delete(claims, "num")
		}
		got, ok := appendJSON(nil, claims)
		if !ok {
			t.Fatalf("claims %#v not taken", claims)
		}
		if want := stdJSON(t, claims); !bytes.Equal(got, want) {
			t.Fatalf("appendJSON:    %s\nencoding/json: %s", got, want)
		}
		if got, ok := appendJSON([]byte("x"), []any{map[string]any{key: val}, 1.5}); ok || string(got) != "x" {
			t.Fatalf("a float was taken, or dst changed: %q %v", got, ok)
		}
	})
}
