// Package boltstore is hostsim's file-backed store.Store: one bbolt bucket whose values carry
// their own expiry, read lazily and removed by Sweep.
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
	// headerLen is the size of the expiry (unix nanoseconds, big-endian; 0 = never) that
	// precedes every stored value.
	headerLen = 8
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
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
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
		value, live, err := decode(raw, now)
		if err != nil {
			return fmt.Errorf("boltstore: key %q: %w", key, err)
		}
		if !live {
			return store.ErrNotFound
		}
		out = append([]byte{}, value...) // raw is only valid inside the transaction
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Put writes value under key, expiring after opts.TTL (rounded up to store.MinTTL) when positive.
func (s *Store) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	var expires time.Time
	if opts.TTL > 0 {
		expires = s.now().Add(max(opts.TTL, store.MinTTL))
	}
	raw := encode(value, expires)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte(key), raw)
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
			_, live, err := decode(v, now)
			if err != nil {
				return fmt.Errorf("boltstore: key %q: %w", k, err)
			}
			if !live {
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
			if _, live, err := decode(v, now); err == nil && !live {
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

// encode prefixes value with its expiry.
func encode(value []byte, expires time.Time) []byte {
	raw := make([]byte, headerLen+len(value))
	if !expires.IsZero() {
		binary.BigEndian.PutUint64(raw, uint64(expires.UnixNano()))
	}
	copy(raw[headerLen:], value)
	return raw
}

// decode splits a stored record and reports whether it is live at now.
func decode(raw []byte, now time.Time) (value []byte, live bool, err error) {
	if len(raw) < headerLen {
		return nil, false, fmt.Errorf("record of %d bytes is shorter than its %d-byte header", len(raw), headerLen)
	}
	exp := binary.BigEndian.Uint64(raw)
	live = exp == 0 || now.UnixNano() < int64(exp)
	return raw[headerLen:], live, nil
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
