package userpool

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleSecrets are secrets as poolgate holds them: a password with history, pending codes, a
// software token, an imported hash, and the edges encoding/json has its own way with (nil and
// empty byte strings, HTML and U+2028 in strings, a zone offset).
func sampleSecrets() []UserSecrets {
	v := func(b byte) PasswordVerifier {
		return PasswordVerifier{Salt: []byte{b, 1, 2}, Verifier: []byte(strings.Repeat(string(rune('a'+b)), 384))}
	}
	at := time.Date(2026, 12, 7, 15, 4, 5, 123456789, time.FixedZone("x", 3600))
	p := v(1)
	return []UserSecrets{
		{},
		{Password: &p},
		{Password: &p, History: []PasswordVerifier{v(2), v(3)}},
		{Codes: map[string]*Code{"signup": {Value: "123456", Expires: at}, "verify:email": {Value: "9", Expires: at.UTC(), Attempts: 2},
			"<b>&": {Value: "\u2028"}, "mfa:EMAIL_OTP": {}}},
		{Totp: &SoftwareToken{Secret: []byte("12345678901234567890"), DeviceName: "phone <1>"}},
		{Totp: &SoftwareToken{Pending: []byte{}}},
		{Totp: &SoftwareToken{}},
		{Password: &PasswordVerifier{Salt: []byte{}, Verifier: []byte{}}, History: []PasswordVerifier{{Salt: []byte{}, Verifier: []byte{9}}}},
		{Imported: "$2a$10$N9qo8uLOickgx2ZMRZoMye"},
	}
}

// TestUserSecretsCodec: the samples encode as json.Marshal does and decode back, by the
// hand-written path, to what json.Unmarshal makes of them.
func TestUserSecretsCodec(t *testing.T) {
	for i, s := range sampleSecrets() {
		name := fmt.Sprintf("secrets %d", i)
		got := checkEncodeUserSecrets(t, name, &s)
		var read, want UserSecrets
		if !readUserSecrets(got, &read) {
			t.Fatalf("%s: the hand-written path did not read %s", name, got)
		}
		if err := json.Unmarshal(got, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(read, want) {
			t.Fatalf("%s:\nhand-written  %+v\nencoding/json %+v", name, read, want)
		}
	}
	far := UserSecrets{Codes: map[string]*Code{"x": {Expires: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if _, err := encodeUserSecrets(&far); err == nil {
		t.Fatal("a year past 9999 was encoded (json.Marshal refuses it)")
	}
}

func checkEncodeUserSecrets(t *testing.T, name string, s *UserSecrets) []byte {
	t.Helper()
	return checkEncodesAsJSON(t, name, s, encodeUserSecrets)
}

// FuzzUserSecretsCodec: decodeUserSecrets makes of any input what json.Unmarshal makes of it
// (the same error or none, the same value), and whatever decodes encodes as json.Marshal
// writes it.
func FuzzUserSecretsCodec(f *testing.F) {
	for _, s := range sampleSecrets() {
		b, _ := json.Marshal(&s)
		f.Add(b)
	}
	for _, s := range []string{
		`{"password":{"salt":"AAE=","verifier":"AAE="},"Password":{}}`, `{"password":{"salt":"AAE="},"password":{"verifier":"AQ=="}}`,
		`{"password":null}`, `{"password":{"salt":null}}`, `{"password":{"salt":"AAE"}}`, `{"password":{"salt":"A\nAE="}}`,
		`{"history":[]}`, `{"history":null}`, `{"history":[null]}`, `{"history":[{},{"salt":""}]}`,
		`{"codes":{}}`, `{"codes":{"a":{"value":"1"},"a":{"attempts":2}}}`, `{"codes":{"a":null}}`,
		`{"codes":{"a":{"attempts":1.5}}}`, `{"codes":{"a":{"attempts":1e2}}}`, `{"codes":{"a":{"expires":"x"}}}`,
		`{"codes":{"a":{"attempts":99999999999999999999}}}`, `{"totp":{}}`, `{"totp":{"secret":"","name":"\u00e9"}}`,
		`{"imported":"\ud800"}`, "{\"imported\":\"\xff\"}", `{"x":1}`, `{} x`, ` { "imported" : "h" } `, `[]`, `{`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := checkDecodesAsJSON(t, b, decodeUserSecrets); got != nil {
			checkEncodeUserSecrets(t, fmt.Sprintf("%q", b), got)
		}
	})
}
