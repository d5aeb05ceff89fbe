//go:build js && wasm

package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/store"
)

// doMaxListLimit is the largest page the store objects return, and the default.
const doMaxListLimit = 1000

// maxErrText bounds the text of a JS error quoted in a store error (a thrown message can
// be arbitrarily long).
const maxErrText = 300

// doStore is store.Store on Durable Objects (edge/store_do.mjs): each shard of the key space
// (store.Shard) is one SQLite-backed object, and every call is one transaction in it, so
// reads see every acknowledged write and a Commit is atomic. Values cross as bytes; a
// missing key is JS null, which becomes store.ErrNotFound.
//
// Keys follow the rules every backend shares (those of Workers KV, checkKey). TTLs count on
// the objects' clock from the write, at least store.MinTTL. A List whose prefix names a
// shard (listShard: every domain listing) reads that object; any other prefix ("", "u")
// reads every shard written to (the global object keeps their names) and merges the pages.
// Cursors are the last key of a page, base64url-encoded.
type doStore struct {
	client js.Value // the bridge's StoreClient: call(shard, method, ...args)

	// Calls made to the objects, for the stats endpoint.
	gets, puts, deletes, lists, commits atomic.Int64

	registered sync.Map // shard → true: registered in the global object (register)
}

var _ store.Store = (*doStore)(nil)

// newDOStore wraps the bridge's store client (bridge.store).
func newDOStore(client js.Value) (*doStore, error) {
	if client.Type() != js.TypeObject || client.Get("call").Type() != js.TypeFunction {
		return nil, fmt.Errorf("edge: the Durable Object binding %s is missing", bindingStore)
	}
	return &doStore{client: client}, nil
}

// call calls method on shard's object and waits for its answer. A call workerd refused as
// cross-request I/O was never made (the stub refuses before sending), so it is repeated.
func (s *doStore) call(ctx context.Context, shard, method string, args ...any) (js.Value, error) {
	all := append([]any{shard, method}, args...)
	for attempt := 0; ; attempt++ {
		v, err := ioCall(ctx, s.client, "call", all...)
		if err == nil || attempt >= crossRequestRetries || !crossRequest(err) {
			return v, boundError(err)
		}
	}
}

// boundError shortens the message of a JS error to maxErrText bytes.
func boundError(err error) error {
	var je *jsError
	if errors.As(err, &je) && len(je.Message) > maxErrText {
		m := je.Message[:maxErrText]
		for !utf8.ValidString(m) {
			m = m[:len(m)-1]
		}
		return &jsError{Name: je.Name, Message: m + "…"}
	}
	return err
}

// ttlMillis is the TTL the objects apply: whole milliseconds rounded up, at least
// store.MinTTL; zero means no expiry.
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	ttl = max(ttl, store.MinTTL)
	ms := (ttl + time.Millisecond - 1) / time.Millisecond
	return int64(min(ms, 1<<53-1)) // a JS number
}

// checkKey enforces the key rules every backend shares (store.MaxKeyLen, those of Workers
// KV); Go strings that are not UTF-8 would be silently altered on their way into a JS
// string, so they are refused too.
func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("edge: store: empty key")
	case len(key) > store.MaxKeyLen:
		return fmt.Errorf("edge: store: key is %d bytes, longer than %d", len(key), store.MaxKeyLen)
	case key == "." || key == "..":
		return fmt.Errorf("edge: store: key %q is not allowed", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("edge: store: key %.80q is not valid UTF-8", key)
	}
	return nil
}

// Get returns the value under key, or store.ErrNotFound.
func (s *doStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	s.gets.Add(1)
	v, err := s.call(ctx, store.Shard(key), "get", key)
	if err != nil {
		return nil, fmt.Errorf("edge: store get %.80q: %w", key, err)
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, store.ErrNotFound
	}
	b, err := bytesFromJS(v)
	if err != nil {
		return nil, fmt.Errorf("edge: store get %.80q: %w", key, err)
	}
	return b, nil
}

// GetEntry returns the value under key with its version, or store.ErrNotFound.
func (s *doStore) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	if err := ctx.Err(); err != nil {
		return store.Entry{}, err
	}
	if err := checkKey(key); err != nil {
		return store.Entry{}, err
	}
	s.gets.Add(1)
	v, err := s.call(ctx, store.Shard(key), "getEntry", key)
	if err != nil {
		return store.Entry{}, fmt.Errorf("edge: store get %.80q: %w", key, err)
	}
	if v.IsNull() || v.IsUndefined() {
		return store.Entry{}, store.ErrNotFound
	}
	b, err := bytesFromJS(v.Get("value"))
	if err != nil {
		return store.Entry{}, fmt.Errorf("edge: store get %.80q: %w", key, err)
	}
	ver, err := versionFromJS(v.Get("version"))
	if err != nil {
		return store.Entry{}, fmt.Errorf("edge: store get %.80q: %w", key, err)
	}
	return store.Entry{Value: b, Version: ver}, nil
}

func versionFromJS(v js.Value) (store.Version, error) {
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("edge: a version is a number, got %s", v.Type())
	}
	f := v.Float()
	if f < 1 || f > 1<<53 || f != math.Trunc(f) {
		return 0, fmt.Errorf("edge: version %v out of range", f)
	}
	return store.Version(f), nil
}

// Put writes value under key; a positive TTL makes it expire.
func (s *doStore) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	shard := store.Shard(key)
	if err := s.register(ctx, shard); err != nil {
		return err
	}
	s.puts.Add(1)
	if _, err := s.call(ctx, shard, "put", key, bytesToJS(value), ttlMillis(opts.TTL)); err != nil {
		return fmt.Errorf("edge: store put %.80q: %w", key, err)
	}
	return nil
}

// Delete removes key; a missing key is not an error.
func (s *doStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	s.deletes.Add(1)
	if _, err := s.call(ctx, store.Shard(key), "delete", key); err != nil {
		return fmt.Errorf("edge: store delete %.80q: %w", key, err)
	}
	return nil
}

// Commit applies ops in their shard's object, atomically; store.ErrConflict when a
// condition did not hold.
func (s *doStore) Commit(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckCommit(ops); err != nil {
		return err
	}
	shard := store.Shard(ops[0].Key)
	arr := jsArray.New(len(ops))
	writes := false
	for i, op := range ops {
		if err := checkKey(op.Key); err != nil {
			return err
		}
		if op.IfVersion > 1<<53 {
			return fmt.Errorf("edge: store commit: version %d out of range", op.IfVersion)
		}
		o := jsObject.New()
		o.Set("key", op.Key)
		o.Set("kind", int(op.Kind))
		o.Set("conditional", op.Conditional)
		o.Set("ifVersion", float64(op.IfVersion))
		if op.Kind == store.OpPut {
			writes = true
			o.Set("value", bytesToJS(op.Value))
			o.Set("ttlMs", ttlMillis(op.TTL))
		}
		arr.SetIndex(i, o)
	}
	if writes {
		if err := s.register(ctx, shard); err != nil {
			return err
		}
	}
	s.commits.Add(1)
	v, err := s.call(ctx, shard, "commit", arr)
	if err != nil {
		return fmt.Errorf("edge: store commit of %.80q and %d more: %w", ops[0].Key, len(ops)-1, err)
	}
	if v.Type() != js.TypeBoolean {
		return fmt.Errorf("edge: store commit answered %s, not a boolean", v.Type())
	}
	if !v.Bool() {
		return store.ErrConflict
	}
	return nil
}

// globalShard is the shard of every key that is not a user pool's (store.Shard).
const globalShard = "global"

// listShard is the one shard whose keys a List of prefix may return, or "" when the prefix
// does not determine one. A pool-scoped kind's prefix determines it once it names the pool
// ("uu/<pool>/…"); a global kind's once the kind is complete ("up/").
func listShard(prefix string) string {
	kind, rest, complete := strings.Cut(prefix, "/")
	switch {
	case !complete:
		return "" // "u" may be "up/" (global) or "uu/" (a pool's)
	case store.Shard(kind+"/p/k") == globalShard:
		return globalShard
	case !strings.Contains(rest, "/"):
		return "" // "uu/poo" may be pool "pool1" or "pool2"
	default:
		return store.Shard(prefix)
	}
}

// register records shard in the global object before the first write to it from this
// instance, so that a List that spans shards (listAll) finds it.
func (s *doStore) register(ctx context.Context, shard string) error {
	if shard == globalShard {
		return nil
	}
	if _, ok := s.registered.Load(shard); ok {
		return nil
	}
	if _, err := s.call(ctx, globalShard, "registerShard", shard); err != nil {
		return fmt.Errorf("edge: store: registering shard %.80q: %w", shard, err)
	}
	s.registered.Store(shard, true)
	return nil
}

// List returns up to limit keys starting with prefix, after cursor: from the prefix's shard,
// or merged from every shard written to when the prefix names none (listShard).
func (s *doStore) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	if len(prefix) > store.MaxKeyLen || !utf8.ValidString(prefix) {
		return store.Page{}, fmt.Errorf("edge: store list: prefix %.80q is not a valid key prefix", prefix)
	}
	after := ""
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || checkKey(string(b)) != nil {
			return store.Page{}, fmt.Errorf("edge: store list: invalid cursor")
		}
		after = string(b)
	}
	if limit <= 0 || limit > doMaxListLimit {
		limit = doMaxListLimit
	}
	shards := []string{listShard(prefix)}
	if shards[0] == "" {
		var err error
		if shards, err = s.allShards(ctx); err != nil {
			return store.Page{}, fmt.Errorf("edge: store list %.80q: %w", prefix, err)
		}
	}
	// Each shard's first limit keys after the cursor; the page is the first limit of them all.
	var keys []string
	more := false
	for _, shard := range shards {
		s.lists.Add(1)
		res, err := s.call(ctx, shard, "list", prefix, after, limit)
		if err != nil {
			return store.Page{}, fmt.Errorf("edge: store list %.80q: %w", prefix, err)
		}
		ks := res.Get("keys")
		if ks.Type() != js.TypeObject {
			return store.Page{}, fmt.Errorf("edge: store list %.80q: no keys in the answer", prefix)
		}
		for i := range ks.Length() {
			keys = append(keys, ks.Index(i).String())
		}
		more = more || res.Get("more").Truthy()
	}
	if len(shards) > 1 {
		slices.Sort(keys)
	}
	if len(keys) > limit {
		keys, more = keys[:limit], true
	}
	page := store.Page{Keys: keys}
	if page.Keys == nil {
		page.Keys = []string{}
	}
	if more && len(keys) > 0 {
		page.Cursor = base64.RawURLEncoding.EncodeToString([]byte(keys[len(keys)-1]))
	}
	return page, nil
}

// allShards returns every shard written to: the global one and those registered in it.
func (s *doStore) allShards(ctx context.Context) ([]string, error) {
	v, err := s.call(ctx, globalShard, "shards")
	if err != nil {
		return nil, err
	}
	if v.Type() != js.TypeObject {
		return nil, fmt.Errorf("edge: store: the shard list is a %s", v.Type())
	}
	shards := []string{globalShard}
	for i := range v.Length() {
		shards = append(shards, v.Index(i).String())
	}
	return shards, nil
}
