package hostcrypto

import (
	"encoding/binary"
	"sync"
)

// AcceptedRSA remembers the RSA signatures a provider's VerifyRSA accepted, by public key,
// digest and signature. Verification is a pure function of the three and public, so an
// accepted triple stays accepted: a client that presents its access token again (GetUser,
// the account API, a refresh of the same session) costs a map lookup instead of a 2048-bit
// public operation, which in the guest is a host call and in the Worker a JS BigInt modexp.
// Only acceptances are kept, so only signatures made with keys the caller trusts (a pool's
// own, an identity provider's) can fill it; it is bounded, and emptied when full. A key that
// leaves a keyring is never asked about again: the keyring finds no key for its kid first.
// The zero value is ready; an AcceptedRSA is safe for concurrent use.
type AcceptedRSA struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// maxAcceptedRSA bounds AcceptedRSA: about 600 bytes an entry for 2048-bit keys.
const maxAcceptedRSA = 1024

// Verify returns nil at once for a triple verify accepted before; otherwise it returns what
// verify does, and remembers the triple when that is nil.
func (a *AcceptedRSA) Verify(pubPKIX, digest, sig []byte, verify func() error) error {
	k := acceptedKey(pubPKIX, digest, sig)
	a.mu.Lock()
	_, ok := a.m[k]
	a.mu.Unlock()
	if ok {
		return nil
	}
	if err := verify(); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil || len(a.m) >= maxAcceptedRSA {
		a.m = make(map[string]struct{})
	}
	a.m[k] = struct{}{}
	return nil
}

// acceptedKey is the triple as one string, each of the first two parts after its length, so
// that no two triples share a key.
func acceptedKey(pubPKIX, digest, sig []byte) string {
	b := make([]byte, 0, 8+len(pubPKIX)+len(digest)+len(sig))
	b = binary.BigEndian.AppendUint32(b, uint32(len(pubPKIX)))
	b = append(b, pubPKIX...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(digest)))
	b = append(b, digest...)
	b = append(b, sig...)
	return string(b)
}
