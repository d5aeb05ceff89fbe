package userpool

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleUsers are stored users as poolgate writes them, and some it does not.
func sampleUsers() []storedUser {
	at := time.Date(2026, 12, 7, 15, 4, 5, 123456789, time.UTC)
	return []storedUser{
		{},
		{User: User{Username: "alice", Sub: "9d0e-…", Enabled: true, Status: StatusConfirmed,
			Attributes: map[string]string{"email": "alice@example.com", "email_verified": "true", "name": "Ålice \"A\" <a>\u2028"},
			Created:    at, Modified: at.Add(time.Hour), Groups: []string{"admins", "ünï"},
			FailedAttempts: 3, LockedUntil: at.Add(time.Minute), TokensValidAfter: at.In(time.FixedZone("x", 3600)),
			TempPasswordExpires: at, PreferredMfa: "SOFTWARE_TOKEN_MFA", MfaEnabled: []string{"SOFTWARE_TOKEN_MFA"}, LegacySmsMfa: true},
			Sealed: []byte{0, 1, 2, 250, 251, 252}},
		{User: User{Username: "bob", Attributes: map[string]string{}, Groups: []string{}, MfaEnabled: []string{}}},
	}
}

// TestStoredUserRoundTrip: what encoding/json writes of a user reads back as encoding/json
// reads it, through the hand-written path (not the fallback).
func TestStoredUserRoundTrip(t *testing.T) {
	for i, su := range sampleUsers() {
		b, err := json.Marshal(&su)
		if err != nil {
			t.Fatal(err)
		}
		var want, got storedUser
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !readStoredUser(b, &got) {
			t.Fatalf("user %d: the hand-written path refused poolgate's own record %s", i, b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("user %d:\nhand-written  %+v\nencoding/json %+v", i, got, want)
		}
		// And the same bytes again once decoded: the codec loses nothing encoding/json keeps.
		again, _ := json.Marshal(&got)
		if string(again) != string(b) {
			t.Fatalf("user %d: %s\nre-encoded as %s", i, b, again)
		}
	}
}

// FuzzDecodeStoredUser: decodeStoredUser reads every input as json.Unmarshal does: both
// refuse it, or both give the same user.
func FuzzDecodeStoredUser(f *testing.F) {
	for _, su := range sampleUsers() {
		b, _ := json.Marshal(&su)
		f.Add(b)
	}
	for _, s := range []string{
		`{"username":"a","Username":"b"}`, `{"username":"a","username":"b"}`, `{"username":null}`,
		`{"enabled":"true"}`, `{"failedAttempts":1.5}`, `{"failedAttempts":1e2}`, `{"failedAttempts":99999999999999999999}`,
		`{"created":"not a time"}`, `{"created":"2026-12-07T15:04:05Z","modified":"2026-12-07T15:04:05.5+01:00"}`,
		`{"sealed":"AAE="}`, `{"sealed":"AAE"}`, `{"sealed":"A\nAE="}`, `{"attributes":{"a":"1","a":"2"}}`,
		`{"attributes":{"a":1}}`, `{"groups":["a",null]}`, `{"groups":null}`, `{"x":1}`, `{"-":1}`,
		`{"username":"\ud800"}`, "{\"username\":\"\xff\"}", `{} x`, ` {"sub" : "s" } `, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodesAsJSON(t, b, decodeStoredUser) })
}

// TestEncodeStoredUser: the sample users encode as json.Marshal encodes them.
func TestEncodeStoredUser(t *testing.T) {
	for i, su := range sampleUsers() {
		checkEncodeStoredUser(t, fmt.Sprintf("user %d", i), &su)
	}
	far := storedUser{User: User{Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, err := encodeStoredUser(&far); err == nil {
		t.Fatal("a year past 9999 was encoded (json.Marshal refuses it)")
	}
}

func checkEncodeStoredUser(t *testing.T, name string, su *storedUser) {
	t.Helper()
	checkEncodesAsJSON(t, name, su, encodeStoredUser)
}

// checkDecodesAsJSON checks that decode makes of b what json.Unmarshal makes of it (the same
// value, or an error where it has one) and returns the value, nil after an error.
func checkDecodesAsJSON[T any](t *testing.T, b []byte, decode func([]byte, *T) error) *T {
	t.Helper()
	var got, want T
	err := decode(b, &got)
	wantErr := json.Unmarshal(b, &want)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: hand-written %v, encoding/json %v", b, err, wantErr)
	}
	if err != nil {
		return nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nhand-written  %+v\nencoding/json %+v", b, got, want)
	}
	return &got
}

// checkEncodesAsJSON checks that encode writes v as json.Marshal does (the same bytes, or an
// error where it has one) and returns what it wrote.
func checkEncodesAsJSON[T any](t *testing.T, name string, v *T, encode func(*T) ([]byte, error)) []byte {
	t.Helper()
	got, err := encode(v)
	want, wantErr := json.Marshal(v)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: hand-written %v, encoding/json %v", name, err, wantErr)
	}
	if err == nil && string(got) != string(want) {
		t.Fatalf("%s:\nhand-written  %s\nencoding/json %s", name, got, want)
	}
	return got
}

// FuzzEncodeStoredUser: encodeStoredUser writes every user as json.Marshal does, byte for byte,
// and refuses what it refuses.
func FuzzEncodeStoredUser(f *testing.F) {
	f.Add("alice", "sub", "email\x00a@example.com\x00name\x00<Å>\u2028", true, "CONFIRMED", int64(1796655845), int64(123456789), 3600, "g1\x00ünï", 3, "SOFTWARE_TOKEN_MFA", true, []byte{0, 1, 250})
	f.Add("", "", "", false, "", int64(0), int64(0), 0, "", 0, "", false, []byte(nil))
	f.Add("\xff\xed\xa0\x80", "\"\\", "\x00\x00", false, "x", int64(-62135596800), int64(-1), -59, "\x00", -1, "\xfe", false, []byte{})
	f.Add("far", "", "", false, "", int64(253402300800), int64(0), 0, "", 0, "", false, []byte(nil))
	f.Fuzz(func(t *testing.T, username, sub, attrs string, enabled bool, status string, sec, nsec int64, zone int,
		groups string, failed int, mfa string, legacy bool, sealed []byte) {
		at := time.Unix(sec, nsec).In(time.FixedZone("z", zone))
		u := User{Username: username, Sub: sub, Enabled: enabled, Status: status,
			Created: at, Modified: at.Add(time.Second), LockedUntil: at.UTC(),
			FailedAttempts: failed, PreferredMfa: mfa, LegacySmsMfa: legacy}
		if attrs != "" {
			kv := strings.Split(attrs, "\x00")
			u.Attributes = map[string]string{}
			for i := 0; i+1 < len(kv); i += 2 {
				u.Attributes[kv[i]] = kv[i+1]
			}
		}
		if groups != "" {
			u.Groups = strings.Split(groups, "\x00")
			u.MfaEnabled = u.Groups[:len(u.Groups)/2]
		}
		checkEncodeStoredUser(t, "fuzzed user", &storedUser{User: u, Sealed: sealed})
	})
}
