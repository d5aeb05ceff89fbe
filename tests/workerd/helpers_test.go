package workerd_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// Fixed secrets of the test Worker.
const (
	adminKeyID  = "AKIAPOOLGATEWORKERD1"
	adminSecret = "workerd/test/secret/for/poolgate/admin00"
	// issuerBase is fixed: the Worker's port changes across a restart, its issuer must not.
	issuerBase = "http://issuer.workerd.test"
)

var masterKey = bytes.Repeat([]byte{0x3c}, 32)

// logBuffer keeps wrangler's output; it is printed when a test fails.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) logf(format string, args ...any) {
	b.mu.Lock()
	b.lines = append(b.lines, fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.lines
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func (b *logBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// startWorker starts the Worker on persist with the test secrets (o's other fields as given);
// it is closed when t ends.
func startWorker(t testing.TB, persist string, o edgelocal.Options) (*edgelocal.Worker, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	o.Root, o.PersistDir, o.Logf = root, persist, logs.logf
	if o.IssuerBase == "" {
		o.IssuerBase = issuerBase
	}
	if o.AdminAccessKeyID == "" {
		o.AdminAccessKeyID, o.AdminSecretAccessKey, o.MasterKey = adminKeyID, adminSecret, masterKey
	}
	begin := time.Now()
	w, err := edgelocal.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("starting the Worker: %v\n%s", err, logs.tail(40))
	}
	t.Logf("wrangler dev ready in %v at %s", time.Since(begin).Round(time.Millisecond), w.URL())
	t.Cleanup(func() {
		w.Close()
		if t.Failed() {
			t.Logf("wrangler log (last lines):\n%s", logs.tail(60))
		}
	})
	return w, logs
}
