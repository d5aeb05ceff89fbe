package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRetry(t *testing.T) {
	ctx := context.Background()
	calls := 0
	if err := Retry(ctx, func() error { calls++; return ErrConflict }); !errors.Is(err, ErrContended) || calls != MaxAttempts {
		t.Fatalf("always conflicting: %v after %d attempts, want ErrContended after %d", err, calls, MaxAttempts)
	}
	calls = 0
	if err := Retry(ctx, func() error {
		if calls++; calls < 3 {
			return ErrConflict
		}
		return nil
	}); err != nil || calls != 3 {
		t.Fatalf("success on the third attempt: %v after %d", err, calls)
	}
	other := errors.New("boom")
	calls = 0
	if err := Retry(ctx, func() error { calls++; return other }); err != other || calls != 1 {
		t.Fatalf("another error: %v after %d attempts, want it at once", err, calls)
	}
	canceled, cancel := context.WithCancel(ctx)
	calls = 0
	if err := Retry(canceled, func() error { calls++; cancel(); return ErrConflict }); !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("canceled during an attempt: %v after %d attempts", err, calls)
	}
}

func TestShard(t *testing.T) {
	for key, want := range map[string]string{
		"uu/pool1/sub":         "p/pool1",
		"ux/pool1/alice":       "p/pool1",
		"ugm/pool2/g/sub":      "p/pool2",
		"srpu/pool1/x":         "p/pool1",
		"uu/pool1":             "p/pool1",
		"pool/pool1":           "global",
		"client/c1":            "global",
		"uu":                   "global",
		"identity/us-e:1":      "global",
		"lk/pool3/sub/ip":      "p/pool3",
		"rv/pool1/sub":         "p/pool1",
		"cu/pool1/code/xy":     "p/pool1",
		"ufl/pool4/6:Google:1": "p/pool4",
		"sar/pool4/ab12":       "p/pool4",
	} {
		if got := Shard(key); got != want {
			t.Errorf("Shard(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestCheckKey(t *testing.T) {
	for _, ok := range []string{"a", "uu/p/€", strings.Repeat("k", MaxKeyLen), "..."} {
		if err := CheckKey(ok); err != nil {
			t.Errorf("CheckKey(%.20q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "\xff", strings.Repeat("k", MaxKeyLen+1)} {
		if err := CheckKey(bad); err == nil {
			t.Errorf("CheckKey(%.20q): no error", bad)
		}
	}
	if err := CheckCommit([]Op{Set("a", nil, 0), Create("..", nil, 0)}); err == nil {
		t.Error("CheckCommit passed a bad key")
	}
}
