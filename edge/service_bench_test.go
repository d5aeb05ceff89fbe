//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/poolgate/poolgate/edge/internal/isocache"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/userpool"
)

// benchService is the service with a user signed in, on st with crypto c.
type benchService struct {
	svc            *service.Service
	client, access string
	refresh        string
}

const benchConfig = `{"UserPools":[{"Id":"us-east-1_EdgeBench1","PoolName":"bench","AutoVerifiedAttributes":["email"],
 "Clients":[{"ClientId":"edgebenchclient0000000001","ClientName":"web",
  "ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH","ALLOW_USER_SRP_AUTH"]}]}]}`

func newBenchService(b testing.TB, st store.Store, c hostcrypto.Provider) *benchService {
	b.Helper()
	rec := new(message.Recorder)
	svc, err := service.New(service.Config{
		IssuerBase: "http://issuer.edge.test", AdminAccessKeyID: "AKIAEDGEBENCH", AdminSecretAccessKey: "secret",
		MasterKey: bytes.Repeat([]byte{9}, 32), Store: st, Crypto: c, Sender: rec, Rand: rand.Reader,
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.ApplyConfig(context.Background(), []byte(benchConfig)); err != nil {
		b.Fatal(err)
	}
	s := &benchService{svc: svc, client: "edgebenchclient0000000001"}
	s.call(b, "SignUp", map[string]any{"ClientId": s.client, "Username": "bench", "Password": "Passw0rd-bench",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": "bench@example.com"}}})
	m, ok := rec.Last("bench", message.KindSignUp)
	if !ok {
		b.Fatal("no sign-up code")
	}
	s.call(b, "ConfirmSignUp", map[string]any{"ClientId": s.client, "Username": "bench", "ConfirmationCode": m.Code})
	out := s.call(b, "InitiateAuth", s.passwordAuth())
	res := out["AuthenticationResult"].(map[string]any)
	s.access, s.refresh = res["AccessToken"].(string), res["RefreshToken"].(string)
	return s
}

func (s *benchService) passwordAuth() map[string]any {
	return map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": s.client,
		"AuthParameters": map[string]string{"USERNAME": "bench", "PASSWORD": "Passw0rd-bench"}}
}

// call serves one public action in-process and decodes its answer.
func (s *benchService) call(b testing.TB, action string, in any) map[string]any {
	body, _ := json.Marshal(in)
	r, _ := http.NewRequest(http.MethodPost, "http://edge.test/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := newResponseWriter()
	s.svc.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.body.Bytes(), &out); err != nil || w.status != http.StatusOK {
		b.Fatalf("%s: %d %s", action, w.status, w.body.Bytes())
	}
	return out
}

// BenchmarkServiceInIsolate serves requests in-process inside the isolate, on memory and on
// the Durable Objects, with the runtime's crypto and with pure Go: the Go CPU of each request without
// the HTTP and glue around it. V8 optimizes the Go code progressively (its wasm tiers), so
// a warm-up of a few thousand requests runs first: a long-lived instance runs warm code.
func BenchmarkServiceInIsolate(b *testing.B) {
	testBridge(b)
	warm := newBenchService(b, memstore.New(time.Now), testCrypto(b))
	for range 2000 {
		warm.call(b, "GetUser", map[string]any{"AccessToken": warm.access})
	}
	for range 100 {
		warm.call(b, "InitiateAuth", warm.passwordAuth())
	}
	stores := []struct {
		name string
		new  func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memstore.New(time.Now) }},
		{"do", func(b *testing.B) store.Store { return testDO(b) }},
		// The Durable Objects behind the per-isolate record cache, as the Worker runs them.
		{"do-cached", func(b *testing.B) store.Store {
			return isocache.New(testDO(b), isocache.DefaultTTL, time.Now, userpool.IsConfigRecord)
		}},
	}
	cryptos := []struct {
		name string
		c    hostcrypto.Provider
	}{{"runtime", testCrypto(b)}, {"go", hostcrypto.Pure{}}}
	for _, st := range stores {
		for _, c := range cryptos {
			s := newBenchService(b, st.new(b), c.c)
			prefix := st.name + "/" + c.name + "/"
			b.Run(prefix+"GetUser", func(b *testing.B) {
				for b.Loop() {
					s.call(b, "GetUser", map[string]any{"AccessToken": s.access})
				}
			})
			b.Run(prefix+"PasswordAuth", func(b *testing.B) {
				for b.Loop() {
					s.call(b, "InitiateAuth", s.passwordAuth())
				}
			})
			b.Run(prefix+"Refresh", func(b *testing.B) {
				for b.Loop() {
					s.call(b, "InitiateAuth", map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": s.client,
						"AuthParameters": map[string]string{"REFRESH_TOKEN": s.refresh}})
				}
			})
		}
	}
}
