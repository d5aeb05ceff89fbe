// Package memstore is the in-memory store.Store: a map plus a sorted key index, with TTLs read
// from an injected clock.
package memstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/store"
)

// maxListLimit is the largest page List returns, and its default.
const maxListLimit = 1000

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]entry
	keys    []string      // every key in entries, ascending
	version store.Version // the last version handed out; versions never repeat
}

type entry struct {
	value   []byte
	expires time.Time // zero: never
	version store.Version
}

func (e entry) expired(now time.Time) bool {
	return !e.expires.IsZero() && !now.Before(e.expires)
}

// New returns an empty Store reading the time from now (nil: time.Now).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, entries: make(map[string]entry)}
}

var _ store.Store = (*Store)(nil)

// Get returns a copy of the value under key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	if e.expired(now) {
		s.remove(key)
		return nil, store.ErrNotFound
	}
	return append([]byte{}, e.value...), nil
}

// Put stores a copy of value under key.
func (s *Store) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	e := entry{value: append([]byte{}, value...)}
	if opts.TTL > 0 {
		e.expires = s.now().Add(max(opts.TTL, store.MinTTL))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(key, e)
	return nil
}

// set stores e under key with a fresh version; s.mu must be held.
func (s *Store) set(key string, e entry) {
	if _, ok := s.entries[key]; !ok {
		i, _ := slices.BinarySearch(s.keys, key)
		s.keys = slices.Insert(s.keys, i, key)
	}
	s.version++
	e.version = s.version
	s.entries[key] = e
}

// GetEntry returns a copy of the value under key with its version, or store.ErrNotFound.
func (s *Store) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	if err := ctx.Err(); err != nil {
		return store.Entry{}, err
	}
	if err := checkKey(key); err != nil {
		return store.Entry{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok || e.expired(now) {
		return store.Entry{}, store.ErrNotFound
	}
	return store.Entry{Value: append([]byte{}, e.value...), Version: e.version}, nil
}

// Commit applies ops under the store's lock if every condition holds, else returns
// store.ErrConflict having written nothing.
func (s *Store) Commit(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckCommit(ops); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		if !op.Conditional {
			continue
		}
		cur := store.NoVersion
		if e, ok := s.entries[op.Key]; ok && !e.expired(now) {
			cur = e.version
		}
		if cur != op.IfVersion {
			return store.ErrConflict
		}
	}
	for _, op := range ops {
		switch op.Kind {
		case store.OpPut:
			e := entry{value: append([]byte{}, op.Value...)}
			if op.TTL > 0 {
				e.expires = now.Add(max(op.TTL, store.MinTTL))
			}
			s.set(op.Key, e)
		case store.OpDelete:
			s.remove(op.Key)
		}
	}
	return nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(key)
	return nil
}

// List returns up to limit live keys starting with prefix, after cursor, in ascending byte order.
func (s *Store) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return store.Page{}, err
	}
	if limit <= 0 || limit > maxListLimit {
		limit = maxListLimit
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()

	i, _ := slices.BinarySearch(s.keys, prefix)
	if cursor != "" && after >= prefix {
		var found bool
		i, found = slices.BinarySearch(s.keys, after)
		if found {
			i++
		}
	}
	var page store.Page
	var dead []string
	for ; i < len(s.keys) && strings.HasPrefix(s.keys[i], prefix); i++ {
		k := s.keys[i]
		if s.entries[k].expired(now) {
			dead = append(dead, k)
			continue
		}
		if len(page.Keys) == limit {
			// A further live key exists: the listing is not complete.
			page.Cursor = encodeCursor(page.Keys[limit-1])
			break
		}
		page.Keys = append(page.Keys, k)
	}
	for _, k := range dead {
		s.remove(k)
	}
	return page, nil
}

// remove deletes key from the map and the index; s.mu must be held.
func (s *Store) remove(key string) {
	if _, ok := s.entries[key]; !ok {
		return
	}
	delete(s.entries, key)
	if i, found := slices.BinarySearch(s.keys, key); found {
		s.keys = slices.Delete(s.keys, i, i+1)
	}
}

// checkKey enforces the key rules every backend shares (those of Workers KV).
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("memstore: empty key")
	case len(key) > store.MaxKeyLen:
		return fmt.Errorf("memstore: key of %d bytes exceeds %d", len(key), store.MaxKeyLen)
	case key == "." || key == "..":
		return fmt.Errorf("memstore: key %q is not allowed", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("memstore: key is not valid UTF-8")
	}
	return nil
}

// A cursor is the last key of the previous page, base64url-encoded.
func encodeCursor(lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

func decodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) == 0 || len(b) > store.MaxKeyLen {
		return "", fmt.Errorf("memstore: invalid cursor")
	}
	return string(b), nil
}
