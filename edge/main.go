//go:build js && wasm

// Command edge is poolgate's server core as a Cloudflare Worker (GOOS=js GOARCH=wasm): the
// Go half of the Worker, which serves every request of one isolate from one long-lived Go
// instance, on Durable Objects (edge/store_do.mjs), with the runtime's native crypto.
//
// The JS glue (worker.mjs) starts this program inside the isolate's first request, hands it
// a bridge object (globalThis.__poolgate, edge/bridge.mjs: the Worker env, the instance number,
// the per-request pumps that make Go's asynchronous calls in each request's own context, the
// crypto and fetch helpers) and waits for main to register its request function. main never returns: a
// js/wasm program that returns exits, and the next request would pay Go's start-up again.
// Build it with
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o edge/build/poolgate.wasm ./edge
package main

import (
	"log"
	"os"
	"syscall/js"

	"github.com/poolgate/poolgate/internal/bound"
)

// bridgeName is the global the glue puts the bridge object under before starting Go.
const bridgeName = "__poolgate"

func main() {
	log.SetFlags(0)
	// Every log line goes to the Worker's console clipped (bound.LogBytes): a line may quote
	// a request, and a request may be megabytes.
	log.SetOutput(bound.Writer(os.Stderr))
	bridge := js.Global().Get(bridgeName)
	if bridge.Type() != js.TypeObject || bridge.Get("register").Type() != js.TypeFunction {
		log.Fatalf("edge: no %s bridge: start this program from the Worker glue (edge/worker.mjs)", bridgeName)
	}
	a := newApp(bridge)
	// poke does nothing itself: calling into Go lets its scheduler run what is due.
	poke := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	bridge.Call("register", js.FuncOf(a.handle), poke)
	select {} // keep the instance: the glue calls handle for every request
}
