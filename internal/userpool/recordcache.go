package userpool

import (
	"bytes"
	"context"
	"reflect"
	"sync"

	"github.com/poolgate/poolgate/internal/store"
)

// Bounds of the decoded-record caches: a few pools and their clients per instance is the
// common case; a host with more keeps the most recently decoded ones it has room for. Users
// (public parts only, for GetUser) are many: an instance keeps those it served lately, about
// 2 KB each.
const (
	maxCachedPools   = 64
	maxCachedClients = 256
	maxCachedUsers   = 512
)

// recordCache keeps records decoded from the store by key, with the bytes they were decoded
// from: a read whose bytes are the cached ones (the record has not changed) takes the decoded
// value instead of decoding again; any other bytes decode fresh and replace the entry. It is
// keyed by content, not time, so it never serves a record the store no longer holds: a write
// anywhere changes the bytes the next read brings. Callers get their own deep copy (clone),
// so a request that modifies its record (UpdateUserPool, the write paths) cannot change what
// another request reads; a read-only hot path (GetUser) takes the shared record itself
// (view) and spares the copy. Safe for concurrent use; at most max entries (a full cache drops an
// arbitrary entry).
type recordCache[T any] struct {
	max     int
	mu      sync.Mutex
	entries map[string]cachedRecord[T]
}

type cachedRecord[T any] struct {
	raw []byte
	v   *T // handed out only by view, to callers that do not modify it; others get clones
}

func newRecordCache[T any](max int) *recordCache[T] {
	return &recordCache[T]{max: max, entries: map[string]cachedRecord[T]{}}
}

// decode returns a private copy of the record key holds as raw, decoding it with fresh only
// when the cache has no entry for exactly these bytes. A decoding error is not cached.
func (c *recordCache[T]) decode(key string, raw []byte, fresh func([]byte) (*T, error)) (*T, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && sameBytes(e.raw, raw) {
		return clone(e.v), nil
	}
	v, err := fresh(raw)
	if err != nil {
		return nil, err
	}
	c.put(key, raw, clone(v))
	return v, nil
}

// view is decode for a caller that only reads: it returns the cached record itself, shared
// with every other view, so the caller must not modify anything it reaches (the cache's
// entry would change for every later reader). A miss decodes with fresh and caches the
// result as it is. TestViewsStayUnchanged holds the read paths that take views to this.
func (c *recordCache[T]) view(key string, raw []byte, fresh func([]byte) (*T, error)) (*T, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && sameBytes(e.raw, raw) {
		return e.v, nil
	}
	v, err := fresh(raw)
	if err != nil {
		return nil, err
	}
	c.put(key, raw, v)
	return v, nil
}

// read returns key's stored bytes, asking st whether the bytes of key's entry are still the
// stored ones (store.GetUnlessUnchanged): when they are, nothing crosses from the store and the
// entry's own bytes come back, which decode and view then find at once.
func (c *recordCache[T]) read(ctx context.Context, st store.Store, key string) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	var have []byte
	if ok {
		have = e.raw
	}
	b, unchanged, err := store.GetUnlessUnchanged(ctx, st, key, have)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return have, nil
	}
	return b, nil
}

// sameBytes is bytes.Equal, at once for the entry's own bytes (read's unchanged answer).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0] || bytes.Equal(a, b))
}

// put makes v the entry for key's bytes raw, dropping an arbitrary entry when full.
func (c *recordCache[T]) put(key string, raw []byte, v *T) {
	c.mu.Lock()
	if _, present := c.entries[key]; !present && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = cachedRecord[T]{raw: bytes.Clone(raw), v: v}
	c.mu.Unlock()
}

// forget drops key's entry (a deleted record: its memory is not kept for bytes that will
// not come back).
func (c *recordCache[T]) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// clone returns a deep copy of *v: every pointer, slice, map and interface reachable through
// exported fields is copied, so nothing the copy reaches is shared with v. Unexported fields
// are copied as values (in the records that is time.Time's, whose *Location is immutable).
// It is reflective so that a field added to a record is copied without anyone remembering to;
// TestCloneSharesNothing checks every record type.
func clone[T any](v *T) *T {
	out := new(T)
	reflect.ValueOf(out).Elem().Set(cloneValue(reflect.ValueOf(v).Elem()))
	return out
}

func cloneValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(cloneValue(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if f := n.Field(i); f.CanSet() && hasReferences(f.Kind()) {
				f.Set(cloneValue(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if !hasReferences(v.Type().Elem().Kind()) {
			reflect.Copy(n, v)
			return n
		}
		for i := range v.Len() {
			n.Index(i).Set(cloneValue(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(it.Key(), cloneValue(it.Value()))
		}
		return n
	case reflect.Interface:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(cloneValue(v.Elem()))
		return n
	case reflect.Array:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		if hasReferences(v.Type().Elem().Kind()) {
			for i := range v.Len() {
				n.Index(i).Set(cloneValue(v.Index(i)))
			}
		}
		return n
	default:
		return v
	}
}

// hasReferences reports whether a value of kind k may reach memory another value shares
// (a struct or array is looked into by cloneValue).
func hasReferences(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Map, reflect.Interface, reflect.Array:
		return true
	}
	return false
}
