// Package storetest is the conformance suite every store.Store backend runs.
//
// A backend's test calls Run (or RunWith) with a constructor; each subtest gets a fresh, empty
// store. The suite drives a fake clock that it hands to the constructor: backends must read the
// time only from it, so that TTL expiry is tested without sleeping. A backend that cannot use an
// injected clock (Workers KV) sets RunOptions.RealClockOnly and the clock-driven subtests are
// skipped.
//
// The semantics checked are the ones Workers KV can honour: keys are non-empty valid UTF-8 of at
// most store.MaxKeyLen bytes and not "." or ".."; TTLs below store.MinTTL are rounded up; List
// returns keys in ascending byte order, may return fewer than limit keys on a page (even an empty
// page with a cursor), and ends with an empty cursor.
//
// The atomic operations are checked too (GetEntry, Commit): versions grow with every write and
// never repeat for a key, each op kind with its condition holding and failing, a conflict writes
// nothing, expired keys are absent for conditions, commits breaking store.CheckCommit's rules are
// refused, and goroutines racing on one key (a compare-and-swap counter, a Create, a
// consume-once redemption, multi-key transfers against single-key writers) never lose or tear a
// write. A backend that serves several processes (hostsim's wasm instances) is raced through
// them by handing the suite a store that crosses the boundary.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// RunOptions tune the suite for a backend.
type RunOptions struct {
	// RealClockOnly skips the subtests that advance the injected clock (TTL expiry), for
	// backends that keep their own time.
	RealClockOnly bool
}

// NewStore returns a fresh, empty store that reads the time from now.
type NewStore func(t *testing.T, now func() time.Time) store.Store

// Run runs the whole suite with default options.
func Run(t *testing.T, newStore NewStore) {
	RunWith(t, RunOptions{}, newStore)
}

// Clock is the fake clock the suite passes to backends. It starts at a fixed instant and moves
// only when Advance is called.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start is the instant every subtest's clock begins at.
var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type suite struct {
	opts     RunOptions
	newStore NewStore
}

// fresh returns a new store and the clock it reads.
func (s suite) fresh(t *testing.T) (store.Store, *Clock) {
	t.Helper()
	clk := NewClock(start)
	st := s.newStore(t, clk.Now)
	if st == nil {
		t.Fatal("storetest: newStore returned nil")
	}
	return st, clk
}

func (s suite) needsClock(t *testing.T) {
	t.Helper()
	if s.opts.RealClockOnly {
		t.Skip("storetest: backend keeps its own clock (RealClockOnly)")
	}
}

// RunWith runs the suite with opts.
func RunWith(t *testing.T, opts RunOptions, newStore NewStore) {
	s := suite{opts: opts, newStore: newStore}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"GetMissing", s.testGetMissing},
		{"RoundTripBinary", s.testRoundTripBinary},
		{"GetUnlessUnchanged", s.testGetUnlessUnchanged},
		{"ValuesAreCopied", s.testValuesAreCopied},
		{"Overwrite", s.testOverwrite},
		{"Delete", s.testDelete},
		{"KeyLimits", s.testKeyLimits},
		{"TTLReadableBeforeExpiry", s.testTTLReadable},
		{"TTLExpiry", s.testTTLExpiry},
		{"TTLBelowMinimumRoundedUp", s.testTTLRoundedUp},
		{"TTLClearedByPlainPut", s.testTTLCleared},
		{"ListOrderAndPrefix", s.testListOrderAndPrefix},
		{"ListUnicodeAndSlashes", s.testListUnicode},
		{"ListPagination", s.testListPagination},
		{"ListResumesAfterDeletedCursorKey", s.testListCursorKeyDeleted},
		{"ListSkipsExpired", s.testListSkipsExpired},
		{"ListEmpty", s.testListEmpty},
		{"Concurrent", s.testConcurrent},
		{"ContextCanceled", s.testContextCanceled},
		{"EntryVersions", s.testEntryVersions},
		{"CommitOps", s.testCommitOps},
		{"ConflictWritesNothing", s.testConflictWritesNothing},
		{"CommitTTL", s.testCommitTTL},
		{"ExpiredIsAbsentForConditions", s.testExpiredIsAbsent},
		{"CommitRules", s.testCommitRules},
		{"RaceCounter", s.testRaceCounter},
		{"RaceCreate", s.testRaceCreate},
		{"RaceConsumeOnce", s.testRaceConsumeOnce},
		{"RaceNoTornState", s.testRaceNoTornState},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.fn)
	}
}

func (s suite) mustPut(t *testing.T, st store.Store, key string, value []byte, opts store.PutOptions) {
	t.Helper()
	if err := st.Put(context.Background(), key, value, opts); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func (s suite) mustGet(t *testing.T, st store.Store, key string) []byte {
	t.Helper()
	v, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func (s suite) wantMissing(t *testing.T, st store.Store, key string) {
	t.Helper()
	v, err := st.Get(context.Background(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want store.ErrNotFound", key, v, err)
	}
}

// listAll pages through prefix with limit and returns every key, checking the page invariants.
func listAll(t *testing.T, st store.Store, prefix string, limit int) []string {
	t.Helper()
	pageMax := limit
	if pageMax <= 0 || pageMax > 1000 {
		pageMax = 1000
	}
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("List(%q, limit %d): no end after %d pages", prefix, limit, pages)
		}
		page, err := st.List(context.Background(), prefix, cursor, limit)
		if err != nil {
			t.Fatalf("List(%q, cursor %q, limit %d): %v", prefix, cursor, limit, err)
		}
		if len(page.Keys) > pageMax {
			t.Fatalf("List(%q, limit %d) returned %d keys", prefix, limit, len(page.Keys))
		}
		for _, k := range page.Keys {
			if !strings.HasPrefix(k, prefix) {
				t.Fatalf("List(%q) returned %q", prefix, k)
			}
			if n := len(all); n > 0 && all[n-1] >= k {
				t.Fatalf("List(%q, limit %d): %q after %q: not in ascending byte order", prefix, limit, k, all[n-1])
			}
			all = append(all, k)
		}
		if page.Cursor == "" {
			return all
		}
		if page.Cursor == cursor && len(page.Keys) == 0 {
			t.Fatalf("List(%q, limit %d): empty page returned its own cursor %q", prefix, limit, cursor)
		}
		cursor = page.Cursor
	}
}

func wantKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func (s suite) testGetMissing(t *testing.T) {
	st, _ := s.fresh(t)
	s.wantMissing(t, st, "missing")
	s.mustPut(t, st, "present", []byte("x"), store.PutOptions{})
	s.wantMissing(t, st, "presen")
	s.wantMissing(t, st, "present/")
}

// testGetUnlessUnchanged reads through store.GetUnlessUnchanged (the store's own when it has
// one): the held bytes are confirmed without a value, other bytes (one byte off, a prefix,
// longer, empty) bring the stored value, a missing key is ErrNotFound whatever is held.
func (s suite) testGetUnlessUnchanged(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	value := []byte(`{"Id":"us-east-1_x","Name":"pool"}`)
	s.mustPut(t, st, "k", value, store.PutOptions{})
	if v, unchanged, err := store.GetUnlessUnchanged(ctx, st, "k", bytes.Clone(value)); err != nil || !unchanged || v != nil {
		t.Errorf("GetUnlessUnchanged(the stored bytes) = %q, %v, %v; want unchanged", v, unchanged, err)
	}
	offByOne := bytes.Clone(value)
	offByOne[len(offByOne)-2] ^= 1
	for name, have := range map[string][]byte{"nothing held": nil, "empty": {}, "one byte off": offByOne,
		"a prefix": value[:len(value)-1], "longer": append(bytes.Clone(value), ' ')} {
		if v, unchanged, err := store.GetUnlessUnchanged(ctx, st, "k", have); err != nil || unchanged || !bytes.Equal(v, value) {
			t.Errorf("GetUnlessUnchanged(%s) = %q, %v, %v; want the stored value", name, v, unchanged, err)
		}
	}
	s.mustPut(t, st, "empty", []byte{}, store.PutOptions{})
	if v, unchanged, err := store.GetUnlessUnchanged(ctx, st, "empty", []byte{}); err != nil || !unchanged || v != nil {
		t.Errorf("GetUnlessUnchanged(an empty value held) = %q, %v, %v; want unchanged", v, unchanged, err)
	}
	for _, have := range [][]byte{nil, value} {
		if v, unchanged, err := store.GetUnlessUnchanged(ctx, st, "missing", have); !errors.Is(err, store.ErrNotFound) || unchanged {
			t.Errorf("GetUnlessUnchanged(missing, %q) = %q, %v, %v; want ErrNotFound", have, v, unchanged, err)
		}
	}
}

func (s suite) testRoundTripBinary(t *testing.T) {
	st, _ := s.fresh(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 100<<10)
	x := uint32(2463534242)
	for i := range big {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		big[i] = byte(x)
	}
	values := map[string][]byte{
		"empty":       {},
		"nul":         {0},
		"nuls":        {0, 0, 0, 'a', 0},
		"all-bytes":   all,
		"invalid-utf": {0xff, 0xfe, 0xc3},
		"text":        []byte(`{"json":"value"}`),
		"100KiB":      big,
	}
	for k, v := range values {
		s.mustPut(t, st, k, v, store.PutOptions{})
	}
	for k, v := range values {
		got := s.mustGet(t, st, k)
		if !bytes.Equal(got, v) {
			t.Errorf("Get(%q): got %d bytes, want %d bytes (equal: false)", k, len(got), len(v))
		}
	}
}

func (s suite) testValuesAreCopied(t *testing.T) {
	st, _ := s.fresh(t)
	in := []byte("original")
	s.mustPut(t, st, "k", in, store.PutOptions{})
	in[0] = 'X'
	out := s.mustGet(t, st, "k")
	if string(out) != "original" {
		t.Fatalf("caller's change to the Put slice leaked into the store: %q", out)
	}
	out[0] = 'Y'
	if again := s.mustGet(t, st, "k"); string(again) != "original" {
		t.Fatalf("caller's change to a Get result leaked into the store: %q", again)
	}
}

func (s suite) testOverwrite(t *testing.T) {
	st, _ := s.fresh(t)
	s.mustPut(t, st, "k", []byte("first, longer value"), store.PutOptions{})
	s.mustPut(t, st, "k", []byte("second"), store.PutOptions{})
	if got := s.mustGet(t, st, "k"); string(got) != "second" {
		t.Fatalf("after overwrite Get = %q, want %q", got, "second")
	}
	s.mustPut(t, st, "k", nil, store.PutOptions{})
	if got := s.mustGet(t, st, "k"); len(got) != 0 {
		t.Fatalf("after overwrite with empty value Get = %q, want empty", got)
	}
	wantKeys(t, "List after overwrites", listAll(t, st, "", 0), []string{"k"})
}

func (s suite) testDelete(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	s.mustPut(t, st, "a", []byte("1"), store.PutOptions{})
	s.mustPut(t, st, "b", []byte("2"), store.PutOptions{})
	if err := st.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete(a): %v", err)
	}
	s.wantMissing(t, st, "a")
	if got := s.mustGet(t, st, "b"); string(got) != "2" {
		t.Fatalf("Get(b) after deleting a = %q", got)
	}
	if err := st.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete of an already deleted key: %v", err)
	}
	if err := st.Delete(ctx, "never-existed"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	wantKeys(t, "List after delete", listAll(t, st, "", 0), []string{"b"})
	s.mustPut(t, st, "a", []byte("again"), store.PutOptions{})
	if got := s.mustGet(t, st, "a"); string(got) != "again" {
		t.Fatalf("Get after re-Put = %q", got)
	}
}

func (s suite) testKeyLimits(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()

	longest := strings.Repeat("k", store.MaxKeyLen)
	s.mustPut(t, st, longest, []byte("max"), store.PutOptions{})
	if got := s.mustGet(t, st, longest); string(got) != "max" {
		t.Fatalf("Get(512-byte key) = %q", got)
	}
	// 170 three-byte runes + 2 bytes = 512 bytes: the limit counts bytes, not runes.
	runes := strings.Repeat("€", 170) + "ab"
	if len(runes) != store.MaxKeyLen {
		t.Fatalf("test bug: key is %d bytes", len(runes))
	}
	s.mustPut(t, st, runes, []byte("runes"), store.PutOptions{})
	if got := s.mustGet(t, st, runes); string(got) != "runes" {
		t.Fatalf("Get(512-byte multibyte key) = %q", got)
	}

	invalid := map[string]string{
		"513 bytes":           longest + "k",
		"513 bytes multibyte": strings.Repeat("€", 171),
		"empty":               "",
		"dot":                 ".",
		"dot-dot":             "..",
		"invalid UTF-8":       "user/\xff\xfe",
	}
	for name, key := range invalid {
		if err := st.Put(ctx, key, []byte("v"), store.PutOptions{}); err == nil {
			t.Errorf("Put with %s key: no error", name)
		} else if errors.Is(err, store.ErrNotFound) {
			t.Errorf("Put with %s key: %v, want a key error", name, err)
		}
		if v, err := st.Get(ctx, key); err == nil {
			t.Errorf("Get with %s key = %q, nil error", name, v)
		}
	}
	wantKeys(t, "List after rejected keys", listAll(t, st, "", 0), []string{longest, runes})
}

func (s suite) testTTLReadable(t *testing.T) {
	st, _ := s.fresh(t)
	s.mustPut(t, st, "short", []byte("v"), store.PutOptions{TTL: time.Second})
	s.mustPut(t, st, "long", []byte("w"), store.PutOptions{TTL: time.Hour})
	s.mustPut(t, st, "negative", []byte("n"), store.PutOptions{TTL: -time.Hour})
	for k, want := range map[string]string{"short": "v", "long": "w", "negative": "n"} {
		if got := s.mustGet(t, st, k); string(got) != want {
			t.Fatalf("Get(%q) right after a TTL Put = %q, want %q", k, got, want)
		}
	}
	wantKeys(t, "List of TTL keys", listAll(t, st, "", 0), []string{"long", "negative", "short"})
}

func (s suite) testTTLExpiry(t *testing.T) {
	s.needsClock(t)
	st, clk := s.fresh(t)
	s.mustPut(t, st, "k", []byte("v"), store.PutOptions{TTL: 90 * time.Second})
	s.mustPut(t, st, "forever", []byte("f"), store.PutOptions{})
	clk.Advance(89 * time.Second)
	if got := s.mustGet(t, st, "k"); string(got) != "v" {
		t.Fatalf("Get 89 s into a 90 s TTL = %q", got)
	}
	clk.Advance(2 * time.Second)
	s.wantMissing(t, st, "k")
	clk.Advance(365 * 24 * time.Hour)
	if got := s.mustGet(t, st, "forever"); string(got) != "f" {
		t.Fatalf("key without TTL after a year = %q", got)
	}
	// An expired key can be written again and is fresh.
	s.mustPut(t, st, "k", []byte("new"), store.PutOptions{TTL: time.Hour})
	if got := s.mustGet(t, st, "k"); string(got) != "new" {
		t.Fatalf("Get after re-Put of an expired key = %q", got)
	}
}

func (s suite) testTTLRoundedUp(t *testing.T) {
	s.needsClock(t)
	st, clk := s.fresh(t)
	s.mustPut(t, st, "one-second", []byte("v"), store.PutOptions{TTL: time.Second})
	s.mustPut(t, st, "one-nano", []byte("v"), store.PutOptions{TTL: time.Nanosecond})
	clk.Advance(store.MinTTL - time.Second)
	for _, k := range []string{"one-second", "one-nano"} {
		if got := s.mustGet(t, st, k); string(got) != "v" {
			t.Fatalf("Get(%q) %v after Put (TTL below MinTTL) = %q; want it kept until MinTTL", k, store.MinTTL-time.Second, got)
		}
	}
	clk.Advance(2 * time.Second)
	s.wantMissing(t, st, "one-second")
	s.wantMissing(t, st, "one-nano")
}

func (s suite) testTTLCleared(t *testing.T) {
	s.needsClock(t)
	st, clk := s.fresh(t)
	s.mustPut(t, st, "k", []byte("ttl"), store.PutOptions{TTL: time.Minute})
	s.mustPut(t, st, "k", []byte("plain"), store.PutOptions{})
	s.mustPut(t, st, "j", []byte("plain"), store.PutOptions{})
	s.mustPut(t, st, "j", []byte("ttl"), store.PutOptions{TTL: time.Minute})
	clk.Advance(2 * time.Minute)
	if got := s.mustGet(t, st, "k"); string(got) != "plain" {
		t.Fatalf("a Put without TTL must clear the earlier TTL; Get = %q", got)
	}
	s.wantMissing(t, st, "j")
}

func (s suite) testListOrderAndPrefix(t *testing.T) {
	st, _ := s.fresh(t)
	keys := []string{"b", "a/y/z", "ab", "a", "a0", "a/", "a/x", "A", "a/x/", "a.b", "c"}
	for _, k := range keys {
		s.mustPut(t, st, k, []byte(k), store.PutOptions{})
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", sorted},
		{"a/", []string{"a/", "a/x", "a/x/", "a/y/z"}},
		{"a/x", []string{"a/x", "a/x/"}},
		{"a", []string{"a", "a.b", "a/", "a/x", "a/x/", "a/y/z", "a0", "ab"}},
		{"ab", []string{"ab"}},
		{"abc", nil},
		{"A", []string{"A"}},
		{"d", nil},
		{"0", nil},
	}
	for _, tc := range cases {
		for _, limit := range []int{0, 1, 2, 3, 1000} {
			wantKeys(t, fmt.Sprintf("List(%q, limit %d)", tc.prefix, limit), listAll(t, st, tc.prefix, limit), tc.want)
		}
	}
}

func (s suite) testListUnicode(t *testing.T) {
	st, _ := s.fresh(t)
	keys := []string{
		"user/zoë",
		"user/zoe",
		"user/Zoë",
		"user/日本語/ユーザー",
		"user/😀",        // F0 9F 98 80: after U+FFFD in byte order, before it in UTF-16 order
		"user/\uFFFD",   // EF BF BD
		"user/é/x",      // C3 A9
		"user/z/",       //
		"user/z/é",      //
		"user/a b",      // space
		"user/a+b=c&d?", //
		"user/%2F",      //
		"user//double",  //
		"usera",         //
	}
	for _, k := range keys {
		s.mustPut(t, st, k, []byte(k), store.PutOptions{})
	}
	for _, k := range keys {
		if got := s.mustGet(t, st, k); string(got) != k {
			t.Fatalf("Get(%q) = %q", k, got)
		}
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted) // Go compares strings byte-wise
	wantKeys(t, "List of unicode keys", listAll(t, st, "", 2), sorted)

	var users []string
	for _, k := range sorted {
		if strings.HasPrefix(k, "user/") {
			users = append(users, k)
		}
	}
	wantKeys(t, "List(user/)", listAll(t, st, "user/", 3), users)
	wantKeys(t, "List(user/z/)", listAll(t, st, "user/z/", 0), []string{"user/z/", "user/z/é"})
	wantKeys(t, "List(user/zo)", listAll(t, st, "user/zo", 0), []string{"user/zoe", "user/zoë"})
	wantKeys(t, "List(user/日本語)", listAll(t, st, "user/日本語", 1), []string{"user/日本語/ユーザー"})
	wantKeys(t, "List(user/é)", listAll(t, st, "user/é", 1), []string{"user/é/x"})
}

func (s suite) testListPagination(t *testing.T) {
	st, _ := s.fresh(t)
	var want []string
	for i := range 250 {
		k := fmt.Sprintf("item/%04d", (i*37)%250) // written out of order
		s.mustPut(t, st, k, []byte{byte(i)}, store.PutOptions{})
		want = append(want, k)
	}
	// Neighbours that must not leak into the listing.
	s.mustPut(t, st, "item", []byte("x"), store.PutOptions{})
	s.mustPut(t, st, "itemz", []byte("x"), store.PutOptions{})
	s.mustPut(t, st, "item0", []byte("x"), store.PutOptions{})
	slices.Sort(want)
	for _, limit := range []int{1, 7, 50, 100, 249, 250, 251, 1000, 0, -1} {
		wantKeys(t, fmt.Sprintf("List(item/, limit %d)", limit), listAll(t, st, "item/", limit), want)
	}

	// Page by page with limit 100; asking twice from one cursor gives the same page.
	ctx := context.Background()
	var got []string
	cursor := ""
	for range 100 {
		page, err := st.List(ctx, "item/", cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		again, err := st.List(ctx, "item/", cursor, 100)
		if err != nil {
			t.Fatalf("List from a reused cursor: %v", err)
		}
		wantKeys(t, "two Lists from one cursor", again.Keys, page.Keys)
		got = append(got, page.Keys...)
		if page.Cursor == "" {
			break
		}
		cursor = page.Cursor
	}
	wantKeys(t, "paging with limit 100", got, want)
}

func (s suite) testListCursorKeyDeleted(t *testing.T) {
	st, _ := s.fresh(t)
	ctx := context.Background()
	var keys []string
	for i := range 10 {
		k := fmt.Sprintf("k%02d", i)
		keys = append(keys, k)
		s.mustPut(t, st, k, []byte("v"), store.PutOptions{})
	}
	var got []string
	cursor := ""
	for pages := 0; pages < 100; pages++ {
		page, err := st.List(ctx, "k", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Keys...)
		if page.Cursor == "" {
			break
		}
		// Delete the last key handed out before asking for the next page.
		if n := len(page.Keys); n > 0 {
			if err := st.Delete(ctx, page.Keys[n-1]); err != nil {
				t.Fatal(err)
			}
		}
		cursor = page.Cursor
	}
	wantKeys(t, "listing while deleting each page's last key", got, keys)
}

func (s suite) testListSkipsExpired(t *testing.T) {
	s.needsClock(t)
	st, clk := s.fresh(t)
	var live []string
	for i := range 30 {
		k := fmt.Sprintf("s/%02d", i)
		opts := store.PutOptions{}
		if i%3 != 0 {
			opts.TTL = time.Minute
		} else {
			live = append(live, k)
		}
		s.mustPut(t, st, k, []byte("v"), opts)
	}
	if n := len(listAll(t, st, "s/", 4)); n != 30 {
		t.Fatalf("before expiry List returned %d keys, want 30", n)
	}
	clk.Advance(time.Minute + time.Second)
	for _, limit := range []int{1, 4, 0} {
		wantKeys(t, fmt.Sprintf("List after expiry (limit %d)", limit), listAll(t, st, "s/", limit), live)
	}
}

func (s suite) testListEmpty(t *testing.T) {
	st, _ := s.fresh(t)
	page, err := st.List(context.Background(), "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 0 || page.Cursor != "" {
		t.Fatalf("List on an empty store = %+v", page)
	}
	s.mustPut(t, st, "only", []byte("v"), store.PutOptions{})
	page, err = st.List(context.Background(), "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) > 1 {
		t.Fatalf("List limit 1 = %q", page.Keys)
	}
	wantKeys(t, "List of one key", listAll(t, st, "", 1), []string{"only"})
}

func (s suite) testConcurrent(t *testing.T) {
	st, _ := s.fresh(t)
	const workers, rounds = 8, 40
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				for i := range rounds {
					own := fmt.Sprintf("c/%d/%03d", w, i)
					val := []byte(fmt.Sprintf("%d:%d", w, i))
					if err := st.Put(ctx, own, val, store.PutOptions{}); err != nil {
						return fmt.Errorf("Put(%s): %w", own, err)
					}
					got, err := st.Get(ctx, own)
					if err != nil {
						return fmt.Errorf("Get(%s): %w", own, err)
					}
					if !bytes.Equal(got, val) {
						return fmt.Errorf("Get(%s) = %q, want %q", own, got, val)
					}
					shared := fmt.Sprintf("shared/%d", i%4)
					if err := st.Put(ctx, shared, val, store.PutOptions{}); err != nil {
						return fmt.Errorf("Put(%s): %w", shared, err)
					}
					// Other workers delete shared keys concurrently: a miss is a valid answer.
					if _, err := st.Get(ctx, shared); err != nil && !errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("Get(%s): %w", shared, err)
					}
					if i%10 == 0 {
						if _, err := st.List(ctx, "c/", "", 5); err != nil {
							return fmt.Errorf("List: %w", err)
						}
					}
					if i%7 == 0 {
						if err := st.Delete(ctx, fmt.Sprintf("shared/%d", (i+1)%4)); err != nil {
							return fmt.Errorf("Delete: %w", err)
						}
					}
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(listAll(t, st, "c/", 0)); n != workers*rounds {
		t.Fatalf("after concurrent puts List(c/) has %d keys, want %d", n, workers*rounds)
	}
}

func (s suite) testContextCanceled(t *testing.T) {
	st, _ := s.fresh(t)
	s.mustPut(t, st, "k", []byte("v"), store.PutOptions{})

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()

	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"canceled", canceled, context.Canceled},
		{"deadline", expired, context.DeadlineExceeded},
	} {
		if _, err := st.Get(c.ctx, "k"); !errors.Is(err, c.want) {
			t.Errorf("Get with %s context: %v, want %v", c.name, err, c.want)
		}
		if err := st.Put(c.ctx, "other", []byte("v"), store.PutOptions{}); !errors.Is(err, c.want) {
			t.Errorf("Put with %s context: %v, want %v", c.name, err, c.want)
		}
		if err := st.Delete(c.ctx, "k"); !errors.Is(err, c.want) {
			t.Errorf("Delete with %s context: %v, want %v", c.name, err, c.want)
		}
		if _, err := st.List(c.ctx, "", "", 0); !errors.Is(err, c.want) {
			t.Errorf("List with %s context: %v, want %v", c.name, err, c.want)
		}
		if _, err := st.GetEntry(c.ctx, "k"); !errors.Is(err, c.want) {
			t.Errorf("GetEntry with %s context: %v, want %v", c.name, err, c.want)
		}
		if err := st.Commit(c.ctx, []store.Op{store.Remove("k")}); !errors.Is(err, c.want) {
			t.Errorf("Commit with %s context: %v, want %v", c.name, err, c.want)
		}
	}
	// The store still works with a live context afterwards.
	if got := s.mustGet(t, st, "k"); string(got) != "v" {
		t.Fatalf("Get after canceled calls = %q", got)
	}
}
