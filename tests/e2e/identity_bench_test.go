package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// Identity-pool figures on hostsim (issue 4): GetId + GetCredentialsForIdentity per second,
// and the cost of a sigv4 gateway request that is verified and then denied by the role's
// policy (no origin involved), with a one-statement and a 100-statement policy.
//
//	POOLGATE_WASM=build/poolgate.wasm go test ./tests/e2e -run '^$' -bench Identity

const (
	idLargePool = "us-east-1:0e2e0004-0000-4000-8000-000000000004"
	idLargeRole = "arn:aws:iam::000000000000:role/E2ELarge"
)

// identityBenchConfig is identityConfig plus a guest pool whose role has a 100-statement
// policy, none of which matches the benchmark's request.
func identityBenchConfig(origin string) []byte {
	var cfg map[string]any
	if err := json.Unmarshal(identityConfig(origin), &cfg); err != nil {
		panic(err)
	}
	var stmts []any
	for i := range 100 {
		stmts = append(stmts, map[string]any{
			"Sid": fmt.Sprintf("S%d", i), "Effect": "Allow", "Action": []string{"s3:GetObject", "s3:PutObject"},
			"Resource":  fmt.Sprintf("arn:aws:s3:::bucket-%d/${cognito-identity.amazonaws.com:sub}/*", i),
			"Condition": map[string]any{"StringLike": map[string]any{"aws:username": fmt.Sprintf("user-%d-*", i)}},
		})
	}
	cfg["Roles"] = append(cfg["Roles"].([]any), map[string]any{"Arn": idLargeRole,
		"Policy": map[string]any{"Version": "2012-10-17", "Statement": stmts}})
	cfg["IdentityPools"] = append(cfg["IdentityPools"].([]any), map[string]any{
		"IdentityPoolId": idLargePool, "IdentityPoolName": "large", "AllowUnauthenticatedIdentities": true,
		"Roles": map[string]any{"unauthenticated": idLargeRole}})
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err)
	}
	return b
}

// benchSim starts hostsim for a benchmark (startSim is for tests).
func benchSim(b *testing.B, config []byte) *Endpoint {
	b.Helper()
	clock := newFakeClock(fakeStart)
	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0",
		Region: testRegion, IssuerBase: testIssuerBase, AdminAccessKeyID: testAdminKeyID, AdminSecretAccessKey: testAdminSecret,
		MasterKey: testMasterKey, Config: config, Clock: clock.Now, Sender: new(message.Recorder),
		Logf: func(string, ...any) {},
	})
	if err != nil {
		b.Fatalf("hostsim.Start: %v", err)
	}
	b.Cleanup(func() { srv.Close() })
	return &Endpoint{URL: srv.URL(), Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID,
		AdminKey: testAdminSecret, Clock: clock, calls: newCallLog()}
}

// identityPost sends one public identity-pool call and decodes the answer.
func identityPost(client *http.Client, url, action, body string, out any) error {
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+action)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", action, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

func benchHostsimVend(b *testing.B, withLogin bool) {
	o := newTestOrigin(b)
	benchVend(b, benchSim(b, identityConfig(o.srv.URL)), withLogin)
}

// benchVend runs GetId + GetCredentialsForIdentity from GOMAXPROCS concurrent clients.
func benchVend(b *testing.B, ep *Endpoint, withLogin bool) {
	logins := "{}"
	if withLogin {
		tok := idUser(b, ep, idUserPool, idClient, name("bench-user"))
		l, _ := json.Marshal(map[string]string{canonicalKey(idUserPool): tok})
		logins = string(l)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var id struct{ IdentityId string }
			if err := identityPost(client, ep.URL, "GetId", `{"IdentityPoolId":"`+idOpenPool+`","Logins":`+logins+`}`, &id); err != nil {
				b.Error(err)
				return
			}
			var cr struct{ Credentials struct{ AccessKeyId string } }
			if err := identityPost(client, ep.URL, "GetCredentialsForIdentity", `{"IdentityId":"`+id.IdentityId+`","Logins":`+logins+`}`, &cr); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vends/s")
}

// workerdBench starts the Worker under wrangler dev for a benchmark.
func workerdBench(b *testing.B, config []byte) *Endpoint {
	b.Helper()
	root := repoRoot()
	if err := edgelocal.Build(context.Background(), root); err != nil {
		b.Fatal(err)
	}
	w, err := edgelocal.Start(context.Background(), edgelocal.Options{
		Root: root, PersistDir: b.TempDir(), Region: testRegion, IssuerBase: testIssuerBase,
		AdminAccessKeyID: testAdminKeyID, AdminSecretAccessKey: testAdminSecret, MasterKey: testMasterKey,
		PoolgateConfig: config, TestClock: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return &Endpoint{URL: w.URL(), Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID,
		AdminKey: testAdminSecret, Clock: workerClock{w}, calls: newCallLog()}
}

// BenchmarkIdentityWorkerdVend is the vend benchmark against the Worker in workerd (one
// isolate under wrangler dev, local KV).
func BenchmarkIdentityWorkerdVend(b *testing.B) {
	o := newTestOrigin(b)
	ep := workerdBench(b, identityConfig(o.srv.URL))
	b.Run("guest", func(b *testing.B) { benchVend(b, ep, false) })
	b.Run("user", func(b *testing.B) { benchVend(b, ep, true) })
}

func BenchmarkIdentityHostsimVendGuest(b *testing.B) { benchHostsimVend(b, false) }
func BenchmarkIdentityHostsimVendUser(b *testing.B)  { benchHostsimVend(b, true) }

// BenchmarkIdentityHostsimGatewayDenied times sigv4 gateway requests that verify and are then
// denied by the policy (403 AccessDenied, nothing forwarded): "small" evaluates a one-statement
// guest policy, "large" a 100-statement one; "unsigned" is the same route refusing a request
// with no signature, the host's and the router's share of the cost. Each op signs one request
// (client side) and sends it; p50-ns is the median round trip.
func BenchmarkIdentityHostsimGatewayDenied(b *testing.B) {
	o := newTestOrigin(b)
	ep := benchSim(b, identityBenchConfig(o.srv.URL))
	_, small := vend(b, ep, idOpenPool, nil)
	_, large := vend(b, ep, idLargePool, nil)
	for _, tc := range []struct {
		name string
		sign bool
	}{{"unsigned", false}, {"small", true}, {"large", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var mu sync.Mutex
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				var r s3Response
				if tc.sign {
					c := small
					if tc.name == "large" {
						c = large
					}
					r = s3Do(b, ep, c, http.MethodPut, "private/report.txt", "", ep.Now())
					if r.Status != http.StatusForbidden || r.Code != "AccessDenied" {
						b.Fatalf("%d %s", r.Status, r.Body)
					}
				} else {
					req, _ := http.NewRequest(http.MethodPut, ep.URL+"/s3/"+idBucket+"/private/report.txt", nil)
					if rr := doRaw(b, req); rr.Status != http.StatusForbidden {
						b.Fatalf("%d %s", rr.Status, rr.Body)
					}
				}
				mu.Lock()
				took = append(took, time.Since(start))
				mu.Unlock()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
		})
	}
	if o.count() != 0 {
		b.Fatal("a denied request reached the origin")
	}
}
