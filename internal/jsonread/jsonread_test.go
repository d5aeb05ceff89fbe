package jsonread

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
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

// FuzzValue holds Value to encoding/json's reading of one value into an any with UseNumber:
// each accepts what the other accepts, with the same value (a member name twice: the last).
func FuzzValue(f *testing.F) {
	for _, s := range []string{`null`, `[1,"a",{"b":[true,false,null]}]`, `"\ud800x"`, `-0.5e-3`, ` {"a":1,"a":2} `, `[1] x`, `01`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Value(b)
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var want any
		jerr := d.Decode(&want)
		if jerr == nil {
			if _, tailErr := d.Token(); tailErr != io.EOF {
				jerr = errors.New("data after the value")
			}
		}
		if (err == nil) != (jerr == nil) {
			t.Fatalf("%q: Value err %v, encoding/json err %v", b, err, jerr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Value %#v, encoding/json %#v", b, got, want)
		}
	})
}
