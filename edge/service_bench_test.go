//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"syscall/js"
	"testing"
	"time"

	"github.com/poolgate/poolgate/edge/internal/isocache"
	"github.com/poolgate/poolgate/internal/gateway"
	"github.com/poolgate/poolgate/internal/handoff"
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
	users          int // SignUp's usernames so far
}

// benchConfig has a JWT-guarded gateway route too (its origin is never reached: the Worker
// hands a request it lets through to the glue, here to the benchmark).
const benchConfig = `{"UserPools":[{"Id":"us-east-1_EdgeBench1","PoolName":"bench","AutoVerifiedAttributes":["email"],
 "Clients":[{"ClientId":"edgebenchclient0000000001","ClientName":"web",
  "ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH","ALLOW_USER_SRP_AUTH"]}]}],
 "Routes":[{"Name":"api","PathPrefix":"/api","Origin":"http://origin.invalid",
  "Jwt":{"Issuers":[{"UserPoolId":"us-east-1_EdgeBench1"}],"TokenUse":"access","ClientIds":["edgebenchclient0000000001"]}}]}`

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

// guarded serves one request on the JWT-guarded route and checks the gateway let it through:
// in the Worker, the request is handed off to the glue (status 0 and an Upstream).
func (s *benchService) guarded(b testing.TB) {
	var up *handoff.Upstream
	ctx := gateway.WithHandoff(context.Background(), func(u *handoff.Upstream) { up = u })
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://edge.test/api/items?x=1", nil)
	r.Header.Set("Authorization", "Bearer "+s.access)
	w := newResponseWriter()
	s.svc.ServeHTTP(w, r)
	if up == nil {
		b.Fatalf("guarded request not handed off: %d %s", w.status, w.body.Bytes())
	}
}

// measureCPU reports the process's CPU time per iteration ("cpu-ns/op") when the runtime
// has Node's process.cpuUsage (tests/workerd/node), beside Go's wall-clock ns/op: on a shared
// machine the CPU figure is the steadier one. workerd has no such clock; bench/edge -inside
// measures workerd's CPU from outside instead.
func measureCPU(b *testing.B, loop func()) {
	usage := js.Global().Get("process")
	if usage.Type() == js.TypeObject && usage.Get("cpuUsage").Type() == js.TypeFunction {
		cpu := func() float64 {
			u := usage.Call("cpuUsage")
			return (u.Get("user").Float() + u.Get("system").Float()) * 1e3 // µs → ns
		}
		t0 := cpu()
		loop()
		b.ReportMetric((cpu()-t0)/float64(b.N), "cpu-ns/op")
		return
	}
	loop()
}

// BenchmarkServiceInIsolate serves requests in-process inside the isolate, on memory and on
// the Durable Objects, with the runtime's crypto and with pure Go: the Go CPU of each request without
// the HTTP and glue around it. V8 optimizes the Go code progressively (its wasm tiers), so
// a warm-up of a few thousand requests runs first: a long-lived instance runs warm code.
// The memory store ones need no binding: they also run under Node with the glue's bridge
// (tests/workerd/node/go_js_wasm_exec), where the clock moves and `node --cpu-prof` works;
// the Durable Objects ones skip there.
func BenchmarkServiceInIsolate(b *testing.B) {
	bridge := testBridge(b)
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
		if st.name != "memory" && bridge.Get("store").Type() != js.TypeObject {
			b.Run(st.name, func(b *testing.B) { b.Skip("no Durable Objects binding: run through tests/workerd") })
			continue
		}
		for _, c := range cryptos {
			s := newBenchService(b, st.new(b), c.c)
			prefix := st.name + "/" + c.name + "/"
			b.Run(prefix+"GetUser", func(b *testing.B) {
				measureCPU(b, func() {
					for b.Loop() {
						s.call(b, "GetUser", map[string]any{"AccessToken": s.access})
					}
				})
			})
			b.Run(prefix+"SignUp", func(b *testing.B) {
				measureCPU(b, func() {
					for b.Loop() {
						s.users++
						s.call(b, "SignUp", map[string]any{"ClientId": s.client, "Username": fmt.Sprintf("signup%d", s.users),
							"Password": "Passw0rd-bench", "UserAttributes": []map[string]string{{"Name": "email", "Value": "signup@example.com"}}})
					}
				})
			})
			b.Run(prefix+"GuardedRequest", func(b *testing.B) {
				measureCPU(b, func() {
					for b.Loop() {
						s.guarded(b)
					}
				})
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
