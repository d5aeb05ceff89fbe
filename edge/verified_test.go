//go:build js && wasm

package main

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"math/big"
	"syscall/js"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// TestVerifyRSARemembersAcceptances: a signature VerifyRSA accepted is accepted again without
// the public operation; a changed digest, signature or key is still checked and refused, and
// a refusal is never remembered.
func TestVerifyRSARemembersAcceptances(t *testing.T) {
	bridge := testBridge(t)
	// A bridge whose modexp counts its calls (the rest of the glue through the prototype).
	counting := js.Global().Get("Object").Call("create", bridge)
	modexps := 0
	count := js.FuncOf(func(_ js.Value, args []js.Value) any {
		modexps++
		return bridge.Call("modexp", args[0], args[1], args[2])
	})
	defer count.Release()
	counting.Set("modexp", count)
	c, err := newRuntimeCrypto(counting)
	if err != nil {
		t.Fatal(err)
	}
	key := func() (priv, pub []byte) {
		priv, err := c.GenerateRSA(2048)
		if err != nil {
			t.Fatal(err)
		}
		k, err := x509.ParsePKCS1PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		pub, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return priv, pub
	}
	priv, pub := key()
	digest := sha256.Sum256([]byte("header.claims"))
	sig, err := c.SignRSA(priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	// The other key's modulus exceeds the signature, so that refusing it takes the public
	// operation (a signature at or above the modulus is refused before it).
	var otherPub []byte
	for otherPub == nil {
		_, p := key()
		k, err := x509.ParsePKIXPublicKey(p)
		if err != nil {
			t.Fatal(err)
		}
		if new(big.Int).SetBytes(sig).Cmp(k.(*rsa.PublicKey).N) < 0 {
			otherPub = p
		}
	}
	verify := func(pub, digest, sig []byte) (error, int) {
		before := modexps
		err := c.VerifyRSA(pub, digest, sig)
		return err, modexps - before
	}
	if err, n := verify(pub, digest[:], sig); err != nil || n != 1 {
		t.Fatalf("first verification: %v after %d modexps, want nil after 1", err, n)
	}
	if err, n := verify(pub, digest[:], sig); err != nil || n != 0 {
		t.Fatalf("second verification: %v after %d modexps, want nil from memory", err, n)
	}
	otherDigest := sha256.Sum256([]byte("header.forged"))
	badSig := append([]byte(nil), sig...)
	badSig[len(badSig)-1] ^= 1
	for name, c := range map[string]struct{ pub, digest, sig []byte }{
		"another digest":    {pub, otherDigest[:], sig},
		"another signature": {pub, digest[:], badSig},
		"another key":       {otherPub, digest[:], sig},
	} {
		for try := range 2 { // the second try must be checked again too
			if err, n := verify(c.pub, c.digest, c.sig); !errors.Is(err, hostcrypto.ErrVerify) || n != 1 {
				t.Errorf("%s, try %d: %v after %d modexps, want ErrVerify after 1", name, try+1, err, n)
			}
		}
	}
}
