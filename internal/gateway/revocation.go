package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/jose"
)

// UserState is what the gateway needs to know about a token's user to honour sign-outs.
type UserState struct {
	Found            bool // false: the pool or the user no longer exists
	Sub              string
	Enabled          bool
	TokensValidAfter time.Time // tokens with an earlier iat are revoked
}

// maxCacheEntries bounds each revocation cache of an instance.
const maxCacheEntries = 8192

// ttlCache is a small per-instance cache with a time to live per entry and a bounded size.
type ttlCache[V any] struct {
	mu      sync.Mutex
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

// get returns the value kept for key and when it expires.
func (c *ttlCache[V]) get(key string, now time.Time) (V, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, time.Time{}, false
	}
	return e.v, e.expires, true
}

func (c *ttlCache[V]) put(key string, v V, now time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]ttlEntry[V]{}
	}
	if len(c.entries) >= maxCacheEntries {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		// Still full of live entries: drop an arbitrary eighth (map order is random).
		for k := range c.entries {
			if len(c.entries) < maxCacheEntries*7/8 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = ttlEntry[V]{v, now.Add(ttl)}
}

// revocation answers "was this token revoked?" for tokens of poolgate's pools, caching what
// it read from the store for the route's revocation TTL.
type revocation struct {
	pools    Pools
	users    ttlCache[UserState]
	families ttlCache[bool]
}

// revoked reports whether a verified token of pool poolID has been revoked: its user is
// gone, was replaced (another sub), is disabled, signed out after iat, or its sign-in
// (origin_jti) was revoked. until is when the cached state the answer rests on expires (now
// when nothing is cached: a ttl of 0).
func (r *revocation) revoked(ctx context.Context, poolID string, claims *jose.Claims, ttl time.Duration, now time.Time) (revoked bool, until time.Time, err error) {
	username := claims.String("username")
	if username == "" {
		username = claims.String("cognito:username")
	}
	sub := claims.Subject
	if username == "" || sub == "" || claims.IssuedAt == nil {
		return true, now, nil // a poolgate token always has them: refuse what cannot be checked
	}
	until = now.Add(ttl)
	key := poolID + "\x00" + username
	st, exp, ok := r.users.get(key, now)
	if !ok {
		if st, err = r.pools.UserState(ctx, poolID, username); err != nil {
			return false, now, err
		}
		r.users.put(key, st, now, ttl)
	} else {
		until = exp
	}
	if !st.Found || !st.Enabled || st.Sub != sub || int64(*claims.IssuedAt) < st.TokensValidAfter.Unix() {
		return true, now, nil
	}
	origin := claims.String("origin_jti")
	if origin == "" {
		return false, until, nil
	}
	fkey := poolID + "\x00" + origin
	rv, exp, ok := r.families.get(fkey, now)
	if !ok {
		if rv, err = r.pools.FamilyRevoked(ctx, poolID, origin); err != nil {
			return false, now, err
		}
		r.families.put(fkey, rv, now, ttl)
	} else if exp.Before(until) {
		until = exp
	}
	return rv, until, nil
}
