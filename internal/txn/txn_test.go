package txn

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

const shard = "p/pool1"

func put(t *testing.T, st store.Store, key, value string) store.Version {
	t.Helper()
	ctx := context.Background()
	if err := st.Put(ctx, key, []byte(value), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	e, err := st.GetEntry(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return e.Version
}

func TestOpsAreConditionedOnReads(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(nil)
	vUser := put(t, st, "uu/pool1/ann", "ann")
	vGroup := put(t, st, "ug/pool1/g", "g")
	tx := New(st, shard)
	for _, k := range []string{"uu/pool1/ann", "ug/pool1/g", "ux/pool1/email/a@x", "up/pool1"} {
		if _, err := tx.Get(ctx, k); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	must(t, tx.Put(ctx, "uu/pool1/ann", []byte("ann2"), store.PutOptions{}))
	must(t, tx.Put(ctx, "ux/pool1/email/a@x", []byte("ann"), store.PutOptions{}))
	must(t, tx.Put(ctx, "ugm/pool1/g/ann", []byte("ann"), store.PutOptions{}))
	// Read-your-writes.
	if b, err := tx.Get(ctx, "uu/pool1/ann"); err != nil || string(b) != "ann2" {
		t.Fatalf("read back: %q %v", b, err)
	}
	want := []store.Op{
		store.PutIf("uu/pool1/ann", vUser, []byte("ann2"), 0),
		store.Create("ux/pool1/email/a@x", []byte("ann"), 0),
		store.Set("ugm/pool1/g/ann", []byte("ann"), 0),
		store.Check("ug/pool1/g", vGroup), // up/pool1 is another shard: not a condition
	}
	if got := tx.Ops(); !slices.EqualFunc(got, want, sameOp) {
		t.Fatalf("ops:\n got %+v\nwant %+v", got, want)
	}
	// A change to a key only read makes the commit conflict, and nothing is written.
	put(t, st, "ug/pool1/g", "g2")
	if err := tx.Apply(ctx); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("apply after a concurrent write: %v", err)
	}
	if b, _ := st.Get(ctx, "uu/pool1/ann"); string(b) != "ann" {
		t.Fatalf("a conflicting transaction wrote %q", b)
	}
}

func sameOp(a, b store.Op) bool {
	return a.Key == b.Key && a.Kind == b.Kind && a.Conditional == b.Conditional && a.IfVersion == b.IfVersion &&
		string(a.Value) == string(b.Value) && a.TTL == b.TTL
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWritesStayInTheShard(t *testing.T) {
	ctx := context.Background()
	tx := New(memstore.New(nil), shard)
	if err := tx.Put(ctx, "up/pool1", []byte("x"), store.PutOptions{}); err == nil {
		t.Fatal("a write to another shard was buffered")
	}
	if err := tx.Commit(ctx, []store.Op{store.Set("uu/pool1/ann", nil, 0)}); err == nil {
		t.Fatal("a direct commit in the transaction's shard was let through")
	}
	if err := tx.Commit(ctx, []store.Op{store.Create("up/pool1", []byte("x"), 0)}); err != nil {
		t.Fatalf("a commit in another shard: %v", err)
	}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(nil)
	put(t, st, "lk/pool1/x", "0")
	runs, sent := 0, 0
	err := Run(ctx, st, shard, func(tx *Tx) error {
		runs++
		b, err := tx.Get(ctx, "lk/pool1/x")
		if err != nil {
			return err
		}
		if runs == 1 { // someone else writes between this attempt's read and its commit
			put(t, st, "lk/pool1/x", "5")
		}
		tx.After(func(context.Context) error { sent++; return nil })
		// Nested Runs on the same shard join this transaction.
		return Run(ctx, tx, shard, func(inner *Tx) error {
			if inner != tx {
				t.Fatal("nested Run did not join")
			}
			return inner.Put(ctx, "lk/pool1/x", append(b, '+'), store.PutOptions{})
		})
	})
	if err != nil || runs != 2 || sent != 1 {
		t.Fatalf("Run: err %v, %d runs, %d after-actions", err, runs, sent)
	}
	if b, _ := st.Get(ctx, "lk/pool1/x"); string(b) != "5+" {
		t.Fatalf("value %q, want the retry's", b)
	}

	// FailAfterCommit: written, and the error still answered.
	wrong := errors.New("wrong code")
	err = Run(ctx, st, shard, func(tx *Tx) error {
		must(t, tx.Put(ctx, "lk/pool1/x", []byte("counted"), store.PutOptions{}))
		return FailAfterCommit(wrong)
	})
	if !errors.Is(err, wrong) {
		t.Fatalf("FailAfterCommit: %v", err)
	}
	if b, _ := st.Get(ctx, "lk/pool1/x"); string(b) != "counted" {
		t.Fatalf("FailAfterCommit did not commit: %q", b)
	}

	// A plain error writes nothing and runs no after-action.
	sent = 0
	err = Run(ctx, st, shard, func(tx *Tx) error {
		must(t, tx.Put(ctx, "lk/pool1/x", []byte("refused"), store.PutOptions{}))
		tx.After(func(context.Context) error { sent++; return nil })
		return wrong
	})
	if b, _ := st.Get(ctx, "lk/pool1/x"); !errors.Is(err, wrong) || string(b) != "counted" || sent != 0 {
		t.Fatalf("refused step: err %v, value %q, %d after-actions", err, b, sent)
	}

	// Always conflicting: store.ErrContended after MaxAttempts.
	runs = 0
	err = Run(ctx, st, shard, func(tx *Tx) error {
		runs++
		if _, err := tx.Get(ctx, "lk/pool1/x"); err != nil {
			return err
		}
		put(t, st, "lk/pool1/x", "moved")
		return tx.Put(ctx, "lk/pool1/x", []byte("never"), store.PutOptions{})
	})
	if !errors.Is(err, store.ErrContended) || runs != store.MaxAttempts {
		t.Fatalf("contended: %v after %d runs", err, runs)
	}
}

// gatedStore holds every first commit until n goroutines have read, so all of them conflict
// but one; it counts the commits it is asked for.
type gatedStore struct {
	store.Store
	reads   chan struct{}
	release chan struct{}
	commits atomic.Int64
	n       int
	once    sync.Once
	seen    atomic.Int64
}

func (g *gatedStore) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	e, err := g.Store.GetEntry(ctx, key)
	if g.seen.Add(1) == int64(g.n) {
		g.once.Do(func() { close(g.release) })
	}
	return e, err
}

func (g *gatedStore) Commit(ctx context.Context, ops []store.Op) error {
	g.commits.Add(1)
	<-g.release
	return g.Store.Commit(ctx, ops)
}

// TestRetriesTakeTurns races n read-increment-write steps on one key: every one lands, and
// because a retried attempt holds the shard's lane, the losers of the first round retry one at
// a time and each succeeds at its first locked try (n first commits + n-1 retries).
func TestRetriesTakeTurns(t *testing.T) {
	const n = 24
	ctx := context.Background()
	g := &gatedStore{Store: memstore.New(nil), release: make(chan struct{}), n: n}
	key := "uu/pool1/counter"
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Run(ctx, g, shard, func(tx *Tx) error {
				b, err := tx.Get(ctx, key)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return tx.Put(ctx, key, append(b, 'x'), store.PutOptions{})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := g.Store.Get(ctx, key)
	if err != nil || len(b) != n {
		t.Fatalf("counter = %d (%v), want %d", len(b), err, n)
	}
	if c := g.commits.Load(); c != 2*n-1 {
		t.Fatalf("%d commits for %d racers, want %d (one round of conflicts, then turns)", c, n, 2*n-1)
	}
}

// TestRereadOfAChangedKeyRetries: a step that reads a key twice and finds it changed in
// between (a racing writer created it) starts again instead of answering from the two reads,
// as the racing first sign-ins of one federated user did ("User already exists").
func TestRereadOfAChangedKeyRetries(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(nil)
	runs := 0
	errExists := errors.New("already exists")
	err := Run(ctx, st, shard, func(tx *Tx) error {
		runs++
		if _, err := tx.Get(ctx, "lk/pool1/ada"); err == nil {
			return nil // the retry finds the user the racer made, and uses it
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if runs == 1 {
			put(t, st, "lk/pool1/ada", "racer") // created between this attempt's two reads
		}
		if _, err := tx.Get(ctx, "lk/pool1/ada"); err == nil {
			return errExists
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Put(ctx, "lk/pool1/ada", []byte("mine"), store.PutOptions{})
	})
	if err != nil || runs != 2 {
		t.Fatalf("Run: err %v after %d runs, want the retry to use the racer's record", err, runs)
	}
	if b, _ := st.Get(ctx, "lk/pool1/ada"); string(b) != "racer" {
		t.Fatalf("value %q, want the racer's", b)
	}
}
