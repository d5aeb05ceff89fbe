package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// Racers is how many goroutines the concurrency subtests race on one key.
const Racers = 32

func (s suite) mustEntry(t *testing.T, st store.Store, key string) store.Entry {
	t.Helper()
	e, err := st.GetEntry(context.Background(), key)
	if err != nil {
		t.Fatalf("GetEntry(%q): %v", key, err)
	}
	if e.Version == store.NoVersion {
		t.Fatalf("GetEntry(%q) of a present key has version NoVersion", key)
	}
	return e
}

func (s suite) wantNoEntry(t *testing.T, st store.Store, key string) {
	t.Helper()
	e, err := st.GetEntry(context.Background(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetEntry(%q) = %q v%d, %v; want store.ErrNotFound", key, e.Value, e.Version, err)
	}
	if e.Version != store.NoVersion {
		t.Fatalf("GetEntry(%q) of a missing key has version %d, want NoVersion", key, e.Version)
	}
}

func (s suite) mustCommit(t *testing.T, st store.Store, ops ...store.Op) {
	t.Helper()
	if err := st.Commit(context.Background(), ops); err != nil {
		t.Fatalf("Commit(%s): %v", describe(ops), err)
	}
}

func (s suite) wantConflict(t *testing.T, st store.Store, ops ...store.Op) {
	t.Helper()
	if err := st.Commit(context.Background(), ops); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Commit(%s) = %v, want store.ErrConflict", describe(ops), err)
	}
}

// wantSame fails unless key still holds exactly want (value and version; a zero Entry: absent).
func (s suite) wantSame(t *testing.T, st store.Store, key string, want store.Entry) {
	t.Helper()
	got, err := st.GetEntry(context.Background(), key)
	if want.Version == store.NoVersion {
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%q: got %q v%d, %v; want it still absent", key, got.Value, got.Version, err)
		}
		return
	}
	if err != nil || got.Version != want.Version || !bytes.Equal(got.Value, want.Value) {
		t.Fatalf("%q: got %q v%d, %v; want it unchanged at %q v%d", key, got.Value, got.Version, err, want.Value, want.Version)
	}
}

func describe(ops []store.Op) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteString(", ")
		}
		kind := [...]string{"check", "put", "delete"}[min(int(op.Kind), 2)]
		if op.Conditional {
			fmt.Fprintf(&b, "%s %.40q if v%d", kind, op.Key, op.IfVersion)
		} else {
			fmt.Fprintf(&b, "%s %.40q", kind, op.Key)
		}
	}
	return b.String()
}

func (s suite) testEntryVersions(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	s.wantNoEntry(t, st, "k")

	s.mustPut(t, st, "k", []byte("one"), store.PutOptions{})
	e1 := s.mustEntry(t, st, "k")
	if string(e1.Value) != "one" {
		t.Fatalf("GetEntry value %q, want %q", e1.Value, "one")
	}
	if again := s.mustEntry(t, st, "k"); again.Version != e1.Version {
		t.Fatalf("reading changed the version: %d then %d", e1.Version, again.Version)
	}
	e1.Value[0] = 'X'
	if again := s.mustEntry(t, st, "k"); string(again.Value) != "one" {
		t.Fatalf("caller's change to a GetEntry result leaked into the store: %q", again.Value)
	}

	// A write of another key leaves k's version alone: unrelated writes must not fail a CAS.
	s.mustPut(t, st, "other", []byte("x"), store.PutOptions{})
	if err := st.Delete(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	s.mustCommit(t, st, store.Set("other", []byte("y"), 0))
	if again := s.mustEntry(t, st, "k"); again.Version != e1.Version {
		t.Fatalf("writing another key moved k's version from %d to %d", e1.Version, again.Version)
	}

	s.mustPut(t, st, "k", []byte("one"), store.PutOptions{})
	e2 := s.mustEntry(t, st, "k")
	if e2.Version <= e1.Version {
		t.Fatalf("a Put of the same value: version %d after %d, want it to grow", e2.Version, e1.Version)
	}
	if got := s.mustGet(t, st, "k"); string(got) != "one" {
		t.Fatalf("Get = %q", got)
	}

	if err := st.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	s.wantNoEntry(t, st, "k")

	s.mustPut(t, st, "k", []byte("one"), store.PutOptions{})
	e3 := s.mustEntry(t, st, "k")
	if e3.Version <= e2.Version {
		t.Fatalf("re-created key has version %d, not above %d before the delete", e3.Version, e2.Version)
	}
	s.mustCommit(t, st, store.Set("k", []byte("two"), 0))
	e4 := s.mustEntry(t, st, "k")
	if e4.Version <= e3.Version || string(e4.Value) != "two" {
		t.Fatalf("after a commit Set: %q v%d, want %q above v%d", e4.Value, e4.Version, "two", e3.Version)
	}

	// Empty values are present, with a version.
	s.mustPut(t, st, "empty", nil, store.PutOptions{})
	if e := s.mustEntry(t, st, "empty"); len(e.Value) != 0 {
		t.Fatalf("GetEntry(empty) = %q", e.Value)
	}
}

// testCommitOps checks every op kind with its condition holding and failing.
func (s suite) testCommitOps(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()

	// Create: only when absent.
	s.mustCommit(t, st, store.Create("c", []byte("first"), 0))
	c := s.mustEntry(t, st, "c")
	if string(c.Value) != "first" {
		t.Fatalf("after Create: %q", c.Value)
	}
	s.wantConflict(t, st, store.Create("c", []byte("second"), 0))
	s.wantSame(t, st, "c", c)

	// PutIf: only at the given version.
	s.mustCommit(t, st, store.PutIf("c", c.Version, []byte("swapped"), 0))
	c2 := s.mustEntry(t, st, "c")
	if string(c2.Value) != "swapped" || c2.Version <= c.Version {
		t.Fatalf("after PutIf: %q v%d (was v%d)", c2.Value, c2.Version, c.Version)
	}
	s.wantConflict(t, st, store.PutIf("c", c.Version, []byte("stale"), 0))
	s.wantConflict(t, st, store.PutIf("c", store.NoVersion, []byte("as-if-absent"), 0))
	s.wantConflict(t, st, store.PutIf("c", c2.Version+1000, []byte("future"), 0))
	s.wantSame(t, st, "c", c2)
	s.wantConflict(t, st, store.PutIf("absent", c2.Version, []byte("x"), 0))
	s.wantNoEntry(t, st, "absent")
	s.mustCommit(t, st, store.PutIf("absent", store.NoVersion, []byte("now"), 0))
	if got := s.mustGet(t, st, "absent"); string(got) != "now" {
		t.Fatalf("PutIf(NoVersion) on an absent key wrote %q", got)
	}

	// Check: the condition alone, nothing written.
	s.mustCommit(t, st, store.Check("c", c2.Version))
	s.wantSame(t, st, "c", c2)
	s.wantConflict(t, st, store.Check("c", c.Version))
	s.wantConflict(t, st, store.Check("c", store.NoVersion))
	s.mustCommit(t, st, store.Check("never", store.NoVersion))
	s.wantNoEntry(t, st, "never")
	s.wantConflict(t, st, store.Check("never", c2.Version))

	// DeleteIf: only at the given version.
	s.wantConflict(t, st, store.DeleteIf("c", c.Version))
	s.wantSame(t, st, "c", c2)
	s.mustCommit(t, st, store.DeleteIf("c", c2.Version))
	s.wantNoEntry(t, st, "c")
	s.wantConflict(t, st, store.DeleteIf("c", c2.Version))
	s.mustCommit(t, st, store.DeleteIf("c", store.NoVersion)) // absent, as required: a no-op
	s.wantNoEntry(t, st, "c")

	// A key deleted and written again with the same value does not pass for its old self.
	s.mustPut(t, st, "aba", []byte("same"), store.PutOptions{})
	old := s.mustEntry(t, st, "aba")
	if err := st.Delete(ctx, "aba"); err != nil {
		t.Fatal(err)
	}
	s.mustPut(t, st, "aba", []byte("same"), store.PutOptions{})
	s.wantConflict(t, st, store.PutIf("aba", old.Version, []byte("lost"), 0))
	s.wantConflict(t, st, store.Check("aba", old.Version))
	s.wantConflict(t, st, store.DeleteIf("aba", old.Version))
	if got := s.mustGet(t, st, "aba"); string(got) != "same" {
		t.Fatalf("Get(aba) = %q", got)
	}

	// Set and Remove: unconditional.
	s.mustCommit(t, st, store.Set("s", []byte("1"), 0))
	s1 := s.mustEntry(t, st, "s")
	s.mustCommit(t, st, store.Set("s", []byte("2"), 0))
	if s2 := s.mustEntry(t, st, "s"); string(s2.Value) != "2" || s2.Version <= s1.Version {
		t.Fatalf("after a second Set: %q v%d (was v%d)", s2.Value, s2.Version, s1.Version)
	}
	s.mustCommit(t, st, store.Remove("s"))
	s.wantNoEntry(t, st, "s")
	s.mustCommit(t, st, store.Remove("s"))

	// Several ops in one commit, every condition holding: all apply.
	s.mustPut(t, st, "m/a", []byte("a"), store.PutOptions{})
	s.mustPut(t, st, "m/b", []byte("b"), store.PutOptions{})
	a, b := s.mustEntry(t, st, "m/a"), s.mustEntry(t, st, "m/b")
	s.mustPut(t, st, "m/d", []byte("d"), store.PutOptions{})
	s.mustCommit(t, st,
		store.PutIf("m/a", a.Version, []byte("a2"), 0),
		store.Check("m/b", b.Version),
		store.Create("m/c", []byte("c"), 0),
		store.Remove("m/d"),
		store.Set("m/e", []byte("e"), 0),
	)
	wantKeys(t, "keys after a multi-op commit", listAll(t, st, "m/", 0), []string{"m/a", "m/b", "m/c", "m/e"})
	for k, want := range map[string]string{"m/a": "a2", "m/b": "b", "m/c": "c", "m/e": "e"} {
		if got := s.mustGet(t, st, k); string(got) != want {
			t.Fatalf("Get(%q) after a multi-op commit = %q, want %q", k, got, want)
		}
	}
	s.wantSame(t, st, "m/b", b)

	// Commit copies values.
	in := []byte("original")
	s.mustCommit(t, st, store.Set("copy", in, 0))
	in[0] = 'X'
	if got := s.mustGet(t, st, "copy"); string(got) != "original" {
		t.Fatalf("caller's change to a committed value leaked into the store: %q", got)
	}
}

// testConflictWritesNothing: a commit with one failing condition leaves every key as it was,
// wherever the failing op is in the list.
func (s suite) testConflictWritesNothing(t *testing.T) {
	st, _ := s.fresh(t)
	s.mustPut(t, st, "uu/pool1/a", []byte("a"), store.PutOptions{})
	s.mustPut(t, st, "uu/pool1/b", []byte("b"), store.PutOptions{})
	s.mustPut(t, st, "uu/pool1/c", []byte("c"), store.PutOptions{})
	s.mustPut(t, st, "ux/pool1/taken", []byte("owner"), store.PutOptions{})
	before := map[string]store.Entry{}
	for _, k := range []string{"uu/pool1/a", "uu/pool1/b", "uu/pool1/c", "ux/pool1/taken"} {
		before[k] = s.mustEntry(t, st, k)
	}
	a, b := before["uu/pool1/a"], before["uu/pool1/b"]
	writes := []store.Op{
		store.PutIf("uu/pool1/a", a.Version, []byte("a2"), 0),
		store.DeleteIf("uu/pool1/b", b.Version),
		store.Set("uu/pool1/c", []byte("c2"), 0),
		store.Create("uu/pool1/new", []byte("new"), 0),
		store.Remove("ug/pool1/g"),
		store.Set("ugm/pool1/g/a", []byte("m"), time.Hour),
	}
	failing := []store.Op{
		store.Create("ux/pool1/taken", []byte("me"), 0),
		store.Check("uu/pool1/missing", a.Version),
		store.PutIf("ux/pool1/taken", a.Version, []byte("me"), 0),
		store.DeleteIf("ux/pool1/taken", store.NoVersion),
	}
	for i, bad := range failing {
		for _, at := range []int{0, len(writes) / 2, len(writes)} {
			ops := append(append(append([]store.Op{}, writes[:at]...), bad), writes[at:]...)
			t.Run(fmt.Sprintf("failing%d-at%d", i, at), func(t *testing.T) {
				s.wantConflict(t, st, ops...)
				for k, e := range before {
					s.wantSame(t, st, k, e)
				}
				s.wantNoEntry(t, st, "uu/pool1/new")
				s.wantNoEntry(t, st, "ugm/pool1/g/a")
			})
		}
	}
	wantKeys(t, "keys after refused commits", listAll(t, st, "", 0), []string{"uu/pool1/a", "uu/pool1/b", "uu/pool1/c", "ux/pool1/taken"})
	// The same writes without the failing op all apply.
	s.mustCommit(t, st, writes...)
	if got := s.mustGet(t, st, "uu/pool1/c"); string(got) != "c2" {
		t.Fatalf("Get(c) = %q", got)
	}
	s.wantNoEntry(t, st, "uu/pool1/b")
}

func (s suite) testCommitTTL(t *testing.T) {
	s.needsClock(t)
	st, clk := s.fresh(t)
	s.mustCommit(t, st,
		store.Create("t/create", []byte("v"), 90*time.Second),
		store.Set("t/set", []byte("v"), 90*time.Second),
		store.Set("t/short", []byte("v"), time.Second),
		store.Set("t/forever", []byte("v"), 0),
	)
	s.mustPut(t, st, "t/cleared", []byte("ttl"), store.PutOptions{TTL: time.Minute})
	cl := s.mustEntry(t, st, "t/cleared")
	s.mustCommit(t, st, store.PutIf("t/cleared", cl.Version, []byte("plain"), 0))
	s.mustPut(t, st, "t/gained", []byte("plain"), store.PutOptions{})
	g := s.mustEntry(t, st, "t/gained")
	s.mustCommit(t, st, store.PutIf("t/gained", g.Version, []byte("ttl"), time.Minute))

	clk.Advance(store.MinTTL - time.Second)
	for _, k := range []string{"t/create", "t/set", "t/short", "t/forever", "t/cleared", "t/gained"} {
		s.mustEntry(t, st, k)
	}
	clk.Advance(2 * time.Second)
	s.wantNoEntry(t, st, "t/short")
	s.wantNoEntry(t, st, "t/gained")
	clk.Advance(28 * time.Second) // 89 s in
	s.mustEntry(t, st, "t/create")
	s.mustEntry(t, st, "t/set")
	clk.Advance(2 * time.Second)
	s.wantNoEntry(t, st, "t/create")
	s.wantMissing(t, st, "t/set")
	clk.Advance(24 * time.Hour)
	if got := s.mustGet(t, st, "t/forever"); string(got) != "v" {
		t.Fatalf("committed key without TTL = %q", got)
	}
	if got := s.mustGet(t, st, "t/cleared"); string(got) != "plain" {
		t.Fatalf("a commit put without TTL must clear the earlier TTL; Get = %q", got)
	}
	wantKeys(t, "List after commit TTLs", listAll(t, st, "t/", 0), []string{"t/cleared", "t/forever"})
}

// testExpiredIsAbsent: for conditions, an expired key is absent.
func (s suite) testExpiredIsAbsent(t *testing.T) {
	s.needsClock(t)
	st, clk := s.fresh(t)
	for _, k := range []string{"e/create", "e/check", "e/putif", "e/deleteif", "e/stale-check"} {
		s.mustPut(t, st, k, []byte("old"), store.PutOptions{TTL: time.Minute})
	}
	old := s.mustEntry(t, st, "e/putif")
	oldCheck := s.mustEntry(t, st, "e/stale-check")
	oldDel := s.mustEntry(t, st, "e/deleteif")
	clk.Advance(2 * time.Minute)
	s.wantNoEntry(t, st, "e/create")
	s.mustCommit(t, st, store.Create("e/create", []byte("fresh"), 0))
	if got := s.mustGet(t, st, "e/create"); string(got) != "fresh" {
		t.Fatalf("Create over an expired key wrote %q", got)
	}
	s.mustCommit(t, st, store.Check("e/check", store.NoVersion))
	s.wantConflict(t, st, store.Check("e/stale-check", oldCheck.Version))
	s.wantConflict(t, st, store.PutIf("e/putif", old.Version, []byte("x"), 0))
	s.wantNoEntry(t, st, "e/putif")
	s.mustCommit(t, st, store.PutIf("e/putif", store.NoVersion, []byte("new"), 0))
	nw := s.mustEntry(t, st, "e/putif")
	if nw.Version <= old.Version {
		t.Fatalf("key written over an expired one has version %d, not above the expired %d", nw.Version, old.Version)
	}
	s.wantConflict(t, st, store.DeleteIf("e/deleteif", oldDel.Version))
	s.mustCommit(t, st, store.DeleteIf("e/deleteif", store.NoVersion))
	wantKeys(t, "List after writes over expired keys", listAll(t, st, "e/", 0), []string{"e/create", "e/putif"})
}

// testCommitRules: commits breaking store.CheckCommit's rules, or naming a key the store
// rejects, fail with an error that is not ErrConflict and write nothing.
func (s suite) testCommitRules(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	many := func(n int) []store.Op {
		ops := make([]store.Op, n)
		for i := range ops {
			ops[i] = store.Set(fmt.Sprintf("r/many/%03d", i), []byte("v"), 0)
		}
		return ops
	}
	bad := map[string][]store.Op{
		"no ops":              nil,
		"too many ops":        many(store.MaxCommitOps + 1),
		"duplicate key":       {store.Set("r/a", []byte("1"), 0), store.Create("r/b", nil, 0), store.Set("r/a", []byte("2"), 0)},
		"two pools":           {store.Set("uu/p1/a", nil, 0), store.Set("uu/p2/a", nil, 0)},
		"pool and global":     {store.Create("ux/p1/a", nil, 0), store.Set("r/a", nil, 0)},
		"unknown kind":        {store.Set("r/a", nil, 0), {Key: "r/b", Kind: store.OpDelete + 1}},
		"unconditional check": {store.Set("r/a", nil, 0), {Key: "r/b", Kind: store.OpCheck}},
		"empty key":           {store.Set("r/a", nil, 0), store.Set("", nil, 0)},
		"long key":            {store.Set("r/a", nil, 0), store.Set("r/"+strings.Repeat("k", store.MaxKeyLen), nil, 0)},
		"dot-dot key":         {store.Set("r/a", nil, 0), store.Create("..", nil, 0)},
		"invalid UTF-8 key":   {store.Set("r/a", nil, 0), store.Check("r/\xff", store.NoVersion)},
	}
	for name, ops := range bad {
		err := st.Commit(ctx, ops)
		if err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("Commit with %s: %v, want an error other than ErrConflict", name, err)
		}
	}
	wantKeys(t, "keys after refused commits", listAll(t, st, "", 0), nil)

	// The limits themselves are allowed.
	s.mustCommit(t, st, many(store.MaxCommitOps)...)
	if n := len(listAll(t, st, "r/many/", 0)); n != store.MaxCommitOps {
		t.Fatalf("a commit of %d puts wrote %d keys", store.MaxCommitOps, n)
	}
	longest := "r/" + strings.Repeat("k", store.MaxKeyLen-2)
	s.mustCommit(t, st, store.Create(longest, []byte("max"), 0), store.Set("r/x", nil, 0))
	if got := s.mustGet(t, st, longest); string(got) != "max" {
		t.Fatalf("Get(longest key) = %q", got)
	}
	s.mustCommit(t, st, store.Set("uu/p1/a", []byte("1"), 0), store.Create("ux/p1/a", []byte("2"), 0), store.Check("ug/p1/g", store.NoVersion))
}

// testRaceCounter: Racers goroutines each add one to a counter with a compare-and-swap under
// store.Retry; none is lost.
func (s suite) testRaceCounter(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	const key = "lk/pool1/counter"
	var attempts, most atomic.Int64
	race(t, Racers, func(int) error {
		mine := int64(0)
		defer func() {
			for m := most.Load(); mine > m && !most.CompareAndSwap(m, mine); m = most.Load() {
			}
		}()
		return store.Retry(ctx, func() error {
			attempts.Add(1)
			mine++
			e, err := st.GetEntry(ctx, key)
			n := 0
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			default:
				if n, err = strconv.Atoi(string(e.Value)); err != nil {
					return fmt.Errorf("counter holds %q", e.Value)
				}
			}
			return st.Commit(ctx, []store.Op{store.PutIf(key, e.Version, []byte(strconv.Itoa(n+1)), 0)})
		})
	})
	if got := s.mustGet(t, st, key); string(got) != strconv.Itoa(Racers) {
		t.Fatalf("after %d racing increments the counter is %s", Racers, got)
	}
	// How hard the racers met: every attempt past the first of each racer lost a race.
	t.Logf("%d increments took %d attempts (%d conflicts; at most %d for one racer, of store.MaxAttempts %d)",
		Racers, attempts.Load(), attempts.Load()-Racers, most.Load(), store.MaxAttempts)
}

// testRaceCreate: Racers goroutines Create one key; exactly one succeeds, the rest conflict,
// and the key holds the winner's value.
func (s suite) testRaceCreate(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	const key = "ux/pool1/username"
	var mu sync.Mutex
	var winners []int
	race(t, Racers, func(i int) error {
		err := st.Commit(ctx, []store.Op{
			store.Create(key, []byte(strconv.Itoa(i)), 0),
			store.Set(fmt.Sprintf("uu/pool1/user%02d", i), []byte("record"), 0),
		})
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		if err == nil {
			mu.Lock()
			winners = append(winners, i)
			mu.Unlock()
		}
		return err
	})
	if len(winners) != 1 {
		t.Fatalf("%d racing Creates of one key: winners %v, want exactly one", Racers, winners)
	}
	if got := s.mustGet(t, st, key); string(got) != strconv.Itoa(winners[0]) {
		t.Fatalf("the key holds %q, but %d won", got, winners[0])
	}
	wantKeys(t, "records written", listAll(t, st, "uu/pool1/", 0), []string{fmt.Sprintf("uu/pool1/user%02d", winners[0])})
}

// testRaceConsumeOnce: Racers goroutines redeem one single-use code (read it, then delete it
// at that version and create its used-marker in one commit); exactly one redeems it.
func (s suite) testRaceConsumeOnce(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	const code, marker = "cu/pool1/code", "srpu/pool1/answer"
	s.mustPut(t, st, code, []byte("secret"), store.PutOptions{TTL: time.Hour})
	var mu sync.Mutex
	var winners []int
	race(t, Racers, func(i int) error {
		e, err := st.GetEntry(ctx, code)
		if errors.Is(err, store.ErrNotFound) {
			return nil // already redeemed
		}
		if err != nil {
			return err
		}
		err = st.Commit(ctx, []store.Op{
			store.DeleteIf(code, e.Version),
			store.Create(marker, []byte(strconv.Itoa(i)), time.Hour),
		})
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		if err == nil {
			mu.Lock()
			winners = append(winners, i)
			mu.Unlock()
		}
		return err
	})
	if len(winners) != 1 {
		t.Fatalf("%d racing redemptions of one code: winners %v, want exactly one", Racers, winners)
	}
	s.wantNoEntry(t, st, code)
	if got := s.mustGet(t, st, marker); string(got) != strconv.Itoa(winners[0]) {
		t.Fatalf("the marker holds %q, but %d won", got, winners[0])
	}
}

// testRaceNoTornState: movers shift units between accounts with two-key compare-and-swap
// commits while touchers rewrite single accounts (same balance, new version) and auditors
// read every account and confirm the reading with a commit of checks. Every confirmed reading
// and the final state must hold the same total: a commit applied in part, or a condition
// checked apart from its write, shows up as units created or lost.
func (s suite) testRaceNoTornState(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	const accounts, start, movers, touchers, auditors, rounds = 4, 100, 8, 4, 4, 10
	key := func(i int) string { return fmt.Sprintf("ug/pool1/acct%d", i) }
	for i := range accounts {
		s.mustPut(t, st, key(i), []byte(fmt.Sprintf("%d:init", start)), store.PutOptions{})
	}
	balance := func(e store.Entry) (int, error) {
		n, _, _ := strings.Cut(string(e.Value), ":")
		b, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("account holds %q", e.Value)
		}
		return b, nil
	}
	read := func(i int) (store.Entry, int, error) {
		e, err := st.GetEntry(ctx, key(i))
		if err != nil {
			return e, 0, fmt.Errorf("GetEntry(%s): %w", key(i), err)
		}
		b, err := balance(e)
		return e, b, err
	}
	race(t, movers+touchers+auditors, func(w int) error {
		for r := range rounds {
			var err error
			switch {
			case w < movers:
				from, to := (w+r)%accounts, (w+r+1+r%(accounts-1))%accounts
				if from == to {
					to = (to + 1) % accounts
				}
				err = store.Retry(ctx, func() error {
					fe, fb, err := read(from)
					if err != nil {
						return err
					}
					te, tb, err := read(to)
					if err != nil {
						return err
					}
					tag := fmt.Sprintf("m%d.%d", w, r)
					return st.Commit(ctx, []store.Op{
						store.PutIf(key(from), fe.Version, []byte(fmt.Sprintf("%d:%s", fb-1, tag)), 0),
						store.PutIf(key(to), te.Version, []byte(fmt.Sprintf("%d:%s", tb+1, tag)), 0),
					})
				})
			case w < movers+touchers:
				i := (w + r) % accounts
				err = store.Retry(ctx, func() error {
					e, b, err := read(i)
					if err != nil {
						return err
					}
					return st.Commit(ctx, []store.Op{store.PutIf(key(i), e.Version, []byte(fmt.Sprintf("%d:t%d.%d", b, w, r)), 0)})
				})
			default:
				checks := make([]store.Op, accounts)
				total := 0
				for i := range accounts {
					e, b, rerr := read(i)
					if rerr != nil {
						return rerr
					}
					checks[i] = store.Check(key(i), e.Version)
					total += b
				}
				switch err = st.Commit(ctx, checks); {
				case errors.Is(err, store.ErrConflict):
					err = nil // the accounts moved while being read; this reading proves nothing
				case err == nil && total != accounts*start:
					err = fmt.Errorf("a confirmed reading of the accounts totals %d, want %d", total, accounts*start)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	total := 0
	for i := range accounts {
		b, err := balance(s.mustEntry(t, st, key(i)))
		if err != nil {
			t.Fatal(err)
		}
		total += b
	}
	if total != accounts*start {
		t.Fatalf("after racing transfers the accounts total %d, want %d", total, accounts*start)
	}
}

// race runs fn(0..n-1) in n goroutines released together and reports their errors.
func race(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}
