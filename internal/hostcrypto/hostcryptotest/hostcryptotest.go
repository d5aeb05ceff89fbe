// Package hostcryptotest is the conformance suite every hostcrypto.Provider runs: fixed
// vectors, cross-checks against the Go standard library, the shared error rules, and
// benchmarks.
package hostcryptotest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// Run checks p against the fixed vectors and the Provider contract. Implementations call it
// from their own tests: `func TestConformance(t *testing.T) { hostcryptotest.Run(t, p) }`.
func Run(t *testing.T, p hostcrypto.Provider) {
	t.Run("ModExp/Small", func(t *testing.T) { testModExpSmall(t, p) })
	t.Run("ModExp/SRPGroup", func(t *testing.T) { testModExpSRPGroup(t, p) })
	t.Run("ModExp/SRPGenerator", func(t *testing.T) { testModExpSRPGenerator(t, p) })
	t.Run("ModExp/Random", func(t *testing.T) { testModExpRandom(t, p) })
	t.Run("ModExp/Malformed", func(t *testing.T) { testModExpMalformed(t, p) })
	t.Run("RSA/Golden", func(t *testing.T) { testRSAGolden(t, p) })
	t.Run("RSA/SignVerify", func(t *testing.T) { testRSASignVerify(t, p) })
	t.Run("RSA/Tampered", func(t *testing.T) { testRSATampered(t, p) })
	t.Run("RSA/Malformed", func(t *testing.T) { testRSAMalformed(t, p) })
	t.Run("RSA/Pair", func(t *testing.T) { testRSAPair(t, p) })
	t.Run("ECDSA/Fixed", func(t *testing.T) { testECDSAFixed(t, p) })
	t.Run("ECDSA/SignVerify", func(t *testing.T) { testECDSASignVerify(t, p) })
	t.Run("ECDSA/Tampered", func(t *testing.T) { testECDSATampered(t, p) })
	t.Run("ECDSA/Malformed", func(t *testing.T) { testECDSAMalformed(t, p) })
	t.Run("RSA/Generate", func(t *testing.T) { testRSAGenerate(t, p) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, p) })
	t.Run("AESGCM", func(t *testing.T) { RunAESGCM(t, p) })
}

// Bench runs one sub-benchmark per primitive at the sizes poolgate uses.
func Bench(b *testing.B, p hostcrypto.Provider) {
	n := srpN()
	exp256 := bytes.Repeat([]byte{0xb2}, 32)
	exp1024 := bytes.Repeat([]byte{0xc3}, 128)
	base := bytes.Repeat([]byte{0xa1}, 384)
	digest := mustHex(vectorDigestHex)
	rsaPriv, rsaPub := mustDER(rsaPrivPEM), mustDER(rsaPubPEM)
	ecPriv, ecPub := mustDER(ecPrivPEM), mustDER(ecPubPEM)
	rsaSig, ecSig := mustHex(rsaSigHex), mustHex(ecSigHex)

	b.Run("ModExp3072/exp256", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.ModExp(base, exp256, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ModExp3072/exp1024", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.ModExp(base, exp1024, n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SignRSA2048", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.SignRSA(rsaPriv, digest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyRSA2048", func(b *testing.B) {
		for b.Loop() {
			if err := p.VerifyRSA(rsaPub, digest, rsaSig); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SignECDSAP256", func(b *testing.B) {
		for b.Loop() {
			if _, err := hostcrypto.SignES256(p, ecPriv, []byte(vectorMessage)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyECDSAP256", func(b *testing.B) {
		for b.Loop() {
			if err := hostcrypto.VerifyES256(p, ecPub, []byte(vectorMessage), ecSig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func testModExpSmall(t *testing.T, p hostcrypto.Provider) {
	n := srpN()
	nPlus5 := new(big.Int).Add(new(big.Int).SetBytes(n), big.NewInt(5)).Bytes()
	nMinus1 := new(big.Int).Sub(new(big.Int).SetBytes(n), big.NewInt(1)).Bytes()
	// Values checked with Python's pow.
	tests := []struct {
		name           string
		base, exp, mod []byte
		want           string // hex, "" for zero
	}{
		{"textbook", h("04"), h("0d"), h("01f1"), "01bd"},
		{"leading zeros", h("000004"), h("00000d"), h("0001f1"), "01bd"},
		{"zero base", h("00"), h("05"), h("07"), ""},
		{"empty base", nil, h("05"), h("07"), ""},
		{"zero exponent", h("05"), h("00"), h("07"), "01"},
		{"empty exponent", h("05"), nil, h("07"), "01"},
		{"zero to the zero", h("00"), h("00"), h("07"), "01"},
		{"modulus one", h("05"), h("03"), h("01"), ""},
		{"base above modulus", h("03e8"), h("01"), h("07"), "06"},
		{"64-bit prime, exponent 2^64-1", h("03"), h("ffffffffffffffff"), h("ffffffffffffffc5"), "efa48d5f616f2807"},
		{"SRP N minus one squared", nMinus1, h("02"), n, "01"},
		{"SRP N plus five cubed", nPlus5, h("03"), n, "7d"},
		{"1024-byte operands", bytes.Repeat([]byte{0x07}, hostcrypto.MaxOperandBytes), h("01"),
			bytes.Repeat([]byte{0xff}, hostcrypto.MaxOperandBytes), strings.Repeat("07", hostcrypto.MaxOperandBytes)},
	}
	for _, tc := range tests {
		got, err := modExp(p, tc.base, tc.exp, tc.mod)
		if err != nil {
			t.Errorf("%s: ModExp: %v", tc.name, err)
			continue
		}
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("%s: ModExp = %x, want %s", tc.name, got, tc.want)
		}
	}
}

func testModExpSRPGroup(t *testing.T, p hostcrypto.Provider) {
	n := srpN()
	// fingerprint = SHA-256 of the result's minimal big-endian bytes, computed with Python.
	tests := []struct {
		name        string
		base, exp   []byte
		prefix      string
		fingerprint string
	}{
		{"g^b, 256-bit exponent", h("02"), bytes.Repeat([]byte{0xb2}, 32),
			"1954e301", "25879ae2399dabfc0c9d6e82a6bdd9446a3db7811b6b4922a270d8a440c6d524"},
		{"3072-bit base, 256-bit exponent", bytes.Repeat([]byte{0xa1}, 384), bytes.Repeat([]byte{0xc3}, 32),
			"ca698b30", "abc5a8ddabcde3fa2b65d210ad171c33dc0dfd84d50a2d52a9f7d9c1c0ee086b"},
		{"3072-bit base, 1024-bit exponent", bytes.Repeat([]byte{0xa1}, 384), bytes.Repeat([]byte{0xc3}, 128),
			"c4d42054", "90a50fad9b8c0ebe7658c3de504ce0f8769e5e1eb696d94837518af1c77eb134"},
	}
	for _, tc := range tests {
		got, err := modExp(p, tc.base, tc.exp, n)
		if err != nil {
			t.Errorf("%s: ModExp: %v", tc.name, err)
			continue
		}
		sum := sha256.Sum256(got)
		if len(got) != 384 || hex.EncodeToString(got[:4]) != tc.prefix || hex.EncodeToString(sum[:]) != tc.fingerprint {
			t.Errorf("%s: ModExp = %d bytes %x… fingerprint %x, want 384 bytes %s… fingerprint %s",
				tc.name, len(got), got[:min(4, len(got))], sum, tc.prefix, tc.fingerprint)
		}
		if want := bigModExp(tc.base, tc.exp, n); !bytes.Equal(got, want) {
			t.Errorf("%s: ModExp disagrees with math/big", tc.name)
		}
	}
}

// testModExpSRPGenerator raises SRP's generator to the exponents a provider may serve from a
// table of its powers (hostcrypto.Pure does, up to 256 bits) and to those just past it,
// against math/big: every window's edge, the shortest and longest exponents, leading zeros
// on every operand.
func testModExpSRPGenerator(t *testing.T, p hostcrypto.Provider) {
	rng := rand.New(rand.NewChaCha8([32]byte{'s', 'r', 'p', 'g'}))
	n := srpN()
	var exps [][]byte
	exps = append(exps, nil, []byte{0}, []byte{1}, bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 33),
		append([]byte{1}, make([]byte, 32)...), append(make([]byte, 3), bytes.Repeat([]byte{0xa5}, 32)...))
	for bit := range 260 { // 2^bit: one window's entry each, across every window edge
		exps = append(exps, new(big.Int).Lsh(big.NewInt(1), uint(bit)).Bytes())
	}
	for range 40 {
		e := make([]byte, 1+rng.IntN(40))
		for i := range e {
			e[i] = byte(rng.Uint32())
		}
		exps = append(exps, e)
	}
	operands := []struct{ base, mod []byte }{{h("02"), n}, {h("0002"), append([]byte{0, 0}, n...)}}
	for i, exp := range exps {
		op := operands[i%len(operands)]
		got, err := modExp(p, op.base, exp, op.mod)
		if err != nil {
			t.Errorf("2^%x mod N: %v", exp, err)
			continue
		}
		if want := bigModExp(op.base, exp, op.mod); !bytes.Equal(got, want) {
			t.Errorf("2^%x mod N disagrees with math/big", exp)
		}
	}
}

// testModExpRandom cross-checks pseudo-random operands (fixed seed) against math/big,
// including bases above the modulus and leading zero bytes.
func testModExpRandom(t *testing.T, p hostcrypto.Provider) {
	rng := rand.New(rand.NewChaCha8([32]byte{'h', 'o', 's', 't', 'c', 'r', 'y', 'p', 't', 'o'}))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	n := srpN()
	for i := range 48 {
		var base, exp, mod []byte
		switch i % 3 {
		case 0: // the SRP shape: a group element to a 256-bit power
			mod = n
			base = randBytes(rng.IntN(385))
			exp = randBytes(32)
		case 1: // odd moduli of every size, small exponents
			mod = randBytes(1 + rng.IntN(400))
			mod[len(mod)-1] |= 1
			base = randBytes(rng.IntN(420))
			exp = randBytes(rng.IntN(9))
		default: // leading zeros everywhere
			mod = append(make([]byte, 1+rng.IntN(3)), randBytes(1+rng.IntN(64))...)
			mod[len(mod)-1] |= 1
			base = append(make([]byte, rng.IntN(3)), randBytes(rng.IntN(80))...)
			exp = append(make([]byte, rng.IntN(3)), randBytes(rng.IntN(40))...)
		}
		got, err := modExp(p, base, exp, mod)
		if err != nil {
			t.Errorf("case %d: ModExp(%x, %x, %x): %v", i, base, exp, mod, err)
			continue
		}
		if want := bigModExp(base, exp, mod); !bytes.Equal(got, want) {
			t.Errorf("case %d: ModExp(%x, %x, %x) = %x, want %x", i, base, exp, mod, got, want)
		}
	}
}

func testModExpMalformed(t *testing.T, p hostcrypto.Provider) {
	over := hostcrypto.MaxOperandBytes + 1
	oddOver := bytes.Repeat([]byte{0xff}, over)
	tests := []struct {
		name           string
		base, exp, mod []byte
	}{
		{"nil modulus", h("02"), h("03"), nil},
		{"empty modulus", h("02"), h("03"), []byte{}},
		{"zero modulus", h("02"), h("03"), h("00")},
		{"zero modulus, two bytes", h("02"), h("03"), h("0000")},
		{"modulus two", h("02"), h("03"), h("02")},
		{"even modulus", h("02"), h("03"), h("0100")},
		{"even 3072-bit modulus", h("02"), h("03"), bytes.Repeat([]byte{0xfe}, 384)},
		{"oversized base", bytes.Repeat([]byte{0x01}, over), h("03"), h("07")},
		{"oversized exponent", h("02"), bytes.Repeat([]byte{0x01}, over), h("07")},
		{"oversized modulus", h("02"), h("03"), oddOver},
	}
	for _, tc := range tests {
		if got, err := modExp(p, tc.base, tc.exp, tc.mod); err == nil {
			t.Errorf("%s: ModExp = %x, want an error", tc.name, got)
		}
	}
}

func testRSAGolden(t *testing.T, p hostcrypto.Provider) {
	priv, pub := mustDER(rsaPrivPEM), mustDER(rsaPubPEM)
	digest, want := mustHex(vectorDigestHex), mustHex(rsaSigHex)
	if d := sha256.Sum256([]byte(vectorMessage)); !bytes.Equal(d[:], digest) {
		t.Fatalf("vector digest does not match its message")
	}
	sig, err := call2(p.SignRSA, priv, digest)
	if err != nil {
		t.Fatalf("SignRSA: %v", err)
	}
	if !bytes.Equal(sig, want) {
		t.Errorf("SignRSA = %x, want the golden %s", sig, rsaSigHex)
	}
	if err := call3(p.VerifyRSA, pub, digest, want); err != nil {
		t.Errorf("VerifyRSA(golden) = %v, want nil", err)
	}
}

func testRSASignVerify(t *testing.T, p hostcrypto.Provider) {
	priv, pub := mustDER(rsaPrivPEM), mustDER(rsaPubPEM)
	stdPub := mustRSAPublic(pub)
	for _, msg := range []string{"", "a", "header.payload", strings.Repeat("x", 10000)} {
		digest := sha256.Sum256([]byte(msg))
		sig, err := call2(p.SignRSA, priv, digest[:])
		if err != nil {
			t.Fatalf("SignRSA(%.10q): %v", msg, err)
		}
		if len(sig) != 256 {
			t.Errorf("SignRSA(%.10q) is %d bytes, want 256", msg, len(sig))
		}
		if err := rsa.VerifyPKCS1v15(stdPub, crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("SignRSA(%.10q): crypto/rsa rejects the signature: %v", msg, err)
		}
		if err := call3(p.VerifyRSA, pub, digest[:], sig); err != nil {
			t.Errorf("VerifyRSA(SignRSA(%.10q)) = %v, want nil", msg, err)
		}
	}
}

func testRSATampered(t *testing.T, p hostcrypto.Provider) {
	pub := mustDER(rsaPubPEM)
	digest, sig := mustHex(vectorDigestHex), mustHex(rsaSigHex)
	for name, bad := range tamperedSignatures(sig) {
		if err := call3(p.VerifyRSA, pub, digest, bad); !errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyRSA(%s) = %v, want ErrVerify", name, err)
		}
	}
	// Values at or above the modulus are not signatures.
	n := mustRSAPublic(pub).N.Bytes()
	if err := call3(p.VerifyRSA, pub, digest, n); !errors.Is(err, hostcrypto.ErrVerify) {
		t.Errorf("VerifyRSA(signature = n) = %v, want ErrVerify", err)
	}
	for name, d := range tamperedDigests(digest) {
		if err := call3(p.VerifyRSA, pub, d, sig); !errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyRSA(%s) = %v, want ErrVerify", name, err)
		}
	}
}

// testRSAPair signs two digests with two keys through hostcrypto.SignRSAPair (at once where
// the provider can): each signature is the one SignRSA makes, whichever key goes first, and a
// bad key or digest on either side is an error.
func testRSAPair(t *testing.T, p hostcrypto.Provider) {
	privA, digestA, wantA := mustDER(rsaPrivPEM), mustHex(vectorDigestHex), mustHex(rsaSigHex)
	privB, err := p.GenerateRSA(2048)
	if err != nil {
		t.Fatalf("GenerateRSA: %v", err)
	}
	stdB, err := x509.ParsePKCS1PrivateKey(privB)
	if err != nil {
		t.Fatalf("GenerateRSA's key does not parse: %v", err)
	}
	digestB := sha256.Sum256([]byte("the other token"))
	wantB, err := rsa.SignPKCS1v15(nil, stdB, crypto.SHA256, digestB[:])
	if err != nil {
		t.Fatal(err)
	}
	pair := func(privA, digestA, privB, digestB []byte) (sigA, sigB []byte, err error) {
		defer recoverTo(&err)
		return hostcrypto.SignRSAPair(p, privA, digestA, privB, digestB)
	}
	if sigA, sigB, err := pair(privA, digestA, privB, digestB[:]); err != nil || !bytes.Equal(sigA, wantA) || !bytes.Equal(sigB, wantB) {
		t.Errorf("SignRSAPair(golden, other) = %.8x…, %.8x…, %v; want the golden and crypto/rsa's", sigA, sigB, err)
	}
	if sigB, sigA, err := pair(privB, digestB[:], privA, digestA); err != nil || !bytes.Equal(sigA, wantA) || !bytes.Equal(sigB, wantB) {
		t.Errorf("SignRSAPair(other, golden) = %.8x…, %.8x…, %v; want crypto/rsa's and the golden", sigB, sigA, err)
	}
	badKey, badDigest := mustDER(ecPrivPEM), digestA[:31]
	for name, args := range map[string][4][]byte{
		"bad first key":     {badKey, digestA, privB, digestB[:]},
		"bad second key":    {privA, digestA, badKey, digestB[:]},
		"bad first digest":  {privA, badDigest, privB, digestB[:]},
		"bad second digest": {privA, digestA, privB, badDigest},
	} {
		if sigA, sigB, err := pair(args[0], args[1], args[2], args[3]); err == nil {
			t.Errorf("SignRSAPair(%s) = %.8x…, %.8x…, want an error", name, sigA, sigB)
		}
	}
}

func testRSAMalformed(t *testing.T, p hostcrypto.Provider) {
	priv, pub := mustDER(rsaPrivPEM), mustDER(rsaPubPEM)
	digest, sig := mustHex(vectorDigestHex), mustHex(rsaSigHex)
	badPrivs := malformedDER(priv)
	badPrivs["ECDSA private key"] = mustDER(ecPrivPEM)
	badPrivs["RSA public key"] = pub
	for name, key := range badPrivs {
		if got, err := call2(p.SignRSA, key, digest); err == nil {
			t.Errorf("SignRSA(%s) = %x, want an error", name, got)
		}
	}
	badPubs := malformedDER(pub)
	badPubs["ECDSA public key"] = mustDER(ecPubPEM)
	badPubs["RSA private key"] = priv
	for name, key := range badPubs {
		if err := call3(p.VerifyRSA, key, digest, sig); err == nil || errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyRSA(%s) = %v, want an error other than ErrVerify", name, err)
		}
	}
	for name, d := range badDigests(digest) {
		if got, err := call2(p.SignRSA, priv, d); err == nil {
			t.Errorf("SignRSA(%s) = %x, want an error", name, got)
		}
		if err := call3(p.VerifyRSA, pub, d, sig); err == nil || errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyRSA(%s) = %v, want an error other than ErrVerify", name, err)
		}
	}
}

// The ECDSA checks go through hostcrypto.SignES256 and VerifyES256, as every caller does:
// over the message with a provider that has the MessageECDSA methods, over its SHA-256
// digest with the Provider methods otherwise.

// es256Sign and es256Verify are p's ES256 as callers reach it.
func es256Sign(p hostcrypto.Provider) func(key, msg []byte) ([]byte, error) {
	return func(key, msg []byte) ([]byte, error) { return hostcrypto.SignES256(p, key, msg) }
}

func es256Verify(p hostcrypto.Provider) func(key, msg, sig []byte) error {
	return func(key, msg, sig []byte) error { return hostcrypto.VerifyES256(p, key, msg, sig) }
}

func testECDSAFixed(t *testing.T, p hostcrypto.Provider) {
	pub := mustDER(ecPubPEM)
	if err := call3(es256Verify(p), pub, []byte(vectorMessage), mustHex(ecSigHex)); err != nil {
		t.Errorf("VerifyES256(fixed signature) = %v, want nil", err)
	}
}

func testECDSASignVerify(t *testing.T, p hostcrypto.Provider) {
	priv, pub := mustDER(ecPrivPEM), mustDER(ecPubPEM)
	stdPub := mustECPublic(pub)
	for _, msg := range []string{"", "a", "header.payload", strings.Repeat("x", 10000)} {
		digest := sha256.Sum256([]byte(msg))
		sig, err := call2(es256Sign(p), priv, []byte(msg))
		if err != nil {
			t.Fatalf("SignES256(%.10q): %v", msg, err)
		}
		if len(sig) != 64 {
			t.Fatalf("SignES256(%.10q) is %d bytes, want 64", msg, len(sig))
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(stdPub, digest[:], r, s) {
			t.Errorf("SignES256(%.10q): crypto/ecdsa rejects the signature", msg)
		}
		if err := call3(es256Verify(p), pub, []byte(msg), sig); err != nil {
			t.Errorf("VerifyES256(SignES256(%.10q)) = %v, want nil", msg, err)
		}
	}
}

func testECDSATampered(t *testing.T, p hostcrypto.Provider) {
	pub := mustDER(ecPubPEM)
	msg, sig := []byte(vectorMessage), mustHex(ecSigHex)
	bad := tamperedSignatures(sig)
	order := elliptic.P256().Params().N
	r, s := sig[:32], sig[32:]
	zero := make([]byte, 32)
	nBytes := order.FillBytes(make([]byte, 32))
	bad["r = 0"] = concat(zero, s)
	bad["s = 0"] = concat(r, zero)
	bad["r = n"] = concat(nBytes, s)
	bad["s = n"] = concat(r, nBytes)
	bad["all ff"] = bytes.Repeat([]byte{0xff}, 64)
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)})
	if err != nil {
		t.Fatal(err)
	}
	bad["ASN.1 DER form"] = der
	for name, b := range bad {
		if err := call3(es256Verify(p), pub, msg, b); !errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyES256(%s) = %v, want ErrVerify", name, err)
		}
	}
	for name, m := range map[string][]byte{
		"message with a byte added": concat(msg, []byte{0}),
		"message truncated":         msg[:len(msg)-1],
		"empty message":             nil,
		"the digest as message":     mustHex(vectorDigestHex),
	} {
		if err := call3(es256Verify(p), pub, m, sig); !errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyES256(%s) = %v, want ErrVerify", name, err)
		}
	}
	if _, ok := p.(hostcrypto.MessageECDSA); ok {
		return
	}
	digest := mustHex(vectorDigestHex)
	for name, d := range tamperedDigests(digest) {
		if err := call3(p.VerifyECDSA, pub, d, sig); !errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyECDSA(%s) = %v, want ErrVerify", name, err)
		}
	}
}

func testECDSAMalformed(t *testing.T, p hostcrypto.Provider) {
	priv, pub := mustDER(ecPrivPEM), mustDER(ecPubPEM)
	msg, sig := []byte(vectorMessage), mustHex(ecSigHex)
	badPrivs := malformedDER(priv)
	badPrivs["RSA private key"] = mustDER(rsaPrivPEM)
	badPrivs["P-384 private key"] = mustDER(ec384PrivPEM)
	badPrivs["ECDSA public key"] = pub
	for name, key := range badPrivs {
		if got, err := call2(es256Sign(p), key, msg); err == nil {
			t.Errorf("SignES256(%s) = %x, want an error", name, got)
		}
	}
	badPubs := malformedDER(pub)
	badPubs["RSA public key"] = mustDER(rsaPubPEM)
	badPubs["P-384 public key"] = mustDER(ec384PubPEM)
	badPubs["ECDSA private key"] = priv
	for name, key := range badPubs {
		if err := call3(es256Verify(p), key, msg, sig); err == nil || errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyES256(%s) = %v, want an error other than ErrVerify", name, err)
		}
	}
	if _, ok := p.(hostcrypto.MessageECDSA); ok {
		return
	}
	digest := mustHex(vectorDigestHex)
	for name, d := range badDigests(digest) {
		if got, err := call2(p.SignECDSA, priv, d); err == nil {
			t.Errorf("SignECDSA(%s) = %x, want an error", name, got)
		}
		if err := call3(p.VerifyECDSA, pub, d, sig); err == nil || errors.Is(err, hostcrypto.ErrVerify) {
			t.Errorf("VerifyECDSA(%s) = %v, want an error other than ErrVerify", name, err)
		}
	}
}

// testConcurrent runs every primitive from several goroutines at once and checks each result.
func testConcurrent(t *testing.T, p hostcrypto.Provider) {
	n := srpN()
	exp := bytes.Repeat([]byte{0xb2}, 32)
	wantModExp := bigModExp(h("02"), exp, n)
	rsaPriv, rsaPub := mustDER(rsaPrivPEM), mustDER(rsaPubPEM)
	ecPriv, ecPub := mustDER(ecPrivPEM), mustDER(ecPubPEM)
	digest, wantRSA := mustHex(vectorDigestHex), mustHex(rsaSigHex)

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 4 {
		wg.Go(func() {
			for range 2 {
				if got, err := modExp(p, h("02"), exp, n); err != nil || !bytes.Equal(got, wantModExp) {
					errs <- fmt.Errorf("concurrent ModExp = %.8x…, %v", got, err)
				}
				if got, err := call2(p.SignRSA, rsaPriv, digest); err != nil || !bytes.Equal(got, wantRSA) {
					errs <- fmt.Errorf("concurrent SignRSA = %.8x…, %v", got, err)
				}
				if a, b, err := hostcrypto.SignRSAPair(p, rsaPriv, digest, rsaPriv, digest); err != nil || !bytes.Equal(a, wantRSA) || !bytes.Equal(b, wantRSA) {
					errs <- fmt.Errorf("concurrent SignRSAPair = %.8x…, %.8x…, %v", a, b, err)
				}
				if err := call3(p.VerifyRSA, rsaPub, digest, wantRSA); err != nil {
					errs <- fmt.Errorf("concurrent VerifyRSA = %v", err)
				}
				sig, err := call2(es256Sign(p), ecPriv, []byte(vectorMessage))
				if err != nil {
					errs <- fmt.Errorf("concurrent SignES256: %v", err)
					continue
				}
				if err := call3(es256Verify(p), ecPub, []byte(vectorMessage), sig); err != nil {
					errs <- fmt.Errorf("concurrent VerifyES256 = %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// tamperedSignatures returns variants of a valid signature that must not verify.
func tamperedSignatures(sig []byte) map[string][]byte {
	flip := func(i int, bit byte) []byte {
		b := bytes.Clone(sig)
		b[i] ^= bit
		return b
	}
	return map[string][]byte{
		"first bit flipped":  flip(0, 0x80),
		"middle bit flipped": flip(len(sig)/2, 0x10),
		"last bit flipped":   flip(len(sig)-1, 0x01),
		"truncated":          sig[:len(sig)-1],
		"extended":           concat(sig, []byte{0}),
		"leading zero added": concat([]byte{0}, sig),
		"empty":              {},
		"nil":                nil,
		"all zero":           make([]byte, len(sig)),
	}
}

// tamperedDigests returns well-formed digests other than d.
func tamperedDigests(d []byte) map[string][]byte {
	first, last := bytes.Clone(d), bytes.Clone(d)
	first[0] ^= 1
	last[len(last)-1] ^= 0x80
	other := sha256.Sum256([]byte("another message"))
	return map[string][]byte{"digest first bit flipped": first, "digest last bit flipped": last, "other digest": other[:]}
}

// badDigests returns digests of the wrong length.
func badDigests(d []byte) map[string][]byte {
	return map[string][]byte{
		"nil digest":       nil,
		"31-byte digest":   d[:31],
		"33-byte digest":   concat(d, []byte{0}),
		"64-byte digest":   concat(d, d),
		"SHA-1 sized (20)": d[:20],
	}
}

// malformedDER returns byte strings that are not a key of der's kind.
func malformedDER(der []byte) map[string][]byte {
	flipped := bytes.Clone(der)
	flipped[0] ^= 0xff
	return map[string][]byte{
		"nil key":             nil,
		"empty key":           {},
		"garbage key":         []byte("not a key at all"),
		"truncated key":       der[:len(der)/2],
		"key with extra byte": concat(der, []byte{0}),
		"bad outer tag":       flipped,
		"PEM text":            []byte("-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n"),
	}
}

// modExp calls p.ModExp, turning a panic into an error so the suite reports it.
func modExp(p hostcrypto.Provider, base, exp, mod []byte) (out []byte, err error) {
	defer recoverTo(&err)
	return p.ModExp(base, exp, mod)
}

func call2(f func(key, digest []byte) ([]byte, error), key, digest []byte) (out []byte, err error) {
	defer recoverTo(&err)
	return f(key, digest)
}

func call3(f func(key, digest, sig []byte) error, key, digest, sig []byte) (err error) {
	defer recoverTo(&err)
	return f(key, digest, sig)
}

// panicError marks a recovered panic; it is never ErrVerify and never nil.
type panicError struct{ v any }

func (e panicError) Error() string { return fmt.Sprintf("hostcryptotest: provider panicked: %v", e.v) }

func recoverTo(err *error) {
	if v := recover(); v != nil {
		*err = panicError{v}
	}
}

func bigModExp(base, exp, mod []byte) []byte {
	m := new(big.Int).SetBytes(mod)
	return new(big.Int).Exp(new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), m).Bytes()
}

func srpN() []byte { return mustHex(srpNHex) }

func h(s string) []byte { return mustHex(s) }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("hostcryptotest: bad vector hex: " + err.Error())
	}
	return b
}

func mustDER(pemText string) []byte {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		panic("hostcryptotest: bad vector PEM")
	}
	return block.Bytes
}

func mustRSAPublic(der []byte) *rsa.PublicKey {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		panic("hostcryptotest: bad vector key: " + err.Error())
	}
	return k.(*rsa.PublicKey)
}

func mustECPublic(der []byte) *ecdsa.PublicKey {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		panic("hostcryptotest: bad vector key: " + err.Error())
	}
	return k.(*ecdsa.PublicKey)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// testRSAGenerate checks that generated keys parse, have the asked size, differ between calls,
// and sign what the provider verifies; bad sizes are errors.
func testRSAGenerate(t *testing.T, p hostcrypto.Provider) {
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		der, err := p.GenerateRSA(2048)
		if err != nil {
			t.Fatalf("GenerateRSA(2048): %v", err)
		}
		priv, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			t.Fatalf("generated key does not parse as PKCS#1: %v", err)
		}
		if priv.N.BitLen() != 2048 {
			t.Fatalf("generated key has %d bits, want 2048", priv.N.BitLen())
		}
		if seen[string(der)] {
			t.Fatal("GenerateRSA returned the same key twice")
		}
		seen[string(der)] = true
		pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte("generated key"))
		sig, err := p.SignRSA(der, digest[:])
		if err != nil {
			t.Fatalf("SignRSA with a generated key: %v", err)
		}
		if err := p.VerifyRSA(pub, digest[:], sig); err != nil {
			t.Fatalf("VerifyRSA of a generated key's signature: %v", err)
		}
	}
	for _, bits := range []int{0, -1, 1024, 2047, 8192} {
		if _, err := p.GenerateRSA(bits); err == nil {
			t.Errorf("GenerateRSA(%d) succeeded", bits)
		}
	}
}

// ECKeys returns the suite's P-256 key pair: SEC 1 private key, PKIX public key.
func ECKeys() (privSEC1, pubPKIX []byte) { return mustDER(ecPrivPEM), mustDER(ecPubPEM) }
