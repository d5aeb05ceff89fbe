//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

// TestKVConformance runs the store conformance suite against Workers KV (local, in workerd).
// KV keeps its own clock, so the subtests that move the suite's clock are skipped.
func TestKVConformance(t *testing.T) {
	testBridge(t)
	storetest.RunWith(t, storetest.RunOptions{RealClockOnly: true}, func(t *testing.T, _ func() time.Time) store.Store {
		return testKV(t)
	})
}

// TestKVMissingIsNotFound: a missing key is store.ErrNotFound, never a value like "<null>".
func TestKVMissingIsNotFound(t *testing.T) {
	kv := testKV(t)
	v, err := kv.Get(context.Background(), "never/written")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) = %q, %v; want store.ErrNotFound", v, err)
	}
	if err := kv.Put(context.Background(), "null", []byte("<null>"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, err := kv.Get(context.Background(), "null"); err != nil || string(v) != "<null>" {
		t.Fatalf("Get(null) = %q, %v", v, err)
	}
}

// TestKVTTLSent: the TTL reaches KV in whole seconds, at least 60, and none without a TTL.
func TestKVTTLSent(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want int64
	}{
		{0, 0}, {-time.Hour, 0}, {time.Nanosecond, 60}, {time.Second, 60}, {60 * time.Second, 60},
		{60*time.Second + time.Millisecond, 61}, {time.Hour, 3600}, {1 << 62, 1<<31 - 1},
	} {
		if got := ttlSeconds(tc.ttl); got != tc.want {
			t.Errorf("ttlSeconds(%v) = %d, want %d", tc.ttl, got, tc.want)
		}
	}
	kv := testKV(t)
	ctx := context.Background()
	if err := kv.Put(ctx, "ttl/short", []byte("v"), store.PutOptions{TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(ctx, "ttl/none", []byte("v"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// KV reports each key's expiration (Unix seconds) in a listing.
	res, err := await(ctx, kv.ns.Call("list", map[string]any{"prefix": "ttl/"}))
	if err != nil {
		t.Fatal(err)
	}
	keys := res.Get("keys")
	now := time.Now().Unix()
	for i := range keys.Length() {
		k := keys.Index(i)
		exp := k.Get("expiration")
		switch name := k.Get("name").String(); name {
		case "ttl/none":
			if !exp.IsUndefined() {
				t.Errorf("%s: expiration %v, want none", name, safeString(exp))
			}
		case "ttl/short":
			if exp.Type() != js.TypeNumber || exp.Int() < int(now)+59 || exp.Int() > int(now)+61 {
				t.Errorf("%s: expiration %v, want about now+60 (%d)", name, safeString(exp), now+60)
			}
		}
	}
}

// fakeKV is a KV binding whose writes are refused as rate-limited a given number of times.
type fakeKV struct {
	refusals int // writes still to refuse
	writes   int
	funcs    []js.Func
}

func (f *fakeKV) binding() js.Value {
	promise := js.Global().Get("Promise")
	obj := jsObject.New()
	write := js.FuncOf(func(js.Value, []js.Value) any {
		f.writes++
		if f.refusals > 0 {
			f.refusals--
			return promise.Call("reject", js.Global().Get("Error").New("KV PUT failed: 429 Too Many Requests"))
		}
		return promise.Call("resolve", js.Undefined())
	})
	get := js.FuncOf(func(js.Value, []js.Value) any { return promise.Call("resolve", js.Null()) })
	f.funcs = append(f.funcs, write, get)
	obj.Set("put", write)
	obj.Set("delete", write)
	obj.Set("get", get)
	return obj
}

func (f *fakeKV) release() {
	for _, fn := range f.funcs {
		fn.Release()
	}
}

// TestKVRateLimitRetry: a write KV refuses with 429 (one write per second per key) is retried
// after each back-off, and fails once the back-offs are used up; other errors are not retried.
func TestKVRateLimitRetry(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		refusals int
		wantErr  bool
		wantWait []time.Duration
	}{
		{"accepted", 0, false, nil},
		{"once", 1, false, []time.Duration{time.Second}},
		{"twice", 2, false, []time.Duration{time.Second, 2 * time.Second}},
		{"always", 3, true, []time.Duration{time.Second, 2 * time.Second}},
	} {
		for _, op := range []string{"put", "delete"} {
			f := &fakeKV{refusals: tc.refusals}
			kv, err := newKVStore(f.binding())
			if err != nil {
				t.Fatal(err)
			}
			var waited []time.Duration
			kv.sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
			if op == "put" {
				err = kv.Put(ctx, "k", []byte("v"), store.PutOptions{})
			} else {
				err = kv.Delete(ctx, "k")
			}
			f.release()
			if (err != nil) != tc.wantErr {
				t.Errorf("%s %s: err = %v, want error %v", tc.name, op, err, tc.wantErr)
			}
			if tc.wantErr && (err == nil || !strings.Contains(err.Error(), "429")) {
				t.Errorf("%s %s: error %v does not say why", tc.name, op, err)
			}
			if len(waited) != len(tc.wantWait) {
				t.Errorf("%s %s: waited %v, want %v", tc.name, op, waited, tc.wantWait)
			}
			for i := range min(len(waited), len(tc.wantWait)) {
				if waited[i] != tc.wantWait[i] {
					t.Errorf("%s %s: waited %v, want %v", tc.name, op, waited, tc.wantWait)
				}
			}
		}
	}
	// A canceled wait ends the retries with the context's error.
	f := &fakeKV{refusals: 5}
	defer f.release()
	kv, _ := newKVStore(f.binding())
	kv.sleep = func(ctx context.Context, _ time.Duration) error { return context.Canceled }
	if err := kv.Put(ctx, "k", nil, store.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled back-off: %v, want context.Canceled", err)
	}
	if f.writes != 1 {
		t.Errorf("Put with a canceled back-off wrote %d times, want 1", f.writes)
	}
}

// TestKVRejectsBadKeysBeforeJS: keys KV cannot hold never reach the binding.
func TestKVRejectsBadKeysBeforeJS(t *testing.T) {
	f := &fakeKV{}
	defer f.release()
	kv, _ := newKVStore(f.binding())
	ctx := context.Background()
	for _, key := range []string{"", ".", "..", "a\xffb", strings.Repeat("k", store.MaxKeyLen+1)} {
		if err := kv.Put(ctx, key, []byte("v"), store.PutOptions{}); err == nil {
			t.Errorf("Put(%q) succeeded", key)
		}
		if err := kv.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q) succeeded", key)
		}
		if _, err := kv.Get(ctx, key); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want a key error", key, err)
		}
	}
	if f.writes != 0 {
		t.Errorf("%d writes reached the binding", f.writes)
	}
	if _, err := newKVStore(js.Undefined()); err == nil {
		t.Error("newKVStore(undefined) succeeded")
	}
}

// TestKVRetriesCrossRequestRefusal: a call workerd refused as cross-request I/O is repeated
// (at most crossRequestRetries times); other failures are not.
func TestKVRetriesCrossRequestRefusal(t *testing.T) {
	promise := js.Global().Get("Promise")
	for _, tc := range []struct {
		name     string
		refusals int
		message  string
		wantErr  bool
		wantGets int
	}{
		{"once", 1, "Cannot perform I/O on behalf of a different request.", false, 2},
		{"always", 5, "Cannot perform I/O on behalf of a different request.", true, 1 + crossRequestRetries},
		{"other error", 1, "KV GET failed: 500", true, 1},
	} {
		gets, left := 0, tc.refusals
		get := js.FuncOf(func(js.Value, []js.Value) any {
			gets++
			if left > 0 {
				left--
				return promise.Call("reject", js.Global().Get("Error").New(tc.message))
			}
			return promise.Call("resolve", bytesToJS([]byte("v")).Get("buffer"))
		})
		obj := jsObject.New()
		obj.Set("get", get)
		kv, _ := newKVStore(obj)
		v, err := kv.Get(context.Background(), "k")
		get.Release()
		if (err != nil) != tc.wantErr || (err == nil && string(v) != "v") {
			t.Errorf("%s: Get = %q, %v; want error %v", tc.name, v, err, tc.wantErr)
		}
		if gets != tc.wantGets {
			t.Errorf("%s: %d calls to get, want %d", tc.name, gets, tc.wantGets)
		}
	}
}
