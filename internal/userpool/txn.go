package userpool

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Every read-modify-write of the user-pool domain runs in a transaction (optimistic, one
// attempt at a time): Service.atomically gives the step a copy of the Service whose store is
// a txn. The step reads and writes through it as usual; the txn remembers the version of
// every key of its shard that was read and buffers the writes, and at the end turns them into
// one store.Commit whose conditions are exactly what was read: a written key is PutIf/DeleteIf
// at the version read (a key read as absent: created only if still absent), a key only read is
// a Check. So the step's decision is applied only if nothing it looked at has changed since;
// otherwise nothing is written and the step runs again on fresh data (store.Retry).
//
// Reads and commits of keys in other shards (the pool record, the client index, the decoy
// key) pass through to the store untracked; writing such a key through the txn is a bug and
// fails. Messages sent during a step (codes, invitations) are held until the commit succeeds,
// so a step that is retried or refused sends nothing.
type txn struct {
	base  store.Store
	shard string

	read   map[string]store.Version // keys of the shard read, with the version seen first
	writes map[string]store.Op      // buffered writes by key
	order  []string                 // keys of writes, in first-write order
	after  []func(context.Context) error
}

var _ store.Store = (*txn)(nil)

func newTxn(base store.Store, shard string) *txn {
	return &txn{base: base, shard: shard, read: map[string]store.Version{}, writes: map[string]store.Op{}}
}

func (t *txn) tracks(key string) bool { return store.Shard(key) == t.shard }

// Get returns the buffered write of key, or the stored value (remembering its version).
func (t *txn) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := t.GetEntry(ctx, key)
	return e.Value, err
}

// GetEntry is Get with the version (of the stored value; buffered writes have none yet).
func (t *txn) GetEntry(ctx context.Context, key string) (store.Entry, error) {
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
	if _, seen := t.read[key]; !seen {
		t.read[key] = e.Version // NoVersion when absent
	}
	return e, err
}

// Put buffers a write of key.
func (t *txn) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	return t.buffer(store.Op{Key: key, Kind: store.OpPut, Value: slices.Clone(value), TTL: opts.TTL})
}

// Delete buffers a deletion of key.
func (t *txn) Delete(ctx context.Context, key string) error {
	return t.buffer(store.Op{Key: key, Kind: store.OpDelete})
}

func (t *txn) buffer(op store.Op) error {
	if !t.tracks(op.Key) {
		return fmt.Errorf("userpool: write of %.80q outside the transaction's shard %s", op.Key, t.shard)
	}
	if _, ok := t.writes[op.Key]; !ok {
		t.order = append(t.order, op.Key)
	}
	t.writes[op.Key] = op
	return nil
}

// List passes through: listings are not part of a transaction's conditions.
func (t *txn) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	return t.base.List(ctx, prefix, cursor, limit)
}

// Commit passes a commit of another shard through (it is atomic on its own); a commit in the
// transaction's own shard would bypass its conditions and is refused.
func (t *txn) Commit(ctx context.Context, ops []store.Op) error {
	for _, op := range ops {
		if t.tracks(op.Key) {
			return fmt.Errorf("userpool: direct commit of %.80q inside a transaction", op.Key)
		}
	}
	return t.base.Commit(ctx, ops)
}

// ops is the commit the transaction stands for: its writes conditioned on the versions read,
// then a check of every key read and not written. A transaction that wrote nothing is empty.
func (t *txn) ops() []store.Op {
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

// commit applies the transaction (store.ErrConflict: nothing written) and then runs the
// actions held for after it.
func (t *txn) commit(ctx context.Context) error {
	if ops := t.ops(); len(ops) > 0 {
		if len(ops) > store.MaxCommitOps {
			return fmt.Errorf("userpool: a transaction of %d operations exceeds %d", len(ops), store.MaxCommitOps)
		}
		if err := t.base.Commit(ctx, ops); err != nil {
			return err
		}
	}
	for _, f := range t.after {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

// afterCommit runs f once the transaction s runs in (if any) has committed, or now.
func (s *Service) afterCommit(ctx context.Context, f func(context.Context) error) error {
	if t, ok := s.d.Store.(*txn); ok {
		t.after = append(t.after, f)
		return nil
	}
	return f(ctx)
}

// commitAnd is returned by a transaction's step to save what it wrote and still answer err:
// a wrong code or password that must be counted although the call fails.
type commitAnd struct{ err error }

func (e *commitAnd) Error() string { return e.err.Error() }
func (e *commitAnd) Unwrap() error { return e.err }

// failAfterCommit asks the enclosing transaction to commit and then answer err.
func failAfterCommit(err error) error { return &commitAnd{err: err} }

// poolShard is the shard of pool id's users, groups and markers.
func poolShard(id string) string { return store.Shard(userKey(id, "-")) }

// globalShard is the shard of pools, the client index and identity pools.
var globalShard = store.Shard(poolKey("-"))

// atomically runs step against a transaction on shard until it commits without a conflict,
// at most store.MaxAttempts times (then ConcurrentModificationException). step gets a Service
// whose store is the transaction; it must do all its reads and writes through it, and may run
// several times, so it starts from what it reads, not from state of an earlier attempt. Inside
// a transaction of the same shard, step joins it.
func (s *Service) atomically(ctx context.Context, shard string, step func(ts *Service) error) error {
	if t, ok := s.d.Store.(*txn); ok && t.shard == shard {
		return step(s)
	}
	err := store.Retry(ctx, func() error {
		t := newTxn(s.d.Store, shard)
		ts := *s
		ts.d.Store = t
		err := step(&ts)
		var ca *commitAnd
		if errors.As(err, &ca) {
			if cerr := t.commit(ctx); cerr != nil {
				return cerr
			}
			return ca.err
		}
		if err != nil {
			return err
		}
		return t.commit(ctx)
	})
	if errors.Is(err, store.ErrContended) {
		return concurrentModification()
	}
	return err
}

// concurrentModification is Cognito's answer when a record changes under a call too often.
func concurrentModification() error {
	return awsjson.New("ConcurrentModificationException", "The user pool was modified concurrently; please try again.")
}
