// Package boltstore is hostsim's file-backed store.Store: one bbolt bucket whose values carry
// their own expiry (read lazily, removed by Sweep) and version.
//
// # Record layout
//
// A record is a 16-byte header and the value:
//
//	[0:8]   flagV2 | expiry (unix nanoseconds, big-endian; 0 = never)
//	[8:16]  version (big-endian), drawn from the bucket's sequence
//	[16:]   value
//
// Files written before versions existed hold legacy records: an 8-byte expiry (top bit clear:
// no positive unix-nanosecond time sets it) and the value. They are read as they are, with
// version legacyVersion, and every write replaces them by a current record. Each key has at
// most one legacy incarnation (the one in the file at the upgrade) and the sequence is kept
// above legacyVersion, so a legacy version is never handed out again either.
//
// # Atomicity
//
// Put, Delete and Commit each run in one bbolt read-write transaction; bbolt runs those one at
// a time, so a commit's conditions and writes see no other write in between, and an
// ErrConflict rolls the transaction back.
package boltstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/poolgate/poolgate/internal/store"
)

const (
	// lockTimeout bounds the wait for the file lock another process may hold.
	lockTimeout = 2 * time.Second
	// maxListLimit is the largest page List returns, and its default.
	maxListLimit = 1000
	// headerLen is the size of the header (flagged expiry, version) before a value.
	headerLen = 16
	// legacyHeaderLen is the size of a legacy record's header (the expiry alone).
	legacyHeaderLen = 8
	// flagV2 marks the expiry word of a current record.
	flagV2 = 1 << 63
	// legacyVersion is the version of every legacy record; the bucket sequence starts above it.
	legacyVersion store.Version = 1
)

var bucket = []byte("kv")

// Store is a store.Store in one bbolt file. It is safe for concurrent use.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the bbolt file at path, reading the time from now
// (nil: time.Now). If another process holds the file, Open fails after a short wait.
func Open(path string, now func() time.Time) (*Store, error) {
	return open(path, now, lockTimeout)
}

func open(path string, now func() time.Time, timeout time.Duration) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("boltstore: data dir is in use by another poolgate (%s is locked): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		if b.Sequence() < uint64(legacyVersion) {
			return b.SetSequence(uint64(legacyVersion))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: create bucket in %s: %w", path, err)
	}
	return &Store{db: db, now: now}, nil
}

// Close releases the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}

// Get returns the value under key, or store.ErrNotFound if it is missing or expired.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	now := s.now()
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucket).Get([]byte(key))
		if raw == nil {
			return store.ErrNotFound
		}
		r, err := decode(raw, now)
		if err != nil {
			return fmt.Errorf("boltstore: key %q: %w", key, err)
		}
		if !r.live {
			return store.ErrNotFound
		}
		out = append([]byte{}, r.value...) // raw is only valid inside the transaction
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetEntry returns the value under key with its version, or store.ErrNotFound if it is
// missing or expired.
func (s *Store) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	if err := ctx.Err(); err != nil {
		return store.Entry{}, err
	}
	if err := checkKey(key); err != nil {
		return store.Entry{}, err
	}
	now := s.now()
	var out store.Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucket).Get([]byte(key))
		if raw == nil {
			return store.ErrNotFound
		}
		r, err := decode(raw, now)
		if err != nil {
			return fmt.Errorf("boltstore: key %q: %w", key, err)
		}
		if !r.live {
			return store.ErrNotFound
		}
		out = store.Entry{Value: append([]byte{}, r.value...), Version: r.version}
		return nil
	})
	if err != nil {
		return store.Entry{}, err
	}
	return out, nil
}

// Commit applies ops in one transaction if every condition holds, else returns
// store.ErrConflict having written nothing. A commit's writes share one new version.
func (s *Store) Commit(ctx context.Context, ops []store.Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckCommit(ops); err != nil {
		return err
	}
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for _, op := range ops {
			if !op.Conditional {
				continue
			}
			cur := store.NoVersion
			if raw := b.Get([]byte(op.Key)); raw != nil {
				r, err := decode(raw, now)
				if err != nil {
					return fmt.Errorf("key %q: %w", op.Key, err)
				}
				if r.live {
					cur = r.version
				}
			}
			if cur != op.IfVersion {
				return store.ErrConflict
			}
		}
		var version store.Version
		for _, op := range ops {
			var err error
			switch op.Kind {
			case store.OpPut:
				if version == store.NoVersion {
					if version, err = nextVersion(b); err != nil {
						return err
					}
				}
				err = b.Put([]byte(op.Key), encode(op.Value, expiry(now, op.TTL), version))
			case store.OpDelete:
				err = b.Delete([]byte(op.Key))
			}
			if err != nil {
				return fmt.Errorf("key %q: %w", op.Key, err)
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.ErrConflict
	case err != nil:
		return fmt.Errorf("boltstore: commit: %w", err)
	}
	return nil
}

// nextVersion draws a version from the bucket's sequence, which only grows.
func nextVersion(b *bolt.Bucket) (store.Version, error) {
	seq, err := b.NextSequence()
	if err != nil {
		return store.NoVersion, err
	}
	return store.Version(seq), nil
}

// expiry is when a key written at now with ttl expires (zero: never).
func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(max(ttl, store.MinTTL))
}

// Put writes value under key, expiring after opts.TTL (rounded up to store.MinTTL) when positive.
func (s *Store) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	expires := expiry(s.now(), opts.TTL)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		version, err := nextVersion(b)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), encode(value, expires, version))
	})
	if err != nil {
		return fmt.Errorf("boltstore: put %q: %w", key, err)
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("boltstore: delete %q: %w", key, err)
	}
	return nil
}

// List returns up to limit live keys starting with prefix, after cursor, in ascending byte order.
// The cursor is the last key returned, base64url-encoded.
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
	pre := []byte(prefix)
	var page store.Page
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		var k, v []byte
		if cursor != "" && string(after) >= prefix {
			k, v = c.Seek(after)
			if bytes.Equal(k, after) {
				k, v = c.Next()
			}
		} else {
			k, v = c.Seek(pre)
		}
		for n := 0; k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			r, err := decode(v, now)
			if err != nil {
				return fmt.Errorf("boltstore: key %q: %w", k, err)
			}
			if !r.live {
				continue
			}
			if len(page.Keys) == limit {
				// A further live key exists: the listing is not complete.
				page.Cursor = encodeCursor(page.Keys[limit-1])
				return nil
			}
			page.Keys = append(page.Keys, string(k))
		}
		return nil
	})
	if err != nil {
		return store.Page{}, err
	}
	return page, nil
}

// Sweep deletes every expired key. hostsim calls it periodically; reads already ignore
// expired keys, so Sweep only reclaims space.
func (s *Store) Sweep() error {
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if r, err := decode(v, now); err == nil && !r.live {
				dead = append(dead, append([]byte{}, k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Deleting while iterating makes a bbolt cursor skip keys, so delete afterwards.
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("boltstore: sweep: %w", err)
	}
	return nil
}

// encode prefixes value with its header (see the package documentation).
func encode(value []byte, expires time.Time, version store.Version) []byte {
	raw := make([]byte, headerLen+len(value))
	var exp uint64
	if !expires.IsZero() {
		exp = uint64(max(expires.UnixNano(), 1)) &^ flagV2
	}
	binary.BigEndian.PutUint64(raw, flagV2|exp)
	binary.BigEndian.PutUint64(raw[legacyHeaderLen:], uint64(version))
	copy(raw[headerLen:], value)
	return raw
}

// record is a decoded record; value aliases the raw bytes.
type record struct {
	value   []byte
	version store.Version
	live    bool // not expired at the time given to decode
}

// decode splits a stored record, current or legacy, and reports whether it is live at now.
func decode(raw []byte, now time.Time) (record, error) {
	if len(raw) < legacyHeaderLen {
		return record{}, fmt.Errorf("record of %d bytes is shorter than its header", len(raw))
	}
	exp := binary.BigEndian.Uint64(raw)
	r := record{value: raw[legacyHeaderLen:], version: legacyVersion}
	if exp&flagV2 != 0 {
		if len(raw) < headerLen {
			return record{}, fmt.Errorf("record of %d bytes is shorter than its %d-byte header", len(raw), headerLen)
		}
		exp &^= flagV2
		r.version = store.Version(binary.BigEndian.Uint64(raw[legacyHeaderLen:]))
		r.value = raw[headerLen:]
		if r.version <= legacyVersion {
			return record{}, fmt.Errorf("record has version %d", r.version)
		}
	}
	r.live = exp == 0 || now.UnixNano() < int64(exp)
	return r, nil
}

// checkKey enforces the key rules every backend shares (those of Workers KV).
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("boltstore: empty key")
	case len(key) > store.MaxKeyLen:
		return fmt.Errorf("boltstore: key of %d bytes exceeds %d", len(key), store.MaxKeyLen)
	case key == "." || key == "..":
		return fmt.Errorf("boltstore: key %q is not allowed", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("boltstore: key is not valid UTF-8")
	}
	return nil
}

func encodeCursor(lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

func decodeCursor(cursor string) ([]byte, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) == 0 || len(b) > store.MaxKeyLen {
		return nil, fmt.Errorf("boltstore: invalid cursor")
	}
	return b, nil
}
