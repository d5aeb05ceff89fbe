package memstore

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return New(now) })
}

func TestNilClockUsesWallTime(t *testing.T) {
	s := New(nil)
	ctx := context.Background()
	if err := s.Put(ctx, "k", []byte("v"), store.PutOptions{TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	e := s.entries["k"]
	if d := time.Until(e.expires); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("expiry %v from now, want about an hour", d)
	}
}

func TestInvalidCursor(t *testing.T) {
	s := New(nil)
	ctx := context.Background()
	long := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("k", store.MaxKeyLen+1)))
	for _, c := range []string{"!!!", "a=b", "YQ==", long} {
		if _, err := s.List(ctx, "", c, 10); err == nil || !strings.HasPrefix(err.Error(), "memstore: ") {
			t.Errorf("List with cursor %q: %v, want a memstore error", c, err)
		}
	}
}

func TestCursorBeforePrefixStartsAtPrefix(t *testing.T) {
	s := New(nil)
	ctx := context.Background()
	for _, k := range []string{"a", "b/1", "b/2", "c"} {
		if err := s.Put(ctx, k, nil, store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.List(ctx, "b/", encodeCursor("a"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(page.Keys, ",") != "b/1,b/2" || page.Cursor != "" {
		t.Fatalf("List = %+v", page)
	}
	page, err = s.List(ctx, "b/", encodeCursor("b/2"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 0 || page.Cursor != "" {
		t.Fatalf("List after the last key = %+v", page)
	}
}

// Expired entries are dropped from memory when a read or a listing meets them.
func TestExpiredEntriesArePurged(t *testing.T) {
	clk := storetest.NewClock(time.Unix(1000, 0))
	s := New(clk.Now)
	ctx := context.Background()
	for _, k := range []string{"t/1", "t/2", "t/3", "keep"} {
		opts := store.PutOptions{TTL: time.Minute}
		if k == "keep" {
			opts = store.PutOptions{}
		}
		if err := s.Put(ctx, k, []byte("v"), opts); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	if _, err := s.Get(ctx, "t/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get expired: %v", err)
	}
	if len(s.entries) != 3 || len(s.keys) != 3 {
		t.Fatalf("after Get of an expired key: %d entries, %d index keys; want 3", len(s.entries), len(s.keys))
	}
	if _, err := s.List(ctx, "t/", "", 0); err != nil {
		t.Fatal(err)
	}
	if len(s.entries) != 1 || len(s.keys) != 1 || s.keys[0] != "keep" {
		t.Fatalf("after List: entries %d, keys %q", len(s.entries), s.keys)
	}
}

func FuzzList(f *testing.F) {
	f.Add("", "", 0)
	f.Add("a/", encodeCursor("a/b"), 1)
	f.Add("", "!!", 3)
	f.Add("é", encodeCursor("\xff"), -5)
	f.Add("a", encodeCursor("b"), 2000)
	keys := []string{"a", "a/", "a/b", "a/c", "ab", "b", "é", "é/1", "😀"}
	f.Fuzz(func(t *testing.T, prefix, cursor string, limit int) {
		s := New(nil)
		ctx := context.Background()
		for _, k := range keys {
			if err := s.Put(ctx, k, []byte(k), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := s.List(ctx, prefix, cursor, limit)
		if err != nil {
			return
		}
		after, _ := decodeCursor(cursor)
		for i, k := range page.Keys {
			if !strings.HasPrefix(k, prefix) || (cursor != "" && k <= after) {
				t.Fatalf("List(%q, %q) returned %q", prefix, cursor, k)
			}
			if i > 0 && page.Keys[i-1] >= k {
				t.Fatalf("unordered page %q", page.Keys)
			}
		}
		if page.Cursor != "" {
			if _, err := decodeCursor(page.Cursor); err != nil {
				t.Fatalf("returned cursor %q does not decode: %v", page.Cursor, err)
			}
		}
	})
}
