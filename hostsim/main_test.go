package hostsim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testDir holds the guests the tests build and the compilation cache they share, so each guest
// is built and compiled once per test binary.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hostsim-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guestBuild builds one guest package on first use.
type guestBuild struct {
	pkg  string
	once sync.Once
	wasm []byte
	err  error
}

var (
	testGuest = &guestBuild{pkg: "github.com/poolgate/poolgate/hostsim/internal/testguest"}
	realGuest = &guestBuild{pkg: ModulePackage}
)

func (g *guestBuild) bytes(t testing.TB) []byte {
	t.Helper()
	g.once.Do(func() {
		out := filepath.Join(testDir, filepath.Base(g.pkg)+".wasm")
		if g.err = BuildModule(context.Background(), g.pkg, out); g.err == nil {
			g.wasm, g.err = os.ReadFile(out)
		}
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	return g.wasm
}

// testLogger forwards to t.Logf until the test ends (background goroutines may log later).
type testLogger struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newTestLogger(t testing.TB) func(string, ...any) {
	l := &testLogger{t: t}
	t.Cleanup(func() { l.mu.Lock(); l.done = true; l.mu.Unlock() })
	return func(format string, args ...any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.done {
			l.t.Logf(format, args...)
		}
	}
}

// start starts a Server on the test guest (unless o names a module) without a listener
// (unless o.Addr is set), closing it when the test ends.
func start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.ModuleBytes == nil && o.ModulePath == "" {
		o.ModuleBytes = testGuest.bytes(t)
	}
	if o.CompilationCacheDir == "" {
		o.CompilationCacheDir = filepath.Join(testDir, "cache")
	}
	if o.Addr == "" {
		o.NoListen = true
	}
	if o.Logf == nil {
		o.Logf = newTestLogger(t)
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// do sends one request through s.Handler and returns the status, header and body.
func do(t testing.TB, s *Server, method, target string, body string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(method, target, r))
	return rec.Code, rec.Header(), rec.Body.String()
}
