package awsjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEpochTimeMarshal(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1795379937, 0), "1795379937"},
		{time.UnixMilli(1795379937123), "1795379937.123"},
		{time.UnixMilli(1795379937100), "1795379937.100"},
		{time.Unix(1795379937, 999999), "1795379937"}, // below a millisecond is dropped
		{time.Unix(0, 0), "0"},
	} {
		b, err := json.Marshal(Epoch(c.t))
		if err != nil || string(b) != c.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", c.t, b, err, c.want)
		}
	}
	b, _ := json.Marshal(struct{ At *EpochTime }{})
	if string(b) != `{"At":null}` {
		t.Errorf("nil pointer marshals as %s", b)
	}
}

func TestEpochTimeUnmarshal(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"1795379937", time.Unix(1795379937, 0)},
		{"1795379937.123", time.UnixMilli(1795379937123)},
		{"1795379937.123456789", time.Unix(1795379937, 123456789)},
		{"1795379937.1234567891", time.Unix(1795379937, 123456789)},
		{"0", time.Unix(0, 0)},
		{"0.5", time.Unix(0, 5e8)},
		{"1.795379937123e9", time.UnixMilli(1795379937123)},
		{"99999999999", time.Unix(99999999999, 0)},
	} {
		var e EpochTime
		if err := json.Unmarshal([]byte(c.in), &e); err != nil {
			t.Errorf("Unmarshal(%s): %v", c.in, err)
			continue
		}
		if !e.Time().Equal(c.want) || e.Time().Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %v, want %v UTC", c.in, e.Time(), c.want)
		}
	}
	for _, in := range []string{`"1795379937"`, "-1", "100000000000", "1e11", "true", "{}", "[]", "1e400"} {
		var e EpochTime
		err := json.Unmarshal([]byte(in), &e)
		if err == nil {
			t.Errorf("Unmarshal(%s) accepted: %v", in, e.Time())
			continue
		}
		// A type error naming EpochTime, whose text prints (a nil Type once made it panic).
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Type != reflect.TypeFor[EpochTime]() || !strings.Contains(err.Error(), "EpochTime") {
			t.Errorf("Unmarshal(%s) error %v", in, err)
		}
	}
	was := Epoch(time.Unix(42, 0))
	if err := json.Unmarshal([]byte("null"), &was); err != nil || !was.Time().Equal(time.Unix(42, 0)) {
		t.Errorf("null changed the value to %v (%v)", was.Time(), err)
	}
}

func TestEpochTimeRoundTrip(t *testing.T) {
	for ms := int64(1795379937000); ms < 1795379937000+1000; ms += 7 {
		b, _ := json.Marshal(Epoch(time.UnixMilli(ms)))
		var e EpochTime
		if err := json.Unmarshal(b, &e); err != nil || e.Time().UnixMilli() != ms {
			t.Fatalf("%d -> %s -> %v (%v)", ms, b, e.Time().UnixMilli(), err)
		}
	}
}

func TestDecodeEmbeddedAndTags(t *testing.T) {
	type Common struct {
		UserPoolId string `aws:"required"`
	}
	type in struct {
		Common
		Name   string `json:"name" aws:"required"`
		Hidden string `json:"-" aws:"required"`
		MFA    *struct {
			Code string `aws:"required"`
		} `json:"MFAOptions"`
	}
	var v in
	err := Decode([]byte(`{"MFAOptions":{}}`), &v)
	var e *Error
	if !errors.Is(err, ErrInvalidParameter) || !errors.As(err, &e) {
		t.Fatalf("err = %v", err)
	}
	want := "3 validation errors detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; " +
		"Value null at 'name' failed to satisfy constraint: Member must not be null; " +
		"Value null at 'mFAOptions.code' failed to satisfy constraint: Member must not be null"
	if e.Message != want {
		t.Errorf("message = %q\nwant      %q", e.Message, want)
	}
	if err := Decode([]byte(`{"UserPoolId":"us-east-1_p","name":"n"}`), &v); err != nil || v.UserPoolId != "us-east-1_p" || v.Name != "n" {
		t.Errorf("Decode = %v, %+v", err, v)
	}
	var m map[string]any
	if err := Decode([]byte(`{"a":null,"b":[null,{"c":null}]}`), &m); err != nil || len(m) != 1 {
		t.Errorf("Decode into a map = %v, %v", err, m)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"ClientId":"c","When":1.5,"UserAttributes":[{"Name":"n","Value":null}],"Meta":{"Source":"s"}}`)
	f.Add(`{"When":1795379937.1234567891234,"Count":1e2}`)
	f.Add(` {"AuthParameters":{"a":null}} `)
	f.Fuzz(func(t *testing.T, body string) {
		var in echoIn
		err := Decode([]byte(body), &in)
		if err == nil {
			if in.ClientId == "" {
				t.Fatalf("accepted without the required ClientId: %q", body)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 || e.Message == "" {
			t.Fatalf("Decode(%q) error %v is not a 400 *Error", body, err)
		}
	})
}
