package userpool

import (
	"encoding/json"
	"reflect"
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
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want storedUser
		err := decodeStoredUser(b, &got)
		wantErr := json.Unmarshal(b, &want)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: hand-written %v, encoding/json %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nhand-written  %+v\nencoding/json %+v", b, got, want)
		}
	})
}
