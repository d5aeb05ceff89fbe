//go:build js && wasm

package main

import (
	"encoding/hex"
	"fmt"
	"syscall/js"

	"github.com/poolgate/poolgate/web/internal/sdk"
)

// bigIntCrypto computes ModExp with the page's BigInt (a windowed exponentiation in
// poolgate.js): V8's BigInt multiplies 3072-bit numbers about twice as fast as math/big
// compiled to wasm, which has no assembly.
type bigIntCrypto struct {
	modexp js.Value // function(baseHex, expHex, modHex) → hex string
}

func (c bigIntCrypto) ModExp(base, exp, mod []byte) ([]byte, error) {
	if err := sdk.CheckModExp(base, exp, mod); err != nil {
		return nil, err
	}
	out := c.modexp.Invoke(hexOf(base), hexOf(exp), hexOf(mod))
	if out.Type() != js.TypeString {
		return nil, fmt.Errorf("web: modexp returned %s", out.Type())
	}
	s := out.String()
	if len(s)%2 == 1 {
		s = "0" + s
	}
	r, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("web: modexp: %w", err)
	}
	for len(r) > 0 && r[0] == 0 {
		r = r[1:]
	}
	return r, nil
}

func hexOf(b []byte) string {
	if len(b) == 0 {
		return "0"
	}
	return hex.EncodeToString(b)
}
