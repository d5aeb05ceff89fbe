package hostcrypto_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// FuzzPure feeds arbitrary keys, digests, signatures and operands to every method: no panic,
// ModExp agrees with math/big, and Verify errors follow the Provider error rules.
func FuzzPure(f *testing.F) {
	f.Add(uint8(0), []byte{4}, []byte{13}, []byte{0x01, 0xf1})
	f.Add(uint8(0), []byte{2}, []byte{3}, []byte{2})
	f.Add(uint8(1), []byte{0x30, 0x03, 0x02, 0x01, 0x00}, bytes.Repeat([]byte{1}, 32), []byte{1})
	f.Add(uint8(2), []byte{0x30, 0x82, 0x01, 0x22}, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{9}, 256))
	f.Add(uint8(3), []byte{0x30, 0x77}, bytes.Repeat([]byte{1}, 32), []byte(nil))
	f.Add(uint8(4), []byte{0x30, 0x59}, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{9}, 64))
	f.Fuzz(func(t *testing.T, op uint8, a, b, c []byte) {
		var p hostcrypto.Pure
		switch op % 5 {
		case 0:
			if len(b) > 64 {
				b = b[:64] // keep each exec fast; sizes are covered by the conformance suite
			}
			got, err := p.ModExp(a, b, c)
			if err != nil {
				return
			}
			m := new(big.Int).SetBytes(c)
			want := new(big.Int).Exp(new(big.Int).SetBytes(a), new(big.Int).SetBytes(b), m).Bytes()
			if !bytes.Equal(got, want) {
				t.Fatalf("ModExp(%x, %x, %x) = %x, want %x", a, b, c, got, want)
			}
		case 1:
			_, _ = p.SignRSA(a, b)
		case 2:
			checkVerifyError(t, p.VerifyRSA(a, b, c))
		case 3:
			_, _ = p.SignECDSA(a, b)
		case 4:
			checkVerifyError(t, p.VerifyECDSA(a, b, c))
		}
	})
}

// checkVerifyError accepts nil only when a fuzzed input happens to be valid, which the
// random keys never are; any error is fine, but a wrapped ErrVerify must be ErrVerify itself.
func checkVerifyError(t *testing.T, err error) {
	if err == nil {
		t.Fatal("Verify accepted a fuzzed key and signature")
	}
	if errors.Is(err, hostcrypto.ErrVerify) && err != hostcrypto.ErrVerify {
		t.Fatalf("Verify wrapped ErrVerify: %v", err)
	}
}
