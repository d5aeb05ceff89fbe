//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"syscall/js"
	"time"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/store"
)

// kvMaxListLimit is the largest page Workers KV's list returns, and the store's default.
const kvMaxListLimit = 1000

// kvStore is store.Store on a Workers KV namespace binding. Values travel as ArrayBuffers
// (binary-safe); a missing key is JS null, which becomes store.ErrNotFound.
//
// KV's limits shape it: keys are 1..512 bytes of UTF-8 and not "." or ".."; the smallest
// TTL is 60 s (store.MinTTL, shorter ones are rounded up); a key takes one write per second,
// so a write refused with 429 is retried after a back-off; List pages are at most 1000 keys
// and resume from KV's own opaque cursor.
type kvStore struct {
	ns js.Value // the binding, e.g. env.POOLGATE_KV

	// sleep waits between retries of a rate-limited write; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// retries are the back-offs before each retry of a write KV refused as rate-limited.
	retries []time.Duration

	// Calls made to the binding, for the stats endpoint.
	gets, puts, deletes, lists atomic.Int64
}

var _ store.Store = (*kvStore)(nil)

// newKVStore wraps a KV namespace binding.
func newKVStore(binding js.Value) (*kvStore, error) {
	if binding.Type() != js.TypeObject || binding.Get("get").Type() != js.TypeFunction {
		return nil, errors.New("edge: the KV binding is missing or is not a KV namespace")
	}
	return &kvStore{
		ns:      binding,
		sleep:   sleepCtx,
		retries: []time.Duration{time.Second, 2 * time.Second},
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkKey enforces the keys KV accepts; Go strings that are not UTF-8 would be silently
// altered on their way into a JS string, so they are refused too.
func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("edge: kv: empty key")
	case len(key) > store.MaxKeyLen:
		return fmt.Errorf("edge: kv: key is %d bytes, longer than %d", len(key), store.MaxKeyLen)
	case key == "." || key == "..":
		return fmt.Errorf("edge: kv: key %q is not allowed", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("edge: kv: key %q is not valid UTF-8", key)
	}
	return nil
}

// Get returns the value under key, or store.ErrNotFound.
func (s *kvStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	s.gets.Add(1)
	v, err := s.io(ctx, "get", key, map[string]any{"type": "arrayBuffer"})
	if err != nil {
		return nil, fmt.Errorf("edge: kv get %q: %w", key, err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, store.ErrNotFound
	}
	b, err := bytesFromJS(v)
	if err != nil {
		return nil, fmt.Errorf("edge: kv get %q: %w", key, err)
	}
	return b, nil
}

// ttlSeconds is KV's expirationTtl for a TTL: whole seconds rounded up, at least 60;
// zero means no expiry.
func ttlSeconds(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	if ttl < store.MinTTL {
		ttl = store.MinTTL
	}
	secs := math.Ceil(ttl.Seconds())
	if secs > math.MaxInt32 {
		secs = math.MaxInt32 // KV stores expirations as seconds since the epoch
	}
	return int64(secs)
}

// Put writes value under key; a positive TTL makes it expire.
func (s *kvStore) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	putOpts := map[string]any{}
	if secs := ttlSeconds(opts.TTL); secs > 0 {
		putOpts["expirationTtl"] = secs
	}
	// An ArrayBuffer of exactly the value (a Uint8Array view could carry a larger buffer).
	buf := bytesToJS(value).Get("buffer")
	for attempt := 0; ; attempt++ {
		s.puts.Add(1)
		err := s.do(ctx, "put", key, buf, putOpts)
		if err == nil {
			return nil
		}
		if !rateLimited(err) || attempt >= len(s.retries) {
			return fmt.Errorf("edge: kv put %q: %w", key, err)
		}
		if err := s.sleep(ctx, s.retries[attempt]); err != nil {
			return fmt.Errorf("edge: kv put %q: %w", key, err)
		}
	}
}

// Delete removes key; a missing key is not an error.
func (s *kvStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		s.deletes.Add(1)
		err := s.do(ctx, "delete", key)
		if err == nil {
			return nil
		}
		if !rateLimited(err) || attempt >= len(s.retries) {
			return fmt.Errorf("edge: kv delete %q: %w", key, err)
		}
		if err := s.sleep(ctx, s.retries[attempt]); err != nil {
			return fmt.Errorf("edge: kv delete %q: %w", key, err)
		}
	}
}

func (s *kvStore) do(ctx context.Context, method string, args ...any) error {
	_, err := s.io(ctx, method, args...)
	return err
}

// crossRequestRetries is how often a KV call is repeated after workerd refused it for touching
// an I/O object of another request. Every call is made in its own request's context (see
// ioCall); the refusal was still seen, rarely (2 calls in a soak of 100 000 requests), and
// every KV call is safe to repeat.
const crossRequestRetries = 2

// io makes one KV call, repeating it if workerd refused it as cross-request I/O.
func (s *kvStore) io(ctx context.Context, method string, args ...any) (js.Value, error) {
	for attempt := 0; ; attempt++ {
		v, err := ioCall(ctx, s.ns, method, args...)
		if err == nil || attempt >= crossRequestRetries || !crossRequest(err) {
			return v, err
		}
	}
}

// crossRequest reports whether workerd refused a call for using another request's I/O object.
func crossRequest(err error) bool {
	var je *jsError
	return errors.As(err, &je) && strings.Contains(je.Message, "on behalf of a different request")
}

// rateLimited reports whether KV refused a write for writing one key too often
// (the binding rejects with "KV PUT failed: 429 Too Many Requests").
func rateLimited(err error) bool {
	var je *jsError
	return errors.As(err, &je) && strings.Contains(je.Message, "429")
}

// List returns up to limit keys starting with prefix, after cursor (KV's own cursor).
func (s *kvStore) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	if limit <= 0 || limit > kvMaxListLimit {
		limit = kvMaxListLimit
	}
	if len(prefix) > store.MaxKeyLen || !utf8.ValidString(prefix) {
		return store.Page{}, fmt.Errorf("edge: kv list: prefix %q is not a valid key prefix", prefix)
	}
	opts := map[string]any{"limit": limit}
	if prefix != "" {
		opts["prefix"] = prefix
	}
	if cursor != "" {
		opts["cursor"] = cursor
	}
	s.lists.Add(1)
	res, err := s.io(ctx, "list", opts)
	if err != nil {
		return store.Page{}, fmt.Errorf("edge: kv list %q: %w", prefix, err)
	}
	keys := res.Get("keys")
	n := keys.Length()
	page := store.Page{Keys: make([]string, 0, n)}
	for i := range n {
		page.Keys = append(page.Keys, keys.Index(i).Get("name").String())
	}
	if !res.Get("list_complete").Truthy() {
		page.Cursor = res.Get("cursor").String()
	}
	return page, nil
}
