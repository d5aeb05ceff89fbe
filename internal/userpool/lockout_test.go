package userpool

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// With PreventUserExistenceErrors=ENABLED nothing a caller can observe of a failed sign-in may
// tell a known name from an unknown one: the answers, the lockout, and the work and store
// traffic behind them.

var hidingClient = map[string]any{"PreventUserExistenceErrors": "ENABLED", "ExplicitAuthFlows": []string{
	"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}

// answer is the observable outcome of a call: HTTP status, __type and message.
func (a *authSetup) answer(status int, out map[string]any) string {
	typ, _ := out["__type"].(string)
	msg, _ := out["message"].(string)
	if typ == "" {
		if _, ok := out["AuthenticationResult"]; ok {
			return fmt.Sprintf("%d tokens", status)
		}
		name, _ := out["ChallengeName"].(string)
		return fmt.Sprintf("%d challenge %s", status, name)
	}
	return fmt.Sprintf("%d %s %q", status, typ, msg)
}

func TestLockoutSameForUnknownNames(t *testing.T) {
	for _, flow := range []string{"USER_PASSWORD_AUTH", "USER_SRP_AUTH"} {
		t.Run(flow, func(t *testing.T) {
			a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email"}}, hidingClient)
			a.signUpConfirmed("kate", "kate@example.com")
			attempt := func(name string) string {
				if flow == "USER_SRP_AUTH" {
					return a.answer(a.srpLogin(name, "Wr0ng-pass"))
				}
				return a.answer(a.passwordLogin(name, "Wr0ng-pass"))
			}
			var known, unknown []string
			for i := range 10 {
				known = append(known, attempt("kate"))
				unknown = append(unknown, attempt("nobody"))
				if i%3 == 2 {
					a.clock.Advance(time.Second) // lets some attempts through the back-off
				}
			}
			if !slices.Equal(known, unknown) {
				t.Fatalf("known and unknown names answered differently:\nknown:   %q\nunknown: %q", known, unknown)
			}
			locked := `400 NotAuthorizedException "Password attempts exceeded"`
			if !slices.Contains(known, locked) || known[0] != `400 NotAuthorizedException "Incorrect username or password."` {
				t.Fatalf("10 wrong passwords: %q", known)
			}
			// Once locked, SRP's first step already refuses both, the same way.
			_, status, out := a.srpStart("kate")
			k := a.answer(status, out)
			_, status, out = a.srpStart("nobody")
			if u := a.answer(status, out); k != locked || u != locked {
				t.Fatalf("SRP step 1 while locked: known %s, unknown %s", k, u)
			}
			// The back-off ends for both, and the right password then works.
			a.clock.Advance(maxLockout)
			a.tokens(a.srpLogin("kate", testPassword))
		})
	}
}

func TestUnconfirmedWrongPasswordLooksUnknown(t *testing.T) {
	a := newAuthSetup(t, nil, hidingClient)
	a.signUp("una", "una@example.com") // UNCONFIRMED
	for _, login := range []func(string, string) (int, map[string]any){a.passwordLogin, a.srpLogin} {
		u := a.answer(login("una", "Wr0ng-pass"))
		n := a.answer(login("nobody", "Wr0ng-pass"))
		if u != n || u != `400 NotAuthorizedException "Incorrect username or password."` {
			t.Fatalf("unconfirmed user, wrong password: %s; unknown user: %s", u, n)
		}
	}
	// Only the right password learns the state.
	a.want("UserNotConfirmedException", "User is not confirmed.")(a.passwordLogin("una", testPassword))
	a.want("UserNotConfirmedException", "User is not confirmed.")(a.srpLogin("una", testPassword))
}

// recordingStore logs every store operation by method and key kind (the key's first segment):
// what an observer of the store's traffic (or its timing) could learn.
type recordingStore struct {
	store.Store
	mu  sync.Mutex
	ops []string
}

func kindOf(key string) string { k, _, _ := strings.Cut(key, "/"); return k }

func (r *recordingStore) log(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
}

func (r *recordingStore) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

func (r *recordingStore) Get(ctx context.Context, key string) ([]byte, error) {
	r.log("Get " + kindOf(key))
	return r.Store.Get(ctx, key)
}

func (r *recordingStore) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	r.log("GetEntry " + kindOf(key))
	return r.Store.GetEntry(ctx, key)
}

func (r *recordingStore) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	r.log("Put " + kindOf(key))
	return r.Store.Put(ctx, key, value, opts)
}

func (r *recordingStore) Delete(ctx context.Context, key string) error {
	r.log("Delete " + kindOf(key))
	return r.Store.Delete(ctx, key)
}

func (r *recordingStore) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	r.log("List " + kindOf(prefix))
	return r.Store.List(ctx, prefix, cursor, limit)
}

func (r *recordingStore) Commit(ctx context.Context, ops []store.Op) error {
	desc := make([]string, len(ops))
	for i, op := range ops {
		desc[i] = fmt.Sprintf("%d:%s:%t", op.Kind, kindOf(op.Key), op.Conditional)
	}
	r.log("Commit " + strings.Join(desc, ","))
	return r.Store.Commit(ctx, ops)
}

func TestWrongPasswordStoreTrafficSameForUnknownNames(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email", "preferred_username"}}, hidingClient)
	a.signUpConfirmed("kate", "kate@example.com")
	a.signUp("una", "una@example.com")
	rec := &recordingStore{Store: a.svc.d.Store}
	a.svc.d.Store = rec
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin("warm-up", "Wr0ng-pass"))

	trace := func(login func(string, string) (int, map[string]any), name string) []string {
		t.Helper()
		rec.take()
		a.want("NotAuthorizedException", "Incorrect username or password.")(login(name, "Wr0ng-pass"))
		return rec.take()
	}
	for _, c := range []struct {
		flow  string
		login func(string, string) (int, map[string]any)
	}{{"USER_PASSWORD_AUTH", a.passwordLogin}, {"USER_SRP_AUTH", a.srpLogin}} {
		known := trace(c.login, "kate")
		unconfirmed := trace(c.login, "una")
		unknown := trace(c.login, "nobody")
		if !slices.Equal(known, unknown) || !slices.Equal(unconfirmed, unknown) {
			t.Fatalf("%s: store traffic differs:\nknown:       %q\nunconfirmed: %q\nunknown:     %q",
				c.flow, known, unconfirmed, unknown)
		}
		// The failure was counted (a CAS on the lockout record) in every case.
		if !slices.Contains(unknown, "Commit 1:lk:true") {
			t.Fatalf("%s: no lockout count in %q", c.flow, unknown)
		}
	}
}
