// Package srp implements Cognito's SRP-6a password protocol (spec §3): password verifiers,
// the server and client halves of the PASSWORD_VERIFIER exchange, and its TIMESTAMP format.
//
// Every modular exponentiation goes through a modexp.ModExper (any modexp.ModExper is one) so
// hosts can accelerate them; the cheap arithmetic (products, sums, reductions) stays in
// math/big.
//
// Integers cross the API as unsigned big-endian byte strings (leading zeros allowed) and on
// the wire as hex. Inside the hashes every integer is encoded as padHex (spec §3.1): its
// minimal two's-complement big-endian bytes, i.e. a 0x00 byte in front when the top bit is set.
package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// Errors returned for values that break the protocol's safety checks. Functions wrap them
// with detail; test with errors.Is.
var (
	// ErrBadA: SRP_A is not a hex integer of at most 385 bytes, or A mod N is zero.
	ErrBadA = errors.New("srp: invalid SRP_A")
	// ErrBadB: SRP_B is not a hex integer of at most 385 bytes, or B mod N is zero.
	ErrBadB = errors.New("srp: invalid SRP_B")
	// ErrZeroU: the scrambling parameter u = H(A‖B) is zero.
	ErrZeroU = errors.New("srp: u is zero")
	// ErrBadTimestamp: a TIMESTAMP that is not in the §3.5 format or names a wrong weekday.
	ErrBadTimestamp = errors.New("srp: invalid TIMESTAMP")
)

// groupBytes is the length of N in bytes.
const groupBytes = 384

// maxElementBytes bounds A and B: one byte more than N, so a sender's sign byte or a
// small multiple of N still parses (and is then checked mod N), while longer input is refused.
const maxElementBytes = groupBytes + 1

// derivedKeyInfo is the HKDF info string of Cognito's key derivation (spec §3.4).
const derivedKeyInfo = "Caldera Derived Key"

var (
	groupN = mustHexInt(modexp.SRPGroupN)
	nBytes = groupN.Bytes()
	groupG = big.NewInt(2)
	// multiplierK = H(padHex(N) ‖ padHex(g)) (spec §3.1).
	multiplierK = new(big.Int).SetBytes(hashConcat(padBytes(groupN), padBytes(groupG)))
)

func mustHexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad constant " + s)
	}
	return n
}

// padBytes returns padHex(n) as bytes: the minimal big-endian bytes of n (one zero byte for
// zero), with a 0x00 in front when the top bit is set. n must not be negative.
func padBytes(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// hashConcat returns SHA-256 over the concatenation of parts.
func hashConcat(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// passwordInner returns H(poolName ‖ userID ‖ ":" ‖ password) (spec §3.3 step 2).
func passwordInner(poolName, userID, password string) []byte {
	return hashConcat([]byte(poolName), []byte(userID), []byte(":"), []byte(password))
}

// privateX returns x = H(padHex(s) ‖ inner) as an integer (spec §3.3 step 3).
func privateX(salt *big.Int, inner []byte) *big.Int {
	return new(big.Int).SetBytes(hashConcat(padBytes(salt), inner))
}

// scrambleU returns u = H(padHex(A) ‖ padHex(B)), or ErrZeroU.
func scrambleU(A, B *big.Int) (*big.Int, error) {
	u := new(big.Int).SetBytes(hashConcat(padBytes(A), padBytes(B)))
	if u.Sign() == 0 {
		return nil, ErrZeroU
	}
	return u, nil
}

// sessionKey derives K: HKDF-SHA256 with salt padHex(u), secret padHex(S), info
// "Caldera Derived Key", 16 bytes (spec §3.4).
func sessionKey(u, S *big.Int) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, padBytes(S), padBytes(u), derivedKeyInfo, 16)
	if err != nil {
		return nil, fmt.Errorf("srp: derive key: %w", err)
	}
	return k, nil
}

// claimSignature returns HMAC-SHA256(K, poolName ‖ userID ‖ secretBlock ‖ timestamp).
func claimSignature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(secretBlock)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// modExpN returns base^exp mod N through the provider, checking the host's answer is in range.
func modExpN(c modexp.ModExper, base, exp *big.Int) (*big.Int, error) {
	out, err := c.ModExp(base.Bytes(), exp.Bytes(), nBytes)
	if err != nil {
		return nil, fmt.Errorf("srp: modexp: %w", err)
	}
	r := new(big.Int).SetBytes(out)
	if r.Cmp(groupN) >= 0 {
		return nil, errors.New("srp: modexp result is not reduced mod N")
	}
	return r, nil
}

// groupElement parses an A or B given as bytes: at most maxElementBytes, non-zero mod N.
// The value is kept as given (not reduced): u hashes it exactly as the peer sent it.
func groupElement(b []byte, bad error) (*big.Int, error) {
	if len(b) > maxElementBytes {
		return nil, fmt.Errorf("%w: %d bytes, longer than %d", bad, len(b), maxElementBytes)
	}
	n := new(big.Int).SetBytes(b)
	if new(big.Int).Mod(n, groupN).Sign() == 0 {
		return nil, fmt.Errorf("%w: value mod N is zero", bad)
	}
	return n, nil
}

// parseVerifier checks a stored verifier v is in [1, N).
func parseVerifier(v []byte) (*big.Int, error) {
	n := new(big.Int).SetBytes(v)
	if n.Sign() == 0 || n.Cmp(groupN) >= 0 {
		return nil, errors.New("srp: verifier is not in [1, N)")
	}
	return n, nil
}

// parseHexInt parses a non-empty unsigned hex integer of at most maxDigits digits (either
// case, odd length allowed, no sign or prefix), as the clients' BigInteger(s, 16) does.
func parseHexInt(s string, maxDigits int) (*big.Int, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	if len(s) > maxDigits {
		return nil, fmt.Errorf("%d hex digits, more than %d", len(s), maxDigits)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, fmt.Errorf("not hex at offset %d", i)
		}
	}
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		return nil, errors.New("not hex")
	}
	return n, nil
}

// hexOf returns the wire hex of an integer given as bytes: lower-case padHex, so it has even
// length and hex-decodes to exactly the bytes the hashes use. Clients parse it as an integer.
func hexOf(b []byte) string {
	return hex.EncodeToString(padBytes(new(big.Int).SetBytes(b)))
}
