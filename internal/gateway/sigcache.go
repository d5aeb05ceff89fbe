package gateway

import (
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/jose"
)

// Clients send the same token with every request until it expires, so the gateway keeps the
// tokens whose signature it has verified: a token seen again skips parsing and the signature
// check, and goes through every other check (issuer, algorithm, key still current, times,
// token_use, client, revocation, scopes, groups) as before. An entry is keyed by the exact
// token text, remembers the key that verified it (a rotated or removed key makes it count for
// nothing) and ends with the token's exp.

// Bounds of the verified-signature cache: entries and the size of a token worth keeping.
const (
	sigCacheEntries  = 1024
	sigCacheMaxToken = 4096
	sigCacheLife     = time.Hour
)

type sigEntry struct {
	t   *jose.JWS
	key *jose.Key
	exp time.Time
}

// sigCache is a bounded map of verified tokens; when full, it forgets the expired entries,
// and if none had expired, all of them.
type sigCache struct {
	mu sync.Mutex
	m  map[string]sigEntry
}

// get returns the parsed token and the key that verified raw, if raw is kept and unexpired.
func (c *sigCache) get(raw string, now time.Time) (*jose.JWS, *jose.Key, bool) {
	if len(raw) > sigCacheMaxToken {
		return nil, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[raw]
	if !ok {
		return nil, nil, false
	}
	if !now.Before(e.exp) {
		delete(c.m, raw)
		return nil, nil, false
	}
	return e.t, e.key, true
}

// put keeps raw, verified with key, until exp.
func (c *sigCache) put(raw string, t *jose.JWS, key *jose.Key, exp, now time.Time) {
	if len(raw) > sigCacheMaxToken || !now.Before(exp) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]sigEntry)
	}
	if len(c.m) >= sigCacheEntries {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= sigCacheEntries {
			clear(c.m)
		}
	}
	c.m[raw] = sigEntry{t: t, key: key, exp: exp}
}
