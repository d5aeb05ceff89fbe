package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"testing"
	"time"
)

// TestSignatureCache: a token seen again skips the signature check but nothing else: it is
// refused once expired, once its key has been replaced, and a copy with another signature is
// not taken for it.
func TestSignatureCache(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	tok := e.poolToken(map[string]any{"exp": e.clock.Now().Unix() + 600})
	for i := range 3 {
		if w := e.do("GET", "/api/x", tok); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	if n := e.gw.sigs.Len(); n != 1 {
		t.Fatalf("%d cached signatures, want 1", n)
	}

	// Same header and claims, another signature: not the cached token.
	forged := tok[:len(tok)-4] + "AAAA"
	if forged == tok {
		forged = tok[:len(tok)-4] + "BBBB"
	}
	wantRefusal(t, e.do("GET", "/api/x", forged), http.StatusUnauthorized, "invalid_token")

	// The pool's key is replaced (same kid): once the instance has the new key set, the
	// cached token is checked again, against the new key, and refused.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e.pools.mu.Lock()
	e.pools.pools[testPool] = other
	e.pools.mu.Unlock()
	e.clock.Advance(DefaultPoolKeysCache + time.Second)
	wantRefusal(t, e.do("GET", "/api/x", tok), http.StatusUnauthorized, "invalid_token")

	// Expiry still applies to a cached token.
	e2 := newEnv(t)
	e2.apply(poolRoute(o, nil))
	tok2 := e2.poolToken(map[string]any{"exp": e2.clock.Now().Unix() + 60})
	if w := e2.do("GET", "/api/x", tok2); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	e2.clock.Advance(60*time.Second + DefaultClockSkew + time.Second)
	wantRefusal(t, e2.do("GET", "/api/x", tok2), http.StatusUnauthorized, "invalid_token")
}
