package jose

import (
	"sync"
	"time"
)

// Clients send the same token with every request until it expires, so verifiers keep the
// tokens whose signature they have checked: a token seen again skips parsing and the
// signature check, and goes through every other check (issuer, algorithm, key still current,
// times, token_use, client, revocation, ...) as before. An entry is keyed by the exact token
// text, remembers the key that verified it (a rotated or removed key makes it count for
// nothing: Verifier.VerifySeen) and ends with the token's exp.

// Bounds of SeenTokens: entries, the size of a token worth keeping, and the longest an entry
// is kept (exp may be far off or absurd).
const (
	SeenTokensEntries  = 1024
	SeenTokensMaxToken = 4096
	SeenTokensLife     = time.Hour
)

// SeenTokens is a bounded map of tokens whose signature verified; when full, it forgets the
// expired entries, and if none had expired, all of them. The zero value is ready; it is safe
// for concurrent use. The tokens it returns are shared: callers must not change them.
type SeenTokens struct {
	mu sync.Mutex
	m  map[string]seenToken
}

type seenToken struct {
	t   *JWS
	key *Key
	exp time.Time
}

// Get returns the parsed token and the key that verified raw, if raw is kept and unexpired.
func (c *SeenTokens) Get(raw string, now time.Time) (*JWS, *Key, bool) {
	if len(raw) > SeenTokensMaxToken {
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

// Put keeps raw, parsed as t and verified with key, until t's exp (at most SeenTokensLife).
// A token without exp is not kept.
func (c *SeenTokens) Put(raw string, t *JWS, key *Key, now time.Time) {
	if len(raw) > SeenTokensMaxToken || t.claims == nil || t.claims.Expiry == nil {
		return
	}
	exp := now.Add(SeenTokensLife)
	if e := t.claims.Expiry.Time(); e.Before(exp) {
		exp = e
	}
	if !now.Before(exp) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]seenToken)
	}
	if len(c.m) >= SeenTokensEntries {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= SeenTokensEntries {
			clear(c.m)
		}
	}
	c.m[raw] = seenToken{t: t, key: key, exp: exp}
}

// Len returns how many tokens are kept.
func (c *SeenTokens) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
