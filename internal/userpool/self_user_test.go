package userpool

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

var _ awsjson.JSONAppender = (*GetUserOutput)(nil)

// encoderJSON is what the dispatcher's encoding/json encoder writes for v.
func encoderJSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// FuzzGetUserOutputJSON: GetUserOutput.AppendJSON writes what encoding/json writes, byte for
// byte: attributes with and without values, empty and nil lists, HTML characters (not
// escaped), invalid UTF-8, U+2028.
func FuzzGetUserOutputJSON(f *testing.F) {
	f.Add("alice", "sub\x00s-1\x00email\x00a@example.com\x00email_verified\x00true", "SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA\x00SMS_MFA", true, uint8(0))
	f.Add("", "", "", "", false, uint8(1))
	f.Add("<b>&\u2028\xff", "n\x00<v>\u2029\x00novalue", "\"\\", "\x00", true, uint8(2))
	f.Fuzz(func(t *testing.T, username, attrs, preferred, mfaList string, legacy bool, shape uint8) {
		o := &GetUserOutput{Username: username, PreferredMfaSetting: preferred}
		switch shape % 3 {
		case 0:
			o.UserAttributes = []AttributeType{}
		case 1: // nil: encoding/json writes null
		default:
			o.UserAttributes = []AttributeType{{Name: "no value"}}
		}
		if attrs != "" {
			parts := strings.Split(attrs, "\x00")
			for i := 0; i < len(parts); i += 2 {
				a := AttributeType{Name: parts[i]}
				if i+1 < len(parts) {
					a.Value = &parts[i+1]
				}
				o.UserAttributes = append(o.UserAttributes, a)
			}
		}
		if mfaList != "" {
			o.UserMFASettingList = strings.Split(mfaList, "\x00")
		}
		if legacy {
			o.MFAOptions = []MFAOptionType{{DeliveryMedium: "SMS", AttributeName: "phone_number"}, {}, {AttributeName: preferred}}
		}
		if got, want := string(o.AppendJSON(nil)), encoderJSON(t, o); got != want {
			t.Fatalf("\nAppendJSON    %s\nencoding/json %s", got, want)
		}
	})
}
