package abi

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
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

// FuzzDecodeEntry: as FuzzDecodeRequest, for kv_get_entry results.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(EncodeEntry(store.Entry{Value: []byte("v"), Version: 7}))
	f.Add(EncodeEntry(store.Entry{Version: 1 << 63}))
	f.Add([]byte{version, 0, 0})      // version 0
	f.Add([]byte{version, 1, 5, 'x'}) // value longer than the input
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			return
		}
		if e.Version == store.NoVersion {
			t.Fatal("decoded an entry without a version")
		}
		again, err := DecodeEntry(EncodeEntry(e))
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("entry round trip: %+v -> %+v, %v", e, again, err)
		}
	})
}

// FuzzDecodeCommit: as FuzzDecodeRequest, for kv_commit op lists (the host decodes what the
// guest sends, so this is the decoder that sees untrusted input).
func FuzzDecodeCommit(f *testing.F) {
	f.Add(EncodeCommit(sampleOps()))
	f.Add(EncodeCommit(nil))
	f.Add([]byte{version, 1, 3, 0, 0, 1, 'k', 0, 0})              // unknown kind
	f.Add([]byte{version, 1, 1, 0, 5, 1, 'k', 0, 0})              // version on an unconditional op
	f.Add([]byte{version, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0}) // a forged count
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := DecodeCommit(b)
		if err != nil {
			return
		}
		for _, op := range ops {
			if op.Kind > store.OpDelete || op.TTL < 0 || (!op.Conditional && op.IfVersion != 0) {
				t.Fatalf("decoded an invalid op %+v", op)
			}
		}
		again, err := DecodeCommit(EncodeCommit(ops))
		if err != nil || !reflect.DeepEqual(again, ops) {
			t.Fatalf("commit round trip: %+v -> %+v, %v", ops, again, err)
		}
	})
}

func sampleOps() []store.Op {
	return []store.Op{
		store.Create("ux/pool1/alice", []byte("sub"), 0),
		store.PutIf("uu/pool1/sub", 42, []byte("{\"user\":1}\x00\xff"), 90*time.Second),
		store.DeleteIf("cu/pool1/code", 1<<40),
		store.Check("ug/pool1/admins", store.NoVersion),
		store.Set("lk/pool1/sub", nil, time.Nanosecond),
		store.Remove("srpu/pool1/x"),
	}
}
