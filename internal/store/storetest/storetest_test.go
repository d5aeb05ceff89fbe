package storetest_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

// fake is a small store.Store whose faults can be switched on, to prove the suite notices them.
type fake struct {
	now    func() time.Time
	faults map[string]bool

	mu   sync.Mutex
	vals map[string][]byte
	exp  map[string]time.Time
	ver  map[string]store.Version
	last store.Version // the last version handed out
}

func newFake(now func() time.Time, fault string) *fake {
	return &fake{
		now: now, faults: map[string]bool{fault: true},
		vals: map[string][]byte{}, exp: map[string]time.Time{}, ver: map[string]store.Version{},
	}
}

// bump gives key a new version; f.mu must be held.
func (f *fake) bump(key string) {
	_, exists := f.vals[key]
	switch {
	case f.faults["no-version-bump"] && exists && f.ver[key] != 0:
	case f.faults["reuse-version"]:
		f.ver[key]++ // a per-key counter: it restarts after a delete
	default:
		f.last++
		f.ver[key] = f.last
	}
}

// set writes key (as Put does); f.mu must be held.
func (f *fake) set(key string, value []byte, ttl time.Duration) {
	f.bump(key)
	if f.faults["alias"] {
		f.vals[key] = value
	} else {
		f.vals[key] = append([]byte{}, value...)
	}
	switch {
	case ttl > 0 && f.faults["no-min-ttl"]:
		f.exp[key] = f.now().Add(ttl)
	case ttl > 0:
		f.exp[key] = f.now().Add(max(ttl, store.MinTTL))
	case !f.faults["sticky-ttl"]:
		delete(f.exp, key)
	}
}

// remove deletes key; f.mu must be held.
func (f *fake) remove(key string) {
	delete(f.vals, key)
	delete(f.exp, key)
	if !f.faults["reuse-version"] {
		delete(f.ver, key)
	} else {
		f.ver[key] = 0
	}
}

// GetEntry reads the value and its version under one hold of the lock: read apart, a commit
// in between would pair an old value with a new version (the torn reading RaceNoTornState
// looks for, in the fake itself).
func (f *fake) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	if err := f.check(ctx, key); err != nil {
		return store.Entry{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.getLocked(key)
	if err != nil {
		return store.Entry{}, err
	}
	return store.Entry{Value: v, Version: f.ver[key]}, nil
}

// current is key's version for a condition; f.mu must be held.
func (f *fake) current(key string) store.Version {
	if f.live(key) || (f.faults["expired-present"] && f.vals[key] != nil) {
		return f.ver[key]
	}
	return store.NoVersion
}

func (f *fake) Commit(ctx context.Context, ops []store.Op) error {
	if !f.faults["ignore-ctx"] {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if !f.faults["no-commit-rules"] {
		if err := store.CheckCommit(ops); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	apply := func(op store.Op) {
		switch op.Kind {
		case store.OpPut:
			ttl := op.TTL
			if f.faults["commit-no-ttl"] {
				ttl = 0
			}
			f.set(op.Key, op.Value, ttl)
		case store.OpDelete:
			f.remove(op.Key)
		}
	}
	if f.faults["partial-commit"] {
		// Checks each condition just before its own write.
		for _, op := range ops {
			if op.Conditional && f.current(op.Key) != op.IfVersion {
				return store.ErrConflict
			}
			apply(op)
		}
		return nil
	}
	for _, op := range ops {
		if op.Conditional && f.current(op.Key) != op.IfVersion {
			return store.ErrConflict
		}
	}
	if f.faults["racy-commit"] {
		// Lets others in between the check and the write.
		f.mu.Unlock()
		runtime.Gosched()
		f.mu.Lock()
	}
	for _, op := range ops {
		apply(op)
	}
	return nil
}

func (f *fake) check(ctx context.Context, key string) error {
	if !f.faults["ignore-ctx"] {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if key == "" || key == "." || key == ".." || !utf8.ValidString(key) {
		return fmt.Errorf("fake: bad key")
	}
	if len(key) > store.MaxKeyLen && !f.faults["long-keys"] {
		return fmt.Errorf("fake: long key")
	}
	return nil
}

func (f *fake) live(k string) bool {
	_, ok := f.vals[k]
	e, has := f.exp[k]
	return ok && (!has || f.now().Before(e) || f.faults["no-expiry"])
}

func (f *fake) Get(ctx context.Context, key string) ([]byte, error) {
	if err := f.check(ctx, key); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.getLocked(key)
}

// getLocked is Get's read; f.mu must be held.
func (f *fake) getLocked(key string) ([]byte, error) {
	if !f.live(key) || (f.faults["empty-is-missing"] && len(f.vals[key]) == 0) {
		return nil, store.ErrNotFound
	}
	if f.faults["alias"] {
		return f.vals[key], nil
	}
	return slices.Clone(f.vals[key]), nil
}

func (f *fake) Put(ctx context.Context, key string, value []byte, opts store.PutOptions) error {
	if err := f.check(ctx, key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set(key, value, opts.TTL)
	return nil
}

func (f *fake) Delete(ctx context.Context, key string) error {
	if err := f.check(ctx, key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remove(key)
	return nil
}

func utf16Less(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func (f *fake) List(ctx context.Context, prefix, cursor string, limit int) (store.Page, error) {
	if err := ctx.Err(); err != nil && !f.faults["ignore-ctx"] {
		return store.Page{}, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return store.Page{}, err
	}
	after := string(raw)
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for k := range f.vals {
		match := strings.HasPrefix(k, prefix)
		if f.faults["loose-prefix"] {
			match = strings.HasPrefix(k, strings.TrimSuffix(prefix, "/"))
		}
		if match && (f.live(k) || f.faults["list-expired"]) {
			keys = append(keys, k)
		}
	}
	if f.faults["utf16-order"] {
		slices.SortFunc(keys, utf16Less)
	} else {
		slices.Sort(keys)
	}
	start := 0
	if cursor != "" {
		for start < len(keys) && keys[start] <= after {
			start++
		}
		if f.faults["inclusive-cursor"] && start > 0 {
			start--
		}
	}
	keys = keys[start:]
	var page store.Page
	if len(keys) > limit {
		keys = keys[:limit]
		page.Cursor = base64.RawURLEncoding.EncodeToString([]byte(keys[limit-1]))
	}
	page.Keys = keys
	if f.faults["drop-cursor"] {
		page.Cursor = ""
	}
	return page, nil
}

// TestFakeConforms checks that the fault-free fake passes, so the mutants below differ from a
// passing backend by exactly their fault.
func TestFakeConforms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return newFake(now, "") })
}

// TestMutantChild runs the suite against one faulty fake; TestSuiteCatchesFaults starts it in a
// child process, because a failing suite would fail this process.
func TestMutantChild(t *testing.T) {
	fault := os.Getenv("STORETEST_FAULT")
	if fault == "" {
		t.Skip("run by TestSuiteCatchesFaults")
	}
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return newFake(now, fault) })
}

func TestSuiteCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	faults := map[string]string{
		"ignore-ctx":       "ContextCanceled",
		"long-keys":        "KeyLimits",
		"no-expiry":        "TTLExpiry",
		"empty-is-missing": "RoundTripBinary",
		"alias":            "ValuesAreCopied",
		"no-min-ttl":       "TTLBelowMinimumRoundedUp",
		"sticky-ttl":       "TTLClearedByPlainPut",
		"loose-prefix":     "ListOrderAndPrefix",
		"list-expired":     "ListSkipsExpired",
		"utf16-order":      "ListUnicodeAndSlashes",
		"inclusive-cursor": "ListPagination",
		"drop-cursor":      "ListPagination",
		"no-version-bump":  "EntryVersions",
		"reuse-version":    "CommitOps",
		"partial-commit":   "ConflictWritesNothing",
		"commit-no-ttl":    "CommitTTL",
		"expired-present":  "ExpiredIsAbsentForConditions",
		"no-commit-rules":  "CommitRules",
		"racy-commit":      "RaceCounter",
	}
	for fault, subtest := range faults {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutantChild$", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_FAULT="+fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with fault %q:\n%s", fault, out)
			}
			if want := "--- FAIL: TestMutantChild/" + subtest + " "; !strings.Contains(string(out), want) {
				t.Fatalf("fault %q: want subtest %s to fail; output:\n%s", fault, subtest, out)
			}
		})
	}
}

func TestRealClockOnlySkipsClockSubtests(t *testing.T) {
	var calls int
	storetest.RunWith(t, storetest.RunOptions{RealClockOnly: true}, func(t *testing.T, now func() time.Time) store.Store {
		calls++
		// A store that would fail every clock-driven subtest: it never expires anything.
		return newFake(now, "no-expiry")
	})
	if calls == 0 {
		t.Fatal("no subtest ran")
	}
}
