//go:build js && wasm

// Command saml is the main Worker's SAML companion (GOOS=js GOARCH=wasm): a second Worker,
// reached only through the main Worker's service binding SAML (no route, no workers.dev URL),
// that does SAML's XML work with internal/federation/samlxml (github.com/crewjam/saml,
// goxmldsig, etree, encoding/xml, X.509), so that the main Worker's wasm links none of it
// (issue 17: the Worker's bundle size). It is stateless: each request carries the IdP metadata,
// the time and the request ID, and the main Worker keeps the metadata cache and the replay
// cache (internal/federation). The protocol is internal/federation/samlwire's.
//
// Its glue (worker.mjs) starts this program inside the isolate's first request (the Worker's
// global scope may not generate random numbers, and Go's runtime does at start) and keeps
// it: main registers its serve function and blocks. serve runs to completion synchronously:
// verifying a response is pure computation, with no I/O to wait for. Build it with
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o edge/saml/build/saml.wasm ./edge/saml
package main

import (
	"context"
	"syscall/js"

	"github.com/poolgate/poolgate/internal/federation/samlwire"
	"github.com/poolgate/poolgate/internal/federation/samlxml"
)

// bridgeName is the global the glue puts its bridge object under before starting Go.
const bridgeName = "__poolgateSAML"

func main() {
	bridge := js.Global().Get(bridgeName)
	if bridge.Type() != js.TypeObject || bridge.Get("register").Type() != js.TypeFunction {
		panic("saml: no " + bridgeName + " bridge: start this program from its glue (edge/saml/worker.mjs)")
	}
	bridge.Call("register", js.FuncOf(serve))
	select {} // keep the instance: the glue calls serve for every request
}

// serve(op string, body Uint8Array) → [status, answer Uint8Array].
func serve(_ js.Value, args []js.Value) any {
	status, answer := 400, []byte(`{"error":"serve(op, body) called with the wrong arguments"}`)
	if len(args) == 2 && args[0].Type() == js.TypeString && args[1].InstanceOf(js.Global().Get("Uint8Array")) {
		body := make([]byte, args[1].Length())
		js.CopyBytesToGo(body, args[1])
		status, answer = samlwire.Serve(context.Background(), samlxml.Engine{}, args[0].String(), body)
	}
	out := js.Global().Get("Uint8Array").New(len(answer))
	js.CopyBytesToJS(out, answer)
	return []any{status, out}
}
