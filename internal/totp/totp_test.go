package totp

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRFC6238Vectors checks the SHA-1 rows of RFC 6238 appendix B (8 digits, seed
// "12345678901234567890").
func TestRFC6238Vectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := HOTP(seed, Counter(time.Unix(tc.unix, 0)), 8); got != tc.want {
			t.Errorf("T=%d: %s, want %s", tc.unix, got, tc.want)
		}
	}
}

// TestRFC4226Vectors checks RFC 4226 appendix D (6 digits, counters 0..9).
func TestRFC4226Vectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := HOTP(seed, int64(i), 6); got != w {
			t.Errorf("counter %d: %s, want %s", i, got, w)
		}
	}
}

func TestVerifyWindow(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	cur := Counter(now)
	for _, d := range []int64{-1, 0, 1} {
		code := HOTP(secret, cur+d, Digits)
		step, ok := Verify(secret, code, now)
		if !ok || step != cur+d {
			t.Errorf("step %+d: Verify = %d, %v", d, step, ok)
		}
	}
	for _, d := range []int64{-3, -2, 2, 3} {
		code := HOTP(secret, cur+d, Digits)
		if code == Code(secret, now) || code == HOTP(secret, cur-1, Digits) || code == HOTP(secret, cur+1, Digits) {
			continue // a collision inside the window (one in a few hundred thousand)
		}
		if _, ok := Verify(secret, code, now); ok {
			t.Errorf("step %+d accepted", d)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", Code(secret, now) + " "} {
		if _, ok := Verify(secret, bad, now); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}

func TestSecret(t *testing.T) {
	s, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{0xa5}, 64)))
	if err != nil || len(s) != SecretLen {
		t.Fatalf("NewSecret = %x, %v", s, err)
	}
	enc := Encode(s)
	if len(enc) != 32 || strings.ContainsAny(enc, "=abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("Encode = %q", enc)
	}
	for _, spelled := range []string{enc, strings.ToLower(enc), enc + "===="} {
		if back, err := Decode(spelled); err != nil || !bytes.Equal(back, s) {
			t.Fatalf("Decode(%q) = %x, %v", spelled, back, err)
		}
	}
	if _, err := Decode("not base32!"); err == nil {
		t.Fatal("Decode accepted a bad secret")
	}
	if _, err := NewSecret(bytes.NewReader(nil)); err == nil {
		t.Fatal("NewSecret from an empty reader succeeded")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte("12345678901234567890"), "287082", int64(59))
	f.Add([]byte{}, "", int64(0))
	f.Add([]byte("k"), "99999999", int64(-1))
	f.Fuzz(func(t *testing.T, secret []byte, code string, unix int64) {
		now := time.Unix(unix, 0)
		step, ok := Verify(secret, code, now)
		if ok && HOTP(secret, step, Digits) != code {
			t.Fatalf("Verify accepted %q at step %d whose code is %s", code, step, HOTP(secret, step, Digits))
		}
		if got := Code(secret, now); len(got) != Digits {
			t.Fatalf("Code = %q", got)
		}
		if b, err := Decode(code); err == nil && Encode(b) != strings.ToUpper(strings.TrimRight(code, "=")) {
			t.Fatalf("Decode(%q) = %x, which encodes as %q", code, b, Encode(b))
		}
	})
}
