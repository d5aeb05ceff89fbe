package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

// benchGatewayConfig is one guarded route in front of origin for the pool's access tokens
// (no revocation check: the aws-jwt-verify comparison does none either).
func benchGatewayConfig(origin string) []byte {
	return fmt.Appendf(nil, `{
  "UserPools": [{"Id": %[1]q, "PoolName": "gateway-bench",
    "Clients": [{"ClientId": %[2]q, "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}]}],
  "Routes": [{"Name": "bench", "PathPrefix": "/bench", "Origin": %[3]q,
    "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "ClientIds": [%[2]q]}}]
}`, gwPool, gwClient, origin)
}

// BenchmarkGatewayHTTP measures a guarded GET over loopback HTTP to a local origin: directly
// (the baseline), through the native service, and through the wasm module under hostsim.
// It reports the median and 95th percentile latency of sequential requests and their added
// latency over the direct baseline, and requests per second with 8 concurrent clients.
func BenchmarkGatewayHTTP(b *testing.B) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var direct time.Duration

	for _, host := range []string{"direct", "native", "hostsim"} {
		b.Run(host, func(b *testing.B) {
			url, token := origin.URL+"/bench/items", ""
			if host != "direct" {
				var ep *Endpoint
				if host == "native" {
					ep = startNative(b, benchGatewayConfig(origin.URL))
				} else {
					ep = startSimB(b, benchGatewayConfig(origin.URL))
				}
				g := &gwFixture{ep: ep}
				token = *g.user(b, gwClient, "bench-user").AccessToken
				url = ep.URL + "/bench/items"
			}
			get := func() {
				req, _ := http.NewRequest("GET", url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			for range 50 {
				get() // warm: connections, key caches, route table
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				get()
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			p50, p95 := lat[len(lat)/2], lat[len(lat)*95/100]
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p95.Microseconds()), "p95-µs")
			if host == "direct" {
				direct = p50
			} else if direct > 0 {
				b.ReportMetric(float64((p50 - direct).Microseconds()), "added-p50-µs")
			}
			// Throughput with 8 concurrent clients for a fixed number of requests.
			const n, workers = 2000, 8
			var wg sync.WaitGroup
			t0 := time.Now()
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range n / workers {
						get()
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "req/s@8")
		})
	}
}

// startSimB starts hostsim for a benchmark, on the real clock (tokens stay fresh for an hour).
func startSimB(b *testing.B, config []byte) *Endpoint {
	b.Helper()
	logs := &logBuffer{}
	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0",
		Region: testRegion, IssuerBase: testIssuerBase, AdminAccessKeyID: testAdminKeyID,
		AdminSecretAccessKey: testAdminSecret, MasterKey: testMasterKey, Config: config,
		Sender: new(message.Recorder), Logf: logs.logf,
	})
	if err != nil {
		b.Fatalf("hostsim.Start: %v", err)
	}
	b.Cleanup(func() {
		srv.Close()
		if b.Failed() {
			b.Logf("server log (last lines):\n%s", logs.tail(40))
		}
	})
	return &Endpoint{URL: srv.URL(), Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID,
		AdminKey: testAdminSecret, Clock: realClock{}, calls: newCallLog()}
}
