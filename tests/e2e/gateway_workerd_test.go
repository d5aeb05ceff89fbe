package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolgate/poolgate/edge/local"
	"github.com/poolgate/poolgate/internal/message"
)

// gwWorkerClock is the Worker's test clock (local.Options.TestClock): it stands still and
// moves only when a scenario advances it, like hostsim's fake clock.
type gwWorkerClock struct{ w *local.Worker }

func (c gwWorkerClock) Now() time.Time { return c.w.Now() }
func (c gwWorkerClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	if err := c.w.Advance(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// startGatewayWorker starts the Worker (edge/) under wrangler dev with config applied, or
// skips the test where wrangler is not installed or in -short mode.
func startGatewayWorker(t testing.TB, config []byte) *Endpoint {
	t.Helper()
	if testing.Short() {
		t.Skip("starts wrangler dev; skipped in -short mode")
	}
	root := repoRoot()
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "wrangler")); err != nil {
		t.Skip("node_modules/.bin/wrangler is missing: run `make deps`")
	}
	if err := local.Build(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	w, err := local.Start(context.Background(), local.Options{
		Root:                 root,
		PersistDir:           t.TempDir(),
		Region:               testRegion,
		IssuerBase:           testIssuerBase,
		AdminAccessKeyID:     testAdminKeyID,
		AdminSecretAccessKey: testAdminSecret,
		MasterKey:            testMasterKey,
		PoolgateConfig:       config,
		TestClock:            true,
		ClockStart:           fakeStart,
		Logf:                 logs.logf,
	})
	if err != nil {
		t.Fatalf("starting the Worker: %v\n%s", err, logs.tail(60))
	}
	t.Cleanup(func() {
		w.Close()
		if t.Failed() {
			t.Logf("wrangler log (last lines):\n%s", logs.tail(80))
		}
	})
	return &Endpoint{URL: w.URL(), Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID,
		AdminKey: testAdminSecret, Clock: gwWorkerClock{w}, Messages: func() []message.Message { return w.Messages() },
		calls: newCallLog()}
}

// TestGatewayWorkerd runs the gateway scenarios against the Worker in workerd: origins and the
// external JWKS are reached with the Worker's fetch.
func TestGatewayWorkerd(t *testing.T) {
	o, idp := newGwOrigin(t), newExtIssuer(t)
	ep := startGatewayWorker(t, gatewayConfig(o.srv.URL, idp.url()))
	// The Worker's glue buffers request bodies up to 2 MiB (edge/worker.mjs maxBody).
	runGatewayScenarios(t, &gwFixture{ep: ep, o: o, idp: idp, largeBody: 1 << 20})
}
