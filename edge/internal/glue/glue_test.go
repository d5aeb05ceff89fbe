package glue

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseHeaderLines(t *testing.T) {
	h := http.Header{}
	ParseHeaderLines("content-type:application/x-amz-json-1.1\nx-amz-target:AWSCognitoIdentityProviderService.GetUser\n"+
		"accept:a\naccept:b\nempty:\nno colon here\n:no name\nbad name:x\nvalue:with:colons\n\n", h)
	want := http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"AWSCognitoIdentityProviderService.GetUser"},
		"Accept":       {"a", "b"},
		"Empty":        {""},
		"Value":        {"with:colons"},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("got %v\nwant %v", h, want)
	}
}

func TestFormatHeaderLines(t *testing.T) {
	h := http.Header{
		"Content-Type":   {"application/json"},
		"Content-Length": {"12"},
		"X-Multi":        {"1", "2"},
		"X-Break":        {"a\r\nb"},
		"Bad Name":       {"x"},
	}
	got := strings.Split(strings.TrimSuffix(FormatHeaderLines(h), "\n"), "\n")
	want := []string{"Content-Type:application/json", "X-Break:a  b", "X-Multi:1", "X-Multi:2"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q (in any order)", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("line %q missing from %q", w, got)
		}
	}
}

// FuzzHeaderLines: parsing never panics, and what is parsed formats and parses back the same.
func FuzzHeaderLines(f *testing.F) {
	for _, seed := range []string{
		"", "a:b", "a:b\nc:d\n", "host:x\nhost:y", ":\n:", "a b:c", "x:\r\n", "k:v:w", "\n\n\n", "é:ü", "a\x00:b",
		"content-length:5\nauthorization:AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=0",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, lines string) {
		h := http.Header{}
		ParseHeaderLines(lines, h)
		for name := range h {
			if !validName(name) {
				t.Fatalf("parsed an invalid name %q", name)
			}
		}
		h.Del("Content-Length")
		again := http.Header{}
		ParseHeaderLines(FormatHeaderLines(h), again)
		for name, values := range h {
			for i := range values {
				values[i] = strings.Map(noLineBreaks, values[i])
			}
			if !reflect.DeepEqual(again[name], values) {
				t.Fatalf("%q: %q after a round trip, want %q", name, again[name], values)
			}
		}
		if len(again) != len(h) {
			t.Fatalf("round trip: %d names, want %d", len(again), len(h))
		}
	})
}
