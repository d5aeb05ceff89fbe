package workerd_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// BenchmarkStoreLatency times single store calls on the Durable Objects and on Workers KV
// under wrangler dev, each in its own request to the test Worker (POST /store, /kv), and
// reports their p50 and p95. "baseline" is a request that makes no call (the HTTP round trip
// through wrangler's proxy, included in every other figure); KV has no atomic commit, "put3"
// is three puts, its nearest equivalent. go test -run '^$' -bench BenchmarkStoreLatency ./tests/workerd/
func BenchmarkStoreLatency(b *testing.B) {
	w, _ := startWorker(b, b.TempDir(), edgelocal.Options{Config: filepath.Join(root, "tests", "workerd", "wrangler.test.toml")})
	c := storeCaller{w.URL()}
	value := bytesArg(make([]byte, 1024)) // about a user record
	const shard = "p/bench"
	key := func(i int) string { return fmt.Sprintf("uu/bench/user%04d", i%1000) }
	set := func(k string) map[string]any {
		return map[string]any{"key": k, "kind": 1, "conditional": false, "ifVersion": 0, "value": value, "ttlMs": 0}
	}
	kv := func(method string, args ...any) error {
		_, err := c.kv(method, args...)
		return err
	}
	for i := range 1000 {
		if _, err := c.call(shard, "put", key(i), value, 0); err != nil {
			b.Fatal(err)
		}
		if err := kv("put", key(i), value); err != nil {
			b.Fatal(err)
		}
	}
	ops := []struct {
		name string
		op   func(i int) error
	}{
		{"baseline", func(int) error {
			resp, err := http.Get(w.URL() + "/")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			return err
		}},
		{"do/get", func(i int) error { _, err := c.call(shard, "get", key(i)); return err }},
		{"do/getEntry", func(i int) error { _, err := c.call(shard, "getEntry", key(i)); return err }},
		{"do/put", func(i int) error { _, err := c.call(shard, "put", key(i), value, 0); return err }},
		{"do/commit3", func(i int) error {
			_, err := c.call(shard, "commit", []any{set(key(3 * i)), set(key(3*i + 1)), set(key(3*i + 2))})
			return err
		}},
		{"kv/get", func(i int) error { return kv("get", key(i), "arrayBuffer") }},
		{"kv/put", func(i int) error { return kv("put", key(i), value) }},
		{"kv/put3", func(i int) error {
			for j := range 3 {
				if err := kv("put", key(3*i+j), value); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			var ds []time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				if err := o.op(i); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
				i++
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds()), "p95-µs")
		})
	}
}

// BenchmarkStoreThroughput measures one object's throughput from 8 clients at once, each
// call its own request: commits of three keys to one shard, as commits/s.
func BenchmarkStoreThroughput(b *testing.B) {
	w, _ := startWorker(b, b.TempDir(), edgelocal.Options{Config: filepath.Join(root, "tests", "workerd", "wrangler.test.toml")})
	c := storeCaller{w.URL()}
	value := bytesArg(make([]byte, 1024))
	set := func(k string) map[string]any {
		return map[string]any{"key": k, "kind": 1, "conditional": false, "ifVersion": 0, "value": value, "ttlMs": 0}
	}
	const clients = 8
	var next atomic.Int64
	b.ResetTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				k := fmt.Sprintf("uu/hot/k%d-", i%100)
				if _, err := c.call("p/hot", "commit", []any{set(k + "0"), set(k + "1"), set(k + "2")}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "commits/s")
}
