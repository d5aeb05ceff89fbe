package jose

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// FetchTimeout bounds one fetch of a RemoteKeys.
const FetchTimeout = 10 * time.Second

// RemoteKeys caches the key set of one issuer, fetched with an injected function (the host's
// outbound fetch, or a read of poolgate's own keys) and judged by an injected clock.
//
// Keys are trusted for TTL after a successful fetch. A kid the cache does not know triggers a
// fetch, and so does a stale cache; after any fetch, successful or not, no fetch happens for
// Penalty (the penalty box: whatever tokens arrive, with made-up kids or not, the issuer sees
// at most one fetch per Penalty). Fetches are single-flight: callers arriving during a
// fetch wait for it and use its result. When a fetch fails, keys already cached keep
// verifying: an outage of the issuer's endpoint does not stop tokens whose keys are known.
// A RemoteKeys is safe for concurrent use.
type RemoteKeys struct {
	Name    string                                    // for log lines and errors (an issuer)
	Fetch   func(ctx context.Context) ([]byte, error) // returns a JWKS document
	Now     func() time.Time                          // nil: time.Now
	TTL     time.Duration
	Penalty time.Duration
	Logf    func(format string, args ...any) // nil: no logging
	// Changed, when set, is called (without locks held) after a fetch brought other keys
	// than the cached ones.
	Changed func()

	fetchMu sync.Mutex // held across a fetch: one fetch at a time

	mu        sync.Mutex
	keys      *Keys     // nil: never fetched successfully
	fetchedAt time.Time // last successful fetch
	nextFetch time.Time // no fetch before this (penalty box)
	fetches   int       // fetch attempts
}

func (s *RemoteKeys) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *RemoteKeys) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Key returns the key named kid (see Keys.Lookup for tokens without a kid), fetching the set
// when the cache is stale or does not know kid, subject to the penalty box. Errors matching
// ErrUnknownKey are verdicts on the token; ErrKeysUnavailable means no keys could be
// obtained at all.
func (s *RemoteKeys) Key(ctx context.Context, kid string) (*Key, error) {
	now := s.now()
	s.mu.Lock()
	keys, fetchedAt, nextFetch := s.keys, s.fetchedAt, s.nextFetch
	s.mu.Unlock()
	fresh := keys != nil && now.Before(fetchedAt.Add(s.TTL))
	if fresh {
		k, err := keys.Lookup(kid)
		if err == nil || kid == "" {
			return k, err // a token without kid gives no reason to fetch
		}
	}
	if now.Before(nextFetch) {
		return s.cached(kid)
	}

	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.Lock()
	if !s.fetchedAt.Equal(fetchedAt) || s.keys != keys || now.Before(s.nextFetch) {
		// Another caller fetched (or failed) while this one waited: use its result.
		s.mu.Unlock()
		return s.cached(kid)
	}
	s.fetches++
	s.mu.Unlock()

	fctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	body, err := s.Fetch(fctx)
	cancel()
	var got *Keys
	skipped := 0
	if err == nil {
		got, skipped, err = ParseJWKS(body)
	}

	s.mu.Lock()
	if err != nil {
		s.nextFetch = now.Add(s.Penalty)
		s.mu.Unlock()
		s.logf("jose: keys of %s: %v (cached keys stay in use; next try in %v)", s.Name, err, s.Penalty)
		if s.keysOrNil() == nil {
			return nil, fmt.Errorf("%w: keys of %s: %v", ErrKeysUnavailable, s.Name, err)
		}
		return s.cached(kid)
	}
	changed := s.keys != nil && !s.keys.Equal(got)
	s.keys, s.fetchedAt, s.nextFetch = got, now, now.Add(s.Penalty)
	k, lerr := got.Lookup(kid)
	s.mu.Unlock()
	if skipped > 0 {
		s.logf("jose: keys of %s: skipped %d unusable key(s)", s.Name, skipped)
	}
	if changed && s.Changed != nil {
		s.Changed()
	}
	return k, lerr
}

func (s *RemoteKeys) keysOrNil() *Keys {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys
}

// cached looks kid up in the cached keys, without fetching.
func (s *RemoteKeys) cached(kid string) (*Key, error) {
	keys := s.keysOrNil()
	if keys == nil {
		return nil, fmt.Errorf("%w: keys of %s are not available (fetching is paused after a failure)", ErrKeysUnavailable, s.Name)
	}
	return keys.Lookup(kid)
}

// TrustedUntil is when the cached keys stop being trusted without a fetch: the zero time
// when they are stale or there are none.
func (s *RemoteKeys) TrustedUntil(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.fetchedAt.Add(s.TTL)
	if s.keys == nil || !now.Before(end) {
		return time.Time{}
	}
	return end
}

// Fetches reports how many fetches the set has attempted.
func (s *RemoteKeys) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}
