package jose

import (
	"reflect"
	"strings"
	"testing"
)

// jsonSeeds are the shapes the hand-written decoder must read as encoding/json does.
var jsonSeeds = []string{
	`{}`, ` {"a":1} `, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"b":1,"b":2}}`,
	`{"sub":"x","exp":1.5e3,"aud":["a","b"],"n":null,"t":true,"f":false,"neg":-0.0}`,
	`{"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, `{"lone":"\ud800x","low":"\udc00","pair2":"\ud800\ud800\udc00"}`,
	"{\"bad\":\"\xff\xfe\xc3\"}", "{\"ctl\":\"\x01\"}", `{"e":"\x"}`, `{"u":"\u12"}`, `{"u":"\u+123"}`,
	`{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"n":1e}`, `{"n":.5}`, `{"n":1E+2}`, `{"n":-0e-0}`,
	`{"a":[1,[2,[3,{}]],[]]}`, `{"a":1,}`, `{"a" 1}`, `{"a":1}x`, `{"a":1} {}`, `[1]`, `"s"`, ``, `{`,
	`{"a":tru}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[1 2]}`, "{\"a\":1}\n\t\r ", `{"a":"` + strings.Repeat("x", 100) + `"}`,
}

// FuzzDecodeObject: the hand-written decoder and encoding/json agree on every input: both
// refuse it, or both read the same values.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeObject(b)
		want, wantErr := decodeObjectStd(b)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: hand-written %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nhand-written  %#v\nencoding/json %#v", b, got, want)
		}
	})
}

// TestDecodeObjectDepth: the nesting limit is encoding/json's.
func TestDecodeObjectDepth(t *testing.T) {
	for _, depth := range []int{9999, 10000, 10001} {
		b := []byte(`{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
		_, err := decodeObject(b)
		_, wantErr := decodeObjectStd(b)
		if (err == nil) != (wantErr == nil) {
			t.Errorf("depth %d: hand-written %v, encoding/json %v", depth, err, wantErr)
		}
	}
}
