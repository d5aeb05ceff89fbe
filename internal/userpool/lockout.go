package userpool

import (
	"context"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// Lockout (spec §2.6): after lockoutThreshold consecutive failed password checks, every
// further attempt is refused until LockedUntil = last failure + 2^(n−lockoutThreshold) s,
// capped at maxLockout; a correct password resets the count.
const (
	lockoutThreshold = 5
	maxLockout       = 15 * time.Minute
)

// checkLockout refuses an attempt while u is locked out, before any password work is done.
func (s *Service) checkLockout(u *User) error {
	if s.now().Before(u.LockedUntil) {
		return awsjson.NotAuthorized("Password attempts exceeded")
	}
	return nil
}

// recordFailure counts a failed password check against u and saves u.
func (s *Service) recordFailure(ctx context.Context, p *Pool, u *User) error {
	prev := cloneUser(u)
	u.FailedAttempts++
	if n := u.FailedAttempts - lockoutThreshold; n >= 0 {
		u.LockedUntil = s.now().Add(lockoutDelay(n))
	}
	return s.putUser(ctx, p, u, prev)
}

// lockoutDelay is 2^n seconds, capped at maxLockout.
func lockoutDelay(n int) time.Duration {
	if n >= 10 { // 2^10 s already exceeds the cap
		return maxLockout
	}
	return min(time.Duration(1<<n)*time.Second, maxLockout)
}

// clearFailures resets the failure count after a correct password and reports whether u
// changed (the caller saves it).
func clearFailures(u *User) bool {
	if u.FailedAttempts == 0 && u.LockedUntil.IsZero() {
		return false
	}
	u.FailedAttempts = 0
	u.LockedUntil = time.Time{}
	return true
}
