package sdk

import (
	"errors"
	"math/big"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// ModExper computes base^exp mod mod under hostcrypto.Provider's ModExp rules (big-endian
// unsigned operands of at most hostcrypto.MaxOperandBytes, odd modulus). It is the only heavy
// primitive the client half needs: SRP's three exponentiations per sign-in.
type ModExper interface {
	ModExp(base, exp, mod []byte) ([]byte, error)
}

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
	if len(base) > hostcrypto.MaxOperandBytes || len(exp) > hostcrypto.MaxOperandBytes || len(mod) > hostcrypto.MaxOperandBytes {
		return errors.New("sdk: modexp operand too long")
	}
	if len(mod) == 0 || mod[len(mod)-1]&1 == 0 {
		return errors.New("sdk: modexp modulus must be odd")
	}
	return nil
}

// srpCrypto gives srp.Client the hostcrypto.Provider it asks for: ModExp (the only method the
// client half calls) from the configured ModExper, the rest from the pure-Go implementation.
type srpCrypto struct {
	hostcrypto.Pure
	m ModExper
}

func (c srpCrypto) ModExp(base, exp, mod []byte) ([]byte, error) { return c.m.ModExp(base, exp, mod) }
