package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// TestLongKeysAbsent: a read of a key no backend can hold is "not found" (so an over-long ID
// in a request is a 4xx, not a store fault); writes of it still fail, other reads pass through.
func TestLongKeysAbsent(t *testing.T) {
	ctx := context.Background()
	st := longKeysAbsent{memstore.New(time.Now)}
	long := "cl/" + strings.Repeat("a", 300_000)
	if _, err := st.Get(ctx, long); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(long key) = %v, want store.ErrNotFound", err)
	}
	if err := st.Put(ctx, long, []byte("v"), store.PutOptions{}); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Put(long key) = %v, want a key error", err)
	}
	if err := st.Put(ctx, "k", []byte("v"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get(k) = %q, %v", v, err)
	}
	if _, err := st.Get(ctx, ""); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(\"\") = %v: other key errors must pass through", err)
	}
}
