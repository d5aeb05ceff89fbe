//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// The one-time copy of a KV-era deployment's records into the Durable Objects.
//
// Before the store moved to Durable Objects every record lived in the KV namespace
// POOLGATE_KV. A Worker that still has that binding copies every KV key into its shard's
// object before it serves its first request, and notes in the global object that it is done
// (migrationDoneKey); later instances read the note and skip the copy. KV is only read.
//
// Several isolates may copy at once, and the copy may take several requests (each request
// makes at most migrationBudget calls: Workers cap the calls of one invocation), so:
//   - a key is imported only where it is absent (importEntries): nothing written to the
//     objects is overwritten, and copying a page twice changes nothing;
//   - the copy's position (KV's list cursor) is kept in the global object and moved by a
//     compare-and-swap, so concurrent copiers share the work and it never goes back;
//   - every shard imported into is noted (migrationShardPrefix) before its import; once the
//     whole listing is copied, each noted shard is sealed, then the done note is written.
//     A sealed object refuses imports, so a copier that was slow (it read its page before
//     the copy finished) cannot bring back a record deleted since.
//
// Requests wait for the copy; one that runs out of budget before the copy is done is
// answered with errMigrating (the SDKs retry a 500), and the next request continues.

const (
	migrationDoneKey     = "edge/kv-migration/done"   // global: the copy is complete
	migrationCursorKey   = "edge/kv-migration/cursor" // global: where the copy is (see migrator)
	migrationShardPrefix = "edge/kv-migration/shard/" // global: + shard name, for shards to seal
	migrationListed      = "\x00listed"               // cursor value: every KV page is copied
)

// migrationBudget bounds the calls (KV and Durable Object) one request makes for the copy;
// a Worker invocation may make 1000.
const migrationBudget = 400

// migrationPage is the number of KV keys copied per step.
const migrationPage = 100

// errMigrating answers a request whose budget ran out before the copy was done.
var errMigrating = errors.New("poolgate is copying its records from Workers KV to Durable Objects after an upgrade; retry the request")

// migrator copies a KV namespace into the store's objects (see above).
type migrator struct {
	store  *doStore
	kv     *kvSource
	budget int // calls per run
	page   int // KV keys per step
	now    func() time.Time
	logf   func(format string, args ...any)
}

// migrateFromKV runs the copy once per instance, before the instance's first request is
// served; without a KV binding there is nothing to copy.
func (a *app) migrateFromKV(ctx context.Context) error {
	if a.kv == nil {
		return nil
	}
	a.migrateMu.Lock()
	defer a.migrateMu.Unlock()
	if a.migrated {
		return nil
	}
	m := migrator{store: a.store, kv: a.kv, budget: migrationBudget, page: migrationPage, now: time.Now, logf: log.Printf}
	done, err := m.run(ctx)
	if err != nil {
		return fmt.Errorf("poolgate: copying the records from KV: %v", err)
	}
	if !done {
		return errMigrating
	}
	a.migrated = true
	return nil
}

// run makes progress within the budget; it reports whether the copy is complete.
func (m *migrator) run(ctx context.Context) (bool, error) {
	if _, err := m.store.Get(ctx, migrationDoneKey); err == nil {
		return true, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	calls := 1
	for calls < m.budget {
		pos, err := m.store.GetEntry(ctx, migrationCursorKey)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		calls++
		if string(pos.Value) == migrationListed {
			return m.seal(ctx, calls)
		}
		n, next, err := m.copyPage(ctx, string(pos.Value))
		if err != nil {
			return false, err
		}
		calls += n
		if next == "" {
			next = migrationListed
		}
		err = m.store.Commit(ctx, []store.Op{store.PutIf(migrationCursorKey, pos.Version, []byte(next), 0)})
		if err != nil && !errors.Is(err, store.ErrConflict) { // a conflict: another copier moved on
			return false, err
		}
		calls++
	}
	return false, nil
}

// copyPage copies the KV page at cursor into the objects; it returns the calls it made and
// the next page's cursor ("" after the last page).
func (m *migrator) copyPage(ctx context.Context, cursor string) (int, string, error) {
	keys, next, err := m.kv.list(ctx, cursor, m.page)
	if err != nil {
		return 0, "", err
	}
	calls := 1 + len(keys)
	now := m.now()
	values := make([][]byte, len(keys))
	live := make([]bool, len(keys))
	// Read the values a few at a time.
	var wg sync.WaitGroup
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 8)
	for i, k := range keys {
		if k.Expiration > 0 && k.Expiration <= now.Unix() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			v, err := m.kv.Get(ctx, k.Name)
			switch {
			case errors.Is(err, store.ErrNotFound): // expired or deleted since the listing
			case err != nil:
				errs[i] = err
			default:
				values[i], live[i] = v, true
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return calls, "", err
	}
	byShard := map[string][]any{}
	for i, k := range keys {
		if !live[i] {
			continue
		}
		e := map[string]any{"key": k.Name, "value": bytesToJS(values[i]), "expires": k.Expiration * 1000}
		byShard[store.Shard(k.Name)] = append(byShard[store.Shard(k.Name)], e)
	}
	shards := make([]string, 0, len(byShard))
	for s := range byShard {
		shards = append(shards, s)
	}
	slices.Sort(shards)
	for _, shard := range shards {
		// Noted before the import, so that the shard is sealed before the copy is done.
		if err := m.store.Put(ctx, migrationShardPrefix+shard, []byte{1}, store.PutOptions{}); err != nil {
			return calls, "", err
		}
		if err := m.store.register(ctx, shard); err != nil {
			return calls, "", err
		}
		v, err := m.store.call(ctx, shard, "importEntries", byShard[shard])
		if err != nil {
			return calls, "", fmt.Errorf("edge: importing into %.80q: %w", shard, err)
		}
		calls += 3
		if n := v.Int(); n > 0 {
			m.logf("edge: copied %d records from KV into %s", n, shard)
		}
	}
	return calls, next, nil
}

// seal seals every noted shard, then writes the done note.
func (m *migrator) seal(ctx context.Context, calls int) (bool, error) {
	for calls < m.budget {
		page, err := m.store.List(ctx, migrationShardPrefix, "", min(100, m.budget))
		if err != nil {
			return false, err
		}
		calls++
		if len(page.Keys) == 0 {
			if err := m.store.Put(ctx, migrationDoneKey, []byte(m.now().UTC().Format(time.RFC3339)), store.PutOptions{}); err != nil {
				return false, err
			}
			m.logf("edge: the copy of the records from KV is complete")
			return true, nil
		}
		for _, k := range page.Keys {
			if _, err := m.store.call(ctx, strings.TrimPrefix(k, migrationShardPrefix), "seal"); err != nil {
				return false, fmt.Errorf("edge: sealing %.80q: %w", k, err)
			}
			if err := m.store.Delete(ctx, k); err != nil {
				return false, err
			}
			calls += 2
		}
	}
	return false, nil
}
