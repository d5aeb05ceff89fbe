package hostcrypto

import (
	"bytes"
	"math/big"
	"sync"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// SRP raises its generator 2 to a secret power modulo N for every verifier (SignUp, a new
// password), every password sign-in and every server session: Pure computes those from a
// table of 2's powers, one multiplication per six bits of the exponent instead of math/big's
// square-and-multiply, about a quarter of the CPU for SRP's 256-bit exponents
// (BenchmarkModExpSRPGenerator). The table (1 MB) is built on first use, in about 12 ms.
var (
	srpN         = mustHexBytes(modexp.SRPGroupN)
	srpGenerator = []byte{2}
	srpPowers    = sync.OnceValue(func() *fixedBase {
		return newFixedBase(new(big.Int).SetBytes(srpGenerator), new(big.Int).SetBytes(srpN), srpExponentBits, 6)
	})
)

// srpExponentBits is the longest exponent the SRP table serves: package srp's exponents are
// SHA-256 outputs (x) and 32 random bytes (b). Longer ones go to math/big.
const srpExponentBits = 256

// SRPGeneratorPower reports whether base^exp mod mod is SRP's generator raised to an exponent
// of at most 256 bits modulo its group's N (leading zero bytes allowed): the exponentiation a
// provider may serve from a table of the generator's powers.
func SRPGeneratorPower(base, exp, mod []byte) bool {
	return bytes.Equal(trimZeros(base), srpGenerator) && bytes.Equal(trimZeros(mod), srpN) &&
		new(big.Int).SetBytes(exp).BitLen() <= srpExponentBits
}

// srpPower returns 2^exp mod N from the table and true when SRPGeneratorPower(base, exp, mod).
func srpPower(base, exp, mod []byte) ([]byte, bool) {
	if !SRPGeneratorPower(base, exp, mod) {
		return nil, false
	}
	return srpPowers().exp(new(big.Int).SetBytes(exp)).Bytes(), true
}

// fixedBase holds the powers of one base modulo m for exponents of up to maxBits bits, read
// in windows of w bits: row i holds base^(j·2^(w·i)) mod m for every j < 2^w, so base^e is
// the product of one entry per row, the one the row's window of e names. Every row is read
// whole and the entry picked with masks, and every row costs one multiplication, so which
// entries a secret exponent picks leaves no trace in the cache or in the count of
// multiplications (math/big's arithmetic itself is not constant-time; its Exp, which this
// replaces, indexes its window table by the exponent's bits).
type fixedBase struct {
	m     *big.Int
	w     uint
	words int          // words per entry: m's length
	rows  [][]big.Word // row i: 2^w entries of words each, least-significant word first
}

func newFixedBase(base, m *big.Int, maxBits int, w uint) *fixedBase {
	f := &fixedBase{m: m, w: w, words: len(m.Bits())}
	nRows := (maxBits + int(w) - 1) / int(w)
	step := new(big.Int).Mod(base, m) // base^(2^(w·i)) for the row being filled
	q := new(big.Int)
	for range nRows {
		row := make([]big.Word, f.words<<w)
		power := big.NewInt(1)
		for j := range 1 << w {
			copy(row[j*f.words:], power.Bits())
			power.Mul(power, step)
			q.QuoRem(power, m, power)
		}
		step = power // step^(2^w): the next row's step
		f.rows = append(f.rows, row)
	}
	return f
}

// exp returns base^e mod m; e must have at most maxBits bits.
func (f *fixedBase) exp(e *big.Int) *big.Int {
	acc, q := big.NewInt(1), new(big.Int)
	entry := make([]big.Word, f.words)
	mask := big.Word(1)<<f.w - 1
	for i, row := range f.rows {
		digit := wordsWindow(e.Bits(), i*int(f.w), f.w) & mask
		clear(entry)
		for j := range big.Word(1) << f.w {
			// all ones when j == digit, else zero, without a branch on digit
			pick := big.Word(0) - (1 ^ ((j^digit)|(0-(j^digit)))>>(wordBits-1))
			for k, v := range row[int(j)*f.words : int(j+1)*f.words] {
				entry[k] |= v & pick
			}
		}
		acc.Mul(acc, new(big.Int).SetBits(entry))
		q.QuoRem(acc, f.m, acc)
	}
	return acc
}

const wordBits = 32 << (^big.Word(0) >> 63)

// wordsWindow returns the w bits of the little-endian words x starting at bit i (zeros past
// x's end).
func wordsWindow(x []big.Word, i int, w uint) big.Word {
	word, shift := i/wordBits, uint(i%wordBits)
	var v big.Word
	if word < len(x) {
		v = x[word] >> shift
	}
	if shift+w > wordBits && word+1 < len(x) {
		v |= x[word+1] << (wordBits - shift)
	}
	return v
}

func trimZeros(b []byte) []byte { return bytes.TrimLeft(b, "\x00") }

func mustHexBytes(s string) []byte {
	b, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("hostcrypto: bad constant " + s)
	}
	return b.Bytes()
}
