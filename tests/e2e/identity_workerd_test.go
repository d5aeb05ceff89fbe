package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/poolgate/poolgate/edge/local"
)

// idWorkerClock is the Worker's test clock (local.Options.TestClock): stopped at start, moved
// only by the test.
type idWorkerClock struct{ w *local.Worker }

func (c idWorkerClock) Now() time.Time { return c.w.Now() }
func (c idWorkerClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	if err := c.w.Advance(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// TestIdentityWorkerd runs the identity scenarios against the Worker (edge/) under wrangler dev
// (workerd) with local KV: the same configuration, the same SDK calls, the same gateway route
// in front of a test origin.
func TestIdentityWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler dev; skipped in -short mode")
	}
	root := repoRoot()
	if err := local.Build(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	o := newTestOrigin(t)
	logs := &logBuffer{}
	w, err := local.Start(context.Background(), local.Options{
		Root:                 root,
		PersistDir:           t.TempDir(),
		Region:               testRegion,
		IssuerBase:           testIssuerBase,
		AdminAccessKeyID:     testAdminKeyID,
		AdminSecretAccessKey: testAdminSecret,
		MasterKey:            testMasterKey,
		PoolgateConfig:       identityConfig(o.srv.URL),
		TestClock:            true,
		Logf:                 logs.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Close()
		if t.Failed() {
			t.Logf("wrangler log (last lines):\n%s", logs.tail(80))
		}
	})
	ep := &Endpoint{
		URL:        w.URL(),
		Region:     testRegion,
		IssuerBase: testIssuerBase,
		AdminKeyID: testAdminKeyID,
		AdminKey:   testAdminSecret,
		Clock:      idWorkerClock{w},
		calls:      newCallLog(),
	}
	runIdentityScenarios(t, ep, o)
}
