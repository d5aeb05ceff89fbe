package identitypool_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/poolgate/poolgate/internal/store"
)

// gateStore holds every commit while armed until n callers have reached the gate or
// finished, so racing calls all read the same state before any of them writes: a
// read-modify-write that is not atomic then loses every time.
type gateStore struct {
	store.Store
	mu   sync.Mutex
	n    int // callers still to arrive; 0: open
	open chan struct{}
}

// race runs f(i) for i in [0, n) concurrently behind the gate and returns the results.
func (g *gateStore) race(n int, f func(i int) (string, error)) ([]string, []error) {
	g.mu.Lock()
	g.n, g.open = n, make(chan struct{})
	g.mu.Unlock()
	out, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.arrive()
			out[i], errs[i] = f(i)
		}()
	}
	wg.Wait()
	return out, errs
}

// arrive counts a caller at the gate and reports the channel to wait on (nil: open).
func (g *gateStore) arrive() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		return nil
	}
	g.n--
	if g.n == 0 {
		close(g.open)
		return nil
	}
	return g.open
}

func (g *gateStore) Commit(ctx context.Context, ops []store.Op) error {
	if wait := g.arrive(); wait != nil {
		<-wait
	}
	return g.Store.Commit(ctx, ops)
}

func TestRaceGetIdOneIdentity(t *testing.T) {
	gate := &gateStore{}
	e := newEnv(t, envOptions{store: func(st store.Store) store.Store { gate.Store = st; return gate }})
	tok := e.user(userPool, clientID, "rita")
	ids, errs := gate.race(20, func(int) (string, error) {
		return e.getID(guestPool, map[string]string{canonical(userPool): tok})
	})
	for i, err := range errs {
		if err != nil || ids[i] != ids[0] {
			t.Fatalf("GetId %d: %q %v; first: %q", i, ids[i], err, ids[0])
		}
	}
	list, err := e.idAdmin.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(guestPool), MaxResults: aws.Int32(60)})
	if err != nil || len(list.Identities) != 1 || *list.Identities[0].IdentityId != ids[0] {
		t.Fatalf("identities after 20 GetId of one login: %+v %v", list, err)
	}
}

func TestRaceGuestsLinkOneLogin(t *testing.T) {
	// Ten guests present the same login at once: one of them takes it, the others merge into
	// that one; the login never ends up on two identities.
	gate := &gateStore{}
	e := newEnv(t, envOptions{store: func(st store.Store) store.Store { gate.Store = st; return gate }})
	tok := e.user(userPool, clientID, "sven")
	guests := make([]string, 10)
	for i := range guests {
		guests[i] = e.mustID(guestPool, nil)
	}
	got, errs := gate.race(len(guests), func(i int) (string, error) {
		_, id, err := e.creds(guests[i], map[string]string{canonical(userPool): tok}, "")
		return id, err
	})
	for i, err := range errs {
		if err != nil || got[i] != got[0] {
			t.Fatalf("guest %d: identity %q, %v; first: %q", i, got[i], err, got[0])
		}
	}
	if id := e.mustID(guestPool, map[string]string{canonical(userPool): tok}); id != got[0] {
		t.Fatalf("the login names %s, the calls answered %s", id, got[0])
	}
	list, err := e.idAdmin.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(guestPool), MaxResults: aws.Int32(60)})
	if err != nil || len(list.Identities) != 1 {
		t.Fatalf("identities left: %+v %v", list, err)
	}
}

// conflictingStore makes every commit conflict once armed.
type conflictingStore struct {
	store.Store
	mu    sync.Mutex
	armed bool
	tries int
}

func (c *conflictingStore) Commit(ctx context.Context, ops []store.Op) error {
	c.mu.Lock()
	armed := c.armed
	if armed {
		c.tries++
	}
	c.mu.Unlock()
	if armed {
		return store.ErrConflict
	}
	return c.Store.Commit(ctx, ops)
}

func TestRetryExhaustedIsConcurrentModification(t *testing.T) {
	cs := &conflictingStore{}
	e := newEnv(t, envOptions{store: func(st store.Store) store.Store { cs.Store = st; return cs }})
	tok := e.user(userPool, clientID, "tess")
	cs.mu.Lock()
	cs.armed = true
	cs.mu.Unlock()
	_, err := e.getID(guestPool, map[string]string{canonical(userPool): tok})
	wantAPIError(t, err, "ConcurrentModificationException", "")
	if cs.tries != store.MaxAttempts {
		t.Fatalf("%d commits tried, want %d", cs.tries, store.MaxAttempts)
	}
	cs.mu.Lock()
	cs.armed = false
	cs.mu.Unlock()
	list, err := e.idAdmin.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(guestPool), MaxResults: aws.Int32(60)})
	if err != nil || len(list.Identities) != 0 {
		t.Fatalf("a refused GetId left identities: %+v %v", list, err)
	}
}
