package abi

import (
	"net/http"
	"reflect"
	"testing"
)

// FuzzDecodeRequest: DecodeRequest never panics, and whatever it accepts re-encodes to an
// encoding that decodes to the same request.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(EncodeRequest(sampleRequest()))
	f.Add(EncodeRequest(&Request{Method: "GET", URI: "/"}))
	f.Add(EncodeRequest(&Request{Method: "PUT", URI: "/blob", Header: http.Header{"Content-Length": {"9"}}, BodyPending: true}))
	f.Add([]byte{})
	f.Add([]byte{version})
	f.Add([]byte{version, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0})
	f.Add([]byte{version, 0, 0, 0, 0, 0, 1, 'x', 1}) // pending with a body
	f.Add([]byte{version, 0, 0, 0, 0, 0, 0, 2})      // flag 2
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		again, err := DecodeRequest(EncodeRequest(r))
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, again)
		}
	})
}

// FuzzDecodeResponse: as FuzzDecodeRequest, for responses.
func FuzzDecodeResponse(f *testing.F) {
	f.Add(EncodeResponse(&Response{Status: 200, Header: http.Header{"A": {"b", "c"}}, Body: []byte("{}")}))
	f.Add(EncodeResponse(&Response{Status: 500}))
	f.Add(EncodeResponse(&Response{Status: StatusHandoff, Body: []byte(`{"method":"GET"}`)}))
	f.Add([]byte{version, 0, 1, 1, 'a', 1, 'b', 0}) // handoff with a header
	f.Add([]byte{version, 99, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResponse(b)
		if err != nil {
			return
		}
		again, err := DecodeResponse(EncodeResponse(r))
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip changed the response:\n%+v\n%+v", r, again)
		}
	})
}

// FuzzDecodePage: as FuzzDecodeRequest, for kv_list pages (the guest decodes what the host sends).
func FuzzDecodePage(f *testing.F) {
	f.Add(EncodePage(&Page{Keys: []string{"a", "b"}, Cursor: "b"}))
	f.Add(EncodePage(&Page{}))
	f.Add([]byte{version, 0xff, 0xff, 0x03, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePage(b)
		if err != nil {
			return
		}
		again, err := DecodePage(EncodePage(p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("page round trip: %+v -> %+v, %v", p, again, err)
		}
	})
}

// FuzzDecodeResult: DecodeResult never panics.
func FuzzDecodeResult(f *testing.F) {
	f.Add(EncodeResult(&Result{OK: true, Text: "ok"}))
	f.Add([]byte{version, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResult(b)
		if err != nil {
			return
		}
		if again, err := DecodeResult(EncodeResult(r)); err != nil || *again != *r {
			t.Fatalf("result round trip: %+v -> %+v, %v", r, again, err)
		}
	})
}
