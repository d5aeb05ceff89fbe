package jose

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// issuerStub serves a JWKS through an injected fetch function and counts the fetches.
type issuerStub struct {
	mu      sync.Mutex
	body    []byte
	err     error
	fetches int
}

func (s *issuerStub) set(body []byte, err error) {
	s.mu.Lock()
	s.body, s.err = body, err
	s.mu.Unlock()
}

func (s *issuerStub) fetch(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	return s.body, s.err
}

func (s *issuerStub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func TestRemoteKeys(t *testing.T) {
	keys, ec := testKeys(t)
	c := newClock()
	idp := &issuerStub{body: jwksJSON(rsaJWK("r1", &keys[1].PublicKey), ecJWK("e1", &ec.PublicKey))}
	changed := 0
	ks := &RemoteKeys{Name: "https://idp.test", Fetch: idp.fetch, Now: c.Now, TTL: time.Hour, Penalty: 10 * time.Second,
		Logf: t.Logf, Changed: func() { changed++ }}
	want := func(kid string, target error, fetches int) {
		t.Helper()
		k, err := ks.Key(ctx, kid)
		switch {
		case target == nil && (err != nil || kid != "" && k.Kid != kid):
			t.Fatalf("Key(%q) = %v, %v", kid, k, err)
		case target != nil && !errors.Is(err, target):
			t.Fatalf("Key(%q): %v, want %v", kid, err, target)
		}
		if idp.count() != fetches {
			t.Fatalf("Key(%q): %d fetches, want %d", kid, idp.count(), fetches)
		}
	}
	if !ks.TrustedUntil(c.Now()).IsZero() {
		t.Fatal("keys never fetched are not trusted")
	}
	want("r1", nil, 1)
	want("e1", nil, 1)
	if got := ks.TrustedUntil(c.Now()); !got.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("TrustedUntil %v", got)
	}
	// No kid with two keys: refused, and no reason to fetch.
	want("", ErrUnknownKey, 1)

	// Unknown kids: none fetches within the penalty after a fetch; then one per penalty.
	for i := range 50 {
		want(fmt.Sprint("random-", i), ErrUnknownKey, 1)
	}
	c.Advance(10 * time.Second)
	for i := range 50 {
		want(fmt.Sprint("random-", i), ErrUnknownKey, 2)
	}
	want("r1", nil, 2)

	// Rotation: the new key's first token fetches (after the penalty) and verifies.
	idp.set(jwksJSON(rsaJWK("r1", &keys[1].PublicKey), rsaJWK("r2", &keys[2].PublicKey)), nil)
	c.Advance(10 * time.Second)
	want("r2", nil, 3)
	if changed != 1 {
		t.Fatalf("Changed called %d times, want 1", changed)
	}
	want("e1", ErrUnknownKey, 3) // removed from the set

	// Outage: stale keys keep verifying, one fetch per penalty.
	idp.set(nil, errors.New("connection refused"))
	c.Advance(time.Hour)
	want("r1", nil, 4)
	want("r2", nil, 4)
	want("e1", ErrUnknownKey, 4)
	c.Advance(10 * time.Second)
	want("r1", nil, 5)
	// Garbage is a failure too, not an empty key set.
	idp.set([]byte("<html>"), nil)
	c.Advance(10 * time.Second)
	want("r2", nil, 6)

	// Back: the next stale use refreshes, and a key removed from the set stops verifying.
	idp.set(jwksJSON(rsaJWK("r2", &keys[2].PublicKey)), nil)
	c.Advance(10 * time.Second)
	want("r2", nil, 7)
	want("r1", ErrUnknownKey, 7)
	want("", nil, 7) // the set's only key
	if changed != 2 {
		t.Fatalf("Changed called %d times, want 2", changed)
	}
}

func TestRemoteKeysUnavailable(t *testing.T) {
	c := newClock()
	idp := &issuerStub{err: errors.New("no route to host")}
	ks := &RemoteKeys{Name: "x", Fetch: idp.fetch, Now: c.Now, TTL: time.Hour, Penalty: 10 * time.Second}
	for range 3 {
		_, err := ks.Key(ctx, "k")
		if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalid) {
			t.Fatalf("no keys at all: %v, want ErrKeysUnavailable (not a verdict on the token)", err)
		}
	}
	if idp.count() != 1 {
		t.Fatalf("%d fetches during the penalty, want 1", idp.count())
	}
	keys, _ := testKeys(t)
	idp.set(jwksJSON(rsaJWK("k", &keys[0].PublicKey)), nil)
	c.Advance(10 * time.Second)
	if _, err := ks.Key(ctx, "k"); err != nil || ks.Fetches() != 2 {
		t.Fatalf("after recovery: %v, %d fetches", err, ks.Fetches())
	}
}

// TestRemoteKeysSingleFlight: callers that all find the cache empty fetch once. The fetch
// holds until every caller has read the clock (entered Key), so all of them race for it.
func TestRemoteKeysSingleFlight(t *testing.T) {
	keys, _ := testKeys(t)
	const n = 8
	var entered sync.WaitGroup
	entered.Add(n)
	c := newClock()
	idp := &issuerStub{body: jwksJSON(rsaJWK("r1", &keys[1].PublicKey))}
	ks := &RemoteKeys{Name: "x", TTL: time.Hour, Penalty: 10 * time.Second,
		Now: func() time.Time { entered.Done(); return c.Now() },
		Fetch: func(ctx context.Context) ([]byte, error) {
			entered.Wait()
			return idp.fetch(ctx)
		}}
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := ks.Key(ctx, "r1")
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if idp.count() != 1 || ks.Fetches() != 1 {
		t.Fatalf("%d fetches (%d attempts), want 1", idp.count(), ks.Fetches())
	}
}
