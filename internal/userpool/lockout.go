package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Lockout (spec §2.6): after lockoutThreshold consecutive failed password checks, every
// further attempt is refused until last failure + 2^(n−lockoutThreshold) s, capped at
// maxLockout; a correct password resets the count.
//
// The count lives in its own record, lk/<pool>/<sha256 of the name's key form>, not in the user:
// the name is the user's USER_ID_FOR_SRP (its canonical username), and for a name that belongs
// to no one, when the client prevents user-existence errors, the decoy's. So unknown names are
// locked out exactly like known ones, both paths read and write the same record kinds, and the
// state an attacker can create per unknown name is one small record that expires lockMemory
// after its last failure. Failures are counted with compare-and-swap: every attempt counts.
const (
	lockoutThreshold = 5
	maxLockout       = 15 * time.Minute
	// lockMemory is how long a failure count is remembered after the last failure.
	lockMemory = 24 * time.Hour
)

// lockState is a lk/ record.
type lockState struct {
	Failures    int       `json:"n"`
	LockedUntil time.Time `json:"until,omitempty"`
}

// lockKey is the lockout record of the sign-in name userID (a canonical username or a decoy's).
func lockKey(p *Pool, userID string) string {
	sum := sha256.Sum256([]byte(usernameKey(p, userID)))
	return "lk/" + p.Id + "/" + hex.EncodeToString(sum[:])
}

// loadLock reads a lockout record (the zero state with NoVersion when there is none).
func (s *Service) loadLock(ctx context.Context, key string) (lockState, store.Version, error) {
	var st lockState
	e, err := s.d.Store.GetEntry(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return st, store.NoVersion, nil
	}
	if err != nil {
		return st, 0, err
	}
	if err := json.Unmarshal(e.Value, &st); err != nil {
		return st, 0, fmt.Errorf("userpool: corrupt record %s: %w", key, err)
	}
	return st, e.Version, nil
}

// checkLockout refuses an attempt while st is locked out, before any password work is done.
func (s *Service) checkLockout(st lockState) error {
	if s.now().Before(st.LockedUntil) {
		return awsjson.NotAuthorized("Password attempts exceeded")
	}
	return nil
}

// recordFailure counts one failed password check against the lockout record key.
func (s *Service) recordFailure(ctx context.Context, key string) error {
	err := store.Retry(ctx, func() error {
		st, v, err := s.loadLock(ctx, key)
		if err != nil {
			return err
		}
		st.Failures++
		if n := st.Failures - lockoutThreshold; n >= 0 {
			st.LockedUntil = s.now().Add(lockoutDelay(n))
		}
		b, err := json.Marshal(&st)
		if err != nil {
			return err
		}
		return s.d.Store.Commit(ctx, []store.Op{store.PutIf(key, v, b, lockMemory)})
	})
	if errors.Is(err, store.ErrContended) {
		return concurrentModification()
	}
	return err
}

// lockoutDelay is 2^n seconds, capped at maxLockout.
func lockoutDelay(n int) time.Duration {
	if n >= 10 { // 2^10 s already exceeds the cap
		return maxLockout
	}
	return min(time.Duration(1<<n)*time.Second, maxLockout)
}

// clearFailures resets the count of key after a correct password, if it was read (at v) as
// present. Failures counted meanwhile are dropped with it: the password was right.
func (s *Service) clearFailures(ctx context.Context, key string, v store.Version) error {
	if v == store.NoVersion {
		return nil
	}
	return s.d.Store.Delete(ctx, key) // inside a transaction: with its commit
}
