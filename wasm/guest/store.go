//go:build wasip1

package guest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/store"
)

// kvStore is a store.Store over the kv_* imports. The host runs the operation under the
// current request's context; ctx here is only checked before the call.
type kvStore struct{}

var _ store.Store = kvStore{}

func (kvStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := sized(func(out *byte, outCap uint32) int32 { return kvGet(key, out, outCap) })
	if errors.Is(err, abi.CodeNotFound) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("guest: kv_get %q: %w", key, err)
	}
	return v, nil
}

var _ store.UnchangedGetter = kvStore{}

// GetUnlessUnchanged asks the host, which compares the stored bytes with have: held bytes
// that are current do not cross again.
func (kvStore) GetUnlessUnchanged(ctx context.Context, key string, have []byte) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	hp, hn := in(have)
	v, err := sized(func(out *byte, outCap uint32) int32 { return kvGetUnlessUnchanged(key, hp, hn, out, outCap) })
	switch {
	case errors.Is(err, abi.CodeUnchanged):
		return nil, true, nil
	case errors.Is(err, abi.CodeNotFound):
		return nil, false, store.ErrNotFound
	case err != nil:
		return nil, false, fmt.Errorf("guest: kv_get_unless_unchanged %q: %w", key, err)
	}
	return v, false, nil
}

func (kvStore) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var ttl int64
	if opts.TTL > 0 {
		ttl = int64((opts.TTL + time.Second - 1) / time.Second)
	}
	p, n := in(value)
	if err := status(kvPut(key, p, n, ttl)); err != nil {
		return fmt.Errorf("guest: kv_put %q: %w", key, err)
	}
	return nil
}

func (kvStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := status(kvDelete(key)); err != nil {
		return fmt.Errorf("guest: kv_delete %q: %w", key, err)
	}
	return nil
}

func (kvStore) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	if limit < 0 {
		limit = 0
	}
	raw, err := sized(func(out *byte, outCap uint32) int32 {
		return kvList(prefix, cursor, int32(min(limit, 1<<30)), out, outCap)
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("guest: kv_list %q: %w", prefix, err)
	}
	p, err := abi.DecodePage(raw)
	if err != nil {
		return store.Page{}, fmt.Errorf("guest: kv_list %q: %w", prefix, err)
	}
	return store.Page{Keys: p.Keys, Cursor: p.Cursor}, nil
}

func (kvStore) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	if err := ctx.Err(); err != nil {
		return store.Entry{}, err
	}
	raw, err := sized(func(out *byte, outCap uint32) int32 { return kvGetEntry(key, out, outCap) })
	if errors.Is(err, abi.CodeNotFound) {
		return store.Entry{}, store.ErrNotFound
	}
	if err != nil {
		return store.Entry{}, fmt.Errorf("guest: kv_get_entry %q: %w", key, err)
	}
	e, err := abi.DecodeEntry(raw)
	if err != nil {
		return store.Entry{}, fmt.Errorf("guest: kv_get_entry %q: %w", key, err)
	}
	return e, nil
}

// Commit checks the commit's rules here too, for an error that says which rule; the host
// checks them again.
func (kvStore) Commit(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckCommit(ops); err != nil {
		return err
	}
	enc := abi.EncodeCommit(ops)
	p, n := in(enc)
	switch err := status(kvCommit(p, n)); {
	case err == nil:
		return nil
	case errors.Is(err, abi.CodeConflict):
		return store.ErrConflict
	default:
		return fmt.Errorf("guest: kv_commit of %d ops (first %q): %w", len(ops), ops[0].Key, err)
	}
}
