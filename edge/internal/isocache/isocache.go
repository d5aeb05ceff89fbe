// Package isocache is the Worker's per-isolate cache of configuration records: a store.Store
// in front of the Durable Object store that answers Get of the keys it is told to cache from
// memory for a while, so a warm request does not pay a store round trip for the pool and
// app client it reads every time.
//
// What a user sees (README, "Caching at the edge"): a change made through this isolate
// (UpdateUserPool, UpdateUserPoolClient, deletes) is seen by it at once, because every
// write through the cache drops the keys it writes; a change made through another isolate
// is seen here within the TTL. Only plain Get is cached: GetEntry, which transactions
// (internal/txn) and every read-modify-write use, always reads the store, so no write is
// ever decided on a cached value, and a conflict cannot repeat from stale memory.
package isocache

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// DefaultTTL is how long a record is served from memory: within Workers KV's own
// consistency window (about 60 s), and under store.MinTTL, the shortest expiry any record
// can have, so a record written with a TTL never outlives its expiry here by more than the
// store itself allows.
const DefaultTTL = 30 * time.Second

// maxEntries bounds the memory the cache holds (a few pools and their clients is usual).
const maxEntries = 512

// Store caches Get of the keys cacheable accepts for ttl. Safe for concurrent use.
type Store struct {
	store.Store
	ttl       time.Duration
	now       func() time.Time
	cacheable func(key string) bool

	mu      sync.Mutex
	entries map[string]entry
	// gen counts writes; a Get that read the store before a write of any key may not fill
	// the cache with what it read (it may be the value the write replaced).
	gen uint64
}

type entry struct {
	value []byte
	until time.Time
}

// New returns st with a cache of the keys cacheable accepts, each kept ttl by now's clock
// (the wall clock: a frozen test clock would keep records forever). A ttl of 0 or less
// returns st itself: no cache (hostsim, whose store is local).
func New(st store.Store, ttl time.Duration, now func() time.Time, cacheable func(string) bool) store.Store {
	if ttl <= 0 {
		return st
	}
	return &Store{Store: st, ttl: ttl, now: now, cacheable: cacheable, entries: map[string]entry{}}
}

// Get answers a cacheable key from memory while its entry is fresh, else from the store
// (remembering a found value; a missing key is not remembered, so a record created
// elsewhere is seen at once).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if !s.cacheable(key) {
		return s.Store.Get(ctx, key)
	}
	now := s.now()
	s.mu.Lock()
	e, ok := s.entries[key]
	gen := s.gen
	s.mu.Unlock()
	if ok && now.Before(e.until) {
		return bytes.Clone(e.value), nil
	}
	v, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.gen == gen {
		if _, present := s.entries[key]; !present && len(s.entries) >= maxEntries {
			s.dropExpired(now)
		}
		if len(s.entries) < maxEntries {
			s.entries[key] = entry{value: bytes.Clone(v), until: now.Add(s.ttl)}
		}
	}
	s.mu.Unlock()
	return v, nil
}

// dropExpired removes stale entries, and an arbitrary one if none is. s.mu is held.
func (s *Store) dropExpired(now time.Time) {
	n := len(s.entries)
	for k, e := range s.entries {
		if !now.Before(e.until) {
			delete(s.entries, k)
		}
	}
	if len(s.entries) == n {
		for k := range s.entries {
			delete(s.entries, k)
			break
		}
	}
}

// forget drops keys' entries and makes Gets in flight not fill the cache.
func (s *Store) forget(keys ...string) {
	s.mu.Lock()
	s.gen++
	for _, k := range keys {
		delete(s.entries, k)
	}
	s.mu.Unlock()
}

// Put writes through and drops key's entry (also when the write fails: its outcome is unknown).
func (s *Store) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	defer s.forget(key)
	return s.Store.Put(ctx, key, value, opts)
}

// Delete deletes through and drops key's entry.
func (s *Store) Delete(ctx context.Context, key string) error {
	defer s.forget(key)
	return s.Store.Delete(ctx, key)
}

// Commit commits through and drops the entries of every key it names (a conflict too: the
// key has changed under the commit).
func (s *Store) Commit(ctx context.Context, ops []store.Op) error {
	keys := make([]string, len(ops))
	for i, op := range ops {
		keys[i] = op.Key
	}
	defer s.forget(keys...)
	return s.Store.Commit(ctx, ops)
}
