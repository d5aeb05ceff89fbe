// Package guest is the wasip1 side of the poolgate ABI (internal/abi): a store.Store, a
// hostcrypto.Provider and a message.Sender over the host's imports, and the exports through
// which the host initializes an App, hands it HTTP requests (their bodies read from the host
// when pending; requests the gateway allows handed back) and applies configuration.
//
// It is glue only and builds for GOOS=wasip1 alone. The real module (wasm/) registers the
// poolgate service; hostsim's ABI tests register a small test App through the same glue.
package guest
