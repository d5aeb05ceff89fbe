package keyder

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"testing"
)

// The fuzz targets check that no input panics the parsers and that whatever they accept,
// crypto/x509 reads as the same key.

func FuzzParsePKIX(f *testing.F) {
	rsaPKIX, _ := x509.MarshalPKIXPublicKey(&fixedRSAKey(f).PublicKey)
	ecPKIX, _ := x509.MarshalPKIXPublicKey(&testECKeys()[0].PublicKey)
	f.Add(rsaPKIX)
	f.Add(ecPKIX)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		if pub, err := ParsePKIXRSA(der); err == nil {
			k, err := x509.ParsePKIXPublicKey(der)
			if err != nil {
				t.Fatalf("ParsePKIXRSA accepts what x509 refuses: %v", err)
			}
			rk, ok := k.(*rsa.PublicKey)
			if !ok || rk.N.Cmp(pub.N) != 0 || rk.E != pub.E {
				t.Fatalf("ParsePKIXRSA = %v, x509 = %v", pub, k)
			}
			if !bytes.Equal(MarshalPKIXRSA(pub), der) {
				t.Fatal("MarshalPKIXRSA(ParsePKIXRSA(der)) != der")
			}
		}
		if x, y, err := ParsePKIXP256(der); err == nil {
			k, err := x509.ParsePKIXPublicKey(der)
			if err != nil {
				t.Fatalf("ParsePKIXP256 accepts what x509 refuses: %v", err)
			}
			ek, ok := k.(*ecdsa.PublicKey)
			if b, _ := ek.Bytes(); !ok || !bytes.Equal(b, uncompressed(x, y)) {
				t.Fatalf("ParsePKIXP256 = %x %x, x509 = %v", x, y, k)
			}
		}
	})
}

// pkcs1Struct is PKCS #1's RSAPrivateKey for encoding/asn1, the structural oracle of
// FuzzParsePKCS1RSA (x509.ParsePKCS1PrivateKey also checks the key's arithmetic, which
// costs seconds per input under the fuzzer's instrumentation).
type pkcs1Struct struct {
	Version               int
	N                     *big.Int
	E                     int
	D, P, Q, Dp, Dq, Qinv *big.Int
}

// fixedRSAKey is testdata/rsa2048.pem, the fuzz targets' RSA seed: generating one per fuzz
// worker would take most of its time.
func fixedRSAKey(f *testing.F) *rsa.PrivateKey {
	b, err := os.ReadFile("testdata/rsa2048.pem")
	if err != nil {
		f.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		f.Fatal("testdata/rsa2048.pem: no PEM block")
	}
	k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		f.Fatal(err)
	}
	return k
}

func FuzzParsePKCS1RSA(f *testing.F) {
	k := fixedRSAKey(f)
	f.Add(x509.MarshalPKCS1PrivateKey(k))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	f.Add(pkcs8)
	f.Fuzz(func(t *testing.T, der []byte) {
		if k, err := ParsePKCS1RSA(der); err == nil {
			var want pkcs1Struct
			rest, err := asn1.Unmarshal(der, &want)
			if err != nil || len(rest) != 0 {
				t.Fatalf("ParsePKCS1RSA accepts what encoding/asn1 refuses: %v, %d bytes left", err, len(rest))
			}
			for _, f := range []struct{ got, want *big.Int }{{k.N, want.N}, {k.D, want.D}, {k.P, want.P},
				{k.Q, want.Q}, {k.Dp, want.Dp}, {k.Dq, want.Dq}, {k.Qinv, want.Qinv}} {
				if f.got.Cmp(f.want) != 0 {
					t.Fatalf("ParsePKCS1RSA and encoding/asn1 disagree: %x, %x", f.got, f.want)
				}
			}
			if want.Version != 0 || k.E != want.E {
				t.Fatalf("ParsePKCS1RSA: version %d, E %d; encoding/asn1: E %d", want.Version, k.E, want.E)
			}
		}
		if inner, k, err := ParsePKCS8RSA(der); err == nil {
			if _, err := ParsePKCS1RSA(inner); err != nil || k == nil {
				t.Fatalf("ParsePKCS8RSA's inner key does not parse: %v", err)
			}
		}
	})
}

func FuzzParseP256Private(f *testing.F) {
	sec1, _ := x509.MarshalECPrivateKey(testECKeys()[0])
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(testECKeys()[0])
	d, _ := testECKeys()[0].Bytes()
	f.Add(sec1)
	f.Add(pkcs8)
	f.Add((&P256PrivateKey{D: d}).MarshalSEC1())
	f.Fuzz(func(t *testing.T, der []byte) {
		check := func(name string, k *P256PrivateKey, xk *ecdsa.PrivateKey, err error) {
			if err != nil {
				t.Fatalf("%s accepts what x509 refuses: %v", name, err)
			}
			if b, _ := xk.Bytes(); !bytes.Equal(b, k.D) {
				t.Fatalf("%s = %x, x509 = %x", name, k.D, b)
			}
			// What poolgate hands on (MarshalSEC1, MarshalPKCS8) reads as the same key.
			back, err := x509.ParseECPrivateKey(k.MarshalSEC1())
			if err != nil || !back.Equal(xk) {
				t.Fatalf("%s: MarshalSEC1 reads as another key: %v", name, err)
			}
		}
		if k, err := ParseSEC1P256(der); err == nil {
			xk, err := x509.ParseECPrivateKey(der)
			check("ParseSEC1P256", k, xk, err)
		}
		if k, err := ParsePKCS8P256(der); err == nil {
			xk, err := x509.ParsePKCS8PrivateKey(der)
			ek, _ := xk.(*ecdsa.PrivateKey)
			if err == nil && ek == nil {
				t.Fatalf("ParsePKCS8P256 accepts a %T", xk)
			}
			check("ParsePKCS8P256", k, ek, err)
		}
	})
}
