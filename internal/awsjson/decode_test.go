package awsjson

import (
	"encoding/json"
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

// Input shapes for FuzzFromTree: strings and string maps (filled from the tree), a field
// fromTree does not fill, and types it leaves alone entirely.
type (
	treeInput struct {
		AccessToken string            `json:"AccessToken"`
		Username    string            // no tag: the field's name
		Meta        map[string]string `json:"ClientMetadata,omitempty"`
		Other       map[string]any    `json:"Other"`
		Count       int               `json:"Count"`
	}
	treeInputOptions struct {
		A string `json:"A,omitempty,string"`
	}
)

// FuzzFromTree: when fromTree fills a struct from a body's tree, json.Unmarshal of the body
// (nulls stripped, as Decode does) fills it the same; when it does not, it changed nothing.
func FuzzFromTree(f *testing.F) {
	for _, s := range append(treeSeeds, `{"AccessToken":"t","Username":"u","ClientMetadata":{"k":"v"}}`,
		`{"accesstoken":"t"}`, `{"AccessToken":"a","ACCESSTOKEN":"b"}`, `{"Count":3}`, `{"Other":{"n":1}}`,
		`{"ClientMetadata":{"k":1}}`, `{"Username":5}`, `{"A":"x"}`, `{"A":"\"x\""}`, `{"unknown":[1,{}],"AccessToken":"é\u2028"}`,
		`{"UserName":"x"}`, `{"username":"x","Username":"y"}`, `{"ClientMetadata":null,"AccessToken":null}`,
		`{"ClientMetadata":{"a":null,"b":"c"}}`, "{\"\u212aey\":\"k\"}") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := decodeTree(b)
		if err != nil {
			return
		}
		if stripNulls(tree) {
			if b, err = json.Marshal(tree); err != nil {
				t.Fatal(err)
			}
		}
		for _, newV := range []func() any{func() any { return new(treeInput) }, func() any { return new(treeInputOptions) }} {
			got, want := newV(), newV()
			if !fromTree(tree, got) {
				if !reflect.DeepEqual(got, newV()) {
					t.Fatalf("%q: fromTree refused but changed %#v", b, got)
				}
				continue
			}
			if err := json.Unmarshal(b, want); err != nil {
				t.Fatalf("%q: fromTree filled %#v, json.Unmarshal failed: %v", b, got, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q:\nfromTree       %#v\njson.Unmarshal %#v", b, got, want)
			}
		}
	})
}

// TestFromTreeTakesTheHotInputs: the inputs of the hot actions are filled from the tree.
func TestFromTreeTakesTheHotInputs(t *testing.T) {
	tree, err := decodeTree([]byte(`{"AccessToken":"t","Username":"u","ClientMetadata":{"k":"v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var in treeInput
	if !fromTree(tree, &in) || in.AccessToken != "t" || in.Username != "u" || in.Meta["k"] != "v" {
		t.Fatalf("fromTree: %+v", in)
	}
	if fromTree(tree, new(treeInputOptions)) {
		t.Fatal("a field with the string option was filled from the tree")
	}
}
