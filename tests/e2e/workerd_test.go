package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// workerClock is the Worker's test clock (edgelocal.Options.TestClock): it stands still at
// fakeStart and moves only when a scenario advances it, as hostsim's fake clock does. (Workers
// KV expires keys on its own real clock; the core relies on that for no decision.)
type workerClock struct{ w *edgelocal.Worker }

func (c workerClock) Now() time.Time { return c.w.Now() }
func (c workerClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	if err := c.w.Advance(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// startWorker starts the Worker (edge/) under wrangler dev (workerd) with local Workers KV,
// config applied and the test clock on (at clockStart, or the Worker's own start when zero),
// and returns its endpoint; messages arrive through the webhook sender.
func startWorker(t testing.TB, config []byte, clockStart time.Time, mod ...func(*edgelocal.Options)) *Endpoint {
	t.Helper()
	if testing.Short() {
		t.Skip("starts wrangler dev; skipped in -short mode")
	}
	root := repoRoot()
	if err := edgelocal.Build(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	o := edgelocal.Options{
		Root:                 root,
		PersistDir:           t.TempDir(),
		Region:               testRegion,
		IssuerBase:           testIssuerBase,
		AdminAccessKeyID:     testAdminKeyID,
		AdminSecretAccessKey: testAdminSecret,
		MasterKey:            testMasterKey,
		PoolgateConfig:       config,
		TestClock:            true,
		ClockStart:           clockStart,
		Logf:                 logs.logf,
	}
	for _, m := range mod {
		m(&o)
	}
	w, err := edgelocal.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("starting the Worker: %v\n%s", err, logs.tail(60))
	}
	t.Cleanup(func() {
		w.Close()
		if t.Failed() {
			t.Logf("wrangler log (last lines):\n%s", logs.tail(80))
		}
	})
	return &Endpoint{
		URL:        w.URL(),
		Region:     testRegion,
		IssuerBase: testIssuerBase,
		AdminKeyID: testAdminKeyID,
		AdminKey:   testAdminSecret,
		Clock:      workerClock{w},
		Messages:   func() []message.Message { return w.Messages() },
		LogBytes:   logs.size,
		calls:      newCallLog(),
	}
}

// TestWorkerd runs the scenarios against the Worker.
func TestWorkerd(t *testing.T) {
	runScenarios(t, startWorker(t, scenarioConfig, fakeStart))
}
