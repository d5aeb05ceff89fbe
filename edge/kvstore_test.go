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
)

// TestKVMissingIsNotFound: a missing key is store.ErrNotFound, never a value like "<null>".
func TestKVMissingIsNotFound(t *testing.T) {
	ns := testKV(t)
	kv, err := newKVSource(ns)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := kv.Get(ctx, "never/written")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) = %q, %v; want store.ErrNotFound", v, err)
	}
	if _, err := await(ctx, ns.Call("put", "null", bytesToJS([]byte("<null>")).Get("buffer"))); err != nil {
		t.Fatal(err)
	}
	if v, err := kv.Get(ctx, "null"); err != nil || string(v) != "<null>" {
		t.Fatalf("Get(null) = %q, %v", v, err)
	}
}

// TestKVListExpirations: the migration's listing pages through every key with its
// expiration (Unix seconds; 0 for none).
func TestKVListExpirations(t *testing.T) {
	ns := testKV(t)
	kv, _ := newKVSource(ns)
	ctx := context.Background()
	names := []string{"a/1", "a/2", "b", "c/é"}
	for _, k := range names {
		opts := map[string]any{}
		if k == "b" {
			opts["expirationTtl"] = 3600
		}
		if _, err := await(ctx, ns.Call("put", k, bytesToJS([]byte(k)).Get("buffer"), opts)); err != nil {
			t.Fatal(err)
		}
	}
	var got []kvKey
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > len(names) {
			t.Fatalf("no end of the listing after %d pages", pages)
		}
		keys, next, err := kv.list(ctx, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keys...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(got) != len(names) {
		t.Fatalf("listed %v, want %v", got, names)
	}
	now := time.Now().Unix()
	for i, k := range got {
		if k.Name != names[i] {
			t.Errorf("key %d = %q, want %q", i, k.Name, names[i])
		}
		if k.Name == "b" && (k.Expiration < now+3590 || k.Expiration > now+3610) {
			t.Errorf("b expires at %d, want about %d", k.Expiration, now+3600)
		}
		if k.Name != "b" && k.Expiration != 0 {
			t.Errorf("%s expires at %d, want never", k.Name, k.Expiration)
		}
	}
}

// fakeKV is a KV binding whose get fails with message refusals times, then answers "v".
type fakeKV struct {
	refusals int
	message  string
	gets     int
	funcs    []js.Func
}

func (f *fakeKV) binding() js.Value {
	promise := js.Global().Get("Promise")
	obj := jsObject.New()
	get := js.FuncOf(func(js.Value, []js.Value) any {
		f.gets++
		if f.refusals > 0 {
			f.refusals--
			return promise.Call("reject", js.Global().Get("Error").New(f.message))
		}
		return promise.Call("resolve", bytesToJS([]byte("v")).Get("buffer"))
	})
	list := js.FuncOf(func(js.Value, []js.Value) any { return promise.Call("resolve", js.Null()) })
	f.funcs = append(f.funcs, get, list)
	obj.Set("get", get)
	obj.Set("list", list)
	return obj
}

func (f *fakeKV) release() {
	for _, fn := range f.funcs {
		fn.Release()
	}
}

// TestKVRejectsBadKeysBeforeJS: keys no backend holds never reach the binding.
func TestKVRejectsBadKeysBeforeJS(t *testing.T) {
	f := &fakeKV{}
	defer f.release()
	kv, err := newKVSource(f.binding())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", ".", "..", "a\xffb", strings.Repeat("k", store.MaxKeyLen+1)} {
		if _, err := kv.Get(context.Background(), key); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want a key error", key, err)
		}
	}
	if f.gets != 0 {
		t.Errorf("%d gets reached the binding", f.gets)
	}
	if _, err := newKVSource(js.Undefined()); err == nil {
		t.Error("newKVSource(undefined) succeeded")
	}
}

// TestKVRetriesCrossRequestRefusal: a call workerd refused as cross-request I/O is repeated
// (at most crossRequestRetries times); other failures are not, and long messages are cut.
func TestKVRetriesCrossRequestRefusal(t *testing.T) {
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
		{"long error", 1, strings.Repeat("x", 10000), true, 1},
	} {
		f := &fakeKV{refusals: tc.refusals, message: tc.message}
		kv, _ := newKVSource(f.binding())
		v, err := kv.Get(context.Background(), "k")
		f.release()
		if (err != nil) != tc.wantErr || (err == nil && string(v) != "v") {
			t.Errorf("%s: Get = %q, %v; want error %v", tc.name, v, err, tc.wantErr)
		}
		if err != nil && len(err.Error()) > maxErrText+200 {
			t.Errorf("%s: error of %d bytes", tc.name, len(err.Error()))
		}
		if f.gets != tc.wantGets {
			t.Errorf("%s: %d calls to get, want %d", tc.name, f.gets, tc.wantGets)
		}
	}
}
