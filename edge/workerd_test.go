//go:build js && wasm

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
)

// These tests run inside workerd: tests/workerd builds this package's test binary
// (GOOS=js GOARCH=wasm go test -c ./edge) and runs it in a Worker (tests/workerd/testworker.mjs)
// that provides the bridge of edge/bridge.mjs, the store's Durable Objects and a local KV
// namespace (a KV-era deployment's, for the migration). Outside a Worker (e.g. under node)
// the tests that need the runtime skip; the driver checks they passed.

// testBridge returns the bridge the test Worker installed, or skips.
func testBridge(t testing.TB) js.Value {
	t.Helper()
	b := js.Global().Get(bridgeName)
	if b.Type() != js.TypeObject {
		t.Skip("needs the Worker runtime: run through tests/workerd (make test-edge)")
	}
	return b
}

// testDO returns a store on Durable Objects of the test Worker that no other test uses (its
// objects' names have a prefix of their own), so it starts empty and unsealed.
func testDO(t testing.TB) *doStore {
	t.Helper()
	b := testBridge(t)
	client := b.Get("store")
	if client.Type() != js.TypeObject {
		t.Fatalf("the test Worker has no %s binding", bindingStore)
	}
	prefix := fmt.Sprintf("test%s-%d/", testRun(), testStores.Add(1))
	st, err := newDOStore(client.Get("constructor").New(b.Get("env").Get(bindingStore), prefix))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// testStores numbers the stores testDO made.
var testStores atomic.Int64

// testRun names this run of the test binary: a test Worker may run it more than once on
// the same Durable Objects (bench/edge -inside runs a benchmark again and again), and each
// run's stores must start empty.
var testRun = sync.OnceValue(func() string { return rand.Text()[:8] })

// testKV returns the test Worker's KV namespace binding, emptied.
func testKV(t testing.TB) js.Value {
	t.Helper()
	ns := testBridge(t).Get("env").Get(bindingKV)
	ctx := context.Background()
	for {
		res, err := await(ctx, ns.Call("list"))
		if err != nil {
			t.Fatalf("emptying KV: %v", err)
		}
		keys := res.Get("keys")
		for i := range keys.Length() {
			if _, err := await(ctx, ns.Call("delete", keys.Index(i).Get("name"))); err != nil {
				t.Fatalf("emptying KV: %v", err)
			}
		}
		if keys.Length() == 0 {
			return ns
		}
	}
}

var _ store.Store = (*doStore)(nil)
