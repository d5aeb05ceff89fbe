package srp

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// ServerSecretBytes is the size of the server's ephemeral secret b: 256 bits. RFC 3526 puts
// the exponent size needed for the 3072-bit group's strength (about 128 bits) at 256–320
// bits, and g^b costs in proportion to the exponent, so 256 bits is both enough and cheapest.
const ServerSecretBytes = 32

// maxServerSecretBytes bounds the b ServerSignature accepts (1024 bits, the most spec §3.4
// mentions), so a corrupted or forged state cannot ask for an arbitrarily long exponentiation.
const maxServerSecretBytes = 128

// maxSessionAttempts bounds the redraws of b when B comes out zero mod N (probability about
// 2^-3072 per draw); running out means the random source is broken.
const maxSessionAttempts = 4

// ValidateA parses the client's SRP_A: a non-empty hex integer (either case, odd length
// allowed, as clients send A unpadded) of at most 2×384+2 digits, with A mod N ≠ 0.
// It returns A as unsigned big-endian bytes. Every failure wraps ErrBadA.
func ValidateA(srpAHex string) ([]byte, error) {
	A, err := parseHexInt(srpAHex, 2*maxElementBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadA, err)
	}
	if _, err := groupElement(A.Bytes(), ErrBadA); err != nil {
		return nil, err
	}
	return A.Bytes(), nil
}

// NewServerSession starts the server half of a login for a user with the given verifier:
// it draws b (ServerSecretBytes from rand) and returns it with B = (k·v + g^b) mod N, redrawing
// while B mod N is zero. The caller keeps b secret (sealed in SECRET_BLOCK) and sends BHex(B).
func NewServerSession(c modexp.ModExper, rand io.Reader, verifier []byte) (b, B []byte, err error) {
	v, err := parseVerifier(verifier)
	if err != nil {
		return nil, nil, err
	}
	kv := new(big.Int).Mul(multiplierK, v)
	for range maxSessionAttempts {
		b = make([]byte, ServerSecretBytes)
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, nil, fmt.Errorf("srp: read b: %w", err)
		}
		bInt := new(big.Int).SetBytes(b)
		if bInt.Sign() == 0 {
			continue
		}
		gb, err := modExpN(c, groupG, bInt)
		if err != nil {
			return nil, nil, err
		}
		Bint := new(big.Int).Add(kv, gb)
		Bint.Mod(Bint, groupN)
		if Bint.Sign() != 0 {
			return b, Bint.Bytes(), nil
		}
	}
	return nil, nil, errors.New("srp: B mod N is zero on every draw; the random source is broken")
}

// ServerSignature returns the PASSWORD_CLAIM_SIGNATURE an honest client with the right
// password sends (32 bytes, before base64): u = H(padHex(A) ‖ padHex(B)), S = (A·v^u)^b mod N,
// K = HKDF(u, S), HMAC(K, poolName ‖ userID ‖ secretBlock ‖ timestamp). timestamp must be the
// exact string the client sent; secretBlock is the decoded SECRET_BLOCK. Compare with
// hmac.Equal, or use VerifySignature. Whether the TIMESTAMP is well-formed and recent enough
// is the caller's decision (ParseTimestamp).
func ServerSignature(c modexp.ModExper, A, B, b, verifier []byte, poolName, userID string, secretBlock []byte, timestamp string) ([]byte, error) {
	Aint, err := groupElement(A, ErrBadA)
	if err != nil {
		return nil, err
	}
	Bint, err := groupElement(B, ErrBadB)
	if err != nil {
		return nil, err
	}
	bInt := new(big.Int).SetBytes(b)
	if bInt.Sign() == 0 || len(b) > maxServerSecretBytes {
		return nil, fmt.Errorf("srp: server secret b is zero or longer than %d bytes", maxServerSecretBytes)
	}
	v, err := parseVerifier(verifier)
	if err != nil {
		return nil, err
	}
	u, S, err := serverPremaster(c, Aint, Bint, bInt, v)
	if err != nil {
		return nil, err
	}
	key, err := sessionKey(u, S)
	if err != nil {
		return nil, err
	}
	return claimSignature(key, poolName, userID, secretBlock, timestamp), nil
}

// VerifySignature is ServerSignature followed by the constant-time comparison with the
// client's base64 PASSWORD_CLAIM_SIGNATURE. A claim that is not strict standard base64 of
// 32 bytes is simply false; errors are reserved for bad A, B, b or verifier.
func VerifySignature(c modexp.ModExper, A, B, b, verifier []byte, poolName, userID string, secretBlock []byte, timestamp, claimB64 string) (bool, error) {
	want, err := ServerSignature(c, A, B, b, verifier, poolName, userID, secretBlock, timestamp)
	if err != nil {
		return false, err
	}
	claim, err := base64.StdEncoding.Strict().DecodeString(claimB64)
	if err != nil {
		return false, nil
	}
	return hmac.Equal(claim, want), nil
}

// serverPremaster returns u and S = (A·v^u)^b mod N.
func serverPremaster(c modexp.ModExper, A, B, b, v *big.Int) (u, S *big.Int, err error) {
	u, err = scrambleU(A, B)
	if err != nil {
		return nil, nil, err
	}
	vu, err := modExpN(c, v, u)
	if err != nil {
		return nil, nil, err
	}
	base := new(big.Int).Mul(A, vu)
	base.Mod(base, groupN)
	S, err = modExpN(c, base, b)
	if err != nil {
		return nil, nil, err
	}
	return u, S, nil
}
