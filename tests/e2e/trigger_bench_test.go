package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

// The added latency of a trigger per sign-in (issue 16's figure): USER_PASSWORD_AUTH sign-ins
// of one user in a pool without triggers and in one with PreAuthentication (one call to the
// Node adapter per sign-in), p50 of each, on hostsim and on the Worker.
//
//	POOLGATE_WASM=build/poolgate.wasm go test ./tests/e2e -run '^$' -bench TriggerLatency -benchtime 1x

const triggerBenchSignIns = 200

func BenchmarkTriggerLatencyHostsim(b *testing.B) {
	benchTriggerLatency(b, func(config []byte) *Endpoint {
		srv, err := hostsim.Start(context.Background(), hostsim.Options{
			ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0",
			Region: testRegion, IssuerBase: testIssuerBase, AdminAccessKeyID: testAdminKeyID, AdminSecretAccessKey: testAdminSecret,
			MasterKey: testMasterKey, Config: config, Sender: new(message.Recorder), Logf: func(string, ...any) {},
		})
		if err != nil {
			b.Fatalf("hostsim.Start: %v", err)
		}
		b.Cleanup(func() { srv.Close() })
		return &Endpoint{URL: srv.URL(), Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID,
			AdminKey: testAdminSecret, Clock: realClock{}, calls: newCallLog()}
	})
}

func BenchmarkTriggerLatencyWorkerd(b *testing.B) {
	benchTriggerLatency(b, func(config []byte) *Endpoint { return startWorker(b, config, time.Time{}) })
}

func benchTriggerLatency(b *testing.B, start func(config []byte) *Endpoint) {
	a := startAdapter(b, "http://127.0.0.1:1/unused")
	ep := start(triggerConfig(b, a))
	// The two pools' sign-ins alternate, so that load from elsewhere on the machine falls on
	// both alike.
	setUp := func(lc *types.LambdaConfigType) *fixture {
		f := newFixture(b, ep, withTriggers(lc), nil)
		f.createUser(b, "bench", "Passw0rd-bench", attr("email", "bench@example.com"))
		ok(b, f.adminSetPassword("bench", "Passw0rd-bench", true))
		for range 20 { // warm the instances
			f.tokens(b, "bench", "Passw0rd-bench")
		}
		return f
	}
	plain := setUp(nil)
	hooked := setUp(&types.LambdaConfigType{PreAuthentication: aws.String(fnArn("post-authentication"))})
	signIn := func(f *fixture) time.Duration {
		t0 := time.Now()
		f.tokens(b, "bench", "Passw0rd-bench")
		return time.Since(t0)
	}
	p50 := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	for range b.N {
		var without, with []time.Duration
		for range triggerBenchSignIns {
			without = append(without, signIn(plain))
			with = append(with, signIn(hooked))
		}
		w0, w1 := p50(without), p50(with)
		b.ReportMetric(float64(w0.Microseconds())/1000, "p50-ms-no-trigger")
		b.ReportMetric(float64(w1.Microseconds())/1000, "p50-ms-one-trigger")
		b.ReportMetric(float64((w1-w0).Microseconds())/1000, "p50-ms-added")
	}
}
