// Package txn runs the domains' read-modify-writes as optimistic transactions over a
// store.Store: a step reads and writes through a Tx, and the Tx commits its writes
// conditioned on everything the step read, retrying the step when something changed.
package txn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/poolgate/poolgate/internal/store"
)

// Tx is one attempt of a step in one shard. It is a store.Store: reads of the shard's keys
// are remembered with the version first seen, writes are buffered (and read back by later
// reads), and Apply turns them into one store.Commit whose conditions are exactly what was
// read: a written key is PutIf/DeleteIf at the version read (a key read as absent is created
// only if still absent), a key only read is a Check, a key written without being read is
// written whatever it holds. So the step's decision lands only if nothing it looked at has
// changed since.
//
// Reads and commits of other shards' keys pass through untracked (a commit there is atomic on
// its own); buffering a write to another shard is a bug and fails, as does a direct Commit in
// the Tx's shard (it would bypass the conditions).
type Tx struct {
	base  store.Store
	shard string

	read   map[string]store.Version
	writes map[string]store.Op
	order  []string
	after  []func(context.Context) error
}

var _ store.Store = (*Tx)(nil)

// New starts an attempt on shard over base.
func New(base store.Store, shard string) *Tx {
	return &Tx{base: base, shard: shard, read: map[string]store.Version{}, writes: map[string]store.Op{}}
}

// Shard is the shard the transaction commits in.
func (t *Tx) Shard() string { return t.shard }

func (t *Tx) tracks(key string) bool { return store.Shard(key) == t.shard }

// Get returns the buffered write of key, or the stored value (remembering its version).
func (t *Tx) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := t.GetEntry(ctx, key)
	return e.Value, err
}

// GetEntry is Get with the version of the stored value.
func (t *Tx) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	if !t.tracks(key) {
		return t.base.GetEntry(ctx, key)
	}
	if op, ok := t.writes[key]; ok {
		if op.Kind == store.OpDelete {
			return store.Entry{}, store.ErrNotFound
		}
		return store.Entry{Value: slices.Clone(op.Value), Version: t.read[key]}, nil
	}
	e, err := t.base.GetEntry(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return e, err
	}
	if v, seen := t.read[key]; !seen {
		t.read[key] = e.Version // NoVersion when absent
	} else if v != e.Version {
		// The key changed since this attempt first read it: what the step decided from that
		// read is stale, and an error it would answer from the two reads together (a user
		// "already exists" that a moment ago did not) is not the caller's. The attempt starts
		// again, as its commit would have.
		return store.Entry{}, store.ErrConflict
	}
	return e, err
}

// Put buffers a write of key.
func (t *Tx) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	return t.buffer(store.Op{Key: key, Kind: store.OpPut, Value: slices.Clone(value), TTL: opts.TTL})
}

// Delete buffers a deletion of key.
func (t *Tx) Delete(ctx context.Context, key string) error {
	return t.buffer(store.Op{Key: key, Kind: store.OpDelete})
}

func (t *Tx) buffer(op store.Op) error {
	if !t.tracks(op.Key) {
		return fmt.Errorf("txn: write of %.80q outside the transaction's shard %s", op.Key, t.shard)
	}
	if _, ok := t.writes[op.Key]; !ok {
		t.order = append(t.order, op.Key)
	}
	t.writes[op.Key] = op
	return nil
}

// List passes through: listings are not part of a transaction's conditions.
func (t *Tx) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	return t.base.List(ctx, prefix, cursor, limit)
}

// Commit passes a commit of another shard through; one in the transaction's shard is refused.
func (t *Tx) Commit(ctx context.Context, ops []store.Op) error {
	for _, op := range ops {
		if t.tracks(op.Key) {
			return fmt.Errorf("txn: direct commit of %.80q inside a transaction", op.Key)
		}
	}
	return t.base.Commit(ctx, ops)
}

// After holds f until the transaction has been applied (messages a step sends, say), so an
// attempt that is retried or refused runs none of them.
func (t *Tx) After(f func(context.Context) error) { t.after = append(t.after, f) }

// Ops is the commit the transaction stands for (nil when it wrote nothing): its writes in
// first-write order, conditioned on the versions read, then a check of every key read and
// not written, in key order.
func (t *Tx) Ops() []store.Op {
	if len(t.writes) == 0 {
		return nil
	}
	ops := make([]store.Op, 0, len(t.writes)+len(t.read))
	for _, k := range t.order {
		op := t.writes[k]
		if v, ok := t.read[k]; ok {
			op.Conditional, op.IfVersion = true, v
		}
		ops = append(ops, op)
	}
	var checks []string
	for k := range t.read {
		if _, written := t.writes[k]; !written {
			checks = append(checks, k)
		}
	}
	slices.Sort(checks)
	for _, k := range checks {
		ops = append(ops, store.Check(k, t.read[k]))
	}
	return ops
}

// Apply commits the transaction (store.ErrConflict: nothing was written) and then runs what
// After held.
func (t *Tx) Apply(ctx context.Context) error {
	if err := t.commit(ctx); err != nil {
		return err
	}
	return t.runAfter(ctx)
}

// commit writes the transaction's operations in one conditional store.Commit.
func (t *Tx) commit(ctx context.Context) error {
	ops := t.Ops()
	if len(ops) == 0 {
		return nil
	}
	if len(ops) > store.MaxCommitOps {
		return fmt.Errorf("txn: a transaction of %d operations exceeds %d", len(ops), store.MaxCommitOps)
	}
	return t.base.Commit(ctx, ops)
}

// runAfter runs what After held, in order, once the writes are in.
func (t *Tx) runAfter(ctx context.Context) error {
	for _, f := range t.after {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

// commitAnd is a step's answer that still commits: see FailAfterCommit.
type commitAnd struct{ err error }

func (e *commitAnd) Error() string { return e.err.Error() }
func (e *commitAnd) Unwrap() error { return e.err }

// FailAfterCommit is what a step returns to have its writes committed and the call still
// fail with err: a wrong code or password that must be counted although the call fails.
func FailAfterCommit(err error) error { return &commitAnd{err: err} }

// Run runs step against a fresh Tx on shard over base and applies it, again on a conflict, at
// most store.MaxAttempts times (then store.ErrContended). step may run several times, so it
// must start from what it reads. When base is itself a Tx on shard, step joins it (nothing is
// applied here: the outer Run does that).
//
// The first attempt runs unlocked; once it has conflicted, every further attempt holds its
// shard's lane, so the retries of one process take turns instead of invalidating each other.
// That matters on the Worker, where one Go instance serves an isolate's concurrent requests
// (twenty racing group adds would otherwise conflict round after round) and a back-off would
// need a timer, which a kept-alive instance must not leave behind a finished request. Across
// processes (hostsim's instances, other isolates) the conditions alone decide.
func Run(ctx context.Context, base store.Store, shard string, step func(tx *Tx) error) error {
	if t, ok := base.(*Tx); ok && t.shard == shard {
		return step(t)
	}
	var (
		t        *Tx
		failWith error // a FailAfterCommit answer, given once the writes are in
		attempt  int
	)
	err := store.Retry(ctx, func() error {
		if attempt++; attempt > 1 {
			mu := lane(shard)
			mu.Lock()
			defer mu.Unlock()
		}
		t = New(base, shard)
		failWith = nil
		err := step(t)
		var ca *commitAnd
		switch {
		case errors.As(err, &ca):
			failWith = ca.err
		case err != nil:
			return err
		}
		return t.commit(ctx)
	})
	if err != nil {
		return err
	}
	if err := t.runAfter(ctx); err != nil {
		return err
	}
	return failWith
}

// lanes holds a mutex per shard for retried attempts (see Run); shards are few (one per pool).
var lanes sync.Map // string → *sync.Mutex

func lane(shard string) *sync.Mutex {
	mu, _ := lanes.LoadOrStore(shard, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// AfterCommit runs f once the transaction st belongs to has been applied, or now when st is
// not a Tx.
func AfterCommit(ctx context.Context, st store.Store, f func(context.Context) error) error {
	if t, ok := st.(*Tx); ok {
		t.After(f)
		return nil
	}
	return f(ctx)
}

// In reports whether st is a transaction.
func In(st store.Store) bool {
	_, ok := st.(*Tx)
	return ok
}
