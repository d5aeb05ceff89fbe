// Package store defines the key-value interface every poolgate backend implements
// (memory, hostsim's bbolt file, Workers KV) and the errors they share.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrConflict is returned by Commit when a condition of the commit did not hold; nothing
// was written. Callers read again and retry (see Retry), or report the conflict.
var ErrConflict = errors.New("store: conflicting write")

// ErrNotFound is returned by Get for a key that does not exist (or has expired).
var ErrNotFound = errors.New("store: key not found")

// MaxKeyLen is the longest key a backend must accept (Workers KV's limit).
const MaxKeyLen = 512

// MinTTL is the shortest TTL every backend honours (Workers KV's limit);
// callers asking for less get MinTTL.
const MinTTL = 60 * time.Second

// PutOptions qualify a Put.
type PutOptions struct {
	// TTL, when positive, makes the key expire after that long (rounded up to MinTTL).
	TTL time.Duration
}

// Page is one page of a List.
type Page struct {
	Keys []string // in ascending byte order
	// Cursor resumes the listing after the last key of this page; empty when the listing is complete.
	Cursor string
}

// Store is a key-value store with expiring keys and atomic conditional commits.
// Implementations must be safe for concurrent use, from many goroutines and (hostsim's
// instance pool, the Worker's isolates) many processes at once: Commit is the only way to
// make a read-modify-write safe, and every domain write that depends on what it read uses it.
type Store interface {
	// Get returns the value for key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put writes value under key, replacing any previous value.
	Put(ctx context.Context, key string, value []byte, opts PutOptions) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns up to limit keys (limit <= 0 means a backend default, at most 1000)
	// that start with prefix, in ascending order, starting after cursor.
	List(ctx context.Context, prefix, cursor string, limit int) (Page, error)

	// GetEntry returns the value under key with its version, or ErrNotFound
	// (an absent or expired key has version NoVersion).
	GetEntry(ctx context.Context, key string) (Entry, error)
	// Commit applies ops atomically: either every condition holds at one instant and every
	// write is applied, or nothing is written and the error is ErrConflict. Ops name distinct
	// keys, at most MaxCommitOps of them, all in one Shard.
	Commit(ctx context.Context, ops []Op) error
}
