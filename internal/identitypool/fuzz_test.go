package identitypool_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// post sends one identity-pool call straight to the handler.
func (e *env) post(action, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+action)
	w := httptest.NewRecorder()
	e.svc.ServeHTTP(w, r)
	return w
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		action, body, code string
	}{
		{"GetId", `{`, "SerializationException"},
		{"GetId", `[]`, "SerializationException"},
		{"GetId", `{}`, "InvalidParameterException"},
		{"GetId", `{"IdentityPoolId": 5}`, "SerializationException"},
		{"GetId", `{"IdentityPoolId": "nope"}`, "InvalidParameterException"},
		{"GetId", `{"IdentityPoolId": "us-east-1:00000000-0000-4000-8000-00000000dead"}`, "ResourceNotFoundException"},
		{"GetId", `{"IdentityPoolId": "` + guestPool + `", "Logins": "x"}`, "SerializationException"},
		{"GetId", `{"IdentityPoolId": "` + guestPool + `", "Logins": {"a": 1}}`, "SerializationException"},
		{"GetId", `{"IdentityPoolId": "` + guestPool + `", "Logins": {"k": ""}}`, "InvalidParameterException"},
		{"GetId", `{"IdentityPoolId": "` + guestPool + `", "AccountId": "abc"}`, "InvalidParameterException"},
		{"GetCredentialsForIdentity", `{"IdentityId": "us-east-1:zz"}`, "InvalidParameterException"},
		{"GetCredentialsForIdentity", `{"IdentityId": "us-east-1:00000000-0000-4000-8000-00000000dead"}`, "ResourceNotFoundException"},
		{"GetCredentialsForIdentity", `{"IdentityId": "` + guestPool + `", "CustomRoleArn": "role"}`, "InvalidParameterException"},
		{"GetOpenIdToken", `{}`, "InvalidParameterException"},
		{"UnlinkIdentity", `{"IdentityId": "us-east-1:00000000-0000-4000-8000-000000000000", "Logins": {}, "LoginsToRemove": []}`, "ResourceNotFoundException"},
		{"NoSuchAction", `{}`, "UnknownOperationException"},
	}
	for _, tc := range tests {
		w := e.post(tc.action, tc.body)
		var out struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != http.StatusBadRequest || out.Type != tc.code {
			t.Errorf("%s %s: %d %s, want 400 %s", tc.action, tc.body, w.Code, w.Body, tc.code)
		}
	}
}

// FuzzLogins feeds arbitrary Logins to GetId, GetCredentialsForIdentity and GetOpenIdToken:
// every answer is a success or a Cognito-shaped 4xx, never a 5xx. The seeds are well-formed
// but unsigned tokens (the signed paths are the unit tests'), so that no fuzz worker has to
// generate signing keys under coverage instrumentation.
func FuzzLogins(f *testing.F) {
	e := newEnv(f, envOptions{})
	guest := e.mustID(guestPool, nil)
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	unsigned := enc(map[string]string{"alg": "RS256", "kid": "k1"}) + "." + enc(map[string]any{
		"iss": e.issuer + "/" + userPool, "aud": clientID, "sub": "s", "token_use": "id", "exp": 1 << 40, "cognito:username": "u",
	}) + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 256))
	f.Add(canonical(userPool), unsigned, guest)
	f.Add(e.amplify(userPool), unsigned, guest)
	f.Add("cognito-identity.amazonaws.com", unsigned, guest)
	f.Add("accounts.google.com", "a.b.c", guest)
	f.Add(canonical(userPool), unsigned[:len(unsigned)-3], "us-east-1:00000000-0000-4000-8000-000000000000")
	f.Add(devName, "user", guest)
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, key, value, identity string) {
		logins, _ := json.Marshal(map[string]string{key: value})
		for _, call := range []struct{ action, body string }{
			{"GetId", `{"IdentityPoolId":"` + guestPool + `","Logins":` + string(logins) + `}`},
			{"GetCredentialsForIdentity", `{"IdentityId":` + quote(identity) + `,"Logins":` + string(logins) + `}`},
			{"GetOpenIdToken", `{"IdentityId":` + quote(identity) + `,"Logins":` + string(logins) + `}`},
		} {
			w := e.post(call.action, call.body)
			if w.Code >= 500 {
				t.Fatalf("%s %s: %d %s", call.action, call.body, w.Code, w.Body)
			}
			if w.Code != 200 && !strings.Contains(w.Body.String(), `"__type"`) {
				t.Fatalf("%s: %d without a Cognito error body: %s", call.action, w.Code, w.Body)
			}
		}
	})
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
