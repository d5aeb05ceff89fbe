package hostcrypto_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/hostcrypto/hostcryptotest"
)

func TestPureConformance(t *testing.T) {
	hostcryptotest.Run(t, hostcrypto.Pure{})
}

// TestPureKeyCacheSeparatesKeys signs with two keys in turn: the parsed-key cache must never
// hand one key's signature to the other.
func TestPureKeyCacheSeparatesKeys(t *testing.T) {
	var p hostcrypto.Pure
	type pair struct{ priv, pub []byte }
	var keys []pair
	for range 2 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, pair{x509.MarshalPKCS1PrivateKey(k), pub})
	}
	digest := sha256.Sum256([]byte("cache"))
	var sigs [][]byte
	for round := range 2 {
		for i, k := range keys {
			sig, err := p.SignRSA(k.priv, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			if round == 0 {
				sigs = append(sigs, sig)
			} else if !bytes.Equal(sig, sigs[i]) {
				t.Errorf("key %d: signature changed between rounds", i)
			}
		}
	}
	for i, k := range keys {
		for j, sig := range sigs {
			err := p.VerifyRSA(k.pub, digest[:], sig)
			if i == j && err != nil {
				t.Errorf("key %d rejects its own signature: %v", i, err)
			}
			if i != j && !errors.Is(err, hostcrypto.ErrVerify) {
				t.Errorf("key %d: VerifyRSA(signature of key %d) = %v, want ErrVerify", i, j, err)
			}
		}
	}
}

func BenchmarkPure(b *testing.B) {
	hostcryptotest.Bench(b, hostcrypto.Pure{})
}
