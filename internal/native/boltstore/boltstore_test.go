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

func openTemp(t *testing.T, now func() time.Time) (*Store, string) {
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
	raw := map[string][]byte{}
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			raw[string(k)] = append([]byte{}, v...)
			return nil
		})
	})
	wantExp := make([]byte, 8)
	binary.BigEndian.PutUint64(wantExp, uint64(at.Add(90*time.Second).UnixNano()))
	if want := append(wantExp, "v1"...); !bytes.Equal(raw["ttl"], want) {
		t.Fatalf("ttl record = %x, want %x", raw["ttl"], want)
	}
	if want := append(make([]byte, 8), "v2"...); !bytes.Equal(raw["plain"], want) {
		t.Fatalf("plain record = %x, want %x", raw["plain"], want)
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
	f.Add(encode([]byte("value"), time.Unix(100, 0)), int64(100_000_000_000))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x'}, int64(-1))
	f.Fuzz(func(t *testing.T, raw []byte, nowNanos int64) {
		now := time.Unix(0, nowNanos)
		value, live, err := decode(raw, now)
		if len(raw) < headerLen {
			if err == nil {
				t.Fatalf("decode of %d bytes: no error", len(raw))
			}
			return
		}
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !bytes.Equal(value, raw[headerLen:]) {
			t.Fatal("decode changed the value")
		}
		exp := binary.BigEndian.Uint64(raw)
		if exp == 0 && !live {
			t.Fatal("a record without expiry is not live")
		}
		// Round trip through encode when the expiry is representable.
		if exp != 0 && exp <= 1<<62 {
			again := encode(value, time.Unix(0, int64(exp)))
			if !bytes.Equal(again, raw) {
				t.Fatalf("encode(decode(%x)) = %x", raw, again)
			}
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
