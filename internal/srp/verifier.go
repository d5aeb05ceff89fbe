package srp

import (
	"crypto/subtle"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// SaltBytes is the length of the random salt NewVerifier draws (spec §3.3).
const SaltBytes = 16

// PoolName returns the SRP pool name of a user pool: the part of its id after the first
// underscore, up to any second one ("us-east-1_TestPool1" → "TestPool1"), which is what the
// clients compute with userPoolId.split('_')[1]. An id without an underscore gives "".
func PoolName(userPoolID string) string {
	_, rest, ok := strings.Cut(userPoolID, "_")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "_")
	return name
}

// NewVerifier draws a SaltBytes-byte salt from rand and returns it with the verifier
// v = g^x mod N, x = H(padHex(salt) ‖ H(poolName ‖ userID ‖ ":" ‖ password)) (spec §3.3).
// Both are unsigned big-endian integers; the caller stores them (encrypted) with the user.
// The same pair checks passwords for the non-SRP flows (CheckPassword), and, with the device
// group key and device key as poolName and userID, it is a device verifier (spec §3.7).
func NewVerifier(c modexp.ModExper, rand io.Reader, poolName, userID, password string) (salt, verifier []byte, err error) {
	salt = make([]byte, SaltBytes)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, nil, fmt.Errorf("srp: read salt: %w", err)
	}
	v, err := verifierFor(c, poolName, userID, password, salt)
	if err != nil {
		return nil, nil, err
	}
	return salt, v.Bytes(), nil
}

// CheckPassword reports whether password is the one (salt, verifier) was made from, by
// recomputing the verifier and comparing in constant time. An error means the inputs or the
// provider are broken, not that the password is wrong.
func CheckPassword(c modexp.ModExper, poolName, userID, password string, salt, verifier []byte) (bool, error) {
	stored, err := parseVerifier(verifier)
	if err != nil {
		return false, err
	}
	v, err := verifierFor(c, poolName, userID, password, salt)
	if err != nil {
		return false, err
	}
	got := v.FillBytes(make([]byte, groupBytes))
	want := stored.FillBytes(make([]byte, groupBytes))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifierFor returns g^x mod N for the given credentials and salt.
func verifierFor(c modexp.ModExper, poolName, userID, password string, salt []byte) (*big.Int, error) {
	x := privateX(new(big.Int).SetBytes(salt), passwordInner(poolName, userID, password))
	return modExpN(c, groupG, x)
}

// SaltHex returns the SALT challenge parameter for a stored salt: lower-case padHex.
func SaltHex(salt []byte) string { return hexOf(salt) }

// BHex returns the SRP_B challenge parameter for B: lower-case padHex.
func BHex(B []byte) string { return hexOf(B) }

// CheckVerifier reports whether v, a verifier a client made itself (a remembered device's,
// spec §3.7), is usable: an integer in [1, N). One outside that range would make every
// server session of it degenerate.
func CheckVerifier(v []byte) error {
	_, err := parseVerifier(v)
	return err
}
