//go:build js && wasm

package main

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

// TestDOConformance runs the store conformance suite against the Durable Object store (local,
// in workerd). The objects keep their own clock, so the subtests that move the suite's clock
// are skipped.
func TestDOConformance(t *testing.T) {
	testBridge(t)
	storetest.RunWith(t, storetest.RunOptions{RealClockOnly: true}, func(t *testing.T, _ func() time.Time) store.Store {
		return testDO(t)
	})
}

func TestListShard(t *testing.T) {
	for prefix, want := range map[string]string{
		"":                "",
		"u":               "",
		"uu":              "",
		"uu/":             "",
		"uu/pool":         "",
		"uu/pool1/":       "p/pool1",
		"uu/pool1/alice":  "p/pool1",
		"ugm/pool1/g/":    "p/pool1",
		"up/":             "global",
		"up/us-east-1_x":  "global",
		"iip/pool/":       "global",
		"edge/kv-migr":    "global",
		"zz/anything/at/": "global",
	} {
		if got := listShard(prefix); got != want {
			t.Errorf("listShard(%q) = %q, want %q", prefix, got, want)
		}
	}
}

// TestDOListAcrossShards: a prefix that names a shard reads only it; any other prefix reads
// every shard written to and pages through the merged keys in order.
func TestDOListAcrossShards(t *testing.T) {
	st := testDO(t)
	ctx := context.Background()
	var all []string
	for _, k := range []string{"up/p1", "up/p2", "uu/p1/alice", "uu/p1/bob", "uu/p2/carol", "ug/p2/admins", "x", "uux/global"} {
		if err := st.Put(ctx, k, []byte(k), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		all = append(all, k)
	}
	slices.Sort(all)
	listAll := func(prefix string, limit int) []string {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("List(%q): no end", prefix)
			}
			page, err := st.List(ctx, prefix, cursor, limit)
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			got = append(got, page.Keys...)
			if page.Cursor == "" {
				return got
			}
			cursor = page.Cursor
		}
	}
	for _, limit := range []int{1, 2, 3, 0} {
		for prefix, want := range map[string][]string{
			"":       all,
			"u":      {"ug/p2/admins", "up/p1", "up/p2", "uu/p1/alice", "uu/p1/bob", "uu/p2/carol", "uux/global"},
			"uu/":    {"uu/p1/alice", "uu/p1/bob", "uu/p2/carol"},
			"uu/p1/": {"uu/p1/alice", "uu/p1/bob"},
			"up/":    {"up/p1", "up/p2"},
		} {
			if got := listAll(prefix, limit); !slices.Equal(got, want) {
				t.Errorf("List(%q, limit %d) = %q, want %q", prefix, limit, got, want)
			}
		}
	}
	before := st.lists.Load()
	listAll("uu/p1/", 0)
	if n := st.lists.Load() - before; n != 1 {
		t.Errorf("List of one pool's users read %d objects, want 1", n)
	}
}

// TestDORaces: goroutines racing on one key through the adapter: 32 compare-and-swap
// increments all count, and of 32 creations of one key exactly one wins.
func TestDORaces(t *testing.T) {
	st := testDO(t)
	ctx := context.Background()
	const n = 32
	counter := "lk/pool1/counter"
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	wins := make(chan int, n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- store.Retry(ctx, func() error {
				e, err := st.GetEntry(ctx, counter)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				c, _ := strconv.Atoi(string(e.Value))
				return st.Commit(ctx, []store.Op{store.PutIf(counter, e.Version, []byte(strconv.Itoa(c+1)), 0)})
			})
		}()
		go func() {
			defer wg.Done()
			err := st.Commit(ctx, []store.Op{store.Create("uu/pool1/taken", []byte(strconv.Itoa(i)), 0)})
			switch {
			case err == nil:
				wins <- i
			case !errors.Is(err, store.ErrConflict):
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(wins)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	v, err := st.Get(ctx, counter)
	if err != nil || string(v) != strconv.Itoa(n) {
		t.Errorf("counter after %d increments = %q, %v", n, v, err)
	}
	var winners []int
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d creations of one key succeeded (%v), want 1", len(winners), winners)
	}
	if v, err := st.Get(ctx, "uu/pool1/taken"); err != nil || string(v) != strconv.Itoa(winners[0]) {
		t.Errorf("created key = %q, %v; want the winner's %d", v, err, winners[0])
	}
}

// TestDOImportAndSeal: the migration's import writes only absent keys (never over a newer
// write), skips expired entries, keeps expirations, and is refused once the object is sealed.
func TestDOImportAndSeal(t *testing.T) {
	st := testDO(t)
	ctx := context.Background()
	shard := "p/imp" + strconv.FormatInt(time.Now().UnixNano(), 36) // a fresh, unsealed object
	key := func(k string) string { return "uu/" + shard[2:] + "/" + k }
	if err := st.Put(ctx, key("newer"), []byte("written here"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(time.Hour).UnixMilli()
	entries := []any{
		map[string]any{"key": key("newer"), "value": bytesToJS([]byte("from kv")), "expires": 0},
		map[string]any{"key": key("new"), "value": bytesToJS([]byte{0, 1, 2}), "expires": 0},
		map[string]any{"key": key("expiring"), "value": bytesToJS([]byte("e")), "expires": soon},
		map[string]any{"key": key("expired"), "value": bytesToJS([]byte("x")), "expires": time.Now().Add(-time.Minute).UnixMilli()},
	}
	v, err := st.call(ctx, shard, "importEntries", entries)
	if err != nil || v.Int() != 2 {
		t.Fatalf("importEntries = %v, %v; want 2 written", safeString(v), err)
	}
	for k, want := range map[string]string{"newer": "written here", "new": "\x00\x01\x02", "expiring": "e"} {
		if got, err := st.Get(ctx, key(k)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", k, got, err, want)
		}
	}
	if _, err := st.Get(ctx, key("expired")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired entry imported: %v", err)
	}
	// Imported entries have versions like any write: a compare-and-swap works on them.
	e, err := st.GetEntry(ctx, key("new"))
	if err != nil || e.Version == store.NoVersion {
		t.Fatalf("GetEntry(new) = %+v, %v", e, err)
	}
	if err := st.Commit(ctx, []store.Op{store.PutIf(key("new"), e.Version, []byte("cas"), 0)}); err != nil {
		t.Fatalf("CAS on an imported key: %v", err)
	}
	if err := st.Delete(ctx, key("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.call(ctx, shard, "seal"); err != nil {
		t.Fatal(err)
	}
	v, err = st.call(ctx, shard, "importEntries", entries)
	if err != nil || v.Int() != -1 {
		t.Fatalf("importEntries after seal = %v, %v; want -1 (refused)", safeString(v), err)
	}
	if _, err := st.Get(ctx, key("new")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a sealed object took an import back: %v", err)
	}
}

// TestDOErrors: bad keys never reach the objects, a List prefix or cursor that is not one is
// refused, and a failing call is an error.
func TestDOErrors(t *testing.T) {
	st := testDO(t)
	ctx := context.Background()
	before := st.gets.Load() + st.puts.Load() + st.deletes.Load()
	for _, key := range []string{"", ".", "..", "a\xffb", strings.Repeat("k", store.MaxKeyLen+1)} {
		if err := st.Put(ctx, key, []byte("v"), store.PutOptions{}); err == nil {
			t.Errorf("Put(%q) succeeded", key)
		}
		if err := st.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q) succeeded", key)
		}
		if _, err := st.Get(ctx, key); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want a key error", key, err)
		}
		if err := st.Commit(ctx, []store.Op{store.Set(key, nil, 0)}); err == nil {
			t.Errorf("Commit(Set(%q)) succeeded", key)
		}
	}
	if n := st.gets.Load() + st.puts.Load() + st.deletes.Load() - before; n != 0 {
		t.Errorf("%d calls reached the objects", n)
	}
	if _, err := st.List(ctx, "up/", "!!", 0); err == nil {
		t.Error("List with a bad cursor succeeded")
	}
	if _, err := st.List(ctx, "a\xff", "", 0); err == nil {
		t.Error("List with a non-UTF-8 prefix succeeded")
	}
	if _, err := st.call(ctx, globalShard, "noSuchMethod"); err == nil {
		t.Error("calling a method the object lacks succeeded")
	}
	if _, err := newDOStore(jsObject.New()); err == nil {
		t.Error("newDOStore without a client succeeded")
	}
}
