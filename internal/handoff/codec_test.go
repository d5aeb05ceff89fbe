package handoff

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeRefuses(t *testing.T) {
	good := `{"method":"GET","url":"http://o.test/","header":[["A","b"]],"length":0,"timeoutMs":1,` +
		`"unreachable":{"status":502,"header":null,"body":""},"timedOut":{"status":504,"header":null,"body":""}}`
	if _, err := Decode([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		strings.Replace(good, `"GET"`, `"G ET"`, 1),
		strings.Replace(good, `http://o.test/`, `file:///etc/passwd`, 1),
		strings.Replace(good, `http://o.test/`, `/relative`, 1),
		strings.Replace(good, `["A","b"]`, `["A","b\r\nX: y"]`, 1),
		strings.Replace(good, `["A","b"]`, `["A:","b"]`, 1),
		strings.Replace(good, `"timeoutMs":1`, `"timeoutMs":0`, 1),
		strings.Replace(good, `"length":0`, `"length":-2`, 1),
		strings.Replace(good, `"status":502`, `"status":42`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":0,"dropPrefix":"x-"},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":"X-"},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":"x-","drop":["a b"]},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":"x-","set":[["A","b\n"]]},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":""},`, 1),
		`{`, `[]`, `null`,
	} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"method":"GET","url":"http://o.test/","header":[["A","b"]],"length":0,"timeoutMs":1,"unreachable":{"status":502},"timedOut":{"status":504}}`))
	f.Add([]byte(`{"method":"POST","url":"https://o.test:8443/a?b","host":"x","length":-1,"timeoutMs":30000,"stripCORS":true,"responseHeader":[["Vary","Origin"]],"unreachable":{"status":502,"body":"x"},"timedOut":{"status":504}}`))
	f.Add([]byte(`{"method":"GET","url":"http://o.test/","length":0,"timeoutMs":1,"unreachable":{"status":502},"timedOut":{"status":504},"reuse":{"ttlMs":30000,"drop":["te","authorization"],"dropPrefix":"x-poolgate-","unless":["connection"],"set":[["X-Poolgate-Sub","s"]]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes is safe to send: it encodes and decodes again to the same thing.
		again, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
	})
}

// FuzzUpstreamJSON: the hand-written JSON decodes to what encoding/json's reflection would
// have written, whatever the strings hold.
func FuzzUpstreamJSON(f *testing.F) {
	f.Add("GET", "http://o.test/a?b=c", "X-A", "v\"\\\n\x01\xff\u2028é", "body {\"error\":1}", int64(-1), true)
	f.Add("", "", "", "", "", int64(0), false)
	f.Fuzz(func(t *testing.T, method, url, name, value, body string, length int64, cors bool) {
		u := &Upstream{Method: method, URL: url, Host: value, Header: [][2]string{{name, value}, {"B", url}},
			Length: length, StripCORS: cors, TimeoutMillis: length,
			Unreachable: Answer{Status: 502, Header: [][2]string{{name, body}}, Body: body},
			TimedOut:    Answer{Status: 504, Body: value}}
		if cors {
			u.ResponseHeader = [][2]string{{"Vary", value}}
			u.Reuse = &Reuse{TTLMillis: length, Drop: []string{name, value}, DropPrefix: body, Set: [][2]string{{name, body}}}
		} else if length%2 == 0 {
			u.Reuse = &Reuse{Unless: []string{}, Set: [][2]string{}}
		}
		type plain Upstream // without the MarshalJSON method
		want, err := json.Marshal((*plain)(u))
		if err != nil {
			t.Fatal(err)
		}
		got, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var a, b plain
		if err := json.Unmarshal(want, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("hand-written %s\nreflection   %s", got, want)
		}
	})
}
