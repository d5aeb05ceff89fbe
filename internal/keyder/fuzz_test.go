package keyder

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"testing"
)

// The fuzz targets check that no input panics the parsers and that whatever they accept,
// crypto/x509 reads as the same key.

func FuzzParsePKIX(f *testing.F) {
	rsaPKIX, _ := x509.MarshalPKIXPublicKey(&testRSAKeys[0].PublicKey)
	ecPKIX, _ := x509.MarshalPKIXPublicKey(&testECKeys[0].PublicKey)
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

func FuzzParsePKCS1RSA(f *testing.F) {
	f.Add(x509.MarshalPKCS1PrivateKey(testRSAKeys[0]))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(testRSAKeys[0])
	f.Add(pkcs8)
	f.Fuzz(func(t *testing.T, der []byte) {
		// Consistency is not checked (see RSAPrivateKey), so x509 may refuse a key parsed
		// here; a key both accept must read the same.
		if k, err := ParsePKCS1RSA(der); err == nil {
			if xk, err := x509.ParsePKCS1PrivateKey(der); err == nil && (xk.N.Cmp(k.N) != 0 || xk.D.Cmp(k.D) != 0 || xk.E != k.E) {
				t.Fatalf("ParsePKCS1RSA and x509 disagree")
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
	sec1, _ := x509.MarshalECPrivateKey(testECKeys[0])
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(testECKeys[0])
	d, _ := testECKeys[0].Bytes()
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
