package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Version identifies one write of a key. Versions of a key only grow, across deletes and
// re-creations too (backends draw them from one counter per shard), so a version is never
// reused and a compare-and-swap cannot be fooled by a key that was deleted and written again.
type Version uint64

// NoVersion is the version of an absent (or expired) key.
const NoVersion Version = 0

// Entry is a value with the version of the write that made it.
type Entry struct {
	Value   []byte
	Version Version
}

// MaxCommitOps bounds the operations of one Commit.
const MaxCommitOps = 64

// OpKind says what an Op does to its key once every condition holds.
type OpKind uint8

const (
	// OpCheck only checks the condition; the key is left as it is.
	OpCheck OpKind = iota
	// OpPut writes Value (with TTL, as Put).
	OpPut
	// OpDelete removes the key (absent is not an error).
	OpDelete
)

// Op is one step of a Commit: an optional condition on the key's current version and an action.
type Op struct {
	Key  string
	Kind OpKind
	// Conditional: the key's version must be exactly IfVersion (NoVersion: the key must be
	// absent) for the commit to apply.
	Conditional bool
	IfVersion   Version
	Value       []byte        // OpPut
	TTL         time.Duration // OpPut: as PutOptions.TTL
}

// Create writes key only if it is absent: the one-winner operation for unique names and
// single-use markers (a consumed SRP answer, a used code).
func Create(key string, value []byte, ttl time.Duration) Op {
	return Op{Key: key, Kind: OpPut, Conditional: true, IfVersion: NoVersion, Value: value, TTL: ttl}
}

// PutIf writes key only if its version is still v (NoVersion: absent).
func PutIf(key string, v Version, value []byte, ttl time.Duration) Op {
	return Op{Key: key, Kind: OpPut, Conditional: true, IfVersion: v, Value: value, TTL: ttl}
}

// DeleteIf removes key only if its version is still v.
func DeleteIf(key string, v Version) Op {
	return Op{Key: key, Kind: OpDelete, Conditional: true, IfVersion: v}
}

// Check makes the commit depend on key still being at version v, without writing it.
func Check(key string, v Version) Op {
	return Op{Key: key, Kind: OpCheck, Conditional: true, IfVersion: v}
}

// Set writes key whatever its version (an unconditional put inside a commit).
func Set(key string, value []byte, ttl time.Duration) Op {
	return Op{Key: key, Kind: OpPut, Value: value, TTL: ttl}
}

// Remove deletes key whatever its version (an unconditional delete inside a commit).
func Remove(key string) Op {
	return Op{Key: key, Kind: OpDelete}
}

// Shard names the unit of atomicity a key belongs to. A Commit's keys must share one shard:
// the Worker keeps each shard in one Durable Object, which is what makes its commits atomic.
// A user pool's users, their index keys, groups, memberships, single-use markers, lockout
// records, signing keys, resource servers, identity providers, provider links, spent SAML
// assertions, branding, remembered devices and user import jobs form the pool's shard
// ("p/<pool id>"); everything else (pools themselves, which ListUserPools lists in one place,
// the client index, the domain index, identity pools and identities) is in the shard "global".
func Shard(key string) string {
	kind, rest, ok := strings.Cut(key, "/")
	if !ok || !poolScoped[kind] {
		return "global"
	}
	pool, _, _ := strings.Cut(rest, "/")
	return "p/" + pool
}

// poolScoped are the key kinds whose second segment is a user pool id.
var poolScoped = map[string]bool{
	"upc": true, "uu": true, "ux": true, "ug": true, "ugm": true,
	"rv": true, "rtu": true, "srpu": true, "lk": true, "cu": true, "key": true,
	"urs": true, "uip": true, "uii": true, "oac": true, "ufl": true, "sar": true,
	"uic": true, "mlb": true, "mlc": true, "mfau": true, "dev": true, "uij": true, "uib": true,
	"rsk": true, "uae": true, // risk configurations, auth events (userpool risk_config.go, auth_events.go)
}

// CheckKey enforces the key rules every backend shares (those of Workers KV): non-empty valid
// UTF-8 of at most MaxKeyLen bytes, not "." or "..".
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("store: empty key")
	case len(key) > MaxKeyLen:
		return fmt.Errorf("store: key of %d bytes exceeds %d", len(key), MaxKeyLen)
	case key == "." || key == "..":
		return fmt.Errorf("store: key %q is not allowed", key)
	case !utf8.ValidString(key):
		return fmt.Errorf("store: key is not valid UTF-8")
	}
	return nil
}

// CheckCommit enforces the rules every backend's Commit shares: 1..MaxCommitOps ops,
// valid (CheckKey) and distinct keys, one shard, valid kinds. Backends call it first; so does
// a host that receives a commit from a guest, to answer a broken one as invalid.
func CheckCommit(ops []Op) error {
	if len(ops) == 0 || len(ops) > MaxCommitOps {
		return fmt.Errorf("store: a commit has 1..%d operations, not %d", MaxCommitOps, len(ops))
	}
	shard := Shard(ops[0].Key)
	seen := make(map[string]bool, len(ops))
	for _, op := range ops {
		if err := CheckKey(op.Key); err != nil {
			return err
		}
		if seen[op.Key] {
			return fmt.Errorf("store: commit names key %.80q twice", op.Key)
		}
		seen[op.Key] = true
		if s := Shard(op.Key); s != shard {
			return fmt.Errorf("store: commit spans shards %.80q and %.80q", shard, s)
		}
		if op.Kind > OpDelete {
			return fmt.Errorf("store: unknown op kind %d", op.Kind)
		}
		if op.Kind == OpCheck && !op.Conditional {
			return fmt.Errorf("store: a check without a condition")
		}
	}
	return nil
}

// MaxAttempts bounds Retry: enough for every writer of a contended key to win in turn
// under the concurrency a host gives one key (hostsim's instances, one isolate's requests).
const MaxAttempts = 64

// ErrContended is returned by Retry when every attempt conflicted.
var ErrContended = errors.New("store: too many concurrent writes to the same record")

// Retry runs attempt (which reads, decides and commits) until it returns anything but
// ErrConflict, at most MaxAttempts times; then it returns ErrContended.
func Retry(ctx context.Context, attempt func() error) error {
	for range MaxAttempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := attempt()
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return ErrContended
}
