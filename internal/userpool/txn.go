package userpool

import (
	"context"
	"errors"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/txn"
)

// Every read-modify-write of the user-pool domain runs as a transaction (internal/txn):
// atomically gives the step a copy of the Service whose store is the transaction, so the
// repository code below reads and writes as usual and the step's writes land in one commit
// conditioned on everything it read, or the step runs again on fresh data. Messages sent
// during a step (codes, invitations) go once the commit has succeeded.

// poolShard is the shard of pool id's users, groups and markers.
func poolShard(id string) string { return store.Shard(userKey(id, "-")) }

// globalShard is the shard of pools and the client index.
var globalShard = store.Shard(poolKey("-"))

// atomically runs step in a transaction on shard until it commits without a conflict, at
// most store.MaxAttempts times (then ConcurrentModificationException). step gets a Service
// whose store is the transaction and must do all its reads and writes through it; it may run
// several times, so it starts from what it reads. Inside a transaction of the same shard,
// step joins it.
func (s *Service) atomically(ctx context.Context, shard string, step func(ts *Service) error) error {
	err := txn.Run(ctx, s.d.Store, shard, func(tx *txn.Tx) error {
		ts := *s
		ts.d.Store = tx
		return step(&ts)
	})
	if errors.Is(err, store.ErrContended) {
		return concurrentModification()
	}
	return err
}

// inTxn reports whether s runs inside a transaction.
func (s *Service) inTxn() bool { return txn.In(s.d.Store) }

// afterCommit runs f once the transaction s runs in (if any) has committed, or now.
func (s *Service) afterCommit(ctx context.Context, f func(context.Context) error) error {
	return txn.AfterCommit(ctx, s.d.Store, f)
}

// failAfterCommit asks the enclosing transaction to commit and then answer err.
func failAfterCommit(err error) error { return txn.FailAfterCommit(err) }

// concurrentModification is Cognito's answer when a record changes under a call too often.
func concurrentModification() error {
	return awsjson.New(awsjson.ErrConcurrentModification, "The user pool was modified concurrently; please try again.")
}
