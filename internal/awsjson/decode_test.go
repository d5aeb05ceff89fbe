package awsjson

import (
	"reflect"
	"strings"
	"testing"
)

// treeSeeds are request bodies and near-misses the two tree readers must agree on.
var treeSeeds = []string{
	`{}`, `{"AccessToken":"eyJ.a.b"}`, `{"a":1,"a":2}`, `{"a":{"b":null,"b":2}}`, `{"a":null}`,
	`{"ClientId":"c","AuthParameters":{"USERNAME":"u","PASSWORD":"p\u00e9"},"N":1.5e3}`,
	`{"UserAttributes":[{"Name":"email","Value":"a@example.com"},null]}`, "{\"bad\":\"\xff\xfe\"}",
	`{"lone":"\ud800x"}`, `{"a":1,}`, `{"a":1} {}`, `{"a":1}x`, `{"n":01}`, `{"n":-}`, `{"a":tru}`,
	`{"a":[1,]}`, "{\"ctl\":\"\x01\"}", `{`, `{"a":"` + strings.Repeat("x", 100) + `"}`, ` {"t":true,"f":false} `,
}

// FuzzDecodeTree: the reflection-free tree reader and encoding/json agree on every body:
// both refuse it, or both read the same tree.
func FuzzDecodeTree(f *testing.F) {
	for _, s := range treeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeTree(b)
		want, wantErr := decodeTreeStd(b)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: decodeTree %v, encoding/json %v", b, err, wantErr)
		}
		if err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("%q: decodeTree's error %q, encoding/json's %q", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\ndecodeTree    %#v\nencoding/json %#v", b, got, want)
		}
	})
}
