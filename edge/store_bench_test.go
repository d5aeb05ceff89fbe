//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// BenchmarkStoreOps times store calls made one after the other from Go inside the isolate,
// on the Durable Objects and on Workers KV (local, under wrangler dev): the mean per call
// (ns/op; the isolate's clock moves in whole milliseconds, too coarse for percentiles, which
// tests/workerd's BenchmarkStoreLatency measures from outside). KV has no atomic commit;
// "put3" is three puts one after the other, its nearest equivalent.
func BenchmarkStoreOps(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, 1024) // about a user record
	timed := func(b *testing.B, op func(i int) error) {
		i := 0
		for b.Loop() {
			if err := op(i); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	key := func(i int) string { return fmt.Sprintf("uu/bench/user%04d", i%1000) }

	st := testDO(b)
	for i := range 1000 {
		if err := st.Put(ctx, key(i), value, store.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("do/get", func(b *testing.B) {
		timed(b, func(i int) error { _, err := st.Get(ctx, key(i)); return err })
	})
	b.Run("do/put", func(b *testing.B) {
		timed(b, func(i int) error { return st.Put(ctx, key(i), value, store.PutOptions{}) })
	})
	b.Run("do/commit3", func(b *testing.B) {
		timed(b, func(i int) error {
			return st.Commit(ctx, []store.Op{store.Set(key(3*i), value, 0), store.Set(key(3*i+1), value, 0), store.Set(key(3*i+2), value, 0)})
		})
	})

	ns := testKV(b)
	kv, err := newKVSource(ns)
	if err != nil {
		b.Fatal(err)
	}
	put := func(i int) error {
		_, err := await(ctx, ns.Call("put", key(i), bytesToJS(value).Get("buffer")))
		return err
	}
	for i := range 1000 {
		if err := put(i); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("kv/get", func(b *testing.B) {
		timed(b, func(i int) error { _, err := kv.Get(ctx, key(i)); return err })
	})
	b.Run("kv/put", func(b *testing.B) { timed(b, put) })
	b.Run("kv/put3", func(b *testing.B) {
		timed(b, func(i int) error {
			for j := range 3 {
				if err := put(3*i + j); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// BenchmarkStoreOneObject measures one object's throughput: 8 goroutines commit to one shard
// at once, either three keys each time (unconditional) or a compare-and-swap of one hot key
// (read, commit, retried on conflict by store.Retry). commits/s counts successful commits;
// contended/op the share of compare-and-swaps that gave up (store.ErrContended).
func BenchmarkStoreOneObject(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, 1024)
	st := testDO(b)
	b.Run("commit3", func(b *testing.B) {
		b.SetParallelism(8)
		t0 := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				k := fmt.Sprintf("uu/hot/k%d-%%d", i%100)
				if err := st.Commit(ctx, []store.Op{store.Set(fmt.Sprintf(k, 0), value, 0), store.Set(fmt.Sprintf(k, 1), value, 0), store.Set(fmt.Sprintf(k, 2), value, 0)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "commits/s")
	})
	b.Run("cas-one-key", func(b *testing.B) {
		b.SetParallelism(8)
		var contended atomic.Int64
		t0 := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				err := store.Retry(ctx, func() error {
					e, err := st.GetEntry(ctx, "lk/hot/counter")
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					return st.Commit(ctx, []store.Op{store.PutIf("lk/hot/counter", e.Version, value, 0)})
				})
				switch {
				case errors.Is(err, store.ErrContended):
					contended.Add(1)
				case err != nil:
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(int64(b.N)-contended.Load())/time.Since(t0).Seconds(), "commits/s")
		b.ReportMetric(float64(contended.Load())/float64(b.N), "contended/op")
	})
}
