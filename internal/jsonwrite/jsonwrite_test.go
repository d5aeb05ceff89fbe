package jsonwrite

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is what encoding/json writes for s, with and without HTML escaping.
func encodingJSON(t *testing.T, s string, escapeHTML bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "\b\f\n\r\t\x00\x1f\x7f",
		"<script>&amp;</script>", "line\u2028para\u2029", "bad \xff utf-8 \xc3", "ünïcødé 🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{true, false} {
			prefix := []byte("x:")
			got := AppendString(prefix, s, html)
			if want := encodingJSON(t, s, html); !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("AppendString(%q, escapeHTML=%v) = %s, encoding/json writes %s", s, html, got[len(prefix):], want)
			}
			if string(got[:len(prefix)]) != "x:" {
				t.Fatalf("AppendString changed what dst held: %q", got[:len(prefix)])
			}
		}
	})
}
