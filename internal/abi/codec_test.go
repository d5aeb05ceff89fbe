package abi

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

func sampleRequest() *Request {
	return &Request{
		Method:     "POST",
		URI:        "/oauth2/token?grant_type=refresh_token&x=%2F",
		Host:       "127.0.0.1:8787",
		RemoteAddr: "127.0.0.1:50123",
		Header: http.Header{
			"Content-Type":   {"application/x-amz-json-1.1"},
			"X-Amz-Target":   {"AWSCognitoIdentityProviderService.InitiateAuth"},
			"Accept":         {"a", "b", ""},
			"X-Unicode-Žluť": {"ünïcödé \x00 bytes"},
		},
		Body: []byte("{\"AuthFlow\":\"USER_SRP_AUTH\"}\x00\xff"),
	}
}

func TestRequestRoundTrip(t *testing.T) {
	cases := []*Request{
		sampleRequest(),
		{Method: "GET", URI: "/", Header: http.Header{}},
		{Method: "PUT", URI: "/big", Header: http.Header{"A": {strings.Repeat("v", 300)}}, Body: bytes.Repeat([]byte{0, 1, 2}, 70000)},
		{Method: "PUT", URI: "/stream", Header: http.Header{"Content-Length": {"1048576"}}, BodyPending: true},
	}
	for _, want := range cases {
		b := EncodeRequest(want)
		got, err := DecodeRequest(b)
		if err != nil {
			t.Fatalf("DecodeRequest(%q): %v", want.URI, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", want.URI, got, want)
		}
		b[len(b)-2] ^= 0xff // the body must be a copy, not a view of b
		if len(want.Body) > 0 && !bytes.Equal(got.Body, want.Body) {
			t.Fatal("DecodeRequest's Body aliases its input")
		}
	}
}

func TestRequestEncodingIsDeterministic(t *testing.T) {
	a := EncodeRequest(sampleRequest())
	for range 20 {
		if b := EncodeRequest(sampleRequest()); !bytes.Equal(a, b) {
			t.Fatal("two encodings of the same request differ (header order must be sorted)")
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	cases := []*Response{
		{Status: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Requestid": {"r-1"}}, Body: []byte(`{"a":1}`)},
		{Status: 100, Header: http.Header{}},
		{Status: 999, Header: http.Header{"Set-Cookie": {"a=1", "b=2"}}, Body: []byte{0}},
		{Status: StatusHandoff, Header: http.Header{}, Body: []byte(`{"method":"GET","url":"http://o.test/"}`)},
	}
	for _, want := range cases {
		got, err := DecodeResponse(EncodeResponse(want))
		if err != nil {
			t.Fatalf("DecodeResponse(status %d): %v", want.Status, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestPageAndResultRoundTrip(t *testing.T) {
	for _, want := range []*Page{
		{},
		{Keys: []string{"a/", "a/b", "a/ü/\x00"}, Cursor: "a/ü/\x00"},
		{Keys: []string{""}, Cursor: ""},
	} {
		got, err := DecodePage(EncodePage(want))
		if err != nil {
			t.Fatalf("DecodePage: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("page round trip: got %+v want %+v", got, want)
		}
	}
	for _, want := range []*Result{{OK: true, Text: "1 pool, 2 clients"}, {OK: false, Text: "service: bad config"}, {}} {
		got, err := DecodeResult(EncodeResult(want))
		if err != nil {
			t.Fatalf("DecodeResult: %v", err)
		}
		if *got != *want {
			t.Fatalf("result round trip: got %+v want %+v", got, want)
		}
	}
}

// TestRequestFlagsAreStrict: the body_pending byte is the last one, 0 or 1, and a pending
// request carries no body.
func TestRequestFlagsAreStrict(t *testing.T) {
	plain := EncodeRequest(&Request{Method: "GET", URI: "/"})
	pending := EncodeRequest(&Request{Method: "GET", URI: "/", BodyPending: true})
	if plain[len(plain)-1] != 0 || pending[len(pending)-1] != 1 || !bytes.Equal(plain[:len(plain)-1], pending[:len(pending)-1]) {
		t.Fatalf("flag byte: %x vs %x", plain, pending)
	}
	if r, err := DecodeRequest(pending); err != nil || !r.BodyPending || r.Body != nil {
		t.Fatalf("pending request: %+v, %v", r, err)
	}
	if r, err := DecodeRequest(plain); err != nil || r.BodyPending {
		t.Fatalf("plain request: %+v, %v", r, err)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	req := EncodeRequest(sampleRequest())
	resp := EncodeResponse(&Response{Status: 200, Header: http.Header{"A": {"b"}}, Body: []byte("x")})
	// A pending request that also carries a body: the encoder never makes one.
	withBody := EncodeRequest(&Request{Method: "POST", URI: "/", Body: []byte("x")})
	withBody[len(withBody)-1] = 1
	flag2 := EncodeRequest(&Request{Method: "GET", URI: "/"})
	flag2[len(flag2)-1] = 2
	handoffHeader := EncodeResponse(&Response{Status: StatusHandoff, Header: http.Header{"A": {"b"}}, Body: []byte("{}")})
	const v = version
	cases := []struct {
		name   string
		decode func([]byte) error
		in     []byte
	}{
		{"empty request", decodeReq, nil},
		{"request wrong version", decodeReq, append([]byte{v + 1}, req[1:]...)},
		{"request of version 1", decodeReq, append([]byte{1}, req[1:]...)},
		{"request truncated", decodeReq, req[:len(req)-1]},
		{"request trailing byte", decodeReq, append(append([]byte(nil), req...), 0)},
		{"request length past end", decodeReq, []byte{v, 0x7f, 'G'}},
		{"request overlong varint", decodeReq, []byte{v, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"request forged header count", decodeReq, []byte{v, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0}},
		{"request without the flag byte", decodeReq, []byte{v, 0, 0, 0, 0, 0, 0}},
		{"request flag 2", decodeReq, flag2},
		{"request pending with a body", decodeReq, withBody},
		{"response status 1", decodeResp, []byte{v, 1, 0, 0}},
		{"response status 99", decodeResp, []byte{v, 99, 0, 0}},
		{"response status 1000", decodeResp, []byte{v, 0xe8, 0x07, 0, 0}},
		{"response truncated", decodeResp, resp[:len(resp)-2]},
		{"response handoff with a header", decodeResp, handoffHeader},
		{"page forged count", func(b []byte) error { _, err := DecodePage(b); return err }, []byte{v, 0xff, 0xff, 0x03, 0}},
		{"result flag 2", func(b []byte) error { _, err := DecodeResult(b); return err }, []byte{v, 2, 0}},
	}
	for _, c := range cases {
		err := c.decode(c.in)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", c.name, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "abi: ") {
			t.Errorf("%s: error %q does not name the package", c.name, err)
		}
	}
}

func decodeReq(b []byte) error  { _, err := DecodeRequest(b); return err }
func decodeResp(b []byte) error { _, err := DecodeResponse(b); return err }

func TestPack(t *testing.T) {
	for _, c := range []struct{ ptr, n uint32 }{{0, 0}, {1, 2}, {0xffffffff, 0xffffffff}, {0x10000, 7}} {
		v := Pack(c.ptr, c.n)
		if p, n := Unpack(v); p != c.ptr || n != c.n {
			t.Fatalf("Unpack(Pack(%d, %d)) = %d, %d", c.ptr, c.n, p, n)
		}
	}
	if Pack(1, 2) != 1<<32|2 {
		t.Fatalf("Pack(1, 2) = %#x, want ptr in the high half", Pack(1, 2))
	}
}

func TestRuntimeConfigJSON(t *testing.T) {
	want := &RuntimeConfigData{Region: "eu-west-1", IssuerBase: "http://127.0.0.1:8787", AccountID: "000000000000",
		AdminAccessKeyID: "AKIA", AdminSecretAccessKey: "s", MasterKey: bytes.Repeat([]byte{7}, 32), PureCrypto: true}
	b := EncodeRuntimeConfig(want)
	if !bytes.Contains(b, []byte(`"masterKey":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="`)) {
		t.Fatalf("master key is not base64 in %s", b)
	}
	got, err := DecodeRuntimeConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v want %+v", got, want)
	}
	if _, err := DecodeRuntimeConfig([]byte(`{"masterKey":"%%"}`)); err == nil {
		t.Fatal("bad base64 master key accepted")
	}
}

func TestTablesHaveUniqueNames(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range append(append([]Func(nil), Imports...), Exports...) {
		if seen[f.Name] {
			t.Fatalf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		for _, v := range append(append([]ValueType(nil), f.Params...), f.Results...) {
			if v != I32 && v != I64 {
				t.Fatalf("%s: value type %#x", f.Name, byte(v))
			}
		}
	}
}

func TestCodeError(t *testing.T) {
	var err error = CodeNotFound
	if err.Error() != "abi: not found" || Code(99).String() != "unknown code" {
		t.Fatalf("Code texts: %q %q", err.Error(), Code(99).String())
	}
}

func TestEntryRoundTrip(t *testing.T) {
	for _, want := range []store.Entry{
		{Value: []byte("value"), Version: 2},
		{Value: nil, Version: 1},
		{Value: bytes.Repeat([]byte{0, 0xff}, 40000), Version: 1<<64 - 1},
	} {
		b := EncodeEntry(want)
		got, err := DecodeEntry(b)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("entry v%d: got %+v, %v", want.Version, got.Version, err)
		}
		if len(want.Value) > 0 {
			b[len(b)-1] ^= 0xff
			if !bytes.Equal(got.Value, want.Value) {
				t.Fatal("DecodeEntry's Value aliases its input")
			}
		}
	}
	for _, bad := range [][]byte{
		EncodeEntry(store.Entry{Value: []byte("x")}), // NoVersion
		append(EncodeEntry(store.Entry{Version: 3}), 0),
		EncodeEntry(store.Entry{Value: []byte("x"), Version: 3})[:3],
		{1, 3, 0},
	} {
		if _, err := DecodeEntry(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeEntry(%x) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestCommitRoundTrip(t *testing.T) {
	want := sampleOps()
	want[0].Value = []byte{} // decodes as nil
	got, err := DecodeCommit(EncodeCommit(want))
	if err != nil {
		t.Fatal(err)
	}
	want[0].Value = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// A negative TTL means none, as in store.PutOptions.
	got, err = DecodeCommit(EncodeCommit([]store.Op{store.Set("k", []byte("v"), -time.Hour)}))
	if err != nil || len(got) != 1 || got[0].TTL != 0 {
		t.Fatalf("negative TTL: %+v, %v", got, err)
	}
	enc := EncodeCommit([]store.Op{store.Set("k", []byte("v"), 0)})
	op := enc[2:] // after the version and the count
	for name, bad := range map[string][]byte{
		"truncated":            enc[:len(enc)-1],
		"trailing":             append(slices.Clone(enc), 0),
		"unknown kind":         append([]byte{version, 1, 3}, op[1:]...),
		"conditional flag 2":   append([]byte{version, 1, op[0], 2}, op[2:]...),
		"unconditional w/ ver": append([]byte{version, 1, op[0], 0, 9}, op[3:]...),
		"ttl overflow":         append(slices.Clone(enc[:len(enc)-1]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
		"count beyond input":   {version, 9, 1, 0, 0, 1, 'k', 0, 0},
		"old version":          append([]byte{1}, enc[1:]...),
	} {
		if _, err := DecodeCommit(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeCommit with %s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestHeaderValuesShareNothingVisible: decoded header values share one array, which a caller
// appending to a name's values (http.Header.Add) must not see through: every other name keeps
// its values, repeated names keep all of theirs in order.
func TestHeaderValuesShareNothingVisible(t *testing.T) {
	in := http.Header{"A": {"1"}, "B": {"2"}, "Set-Cookie": {"x=1", "y=2", "z=3"}, "User-Agent": {"sdk"}, "Z": {"9"}}
	r, err := DecodeResponse(EncodeResponse(&Response{Status: 200, Header: in}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Header, in) {
		t.Fatalf("decoded %v, want %v", r.Header, in)
	}
	r.Header.Add("A", "appended")
	r.Header.Add("Set-Cookie", "w=4")
	r.Header["User-Agent"][0] = "changed"
	want := http.Header{"A": {"1", "appended"}, "B": {"2"}, "Set-Cookie": {"x=1", "y=2", "z=3", "w=4"}, "User-Agent": {"changed"}, "Z": {"9"}}
	if !reflect.DeepEqual(r.Header, want) {
		t.Fatalf("after appending: %v, want %v", r.Header, want)
	}
}
