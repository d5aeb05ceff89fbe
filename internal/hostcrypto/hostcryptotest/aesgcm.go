package hostcryptotest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// gcmVector is a known answer from the GCM specification (McGrew and Viega, "The
// Galois/Counter Mode of Operation", appendix B), independent of Go's implementation.
type gcmVector struct {
	name                 string
	key, iv, ad, pt, out string // hex; out is the ciphertext followed by the tag
}

var gcmVectors = []gcmVector{
	{name: "case 2 (AES-128, one zero block)",
		key: "00000000000000000000000000000000", iv: "000000000000000000000000",
		pt:  "00000000000000000000000000000000",
		out: "0388dace60b6a392f328c2b971b2fe78" + "ab6e47d42cec13bdf53a67b21257bddf"},
	{name: "case 4 (AES-128, with additional data)",
		key: "feffe9928665731c6d6a8f9467308308", iv: "cafebabefacedbaddecaf888",
		ad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		out: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091" +
			"5bc94fbc3221a5db94fae95ae7121a47"},
	{name: "case 16 (AES-256, with additional data)",
		key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", iv: "cafebabefacedbaddecaf888",
		ad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		out: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
			"76fc6ece0f4e1768cddf8853bb2d551b"},
}

// RunAESGCM checks hostcrypto.AESGCM(p, …), p's own AES-GCM when it has one: the
// specification's known answers, agreement with Go's crypto/cipher in both directions,
// refusal of every tampered byte, the append and in-place conventions of cipher.AEAD, key
// sizes, and concurrent use. Run calls it.
func RunAESGCM(t *testing.T, p hostcrypto.Provider) {
	t.Run("KnownAnswers", func(t *testing.T) {
		for _, v := range gcmVectors {
			aead := mustAESGCM(t, p, mustHex(v.key))
			out := aead.Seal(nil, mustHex(v.iv), mustHex(v.pt), mustHex(v.ad))
			if !bytes.Equal(out, mustHex(v.out)) {
				t.Errorf("%s: Seal = %x, want %s", v.name, out, v.out)
			}
			pt, err := aead.Open(nil, mustHex(v.iv), mustHex(v.out), mustHex(v.ad))
			if err != nil || !bytes.Equal(pt, mustHex(v.pt)) {
				t.Errorf("%s: Open = %x, %v", v.name, pt, err)
			}
		}
	})
	t.Run("AgreesWithGo", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 4))
		for _, keyLen := range []int{16, 24, 32} {
			for _, n := range []int{0, 1, 15, 16, 17, 64, 255, 1000, 4096} {
				key, nonce, pt, ad := random(rng, keyLen), random(rng, 12), random(rng, n), random(rng, n%40)
				aead, ref := mustAESGCM(t, p, key), goGCM(t, key)
				got, want := aead.Seal(nil, nonce, pt, ad), ref.Seal(nil, nonce, pt, ad)
				if !bytes.Equal(got, want) {
					t.Fatalf("key %d, %d bytes: Seal = %.16x…, Go's %.16x…", keyLen, n, got, want)
				}
				if back, err := aead.Open(nil, nonce, want, ad); err != nil || !bytes.Equal(back, pt) {
					t.Fatalf("key %d, %d bytes: Open of Go's ciphertext = %.16x…, %v", keyLen, n, back, err)
				}
			}
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 9))
		key, nonce, pt, ad := random(rng, 32), random(rng, 12), random(rng, 40), random(rng, 20)
		aead := mustAESGCM(t, p, key)
		sealed := aead.Seal(nil, nonce, pt, ad)
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 0x01
			if out, err := aead.Open(nil, nonce, bad, ad); err == nil {
				t.Fatalf("Open accepted the ciphertext with byte %d flipped: %x", i, out)
			}
		}
		for i := range ad {
			bad := bytes.Clone(ad)
			bad[i] ^= 0x80
			if _, err := aead.Open(nil, nonce, sealed, bad); err == nil {
				t.Fatalf("Open accepted additional data with byte %d flipped", i)
			}
		}
		otherNonce := bytes.Clone(nonce)
		otherNonce[11] ^= 1
		if _, err := aead.Open(nil, otherNonce, sealed, ad); err == nil {
			t.Fatal("Open accepted another nonce")
		}
		if _, err := mustAESGCM(t, p, random(rng, 32)).Open(nil, nonce, sealed, ad); err == nil {
			t.Fatal("Open accepted another key")
		}
		for _, n := range []int{0, 1, 15} {
			if _, err := aead.Open(nil, nonce, sealed[:n], ad); err == nil {
				t.Fatalf("Open accepted %d bytes, shorter than the tag", n)
			}
		}
	})
	t.Run("AppendAndInPlace", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 3))
		key, nonce, pt, ad := random(rng, 32), random(rng, 12), random(rng, 100), random(rng, 7)
		aead, ref := mustAESGCM(t, p, key), goGCM(t, key)
		want := ref.Seal(nil, nonce, pt, ad)

		prefix := []byte("prefix:")
		got := aead.Seal(bytes.Clone(prefix), nonce, pt, ad)
		if !bytes.Equal(got, append(bytes.Clone(prefix), want...)) {
			t.Fatalf("Seal after a prefix = %q…", got[:min(len(got), 12)])
		}
		opened, err := aead.Open(bytes.Clone(prefix), nonce, want, ad)
		if err != nil || !bytes.Equal(opened, append(bytes.Clone(prefix), pt...)) {
			t.Fatalf("Open after a prefix = %q…, %v", opened[:min(len(opened), 12)], err)
		}

		buf := make([]byte, len(pt), len(pt)+aead.Overhead())
		copy(buf, pt)
		sealed := aead.Seal(buf[:0], nonce, buf, ad)
		if !bytes.Equal(sealed, want) || &sealed[0] != &buf[0] {
			t.Fatalf("Seal in place: equal %v, same storage %v", bytes.Equal(sealed, want), &sealed[0] == &buf[0])
		}
		back, err := aead.Open(sealed[:0], nonce, sealed, ad)
		if err != nil || !bytes.Equal(back, pt) || &back[0] != &buf[0] {
			t.Fatalf("Open in place = %.8x…, %v", back, err)
		}
	})
	t.Run("Shape", func(t *testing.T) {
		for _, n := range []int{0, 15, 17, 31, 33, 64} {
			if _, err := hostcrypto.AESGCM(p, make([]byte, n)); err == nil {
				t.Errorf("AESGCM accepted a %d-byte key", n)
			}
		}
		aead := mustAESGCM(t, p, make([]byte, 16))
		if aead.NonceSize() != 12 || aead.Overhead() != 16 {
			t.Errorf("NonceSize %d, Overhead %d; want 12, 16", aead.NonceSize(), aead.Overhead())
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(8, 8))
		key := random(rng, 32)
		aead, ref := mustAESGCM(t, p, key), goGCM(t, key)
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for g := range 4 {
			nonce, pt := random(rng, 12), bytes.Repeat([]byte{byte(g)}, 300+g)
			want := ref.Seal(nil, nonce, pt, nil)
			wg.Go(func() {
				for range 8 {
					if got := aead.Seal(nil, nonce, pt, nil); !bytes.Equal(got, want) {
						errs <- fmt.Errorf("concurrent Seal %d = %.8x…", g, got)
					}
					if back, err := aead.Open(nil, nonce, want, nil); err != nil || !bytes.Equal(back, pt) {
						errs <- fmt.Errorf("concurrent Open %d: %v", g, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func mustAESGCM(t *testing.T, p hostcrypto.Provider, key []byte) cipher.AEAD {
	t.Helper()
	aead, err := hostcrypto.AESGCM(p, key)
	if err != nil {
		t.Fatalf("AESGCM with a %d-byte key: %v", len(key), err)
	}
	if aead == nil {
		t.Fatal("AESGCM returned nil")
	}
	return aead
}

func goGCM(t *testing.T, key []byte) cipher.AEAD {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

func random(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
