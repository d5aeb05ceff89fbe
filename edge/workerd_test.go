//go:build js && wasm

package main

import (
	"context"
	"syscall/js"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
)

// These tests run inside workerd: tests/workerd builds this package's test binary
// (GOOS=js GOARCH=wasm go test -c ./edge) and runs it in a Worker (tests/workerd/testworker.mjs)
// that provides the bridge of edge/bridge.mjs and a local KV namespace. Outside a Worker
// (e.g. under node) the tests that need the runtime skip; the driver checks they passed.

// testBridge returns the bridge the test Worker installed, or skips.
func testBridge(t testing.TB) js.Value {
	t.Helper()
	b := js.Global().Get(bridgeName)
	if b.Type() != js.TypeObject {
		t.Skip("needs the Worker runtime: run through tests/workerd (make test-edge)")
	}
	return b
}

// testKV returns the test Worker's KV namespace, emptied.
func testKV(t testing.TB) *kvStore {
	t.Helper()
	kv, err := newKVStore(testBridge(t).Get("env").Get(bindingKV))
	if err != nil {
		t.Fatal(err)
	}
	clearKV(t, kv)
	return kv
}

// clearKV deletes every key of the namespace.
func clearKV(t testing.TB, kv *kvStore) {
	t.Helper()
	ctx := context.Background()
	for {
		page, err := kv.List(ctx, "", "", 0)
		if err != nil {
			t.Fatalf("clearing KV: %v", err)
		}
		for _, k := range page.Keys {
			if err := kv.Delete(ctx, k); err != nil {
				t.Fatalf("clearing KV: %v", err)
			}
		}
		if len(page.Keys) == 0 && page.Cursor == "" {
			return
		}
	}
}

var _ store.Store = (*kvStore)(nil)
