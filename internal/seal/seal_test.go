package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newSealer(t testing.TB, key []byte) *Sealer {
	t.Helper()
	s, err := New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestRoundTrip(t *testing.T) {
	s := newSealer(t, key(1))
	for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("state"), 1000)} {
		for _, exp := range []time.Time{{}, t0.Add(time.Minute)} {
			sealed, err := s.Seal("srp", pt, exp)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(pt)+Overhead {
				t.Errorf("sealed length %d, want %d", len(sealed), len(pt)+Overhead)
			}
			if len(pt) > 8 && bytes.Contains(sealed, pt[:8]) {
				t.Error("sealed blob contains the plaintext")
			}
			got, err := s.Open("srp", sealed, t0)
			if err != nil {
				t.Fatalf("open (exp %v): %v", exp, err)
			}
			if !bytes.Equal(got, pt) {
				t.Errorf("open = %q, want %q", got, pt)
			}
		}
	}
}

func TestNoncesDiffer(t *testing.T) {
	s := newSealer(t, key(1))
	a, _ := s.Seal("p", []byte("same"), time.Time{})
	b, _ := s.Seal("p", []byte("same"), time.Time{})
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestNeverExpires(t *testing.T) {
	s := newSealer(t, key(1))
	sealed, _ := s.Seal("p", []byte("v"), time.Time{})
	if _, err := s.Open("p", sealed, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
}

func TestExpiry(t *testing.T) {
	s := newSealer(t, key(1))
	exp := t0.Add(5 * time.Minute)
	sealed, err := s.Seal("session", []byte("v"), exp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want error
	}{
		{t0, nil},
		{exp.Add(-time.Second), nil},
		{exp.Add(-time.Nanosecond), nil},
		{exp, ErrExpired},
		{exp.Add(time.Hour), ErrExpired},
	} {
		_, err := s.Open("session", sealed, tc.now)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("open at %v: err %v, want %v", tc.now, err, tc.want)
		}
	}
}

func TestExpiryRoundsDown(t *testing.T) {
	s := newSealer(t, key(1))
	sealed, _ := s.Seal("p", nil, t0.Add(900*time.Millisecond))
	if _, err := s.Open("p", sealed, t0); !errors.Is(err, ErrExpired) {
		t.Fatalf("open at the rounded-down expiry: %v, want ErrExpired", err)
	}
}

func TestWrongPurpose(t *testing.T) {
	s := newSealer(t, key(1))
	sealed, _ := s.Seal("srp", []byte("v"), time.Time{})
	for _, p := range []string{"refresh", "sr", "srpx", "SRP", "\x01srp"} {
		if _, err := s.Open(p, sealed, t0); !errors.Is(err, ErrInvalid) {
			t.Errorf("open as %q: %v, want ErrInvalid", p, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	sealed, _ := newSealer(t, key(1)).Seal("p", []byte("v"), time.Time{})
	if _, err := newSealer(t, key(2)).Open("p", sealed, t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("open with another key: %v, want ErrInvalid", err)
	}
}

func TestTamperedEveryByte(t *testing.T) {
	s := newSealer(t, key(1))
	sealed, _ := s.Seal("p", []byte("tamper me"), t0.Add(time.Hour))
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(sealed)
			c[i] ^= flip
			if got, err := s.Open("p", c, t0); !errors.Is(err, ErrInvalid) {
				t.Fatalf("byte %d ^ %#x: open = %q, %v; want ErrInvalid", i, flip, got, err)
			}
		}
	}
}

func TestTruncatedAndExtended(t *testing.T) {
	s := newSealer(t, key(1))
	sealed, _ := s.Seal("p", []byte("truncate me"), time.Time{})
	for n := 0; n < len(sealed); n++ {
		if _, err := s.Open("p", sealed[:n], t0); !errors.Is(err, ErrInvalid) {
			t.Fatalf("truncated to %d: %v, want ErrInvalid", n, err)
		}
	}
	if _, err := s.Open("p", append(bytes.Clone(sealed), 0), t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("extended by one byte: %v, want ErrInvalid", err)
	}
}

// TestFormatV1 pins the version-1 layout: records sealed at rest by earlier builds must keep
// opening. The blob was computed independently (Python's cryptography AESGCM) for key(7),
// an all-zero nonce, plaintext be64(2000000000)||"poolgate" and AAD 0x01||"golden".
func TestFormatV1(t *testing.T) {
	const golden = "01" + "000000000000000000000000" + // version, nonce
		"61d8a4b28ca79fe89168e008a31a3fcb" + // expiry 2000000000 and "poolgate", encrypted
		"bccdd3d8c932752767c9e38a82416b21" // tag
	s, err := New(key(7), zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("golden", []byte("poolgate"), time.Unix(2000000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(sealed); got != golden {
		t.Fatalf("sealed = %s\nwant     %s", got, golden)
	}
	want, _ := hex.DecodeString(golden)
	pt, err := s.Open("golden", want, time.Unix(1999999999, 0))
	if err != nil || string(pt) != "poolgate" {
		t.Fatalf("open golden = %q, %v", pt, err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestSealErrors(t *testing.T) {
	if _, err := New(make([]byte, 16), rand.Reader); err == nil {
		t.Error("New accepted a 16-byte key")
	}
	if _, err := New(key(1), nil); err == nil {
		t.Error("New accepted a nil random source")
	}
	s := newSealer(t, key(1))
	if _, err := s.Seal("", nil, time.Time{}); err == nil {
		t.Error("Seal accepted an empty purpose")
	}
	if _, err := s.Seal("p", nil, time.Unix(-5, 0)); err == nil {
		t.Error("Seal accepted an expiry before the epoch")
	}
	f, _ := New(key(1), failReader{})
	if _, err := f.Seal("p", nil, time.Time{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Seal with a failing reader: %v", err)
	}
}

func TestDeriveKey(t *testing.T) {
	// RFC 5869 A.3 (SHA-256, empty salt and info): the first 32 bytes of its OKM.
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	want, _ := hex.DecodeString("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d")
	if got := DeriveKey(ikm, ""); !bytes.Equal(got, want) {
		t.Fatalf("DeriveKey(RFC 5869 A.3) = %x, want %x", got, want)
	}

	master := key(9)
	a, b := DeriveKey(master, "at-rest"), DeriveKey(master, "session")
	if len(a) != KeySize || bytes.Equal(a, b) {
		t.Fatalf("labels do not separate keys: %x %x", a, b)
	}
	if !bytes.Equal(a, DeriveKey(master, "at-rest")) {
		t.Fatal("DeriveKey is not deterministic")
	}
	// A blob sealed under one derived key does not open under the other.
	sa, sb := newSealer(t, a), newSealer(t, b)
	sealed, _ := sa.Seal("p", []byte("v"), time.Time{})
	if _, err := sb.Open("p", sealed, t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("open under a sibling key: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	// Fuzz workers run this setup again: a fixed nonce makes the valid seed the same in each.
	s, err := New(key(3), zeroReader{})
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := s.Seal("fuzz", []byte("seed"), time.Time{})
	f.Add(valid)
	f.Add(valid[:Overhead])
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(make([]byte, Overhead))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Equal(data, valid) {
			return
		}
		got, err := s.Open("fuzz", data, t0)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Open(%x) = %q, %v; want ErrInvalid", data, got, err)
		}
	})
}

// TestNewAEAD: a Sealer over another GCM (as hostcrypto.AESGCM gives) and one from New
// under the same key open each other's blobs; an AEAD of another nonce or tag size is refused.
func TestNewAEAD(t *testing.T) {
	block, err := aes.NewCipher(key(3))
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	over, err := NewAEAD(gcm, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	plain := newSealer(t, key(3))
	for _, pair := range [][2]*Sealer{{over, plain}, {plain, over}} {
		sealed, err := pair[0].Seal("user", []byte("secrets"), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := pair[1].Open("user", sealed, t0); err != nil || string(got) != "secrets" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	}
	wideNonce, _ := cipher.NewGCMWithNonceSize(block, 16)
	shortTag, _ := cipher.NewGCMWithTagSize(block, 12)
	for _, aead := range []cipher.AEAD{nil, wideNonce, shortTag} {
		if _, err := NewAEAD(aead, rand.Reader); err == nil {
			t.Errorf("NewAEAD accepted %T", aead)
		}
	}
	if _, err := NewAEAD(gcm, nil); err == nil {
		t.Error("NewAEAD accepted a nil random source")
	}
}
