package hostcrypto

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestFixedBaseAgreesWithExp holds tables of every window width, over moduli of one word to
// SRP's 48, to math/big's Exp for exponents of every length the table serves.
func TestFixedBaseAgreesWithExp(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'f', 'i', 'x', 'e', 'd'}))
	randInt := func(bits int) *big.Int {
		b := make([]byte, (bits+7)/8)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return new(big.Int).Rsh(new(big.Int).SetBytes(b), uint(len(b)*8-bits))
	}
	moduli := []*big.Int{big.NewInt(1000003), randInt(64), randInt(65), randInt(200), new(big.Int).SetBytes(srpN)}
	for _, m := range moduli {
		m.SetBit(m, 0, 1)
		for _, w := range []uint{1, 2, 3, 5, 6, 7, 8} {
			for _, maxBits := range []int{1, 63, 64, 65, 130} {
				base := randInt(m.BitLen() + 3) // above m: the table reduces it
				f := newFixedBase(base, m, maxBits, w)
				for bits := range maxBits + 1 {
					e := randInt(bits)
					got, want := f.exp(e), new(big.Int).Exp(base, e, m)
					if got.Cmp(want) != 0 {
						t.Fatalf("m %d bits, w %d, maxBits %d: %x^%x = %x, want %x", m.BitLen(), w, maxBits, base, e, got, want)
					}
				}
			}
		}
	}
}

// TestSRPPowerServes: the table serves exactly SRP's generator and group with exponents of up
// to 256 bits, leading zeros allowed; everything else goes to math/big.
func TestSRPPowerServes(t *testing.T) {
	e256 := bytes.Repeat([]byte{0xff}, 32)
	for _, tc := range []struct {
		name           string
		base, exp, mod []byte
		served         bool
	}{
		{"SRP's shape", []byte{2}, e256, srpN, true},
		{"leading zeros", []byte{0, 2}, append([]byte{0, 0}, e256...), append([]byte{0}, srpN...), true},
		{"empty exponent", []byte{2}, nil, srpN, true},
		{"257-bit exponent", []byte{2}, append([]byte{1}, e256...), srpN, false},
		{"another base", []byte{3}, e256, srpN, false},
		{"another modulus", []byte{2}, e256, srpN[1:], false},
	} {
		got, ok := srpPower(tc.base, tc.exp, tc.mod)
		if ok != tc.served {
			t.Errorf("%s: served %v, want %v", tc.name, ok, tc.served)
			continue
		}
		if ok {
			m := new(big.Int).SetBytes(tc.mod)
			if want := new(big.Int).Exp(big.NewInt(2), new(big.Int).SetBytes(tc.exp), m).Bytes(); !bytes.Equal(got, want) {
				t.Errorf("%s: %x, want %x", tc.name, got, want)
			}
		}
	}
}

// BenchmarkModExpSRPGenerator: 2^x mod N for a 256-bit x, from the table and by math/big's
// Exp.
func BenchmarkModExpSRPGenerator(b *testing.B) {
	exp := bytes.Repeat([]byte{0xb7}, 32)
	srpPowers() // built once per process, not per call
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			if _, err := (Pure{}).ModExp([]byte{2}, exp, srpN); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("math-big", func(b *testing.B) {
		g, x, m := big.NewInt(2), new(big.Int).SetBytes(exp), new(big.Int).SetBytes(srpN)
		for b.Loop() {
			new(big.Int).Exp(g, x, m)
		}
	})
	b.Run("build", func(b *testing.B) {
		g, m := big.NewInt(2), new(big.Int).SetBytes(srpN)
		for b.Loop() {
			newFixedBase(g, m, srpExponentBits, 6)
		}
	})
}
