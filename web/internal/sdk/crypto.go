package sdk

import (
	"errors"
	"math/big"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// ModExper computes base^exp mod mod under modexp's rules (big-endian unsigned operands of at
// most modexp.MaxOperandBytes, odd modulus). It is the only heavy primitive the client half
// needs: SRP's three exponentiations per sign-in. The SDK must not import hostcrypto, whose
// RSA, ECDSA and X.509 code would be linked through their package initialisers.
type ModExper = modexp.ModExper

// BigMath is the ModExper in pure Go (math/big).
type BigMath struct{}

func (BigMath) ModExp(base, exp, mod []byte) ([]byte, error) {
	if err := CheckModExp(base, exp, mod); err != nil {
		return nil, err
	}
	m := new(big.Int).SetBytes(mod)
	return new(big.Int).Exp(new(big.Int).SetBytes(base), new(big.Int).SetBytes(exp), m).Bytes(), nil
}

// CheckModExp enforces the operand rules every ModExper shares.
func CheckModExp(base, exp, mod []byte) error {
	if len(base) > modexp.MaxOperandBytes || len(exp) > modexp.MaxOperandBytes || len(mod) > modexp.MaxOperandBytes {
		return errors.New("sdk: modexp operand too long")
	}
	if len(mod) == 0 || mod[len(mod)-1]&1 == 0 {
		return errors.New("sdk: modexp modulus must be odd")
	}
	return nil
}
