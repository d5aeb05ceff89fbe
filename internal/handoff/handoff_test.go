package handoff

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the wanted outputs of testdata/reuse.json from this implementation")

const reuseFile = "testdata/reuse.json"

// reuseVectors is testdata/reuse.json, shared with the Worker glue's edge/reuse.mjs
// (tests/node/glue.test.mjs runs it), so that the two copies of the reuse rule cannot drift.
type reuseVectors struct {
	Comment string            `json:"comment"`
	Reuses  map[string]*Reuse `json:"reuses"`
	Apply   []struct {
		Name   string      `json:"name"`
		Reuse  string      `json:"reuse"`
		Header [][2]string `json:"header"`
		Want   [][2]string `json:"want"` // null: not covered
	} `json:"apply"`
	Keys []struct {
		Name       string      `json:"name"`
		Method     string      `json:"method"`
		URL        string      `json:"url"`
		Header     [][2]string `json:"header"`
		ClientAddr string      `json:"clientAddr"`
		Want       *string     `json:"want"` // null: no key
	} `json:"keys"`
}

// asHeaders is how a Fetch API Headers object lists pairs: names in lower case, one entry per
// name with its values joined by ", ", sorted by name.
func asHeaders(pairs [][2]string) [][2]string {
	out := [][2]string{}
	for _, kv := range pairs {
		name := strings.ToLower(kv[0])
		if i := slices.IndexFunc(out, func(e [2]string) bool { return e[0] == name }); i >= 0 {
			out[i][1] += ", " + kv[1]
			continue
		}
		out = append(out, [2]string{name, kv[1]})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// TestReuseVectors: Reuse.Apply and ReuseKey give what testdata/reuse.json says. With -update
// the file's wanted outputs are rewritten from this implementation.
func TestReuseVectors(t *testing.T) {
	b, err := os.ReadFile(reuseFile)
	if err != nil {
		t.Fatal(err)
	}
	var v reuseVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Apply) == 0 || len(v.Keys) == 0 {
		t.Fatal("no vectors")
	}
	covered, refused := 0, 0
	for i := range v.Apply {
		c := &v.Apply[i]
		r := v.Reuses[c.Reuse]
		if r == nil {
			t.Fatalf("%s: no reuse %q", c.Name, c.Reuse)
		}
		var got [][2]string
		if out, ok := r.Apply(c.Header); ok {
			got = asHeaders(out)
			covered++
		} else {
			refused++
		}
		if *update {
			c.Want = got
		} else if !reflect.DeepEqual(got, c.Want) {
			t.Errorf("%s:\n got %q\nwant %q", c.Name, got, c.Want)
		}
	}
	if covered == 0 || refused == 0 {
		t.Errorf("vectors cover %d requests and refuse %d: both kinds are needed", covered, refused)
	}
	for i := range v.Keys {
		c := &v.Keys[i]
		var got *string
		if k, ok := ReuseKey(c.Method, c.URL, c.Header, c.ClientAddr); ok {
			got = &k
		}
		if *update {
			c.Want = got
		} else if (got == nil) != (c.Want == nil) || got != nil && *got != *c.Want {
			t.Errorf("%s: key %v, want %v", c.Name, quotePtr(got), quotePtr(c.Want))
		}
	}
	if *update {
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&v); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(reuseFile, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func quotePtr(s *string) string {
	if s == nil {
		return "none"
	}
	return strings.ReplaceAll(*s, "\n", `\n`)
}

// TestApplyLeavesItsInputs: Apply reads the request's headers and the Reuse without
// changing either (a host keeps one Reuse for many requests).
func TestApplyLeavesItsInputs(t *testing.T) {
	r := &Reuse{TTLMillis: 1, Drop: []string{"a"}, DropPrefix: "x-", Unless: []string{"te"}, Set: [][2]string{{"X-Id", "1"}}}
	before := *r
	header := [][2]string{{"A", "1"}, {"B", "2"}, {"X-Id", "forged"}}
	in := slices.Clone(header)
	out, ok := r.Apply(header)
	if !ok || !slices.Equal(out, [][2]string{{"b", "2"}, {"x-id", "1"}}) {
		t.Fatalf("Apply = %q, %v", out, ok)
	}
	out[0][1] = "changed"
	if !slices.Equal(header, in) || !reflect.DeepEqual(*r, before) {
		t.Fatalf("inputs changed: %q, %+v", header, r)
	}
}
