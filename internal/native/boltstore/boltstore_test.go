package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

func openTemp(t testing.TB, now func() time.Time) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "poolgate.db")
	s, err := Open(path, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, _ := openTemp(t, now)
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "poolgate.db")
	ctx := context.Background()
	s, err := Open(path, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "user/alice", []byte("\x00record"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "session/1", []byte("short"), store.PutOptions{TTL: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, clk.Now)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, err := s.Get(ctx, "user/alice"); err != nil || string(got) != "\x00record" {
		t.Fatalf("after reopen Get = %q, %v", got, err)
	}
	if got, err := s.Get(ctx, "session/1"); err != nil || string(got) != "short" {
		t.Fatalf("after reopen Get of TTL key = %q, %v", got, err)
	}
	// The expiry was persisted with the value.
	clk.Advance(5*time.Minute + time.Second)
	if _, err := s.Get(ctx, "session/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TTL key after its expiry across a reopen: %v", err)
	}
	page, err := s.List(ctx, "", "", 0)
	if err != nil || strings.Join(page.Keys, ",") != "user/alice" {
		t.Fatalf("List after reopen = %+v, %v", page, err)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	s, path := openTemp(t, nil)
	_ = s
	began := time.Now()
	other, err := open(path, nil, 50*time.Millisecond)
	if err == nil {
		other.Close()
		t.Fatal("a second Open of a held file succeeded")
	}
	if !strings.Contains(err.Error(), "data dir is in use by another poolgate") {
		t.Fatalf("second Open: %v", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("second Open took %v", d)
	}
	// Once the first holder closes, the file opens again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := open(path, nil, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}

func TestOpenBadPath(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing-dir", "poolgate.db"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "boltstore: open ") {
		t.Fatalf("Open in a missing directory: %v", err)
	}
}

// rawKeys lists every key physically in the bucket, expired or not.
func rawKeys(t *testing.T, s *Store) []string {
	t.Helper()
	var keys []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestSweepDeletesOnlyExpired(t *testing.T) {
	clk := storetest.NewClock(time.Unix(1_700_000_000, 0))
	s, _ := openTemp(t, clk.Now)
	ctx := context.Background()
	// Adjacent expired keys: deleting while iterating would skip every other one.
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := s.Put(ctx, "x/"+k, []byte(k), store.PutOptions{TTL: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"keep", "x/later", "x/zz"} {
		opts := store.PutOptions{}
		if k == "x/later" {
			opts.TTL = time.Hour
		}
		if err := s.Put(ctx, k, []byte(k), opts); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if n := len(rawKeys(t, s)); n != 9 {
		t.Fatalf("Sweep before any expiry left %d keys, want 9", n)
	}
	clk.Advance(2 * time.Minute)
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rawKeys(t, s), ","); got != "keep,x/later,x/zz" {
		t.Fatalf("after Sweep the file holds %s", got)
	}
	clk.Advance(time.Hour)
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rawKeys(t, s), ","); got != "keep,x/zz" {
		t.Fatalf("after the second Sweep the file holds %s", got)
	}
}

func TestRecordLayout(t *testing.T) {
	at := time.Unix(1_700_000_000, 123)
	s, _ := openTemp(t, func() time.Time { return at })
	ctx := context.Background()
	if err := s.Put(ctx, "ttl", []byte("v1"), store.PutOptions{TTL: 90 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "plain", []byte("v2"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, []store.Op{store.Create("c/1", []byte("v3"), 0), store.Set("c/2", nil, time.Hour)}); err != nil {
		t.Fatal(err)
	}
	raw := rawRecords(t, s)
	header := func(exp time.Time, version uint64) []byte {
		h := make([]byte, 16)
		var e uint64
		if !exp.IsZero() {
			e = uint64(exp.UnixNano())
		}
		binary.BigEndian.PutUint64(h, 1<<63|e)
		binary.BigEndian.PutUint64(h[8:], version)
		return h
	}
	// A fresh file's sequence starts above the legacy version 1; a commit's writes share one version.
	for k, want := range map[string][]byte{
		"ttl":   append(header(at.Add(90*time.Second), 2), "v1"...),
		"plain": append(header(time.Time{}, 3), "v2"...),
		"c/1":   append(header(time.Time{}, 4), "v3"...),
		"c/2":   header(at.Add(time.Hour), 4),
	} {
		if !bytes.Equal(raw[k], want) {
			t.Errorf("%s record = %x, want %x", k, raw[k], want)
		}
	}
}

func rawRecords(t *testing.T, s *Store) map[string][]byte {
	t.Helper()
	raw := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			raw[string(k)] = append([]byte{}, v...)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestLegacyFile opens a file written before versions existed (8-byte expiry headers, no
// sequence): its users are still there, at version 1, and every write upgrades a record.
func TestLegacyFile(t *testing.T) {
	clk := storetest.NewClock(time.Unix(1_700_000_000, 0))
	path := filepath.Join(t.TempDir(), "poolgate.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	legacy := func(value string, exp time.Time) []byte {
		h := make([]byte, 8)
		if !exp.IsZero() {
			binary.BigEndian.PutUint64(h, uint64(exp.UnixNano()))
		}
		return append(h, value...)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		for k, v := range map[string][]byte{
			"uu/pool1/alice":   legacy(`{"user":"alice"}`, time.Time{}),
			"ux/pool1/alice":   legacy("sub-alice", time.Time{}),
			"uu/pool1/bob":     legacy("\x00bob", time.Time{}),
			"rtu/pool1/token":  legacy("family", clk.Now().Add(time.Hour)),
			"srpu/pool1/spent": legacy("", clk.Now().Add(time.Minute)),
		} {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if got, err := s.Get(ctx, "uu/pool1/alice"); err != nil || string(got) != `{"user":"alice"}` {
		t.Fatalf("Get of a legacy record = %q, %v", got, err)
	}
	alice, err := s.GetEntry(ctx, "uu/pool1/alice")
	if err != nil || alice.Version != legacyVersion || string(alice.Value) != `{"user":"alice"}` {
		t.Fatalf("GetEntry of a legacy record = %q v%d, %v", alice.Value, alice.Version, err)
	}
	page, err := s.List(ctx, "", "", 0)
	if want := "rtu/pool1/token,srpu/pool1/spent,uu/pool1/alice,uu/pool1/bob,ux/pool1/alice"; err != nil || strings.Join(page.Keys, ",") != want {
		t.Fatalf("List of a legacy file = %q, %v; want %s", page.Keys, err, want)
	}
	// A username held by a legacy record stays taken.
	if err := s.Commit(ctx, []store.Op{store.Create("ux/pool1/alice", []byte("thief"), 0)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Create over a legacy record: %v", err)
	}
	// A compare-and-swap on a legacy record upgrades it.
	err = s.Commit(ctx, []store.Op{
		store.PutIf("uu/pool1/alice", legacyVersion, []byte(`{"user":"alice","v":2}`), 0),
		store.Check("ux/pool1/alice", legacyVersion),
	})
	if err != nil {
		t.Fatalf("PutIf at the legacy version: %v", err)
	}
	now, err := s.GetEntry(ctx, "uu/pool1/alice")
	if err != nil || now.Version <= legacyVersion {
		t.Fatalf("after the upgrade: v%d, %v", now.Version, err)
	}
	if err := s.Commit(ctx, []store.Op{store.PutIf("uu/pool1/alice", legacyVersion, nil, 0)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("PutIf at the legacy version after an upgrade: %v", err)
	}
	if raw := rawRecords(t, s)["uu/pool1/alice"]; len(raw) < 16 || raw[0]&0x80 == 0 {
		t.Fatalf("the rewritten record is still legacy: %x", raw)
	}
	// Legacy expiries hold: for reads, for conditions and for Sweep.
	clk.Advance(2 * time.Minute)
	if _, err := s.GetEntry(ctx, "srpu/pool1/spent"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired legacy record: %v", err)
	}
	if err := s.Commit(ctx, []store.Op{store.Check("srpu/pool1/spent", store.NoVersion)}); err != nil {
		t.Fatalf("an expired legacy record must count as absent: %v", err)
	}
	if got, err := s.Get(ctx, "rtu/pool1/token"); err != nil || string(got) != "family" {
		t.Fatalf("live legacy TTL record = %q, %v", got, err)
	}
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rawKeys(t, s), ","); got != "rtu/pool1/token,uu/pool1/alice,uu/pool1/bob,ux/pool1/alice" {
		t.Fatalf("after Sweep the file holds %s", got)
	}
	// Deleted and created again, a legacy key never gets the legacy version back.
	if err := s.Delete(ctx, "uu/pool1/bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "uu/pool1/bob", []byte("bob"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if bob, err := s.GetEntry(ctx, "uu/pool1/bob"); err != nil || bob.Version <= now.Version {
		t.Fatalf("re-created legacy key: v%d, %v; want above v%d", bob.Version, err, now.Version)
	}
}

// TestVersionsSurviveReopen: the sequence is in the file, so a key deleted before a restart
// and created after it does not get an old version back.
func TestVersionsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "poolgate.db")
	ctx := context.Background()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Put(ctx, "k", []byte("v"), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.GetEntry(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Commit(ctx, []store.Op{store.Create("k", []byte("v"), 0)}); err != nil {
		t.Fatal(err)
	}
	if after, err := s.GetEntry(ctx, "k"); err != nil || after.Version <= before.Version {
		t.Fatalf("after a reopen: v%d, %v; want above v%d", after.Version, err, before.Version)
	}
}

func TestCorruptRecord(t *testing.T) {
	s, _ := openTemp(t, nil)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte("bad"), []byte{1, 2, 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "bad"); err == nil || errors.Is(err, store.ErrNotFound) ||
		!strings.HasPrefix(err.Error(), "boltstore: ") {
		t.Fatalf("Get of a corrupt record: %v", err)
	}
	if _, err := s.List(context.Background(), "", "", 0); err == nil {
		t.Fatal("List over a corrupt record: no error")
	}
	if err := s.Sweep(); err != nil {
		t.Fatalf("Sweep must leave corrupt records alone: %v", err)
	}
}

func TestInvalidCursor(t *testing.T) {
	s, _ := openTemp(t, nil)
	for _, c := range []string{"!!!", "YQ==", "a b"} {
		if _, err := s.List(context.Background(), "", c, 10); err == nil || !strings.HasPrefix(err.Error(), "boltstore: ") {
			t.Errorf("List with cursor %q: %v", c, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{}, int64(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, int64(1))
	f.Add(encode([]byte("value"), time.Unix(100, 0), 7), int64(100_000_000_000))
	f.Add(encode(nil, time.Time{}, 2), int64(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 9, 'l', 'e', 'g'}, int64(5))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'}, int64(-1))
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, nowNanos int64) {
		now := time.Unix(0, nowNanos)
		r, err := decode(raw, now)
		if len(raw) < legacyHeaderLen {
			if err == nil {
				t.Fatalf("decode of %d bytes: no error", len(raw))
			}
			return
		}
		exp := binary.BigEndian.Uint64(raw)
		if exp&flagV2 == 0 {
			// Legacy: always decodes, at the legacy version.
			if err != nil || r.version != legacyVersion || !bytes.Equal(r.value, raw[legacyHeaderLen:]) {
				t.Fatalf("legacy decode = %+v, %v", r, err)
			}
			if exp == 0 && !r.live {
				t.Fatal("a legacy record without expiry is not live")
			}
			return
		}
		if err != nil {
			if len(raw) >= headerLen && binary.BigEndian.Uint64(raw[8:]) > uint64(legacyVersion) {
				t.Fatalf("decode of a well-formed record: %v", err)
			}
			return
		}
		if r.version <= legacyVersion || !bytes.Equal(r.value, raw[headerLen:]) {
			t.Fatalf("decode = %+v", r)
		}
		exp &^= flagV2
		if exp == 0 && !r.live {
			t.Fatal("a record without expiry is not live")
		}
		// Round trip through encode.
		var expires time.Time
		if exp != 0 {
			expires = time.Unix(0, int64(exp))
		}
		if again := encode(r.value, expires, r.version); !bytes.Equal(again, raw) {
			t.Fatalf("encode(decode(%x)) = %x", raw, again)
		}
	})
}

func FuzzListCursor(f *testing.F) {
	f.Add("", "")
	f.Add("a/", encodeCursor("a/b"))
	f.Add("", "%%%")
	f.Add("é", encodeCursor("é"))
	s, err := Open(filepath.Join(f.TempDir(), "fuzz.db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	for _, k := range []string{"a", "a/", "a/b", "a/c", "ab", "é", "é/1"} {
		if err := s.Put(context.Background(), k, nil, store.PutOptions{}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, prefix, cursor string) {
		page, err := s.List(context.Background(), prefix, cursor, 2)
		if err != nil {
			return
		}
		after, _ := decodeCursor(cursor)
		for i, k := range page.Keys {
			if !strings.HasPrefix(k, prefix) || (cursor != "" && k <= string(after)) {
				t.Fatalf("List(%q, %q) returned %q", prefix, cursor, k)
			}
			if i > 0 && page.Keys[i-1] >= k {
				t.Fatalf("unordered page %q", page.Keys)
			}
		}
	})
}
