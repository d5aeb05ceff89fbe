package keyder

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"sync"
	"testing"
)

// The keys of the round trips, generated once per process (lazily: a fuzz worker of the EC
// target need not pay for RSA key generation), so the encodings vary (leading zeros, high
// bits) between runs as well as between keys.
var (
	testRSAKeys = sync.OnceValue(func() []*rsa.PrivateKey {
		var ks []*rsa.PrivateKey
		for _, bits := range []int{2048, 2048, 3072} {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		return ks
	})
	testECKeys = sync.OnceValue(func() []*ecdsa.PrivateKey {
		var ks []*ecdsa.PrivateKey
		for range 16 {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		return ks
	})
)

func TestPKIXRSAMatchesX509(t *testing.T) {
	for _, k := range testRSAKeys() {
		want, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		got := MarshalPKIXRSA(&RSAPublicKey{N: k.N, E: k.E})
		if !bytes.Equal(got, want) {
			t.Fatalf("MarshalPKIXRSA = %x\nx509 writes %x", got, want)
		}
		pub, err := ParsePKIXRSA(want)
		if err != nil {
			t.Fatalf("ParsePKIXRSA(x509's encoding): %v", err)
		}
		if pub.N.Cmp(k.N) != 0 || pub.E != k.E {
			t.Fatalf("ParsePKIXRSA = %v, want %v", pub, k.PublicKey)
		}
	}
}

func TestPKCS1RSAMatchesX509(t *testing.T) {
	for _, k := range testRSAKeys() {
		der := x509.MarshalPKCS1PrivateKey(k)
		got, err := ParsePKCS1RSA(der)
		if err != nil {
			t.Fatalf("ParsePKCS1RSA(x509's encoding): %v", err)
		}
		checkRSAPrivate(t, got, k)

		pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		inner, got8, err := ParsePKCS8RSA(pkcs8)
		if err != nil {
			t.Fatalf("ParsePKCS8RSA(x509's encoding): %v", err)
		}
		if !bytes.Equal(inner, der) {
			t.Fatalf("ParsePKCS8RSA's PKCS #1 key differs from x509's")
		}
		checkRSAPrivate(t, got8, k)
	}
}

func checkRSAPrivate(t *testing.T, got *RSAPrivateKey, k *rsa.PrivateKey) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want *big.Int
	}{{"N", got.N, k.N}, {"D", got.D, k.D}, {"P", got.P, k.Primes[0]}, {"Q", got.Q, k.Primes[1]},
		{"Dp", got.Dp, k.Precomputed.Dp}, {"Dq", got.Dq, k.Precomputed.Dq}, {"Qinv", got.Qinv, k.Precomputed.Qinv}} {
		if f.got.Cmp(f.want) != 0 {
			t.Fatalf("%s = %x, want %x", f.name, f.got, f.want)
		}
	}
	if got.E != k.E {
		t.Fatalf("E = %d, want %d", got.E, k.E)
	}
}

func TestP256MatchesX509(t *testing.T) {
	for _, k := range testECKeys() {
		pubBytes, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		x, y := pubBytes[1:33], pubBytes[33:]

		wantPKIX, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		gotPKIX, err := MarshalPKIXP256(x, y)
		if err != nil || !bytes.Equal(gotPKIX, wantPKIX) {
			t.Fatalf("MarshalPKIXP256 = %x, %v\nx509 writes %x", gotPKIX, err, wantPKIX)
		}
		px, py, err := ParsePKIXP256(wantPKIX)
		if err != nil || !bytes.Equal(px, x) || !bytes.Equal(py, y) {
			t.Fatalf("ParsePKIXP256(x509's encoding) = %x, %x, %v", px, py, err)
		}

		d, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		wantSEC1, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		priv, err := ParseSEC1P256(wantSEC1)
		if err != nil || !bytes.Equal(priv.D, d) || !bytes.Equal(priv.Public, pubBytes) {
			t.Fatalf("ParseSEC1P256(x509's encoding) = %+v, %v", priv, err)
		}
		if got := priv.MarshalSEC1(); !bytes.Equal(got, wantSEC1) {
			t.Fatalf("MarshalSEC1 = %x\nx509 writes %x", got, wantSEC1)
		}

		wantPKCS8, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		priv8, err := ParsePKCS8P256(wantPKCS8)
		if err != nil || !bytes.Equal(priv8.D, d) || !bytes.Equal(priv8.Public, pubBytes) {
			t.Fatalf("ParsePKCS8P256(x509's encoding) = %+v, %v", priv8, err)
		}
		if got := priv8.MarshalPKCS8(); !bytes.Equal(got, wantPKCS8) {
			t.Fatalf("MarshalPKCS8 = %x\nx509 writes %x", got, wantPKCS8)
		}
	}
}

// TestP256KeysWithoutPublicPoint: SEC 1 and PKCS #8 may leave the public point out; the
// key still parses, re-encodes without it, and x509 reads the re-encoding as the same key.
func TestP256KeysWithoutPublicPoint(t *testing.T) {
	k := testECKeys()[0]
	d, _ := k.Bytes()
	priv := &P256PrivateKey{D: d}
	sec1 := priv.MarshalSEC1()
	back, err := x509.ParseECPrivateKey(sec1)
	if err != nil || !back.Equal(k) {
		t.Fatalf("x509.ParseECPrivateKey(MarshalSEC1 without point) = %v", err)
	}
	parsed, err := ParseSEC1P256(sec1)
	if err != nil || !bytes.Equal(parsed.D, d) || parsed.Public != nil {
		t.Fatalf("ParseSEC1P256 = %+v, %v", parsed, err)
	}
	back8, err := x509.ParsePKCS8PrivateKey(priv.MarshalPKCS8())
	if err != nil || !back8.(*ecdsa.PrivateKey).Equal(k) {
		t.Fatalf("x509.ParsePKCS8PrivateKey(MarshalPKCS8 without point) = %v", err)
	}
}

func TestRefusals(t *testing.T) {
	rsaKey := testRSAKeys()[0]
	ecKey := testECKeys()[0]
	rsaPKIX, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	ecPKIX, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaKey)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384PKIX, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	p384SEC1, _ := x509.MarshalECPrivateKey(p384)
	p384PKCS8, _ := x509.MarshalPKCS8PrivateKey(p384)
	offCurve := bytes.Clone(ecPKIX)
	offCurve[len(offCurve)-1] ^= 1

	parsers := map[string]func([]byte) error{
		"PKIX RSA":   func(b []byte) error { _, err := ParsePKIXRSA(b); return err },
		"PKCS1 RSA":  func(b []byte) error { _, err := ParsePKCS1RSA(b); return err },
		"PKCS8 RSA":  func(b []byte) error { _, _, err := ParsePKCS8RSA(b); return err },
		"PKIX P-256": func(b []byte) error { _, _, err := ParsePKIXP256(b); return err },
		"SEC1 P-256": func(b []byte) error { _, err := ParseSEC1P256(b); return err },
		"PKCS8 P256": func(b []byte) error { _, err := ParsePKCS8P256(b); return err },
	}
	good := map[string][]byte{"PKIX RSA": rsaPKIX, "PKCS1 RSA": pkcs1, "PKIX P-256": ecPKIX, "SEC1 P-256": sec1, "PKCS8 P256": ecPKCS8}
	for name, der := range good {
		bad := map[string][]byte{
			"empty":          nil,
			"truncated":      der[:len(der)-1],
			"trailing byte":  append(bytes.Clone(der), 0),
			"long-form zero": append([]byte{0x30, 0x82, 0x00, byte(len(der) - 2)}, der[2:]...),
		}
		for what, b := range bad {
			if err := parsers[name](b); err == nil {
				t.Errorf("%s: %s key parsed", name, what)
			}
		}
		for other, parse := range parsers {
			if other != name && parse(der) == nil {
				t.Errorf("%s key parsed as %s", name, other)
			}
		}
	}
	for name, b := range map[string][]byte{"P-384 PKIX": p384PKIX, "off-curve point": offCurve} {
		if err := parsers["PKIX P-256"](b); err == nil {
			t.Errorf("ParsePKIXP256(%s) succeeded", name)
		}
	}
	if _, err := ParseSEC1P256(p384SEC1); err == nil {
		t.Error("ParseSEC1P256(P-384 key) succeeded")
	}
	if _, err := ParsePKCS8P256(p384PKCS8); err == nil {
		t.Error("ParsePKCS8P256(P-384 key) succeeded")
	}
	zero := (&P256PrivateKey{D: make([]byte, 32)}).MarshalSEC1()
	order := (&P256PrivateKey{D: p256N.Bytes()}).MarshalSEC1()
	for name, b := range map[string][]byte{"zero scalar": zero, "scalar n": order} {
		if _, err := ParseSEC1P256(b); err == nil {
			t.Errorf("ParseSEC1P256(%s) succeeded", name)
		}
	}
	if _, err := MarshalPKIXP256(make([]byte, 32), make([]byte, 32)); err == nil {
		t.Error("MarshalPKIXP256(0, 0) succeeded")
	}
}
