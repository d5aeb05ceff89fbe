package hostsim

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/poolgate/poolgate/internal/native/cputime"
)

// BenchmarkRequest is the per-request overhead of hostsim: a trivial request to the test guest
// through Server.Handler (encode, pool, alloc + handle exports, decode, copy out).
func BenchmarkRequest(b *testing.B) {
	s := start(b, Options{Instances: 1})
	h := s.Handler()
	req := httptest.NewRequest("GET", "/counter", nil)
	defer cputime.PerOp(b)()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkRequestParallel is BenchmarkRequest from GOMAXPROCS goroutines over the instance pool.
func BenchmarkRequestParallel(b *testing.B) {
	s := start(b, Options{})
	h := s.Handler()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/counter", nil))
			if rec.Code != 200 {
				b.Error(rec.Code)
				return
			}
		}
	})
}

// BenchmarkServiceJWKS is one real service request (a pool's JWKS) through the real module,
// after a first request that creates the pool's signing keys (reported as first-request-ms).
func BenchmarkServiceJWKS(b *testing.B) {
	s := start(b, Options{ModuleBytes: realGuest.bytes(b), Config: DefaultConfig, Instances: 1})
	h := s.Handler()
	req := httptest.NewRequest("GET", "/"+defaultPoolID+"/.well-known/jwks.json", nil)
	t0 := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), req)
	first := time.Since(t0)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(first.Milliseconds()), "first-request-ms")
}

// BenchmarkCompile measures compiling each module with an empty compilation cache (cold) and
// with a warm one on disk (what a restart of `poolgate` pays).
func BenchmarkCompile(b *testing.B) {
	for _, g := range []struct {
		name  string
		build *guestBuild
	}{{"testguest", testGuest}, {"poolgate", realGuest}} {
		wasm := g.build.bytes(b)
		b.Run(g.name+"/cold", func(b *testing.B) {
			for b.Loop() {
				compileOnce(b, wasm, b.TempDir())
			}
		})
		b.Run(g.name+"/warm", func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "cache")
			compileOnce(b, wasm, dir)
			for b.Loop() {
				compileOnce(b, wasm, dir)
			}
		})
	}
}

func compileOnce(b *testing.B, wasm []byte, cacheDir string) {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		b.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	if _, err := rt.CompileModule(ctx, wasm); err != nil {
		b.Fatal(err)
	}
	rt.Close(ctx)
	cache.Close(ctx)
}
