// Package hostcrypto defines the heavy cryptographic primitives the core asks its host for
// (modular exponentiation, RSA and ECDSA signatures) and a pure-Go fallback implementation.
//
// Hosts with faster primitives (hostsim natively through the wasm ABI, the Worker through
// WebCrypto) implement Provider; every implementation must pass the same vectors
// (see hostcryptotest).
package hostcrypto

import (
	"errors"

	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
)

// ErrVerify is returned by the Verify methods for a signature that does not verify.
var ErrVerify = errors.New("hostcrypto: signature does not verify")

// MaxOperandBytes is the longest ModExp operand (base, exponent or modulus) a Provider must
// accept (modexp.MaxOperandBytes).
const MaxOperandBytes = modexp.MaxOperandBytes

// Provider is the set of primitives a host supplies. All integers are unsigned big-endian
// byte strings (no sign byte, leading zeros allowed). Keys are DER: PKCS#1 for RSA private
// keys, PKIX (SubjectPublicKeyInfo) for public keys, SEC 1 for ECDSA private keys.
// Digests are SHA-256 digests, exactly 32 bytes.
//
// Error rules, shared by every implementation (hostcryptotest checks them):
//   - a Verify method returns nil for a good signature and exactly ErrVerify for a signature
//     that does not verify, including one of the wrong length;
//   - malformed input (a key that does not parse or is of the wrong type or curve, a digest
//     that is not 32 bytes, an even, zero or oversized modulus) is an error that is not
//     ErrVerify;
//   - no input makes a method panic.
//
// Implementations must be safe for concurrent use.
type Provider interface {
	// ModExp returns base^exp mod mod, big-endian without leading zeros (empty for zero).
	// mod must be odd (hence non-zero); no operand may exceed MaxOperandBytes. It is
	// modexp.ModExper, all that package srp asks for.
	modexp.ModExper
	// SignRSA returns the RSASSA-PKCS1-v1_5 signature over a SHA-256 digest.
	SignRSA(privPKCS1 []byte, digest []byte) ([]byte, error)
	// VerifyRSA checks an RSASSA-PKCS1-v1_5 SHA-256 signature; ErrVerify when it does not verify.
	VerifyRSA(pubPKIX []byte, digest, sig []byte) error
	// SignECDSA returns the P-256 ECDSA signature over a SHA-256 digest in JWS form (r||s, 64 bytes).
	SignECDSA(privSEC1 []byte, digest []byte) ([]byte, error)
	// GenerateRSA returns a new RSA private key of the given size (2048 to 4096 bits, a multiple
	// of 8) as PKCS#1 DER, from a cryptographically secure source. Key generation is the
	// slowest primitive in wasm (hundreds of milliseconds), so hosts supply it natively.
	GenerateRSA(bits int) ([]byte, error)
	// VerifyECDSA checks a P-256 signature in JWS form; ErrVerify when it does not verify.
	VerifyECDSA(pubPKIX []byte, digest, sig []byte) error
}
