//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"syscall/js"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/hostcrypto/hostcryptotest"
)

func testCrypto(t testing.TB) *runtimeCrypto {
	t.Helper()
	c, err := newRuntimeCrypto(testBridge(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCryptoConformance runs the Provider conformance suite against the runtime's primitives
// (JS BigInt, workerd's RSA-RAW, WebCrypto key generation).
func TestCryptoConformance(t *testing.T) {
	hostcryptotest.Run(t, testCrypto(t))
}

// TestModExpAgreesWithMathBig cross-checks the JS BigInt modexp on operand shapes the window
// code treats specially: zero and one exponents, leading zero nibbles, bases above the modulus.
func TestModExpAgreesWithMathBig(t *testing.T) {
	c := testCrypto(t)
	mods := []string{"07", "0f", "ffffffffffffffc5", strings.Repeat("ab", 100) + "01"}
	exps := []string{"", "00", "01", "02", "0f", "10", "000100", "ffff", "010001", "ffffffff", "0100000000", strings.Repeat("5a", 40)}
	bases := []string{"", "00", "01", "02", "ff", strings.Repeat("ff", 130), strings.Repeat("1", 64)}
	for _, m := range mods {
		for _, e := range exps {
			for _, b := range bases {
				mb, eb, bb := hexBytes(t, m), hexBytes(t, e), hexBytes(t, b)
				got, err := c.ModExp(bb, eb, mb)
				if err != nil {
					t.Fatalf("ModExp(%s, %s, %s): %v", b, e, m, err)
				}
				want := new(big.Int).Exp(new(big.Int).SetBytes(bb), new(big.Int).SetBytes(eb), new(big.Int).SetBytes(mb)).Bytes()
				if !bytes.Equal(got, want) {
					t.Fatalf("ModExp(%s, %s, %s) = %x, want %x", b, e, m, got, want)
				}
			}
		}
	}
}

func hexBytes(t testing.TB, s string) []byte {
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEMSAPKCS1 checks the encoding against RFC 8017 §9.2 for a 2048-bit modulus.
func TestEMSAPKCS1(t *testing.T) {
	digest := bytes.Repeat([]byte{0xab}, 32)
	em, err := emsaPKCS1(digest, 256)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{0x00, 0x01}, bytes.Repeat([]byte{0xff}, 256-3-19-32)...)
	want = append(want, 0x00)
	want = append(want, sha256DigestInfo...)
	want = append(want, digest...)
	if !bytes.Equal(em, want) {
		t.Fatalf("emsaPKCS1 = %x\nwant %x", em, want)
	}
	if _, err := emsaPKCS1(digest, 61); err == nil {
		t.Error("a 61-byte modulus was accepted")
	}
}

// TestRSASignBadJWKRefused: a key the runtime refuses to import is an error, and is not
// cached (the next call retries the import).
func TestRSASignBadJWKRefused(t *testing.T) {
	b := testBridge(t)
	em := bytesToJS(make([]byte, 256))
	for i := 0; i < 2; i++ {
		_, err := await(context.Background(), b.Call("rsaRawSign", "bad-key-id", `{"kty":"RSA","n":"AQAB","e":"AQAB"}`, em))
		var je *jsError
		if !errors.As(err, &je) {
			t.Fatalf("rsaRawSign with a bad JWK: %v, want a JS error", err)
		}
	}
}

// TestECDSADigestMethodsRefuse: WebCrypto cannot sign or verify a digest, so the Provider's
// digest methods answer an error that is not a verdict (never ErrVerify, never a signature);
// the ES256 helpers reach the message methods instead and agree with pure Go both ways.
func TestECDSADigestMethodsRefuse(t *testing.T) {
	c := testCrypto(t)
	priv, pub := hostcryptotest.ECKeys()
	digest := sha256.Sum256([]byte("header.payload"))
	if sig, err := c.SignECDSA(priv, digest[:]); err == nil || sig != nil {
		t.Fatalf("SignECDSA(digest) = %x, %v; want an error", sig, err)
	}
	if err := c.VerifyECDSA(pub, digest[:], make([]byte, 64)); err == nil || errors.Is(err, hostcrypto.ErrVerify) {
		t.Fatalf("VerifyECDSA(digest) = %v; want an error other than ErrVerify", err)
	}
	msg := []byte("header.payload")
	sig, err := hostcrypto.SignES256(c, priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := hostcrypto.VerifyES256(hostcrypto.Pure{}, pub, msg, sig); err != nil {
		t.Fatalf("pure Go refuses WebCrypto's ES256 signature: %v", err)
	}
	if sig, err = hostcrypto.SignES256(hostcrypto.Pure{}, priv, msg); err != nil {
		t.Fatal(err)
	}
	if err := hostcrypto.VerifyES256(c, pub, msg, sig); err != nil {
		t.Fatalf("WebCrypto refuses pure Go's ES256 signature: %v", err)
	}
}

// BenchmarkCrypto compares each primitive in the runtime (what the Worker uses) with pure Go
// compiled to js/wasm (the fallback), in the same isolate.
func BenchmarkCrypto(b *testing.B) {
	b.Run("runtime", func(b *testing.B) { hostcryptotest.Bench(b, testCrypto(b)) })
	b.Run("go", func(b *testing.B) {
		testBridge(b)
		hostcryptotest.Bench(b, hostcrypto.Pure{})
	})
}

// BenchmarkWebCryptoSmall measures WebCrypto (crypto.subtle, awaited from Go) against Go's
// own code for the small operations poolgate does per request: SHA-256 and HMAC-SHA256 of a
// few hundred bytes (SRP, SigV4, secret hashes) and AES-256-GCM sealing of a few hundred bytes
// (sealed Session and refresh tokens). The promise round trip dominates at these sizes.
func BenchmarkWebCryptoSmall(b *testing.B) {
	testBridge(b)
	ctx := context.Background()
	subtle := js.Global().Get("crypto").Get("subtle")
	msg := bytes.Repeat([]byte("poolgate"), 64) // 512 bytes
	key := bytes.Repeat([]byte{7}, 32)
	nonce := make([]byte, 12)
	jsMsg, jsKey, jsNonce := bytesToJS(msg), bytesToJS(key), bytesToJS(nonce)
	importKey := func(alg any, usage string) js.Value {
		k, err := await(ctx, subtle.Call("importKey", "raw", jsKey, alg, false, []any{usage}))
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	hmacKey := importKey(map[string]any{"name": "HMAC", "hash": "SHA-256"}, "sign")
	aesKey := importKey(map[string]any{"name": "AES-GCM"}, "encrypt")
	mustAwait := func(p js.Value) {
		if _, err := await(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("SHA256/webcrypto", func(b *testing.B) {
		for b.Loop() {
			mustAwait(subtle.Call("digest", "SHA-256", jsMsg))
		}
	})
	b.Run("SHA256/go", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(msg)
		}
	})
	b.Run("HMAC/webcrypto", func(b *testing.B) {
		for b.Loop() {
			mustAwait(subtle.Call("sign", "HMAC", hmacKey, jsMsg))
		}
	})
	b.Run("HMAC/go", func(b *testing.B) {
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			m.Sum(nil)
		}
	})
	b.Run("AESGCM/webcrypto", func(b *testing.B) {
		alg := map[string]any{"name": "AES-GCM", "iv": jsNonce}
		for b.Loop() {
			mustAwait(subtle.Call("encrypt", alg, aesKey, jsMsg))
		}
	})
	b.Run("AESGCM/go", func(b *testing.B) {
		blk, _ := aes.NewCipher(key)
		aead, _ := cipher.NewGCM(blk)
		for b.Loop() {
			aead.Seal(nil, nonce, msg, nil)
		}
	})
	b.Run("Call/webcrypto-roundtrip", func(b *testing.B) {
		// The floor: an already-resolved promise awaited from Go.
		resolved := js.Global().Get("Promise").Call("resolve", 1)
		for b.Loop() {
			mustAwait(resolved)
		}
	})
}
