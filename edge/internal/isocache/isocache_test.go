package isocache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/store/storetest"
	"github.com/poolgate/poolgate/internal/userpool"
)

// TestConformance: the cache in front of a store is still a store to everyone who writes
// through it (the suite's reads follow its own writes). With every key cacheable, the TTL
// subtests are left out: a key written with a TTL is not one to cache (a Get cannot tell its
// expiry), and configuration records never have one; with the Worker's choice of keys the
// whole suite runs.
func TestConformance(t *testing.T) {
	t.Run("AllKeys", func(t *testing.T) {
		storetest.RunWith(t, storetest.RunOptions{RealClockOnly: true}, func(t *testing.T, now func() time.Time) store.Store {
			return New(memstore.New(now), DefaultTTL, now, func(string) bool { return true })
		})
	})
	t.Run("ConfigRecords", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
			return New(memstore.New(now), DefaultTTL, now, userpool.IsConfigRecord)
		})
	})
}

// counting counts the reads that reach the store.
type counting struct {
	store.Store
	mu         sync.Mutex
	gets, ents int
}

func (c *counting) Get(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.Store.Get(ctx, key)
}

func (c *counting) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	c.mu.Lock()
	c.ents++
	c.mu.Unlock()
	return c.Store.GetEntry(ctx, key)
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	base := &counting{Store: memstore.New(clock.Now)}
	st := New(base, DefaultTTL, clock.Now, userpool.IsConfigRecord)
	get := func(key, want string) {
		t.Helper()
		v, err := st.Get(ctx, key)
		if err != nil || string(v) != want {
			t.Fatalf("Get(%s) = %q, %v; want %q", key, v, err, want)
		}
	}
	wantReads := func(n int) {
		t.Helper()
		if base.gets != n {
			t.Fatalf("%d store reads, want %d", base.gets, n)
		}
	}
	const pool, client, user = "up/us-east-1_A", "upc/us-east-1_A/c1", "uu/us-east-1_A/alice"
	for _, k := range []string{pool, client, user} {
		if err := base.Put(ctx, k, []byte("v1"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	get(pool, "v1")
	get(pool, "v1")
	get(client, "v1")
	get(client, "v1")
	wantReads(2)
	get(user, "v1")
	get(user, "v1")
	wantReads(4) // a user record is not a configuration record: read every time

	// A caller that changes what it got does not change the cache.
	v, _ := st.Get(ctx, pool)
	v[0] = 'X'
	get(pool, "v1")

	// A write through this isolate is seen at once: Put, Commit and Delete.
	if err := st.Put(ctx, pool, []byte("v2"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	get(pool, "v2")
	e, err := st.GetEntry(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, []store.Op{store.PutIf(client, e.Version, []byte("v2"), 0)}); err != nil {
		t.Fatal(err)
	}
	get(client, "v2")
	if err := st.Delete(ctx, client); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, client); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a deleted client: %v", err)
	}

	// A write elsewhere (straight to the store) is seen once the TTL has passed, not before.
	if err := base.Put(ctx, pool, []byte("v3"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	get(pool, "v2")
	clock.Advance(DefaultTTL - time.Second)
	get(pool, "v2")
	clock.Advance(time.Second)
	get(pool, "v3")

	// A missing record is not remembered: created elsewhere, it is seen at once.
	const other = "cl/c2"
	if _, err := st.Get(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	if err := base.Put(ctx, other, []byte("us-east-1_A"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	get(other, "us-east-1_A")

	// GetEntry (transactions, read-modify-writes) always reads the store.
	before := base.ents
	for range 3 {
		if _, err := st.GetEntry(ctx, pool); err != nil {
			t.Fatal(err)
		}
	}
	if base.ents != before+3 {
		t.Fatalf("GetEntry reached the store %d times of 3", base.ents-before)
	}
}

// TestNoTTLNoCache: a TTL of 0 (hostsim) is the store itself.
func TestNoTTLNoCache(t *testing.T) {
	base := memstore.New(time.Now)
	if st := New(base, 0, time.Now, userpool.IsConfigRecord); st != store.Store(base) {
		t.Fatalf("New with ttl 0 = %T, want the store itself", st)
	}
}

// TestBounded: the cache holds at most maxEntries records.
func TestBounded(t *testing.T) {
	ctx := context.Background()
	base := memstore.New(time.Now)
	st := New(base, DefaultTTL, time.Now, userpool.IsConfigRecord).(*Store)
	for i := range maxEntries + 50 {
		k := "up/p" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260))
		base.Put(ctx, k, []byte("v"), store.PutOptions{})
		if _, err := st.Get(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(st.entries); n > maxEntries {
		t.Fatalf("%d entries, bound %d", n, maxEntries)
	}
}

// TestWriteDuringRead: a Get that read the store before a write through the cache does not
// fill the cache with the value the write replaced.
func TestWriteDuringRead(t *testing.T) {
	ctx := context.Background()
	base := memstore.New(time.Now)
	const key = "up/us-east-1_A"
	base.Put(ctx, key, []byte("old"), store.PutOptions{})
	gate := &gatedGet{Store: base, read: make(chan struct{}), release: make(chan struct{})}
	st := New(gate, DefaultTTL, time.Now, userpool.IsConfigRecord)
	done := make(chan []byte)
	go func() {
		v, _ := st.Get(ctx, key)
		done <- v
	}()
	<-gate.read // the Get has the old value in hand
	if err := st.Put(ctx, key, []byte("new"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	if v := <-done; string(v) != "old" {
		t.Fatalf("in-flight Get = %q", v)
	}
	gate.passThrough = true
	if v, _ := st.Get(ctx, key); string(v) != "new" {
		t.Fatalf("Get after the write = %q: the in-flight read filled the cache with the old value", v)
	}
}

// gatedGet holds its first Get after reading until released.
type gatedGet struct {
	store.Store
	read, release chan struct{}
	passThrough   bool
}

func (g *gatedGet) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := g.Store.Get(ctx, key)
	if !g.passThrough {
		close(g.read)
		<-g.release
	}
	return v, err
}
