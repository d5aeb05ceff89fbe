//go:build js && wasm

// Command web is poolgate's browser client SDK: package sdk compiled to WebAssembly
// (GOOS=js GOARCH=wasm) and bound to the page. It installs globalThis.poolgateSDK, whose
// create(config, storage, modexp, deviceStorage) returns a client whose methods return promises; the JS
// module web/static/poolgate.js loads it and is what pages import.
//
// Build: GOOS=js GOARCH=wasm go build -o build/web/poolgate-sdk.wasm ./web
package main

import (
	"syscall/js"
)

func main() {
	js.Global().Set("poolgateSDK", js.ValueOf(map[string]any{
		"create":    js.FuncOf(create),
		"qrCodeSVG": js.FuncOf(qrCodeSVG),
		"setupURI":  js.FuncOf(setupURI),
		"version":   version,
	}))
	if ready := js.Global().Get("__poolgateReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {} // keep the Go instance alive: the page calls into it
}

// version names the SDK's protocol surface; bump it when the JS API changes.
const version = "3"
