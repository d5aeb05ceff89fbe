//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// seedKV writes records into the test Worker's KV namespace as a KV-era deployment had them:
// keys of three pools and global ones, binary values, a few with an expiration. It returns
// the records by key.
func seedKV(t *testing.T, ns js.Value, n int) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	want := map[string][]byte{}
	for i := range n {
		var k string
		switch i % 4 {
		case 0:
			k = fmt.Sprintf("uu/us-east-1_pool%d/user%03d", i%3, i)
		case 1:
			k = fmt.Sprintf("ux/us-east-1_pool%d/email/u%03d@example.com", i%3, i)
		case 2:
			k = fmt.Sprintf("up/us-east-1_pool%d", i)
		default:
			k = fmt.Sprintf("sk/key%03d", i)
		}
		v := []byte{byte(i), 0, 0xff, byte(i >> 8)}
		opts := map[string]any{}
		if i%10 == 0 {
			opts["expirationTtl"] = 3600
		}
		if _, err := await(ctx, ns.Call("put", k, bytesToJS(v).Get("buffer"), opts)); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	return want
}

// wantCopied checks that st holds exactly want plus the migration's own notes, and that
// the copy is marked done with no shard left to seal.
func wantCopied(t *testing.T, st *doStore, want map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	for k, v := range want {
		got, err := st.Get(ctx, k)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("%s = %x, %v; want %x", k, got, err, v)
		}
	}
	var keys []string
	for cursor := ""; ; {
		page, err := st.List(ctx, "", cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, page.Keys...)
		if cursor = page.Cursor; cursor == "" {
			break
		}
	}
	wantKeys := []string{migrationCursorKey, migrationDoneKey}
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("the store holds %d keys, want %d (the KV records and the migration's notes)", len(keys), len(wantKeys))
	}
}

// TestMigrateConcurrent: migrators racing (as isolates do, each with a small budget, so that
// the copy takes many steps each) copy every KV record once into its shard, then seal every
// shard they imported into and mark the copy done.
func TestMigrateConcurrent(t *testing.T) {
	ns := testKV(t)
	want := seedKV(t, ns, 150)
	st := testDO(t)
	kv, err := newKVSource(ns)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := migrator{store: st, kv: kv, budget: 25, page: 7, now: time.Now, logf: t.Logf}
			for run := 0; ; run++ {
				if run == 100 {
					errs[i] = errors.New("not done after 100 runs")
					return
				}
				done, err := m.run(ctx)
				if err != nil || done {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	wantCopied(t, st, want)
	for _, shard := range []string{globalShard, "p/us-east-1_pool0", "p/us-east-1_pool1", "p/us-east-1_pool2"} {
		v, err := st.call(ctx, shard, "importEntries", []any{})
		if err != nil || v.Int() != -1 {
			t.Errorf("%s after the copy: importEntries = %v, %v; want refused (sealed)", shard, safeString(v), err)
		}
	}
}

// TestMigrateKeepsNewerWrites: the copy never overwrites a record written to the objects,
// a copier that read its page before the copy completed cannot bring back a record deleted
// after it, and once done a migrator makes one call.
func TestMigrateKeepsNewerWrites(t *testing.T) {
	ns := testKV(t)
	want := seedKV(t, ns, 12)
	st := testDO(t)
	kv, _ := newKVSource(ns)
	ctx := context.Background()
	const newer, doomed = "uu/us-east-1_pool0/user000", "uu/us-east-1_pool1/user004"
	if err := st.Put(ctx, newer, []byte("written after the upgrade"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	want[newer] = []byte("written after the upgrade")
	m := migrator{store: st, kv: kv, budget: 1000, page: 100, now: time.Now, logf: t.Logf}
	if done, err := m.run(ctx); err != nil || !done {
		t.Fatalf("run = %v, %v; want done", done, err)
	}
	wantCopied(t, st, want)

	if err := st.Delete(ctx, doomed); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.copyPage(ctx, ""); err != nil { // a late copier's step
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, doomed); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a late copier brought back a deleted record: %v", err)
	}
	before := st.gets.Load() + st.lists.Load() + st.commits.Load() + st.puts.Load()
	if done, err := m.run(ctx); err != nil || !done {
		t.Fatalf("run after the copy = %v, %v", done, err)
	}
	if n := st.gets.Load() + st.lists.Load() + st.commits.Load() + st.puts.Load() - before; n != 1 {
		t.Errorf("a migrator after the copy made %d calls, want 1", n)
	}
}
