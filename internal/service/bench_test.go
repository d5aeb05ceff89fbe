package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/cputime"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// benchConfig is a pool with the standard schema and one client, as the bench harness uses.
const benchConfig = `{"UserPools":[{"Id":"us-east-1_NativeBench","PoolName":"bench","AutoVerifiedAttributes":["email"],
 "Clients":[{"ClientId":"nativebenchclient00000001","ClientName":"web",
  "ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH","ALLOW_USER_SRP_AUTH"]}]}]}`

const benchClient = "nativebenchclient00000001"

// benchCall serves one public action in-process and decodes its answer.
func benchCall(b testing.TB, svc *Service, action string, in any) map[string]any {
	body, _ := json.Marshal(in)
	r := httptest.NewRequest(http.MethodPost, "http://native.test/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	svc.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", action, w.Code, w.Body.Bytes())
	}
	return out
}

// BenchmarkService serves the operations the bench harness measures (GetUser, SignUp,
// InitiateAuth USER_PASSWORD_AUTH) in-process, natively, on memory with pure-Go crypto:
// the Go CPU of a request without HTTP around it, to set beside hostsim's guest figures.
func BenchmarkService(b *testing.B) {
	ctx := context.Background()
	rec := new(message.Recorder)
	svc, err := New(Config{
		IssuerBase: "http://issuer.native.test", AdminAccessKeyID: "AKIANATIVEBENCH", AdminSecretAccessKey: "secret",
		MasterKey: bytes.Repeat([]byte{9}, 32), Store: memstore.New(time.Now), Sender: rec, Rand: rand.Reader, Crypto: hostcrypto.Pure{},
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.ApplyConfig(ctx, []byte(benchConfig)); err != nil {
		b.Fatal(err)
	}
	signUp := func(name string) map[string]any {
		return map[string]any{"ClientId": benchClient, "Username": name, "Password": "Passw0rd-bench",
			"UserAttributes": []map[string]string{{"Name": "email", "Value": name + "@example.com"}}}
	}
	benchCall(b, svc, "SignUp", signUp("bench"))
	m, ok := rec.Last("bench", message.KindSignUp)
	if !ok {
		b.Fatal("no sign-up code")
	}
	benchCall(b, svc, "ConfirmSignUp", map[string]any{"ClientId": benchClient, "Username": "bench", "ConfirmationCode": m.Code})
	auth := map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": benchClient,
		"AuthParameters": map[string]string{"USERNAME": "bench", "PASSWORD": "Passw0rd-bench"}}
	access := benchCall(b, svc, "InitiateAuth", auth)["AuthenticationResult"].(map[string]any)["AccessToken"].(string)

	b.Run("GetUser", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			benchCall(b, svc, "GetUser", map[string]any{"AccessToken": access})
		}
	})
	n := 0 // across the runs b.Run makes of the function
	b.Run("SignUp", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			n++
			benchCall(b, svc, "SignUp", signUp(fmt.Sprintf("user%d", n)))
		}
	})
	b.Run("PasswordAuth", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			benchCall(b, svc, "InitiateAuth", auth)
		}
	})
}
