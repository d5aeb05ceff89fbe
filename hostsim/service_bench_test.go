package hostsim

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/cputime"
)

// benchAPI sends one public action through s.Handler and decodes its answer.
func benchAPI(b testing.TB, s *Server, action string, in any) map[string]any {
	body, _ := json.Marshal(in)
	req := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
		b.Fatalf("%s: %d %s", action, rec.Code, rec.Body.Bytes())
	}
	return out
}

// BenchmarkServiceActions serves the operations the bench harness measures (GetUser, SignUp,
// ConfirmSignUp of the users SignUp made, InitiateAuth USER_PASSWORD_AUTH) through the real module on one instance: the guest's CPU
// per request with hostsim's per-request overhead (BenchmarkRequest) around it. Beside
// internal/service's BenchmarkService (the same requests natively) it gives the guest's cost.
func BenchmarkServiceActions(b *testing.B) {
	msgs := new(message.Recorder)
	s := start(b, Options{ModuleBytes: realGuest.bytes(b), Config: DefaultConfig, Instances: 1, Sender: msgs})
	signUp := func(email string) map[string]any {
		return map[string]any{"ClientId": defaultClientID, "Username": email, "Password": "Passw0rd-bench",
			"UserAttributes": []map[string]string{{"Name": "email", "Value": email}}}
	}
	const email = "bench@example.com"
	benchAPI(b, s, "SignUp", signUp(email))
	sent := msgs.Messages()
	if len(sent) != 1 || sent[0].Kind != message.KindSignUp {
		b.Fatalf("messages after SignUp: %+v", sent)
	}
	benchAPI(b, s, "ConfirmSignUp", map[string]any{"ClientId": defaultClientID, "Username": email, "ConfirmationCode": sent[0].Code})
	auth := map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": defaultClientID,
		"AuthParameters": map[string]string{"USERNAME": email, "PASSWORD": "Passw0rd-bench"}}
	access := benchAPI(b, s, "InitiateAuth", auth)["AuthenticationResult"].(map[string]any)["AccessToken"].(string)

	b.Run("GetUser", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			benchAPI(b, s, "GetUser", map[string]any{"AccessToken": access})
		}
	})
	n := 0 // across the runs b.Run makes of the function
	b.Run("SignUp", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			n++
			benchAPI(b, s, "SignUp", signUp(fmt.Sprintf("user%d@example.com", n)))
		}
	})
	confirmed := 0 // of the users SignUp made, in the order it made them
	b.Run("ConfirmSignUp", func(b *testing.B) {
		sent := msgs.Messages()[1:] // after bench@example.com's
		defer cputime.PerOp(b)()
		for b.Loop() {
			if confirmed >= len(sent) {
				b.Fatalf("only %d users to confirm: run SignUp with at least as many iterations", len(sent))
			}
			m := sent[confirmed]
			confirmed++
			if m.Kind != message.KindSignUp {
				b.Fatalf("message %d is %s", confirmed, m.Kind)
			}
			benchAPI(b, s, "ConfirmSignUp", map[string]any{"ClientId": defaultClientID,
				"Username": fmt.Sprintf("user%d@example.com", confirmed), "ConfirmationCode": m.Code})
		}
	})
	b.Run("PasswordAuth", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			benchAPI(b, s, "InitiateAuth", auth)
		}
	})
}
