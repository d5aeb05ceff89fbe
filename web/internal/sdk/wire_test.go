package sdk

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzEncodeJSON holds encodeJSON to encoding/json's Marshal, byte for byte, for every kind
// of value the SDK sends.
func FuzzEncodeJSON(f *testing.F) {
	f.Add("Username", "ada@example.com", true, int64(60))
	f.Add("", "<script>&\u2028\u2029\x00\x1f\"\\\n\r\t", false, int64(-1))
	f.Add("\xff", "caf\xc3\xa9 \xed\xa0\x80", true, int64(1)<<62)
	f.Fuzz(func(t *testing.T, k, s string, b bool, n int64) {
		v := map[string]any{
			k: s, "b": b, "n": n, "i": int(n), "nil": nil,
			"m":  map[string]string{s: k, k: s},
			"mb": map[string]bool{k: b},
			"l":  []map[string]string{{"Name": k, "Value": s}, {}},
			"a":  []any{s, n, b, map[string]any{k: []any{}}},
		}
		got, err := encodeJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encodeJSON = %s\njson.Marshal = %s", got, want)
		}
	})
}

func TestEncodeJSONRefusesOtherTypes(t *testing.T) {
	if _, err := encodeJSON(map[string]any{"x": 1.5}); err == nil {
		t.Fatal("a float64 was encoded")
	}
}

// foldClash reports whether b has, in any of its objects, a member whose name matches one of
// names only case-insensitively: encoding/json fills the field from it, the SDK's reader
// (exact names, as Cognito writes them) does not.
func foldClash(b []byte, names ...string) bool {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				for _, n := range names {
					if k != n && strings.EqualFold(k, n) {
						return true
					}
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// oracle checks a hand-written reader against encoding/json's Unmarshal into the tagged
// struct it replaced: whatever the reader accepts, encoding/json accepts with the same
// result; what encoding/json accepts, the reader accepts too unless a member name appears
// twice (the reader refuses it) or only case-insensitively matches a field.
func oracle[T any](t *testing.T, b []byte, got T, err error, names ...string) {
	t.Helper()
	var want T
	jerr := json.Unmarshal(b, &want)
	if foldClash(b, names...) {
		return
	}
	if err == nil && (jerr != nil || !reflect.DeepEqual(got, want)) {
		t.Fatalf("%s: read %+v; encoding/json %+v (%v)", b, got, want, jerr)
	}
	if err != nil && jerr == nil && !strings.Contains(err.Error(), "twice") {
		t.Fatalf("%s: refused (%v); encoding/json reads %+v", b, err, want)
	}
}

func FuzzReadStored(f *testing.F) {
	f.Add([]byte(`{"idToken":"i","accessToken":"a","refreshToken":"r","clockDrift":-3}`))
	f.Add([]byte(`{"idToken":null,"clockDrift":1.5}`))
	f.Add([]byte(`{"clockDrift":"3","x":[1,{"y":null}]}`))
	f.Add([]byte(`{"idToken":"a","idToken":"b"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got stored
		st, err := readStored(b)
		if st != nil {
			got = *st
		}
		oracle(t, b, got, err, "idToken", "accessToken", "refreshToken", "clockDrift")
		if err == nil {
			enc, err := got.encode()
			if err != nil {
				t.Fatal(err)
			}
			if again, err := readStored(enc); err != nil || *again != got {
				t.Fatalf("round trip %+v → %s → %+v, %v", got, enc, again, err)
			}
		}
	})
}

func FuzzReadStoredDevice(f *testing.F) {
	f.Add([]byte(`{"deviceKey":"us-east-1_k","deviceGroupKey":"g","devicePassword":"p","confirmed":true}`))
	f.Add([]byte(`{"confirmed":"yes"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got storedDevice
		d, err := readStoredDevice(b)
		if d != nil {
			got = *d
		}
		oracle(t, b, got, err, "deviceKey", "deviceGroupKey", "devicePassword", "confirmed")
		if err == nil {
			enc, err := got.encode()
			if err != nil {
				t.Fatal(err)
			}
			if again, err := readStoredDevice(enc); err != nil || *again != got {
				t.Fatalf("round trip %+v → %s → %+v, %v", got, enc, again, err)
			}
		}
	})
}

// wireInitiate is initiateOutput as encoding/json read it before wire.go.
type wireInitiate struct {
	ChallengeName        string            `json:"ChallengeName"`
	Session              string            `json:"Session"`
	ChallengeParameters  map[string]string `json:"ChallengeParameters"`
	AuthenticationResult *struct {
		AccessToken       string `json:"AccessToken"`
		ExpiresIn         int64  `json:"ExpiresIn"`
		TokenType         string `json:"TokenType"`
		RefreshToken      string `json:"RefreshToken"`
		IdToken           string `json:"IdToken"`
		NewDeviceMetadata *struct {
			DeviceKey      string `json:"DeviceKey"`
			DeviceGroupKey string `json:"DeviceGroupKey"`
		} `json:"NewDeviceMetadata"`
	} `json:"AuthenticationResult"`
}

func FuzzReadInitiateOutput(f *testing.F) {
	f.Add([]byte(`{"ChallengeName":"PASSWORD_VERIFIER","Session":"s","ChallengeParameters":{"SRP_B":"ab","SALT":"01"}}`))
	f.Add([]byte(`{"AuthenticationResult":{"AccessToken":"a","ExpiresIn":3600,"TokenType":"Bearer","IdToken":"i","RefreshToken":"r","NewDeviceMetadata":{"DeviceKey":"k","DeviceGroupKey":"g"}}}`))
	f.Add([]byte(`{"ChallengeParameters":{"a":1},"AuthenticationResult":null}`))
	f.Add([]byte(`{"AuthenticationResult":{"ExpiresIn":1e3,"NewDeviceMetadata":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out initiateOutput
		o, err := readObject(b)
		if err == nil {
			out.read(o)
			err = o.typeError()
		}
		var got wireInitiate
		if b, err := json.Marshal(out); err == nil {
			// The same fields under the same names: compare as encoding/json reads them.
			_ = json.Unmarshal(b, &got)
		}
		oracle(t, b, got, err, "ChallengeName", "Session", "ChallengeParameters", "AuthenticationResult",
			"AccessToken", "ExpiresIn", "TokenType", "RefreshToken", "IdToken", "NewDeviceMetadata", "DeviceKey", "DeviceGroupKey")
	})
}
