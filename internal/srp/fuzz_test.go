package srp

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func FuzzValidateA(f *testing.F) {
	for _, s := range []string{"", "0", "2", "02", "abcDEF", groupN.Text(16), new(big.Int).Lsh(groupN, 1).Text(16),
		strings.Repeat("f", 770), strings.Repeat("f", 771), "+1", "-1", "0x02", "zz", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		A, err := ValidateA(s)
		if err != nil {
			if !errors.Is(err, ErrBadA) {
				t.Fatalf("ValidateA(%q): error %v does not wrap ErrBadA", s, err)
			}
			return
		}
		n, ok := new(big.Int).SetString(s, 16)
		if !ok || strings.ContainsAny(s, "+-_xX") {
			t.Fatalf("ValidateA accepted %q, which is not plain hex", s)
		}
		if n.Cmp(new(big.Int).SetBytes(A)) != 0 {
			t.Fatalf("ValidateA(%q) = %x, want %x", s, A, n)
		}
		if len(s) > 770 || new(big.Int).Mod(n, groupN).Sign() == 0 {
			t.Fatalf("ValidateA accepted %q", s)
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"Tue Jan 6 09:05:03 UTC 2026", "Sun Nov 22 20:38:57 UTC 2026", "Tue Jan 06 09:05:03 UTC 2026",
		"Mon Jan 6 09:05:03 UTC 2026", "Sat Feb 29 00:00:00 UTC 2025", "Thu Feb 29 00:00:00 UTC 2024", "", "garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			if !errors.Is(err, ErrBadTimestamp) {
				t.Fatalf("ParseTimestamp(%q): error %v does not wrap ErrBadTimestamp", s, err)
			}
			return
		}
		// The format is canonical: whatever parses formats back to the same string.
		if got := FormatTimestamp(ts); got != s {
			t.Fatalf("ParseTimestamp(%q) = %v, which formats as %q", s, ts, got)
		}
	})
}

// FuzzServerSignature feeds arbitrary A, B, b, verifier, SECRET_BLOCK, TIMESTAMP and claim:
// no panic, and only errors or a false verdict unless the claim is the server's own signature.
func FuzzServerSignature(f *testing.F) {
	_, v, _ := NewVerifier(pure, bytes.NewReader(bytes.Repeat([]byte{7}, 16)), "P", "u", "pw")
	cl, _ := NewClient(pure, bytes.NewReader(bytes.Repeat([]byte{0xa1}, 32)))
	A, _ := ValidateA(cl.AHex())
	b, B, _ := NewServerSession(pure, bytes.NewReader(bytes.Repeat([]byte{0xb2}, 32)), v)
	f.Add(A, B, b, v, []byte("block"), vecTimestamp, vecSignature)
	f.Add([]byte{}, B, b, v, []byte{}, "", "")
	f.Add(nBytes, nBytes, []byte{1}, nBytes, []byte{0}, "x", "AAAA")
	f.Add([]byte{2}, []byte{3}, []byte{0}, []byte{1}, []byte(nil), "\xff", "=")
	f.Fuzz(func(t *testing.T, A, B, b, v, block []byte, ts, claim string) {
		sig, err := ServerSignature(pure, A, B, b, v, "P", "u", block, ts)
		ok, verr := VerifySignature(pure, A, B, b, v, "P", "u", block, ts, claim)
		if (err == nil) != (verr == nil) {
			t.Fatalf("ServerSignature error %v but VerifySignature error %v", err, verr)
		}
		if err != nil {
			if ok {
				t.Fatal("VerifySignature: true with an error")
			}
			return
		}
		if len(sig) != 32 {
			t.Fatalf("signature is %d bytes", len(sig))
		}
		if ok != (claim == b64(sig)) {
			t.Fatalf("VerifySignature(%q) = %v, signature is %s", claim, ok, b64(sig))
		}
	})
}

// FuzzClientSignature feeds a challenge's SALT, SRP_B and SECRET_BLOCK from a hostile server.
func FuzzClientSignature(f *testing.F) {
	cl, _ := NewClient(pure, bytes.NewReader(bytes.Repeat([]byte{0xa1}, 32)))
	f.Add("00"+vecSaltHex, "94"+strings.Repeat("1", 766), []byte("block"), vecTimestamp)
	f.Add("", "", []byte{}, "")
	f.Add("-1", groupN.Text(16), []byte{0}, "x")
	f.Add("0", "1", []byte(nil), "\xff")
	f.Fuzz(func(t *testing.T, salt, B string, block []byte, ts string) {
		claim, err := cl.Signature("P", "u", "pw", salt, B, block, ts)
		if err != nil {
			return
		}
		if raw, derr := b64Decode(claim); derr != nil || len(raw) != 32 {
			t.Fatalf("Signature = %q, not base64 of 32 bytes", claim)
		}
	})
}
