package jsonread

import (
	"encoding/json"
	"testing"
)

// TestReaderPrimitives: the primitives a record decoder uses read what encoding/json reads
// and refuse the rest (whole objects are fuzzed against encoding/json in internal/jose and
// internal/userpool).
func TestReaderPrimitives(t *testing.T) {
	r := New([]byte(` { "a\u00e9" : [ true , false , null , -1.5e3 , "x\"y" ] } `))
	if !r.Next('{') || r.Next('}') {
		t.Fatal("want '{' then a member")
	}
	if s, err := r.String(); err != nil || s != "aé" || !r.Next(':') || !r.Next('[') {
		t.Fatalf("member name %q, %v", s, err)
	}
	if b, err := r.Bool(); err != nil || !b || !r.Next(',') {
		t.Fatalf("true: %v, %v", b, err)
	}
	if b, err := r.Bool(); err != nil || b || !r.Next(',') {
		t.Fatalf("false: %v, %v", b, err)
	}
	if !r.Null() || !r.Next(',') {
		t.Fatal("null")
	}
	if n, err := r.Number(); err != nil || n != json.Number("-1.5e3") || !r.Next(',') {
		t.Fatalf("number %q, %v", n, err)
	}
	if r.Peek() != '"' {
		t.Fatalf("Peek = %q", r.Peek())
	}
	start := r.Offset()
	if s, err := r.String(); err != nil || s != `x"y` || string(r.Input()[start:r.Offset()]) != `"x\"y"` {
		t.Fatalf("string %q, %v", s, err)
	}
	if !r.Next(']') || !r.Next('}') || !r.End() {
		t.Fatal("want the end")
	}

	for _, bad := range []string{`tru`, `nul`, `"unterminated`, `-`, `01`, `"\x"`, "\"\x01\""} {
		r := New([]byte(bad))
		_, err := r.value(0)
		if err == nil && r.End() {
			t.Errorf("%q read as a whole value", bad)
		}
		if json.Valid([]byte(bad)) {
			t.Errorf("%q: encoding/json accepts it", bad)
		}
	}
}
