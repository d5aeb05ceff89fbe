//go:build js && wasm

package main

import (
	"sync"

	"github.com/poolgate/poolgate/internal/keyder"
)

// verifiedSigs remembers the RSA signatures VerifyRSA accepted, by key, digest and signature.
// Verification is a pure function of the three and public, so an accepted triple stays
// accepted: a client that presents its access token again (GetUser, the account API,
// a refresh of the same session) costs a map lookup instead of a 2048-bit public operation
// in JS BigInt, which is most of a warm GetUser's time in the isolate. Only acceptances are
// kept, so only signatures made with the pool's own keys (or an identity provider's) can fill
// it; it is bounded, and emptied when full like parsedKeys. A key that leaves the keyring is
// never asked about again: the keyring finds no key for its kid before any verification.
type verifiedSigs struct {
	mu sync.Mutex
	m  map[verifiedSig]struct{}
}

// verifiedSig is one accepted signature: the parsed key (parsedKeys hands out one value per
// key while it holds it) and the digest and signature bytes.
type verifiedSig struct {
	key               *keyder.RSAPublicKey
	digest, signature string
}

// maxVerifiedSigs bounds verifiedSigs: about 300 bytes an entry for 2048-bit keys.
const maxVerifiedSigs = 1024

var acceptedRSA verifiedSigs

func (v *verifiedSigs) has(s verifiedSig) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.m[s]
	return ok
}

func (v *verifiedSigs) add(s verifiedSig) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedSigs {
		v.m = make(map[verifiedSig]struct{})
	}
	v.m[s] = struct{}{}
}
