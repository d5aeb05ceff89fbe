// Package modexp names the one primitive SRP asks its host for, modular exponentiation,
// apart from package hostcrypto: importing hostcrypto links its pure-Go RSA, ECDSA and X.509
// code through their package initialisers (about 0.5 MB gzip of wasm), which the browser
// SDK, an SRP client, never runs. hostcrypto.Provider embeds ModExper.
package modexp

// MaxOperandBytes is the longest ModExp operand (base, exponent or modulus) a ModExper must
// accept: 8192 bits, far above the 3072-bit SRP group. Implementations reject longer operands
// with an error, so hostile input cannot buy unbounded work.
const MaxOperandBytes = 1024

// ModExper computes modular exponentiations. All integers are unsigned big-endian byte
// strings (no sign byte, leading zeros allowed).
type ModExper interface {
	// ModExp returns base^exp mod mod, big-endian without leading zeros (empty for zero).
	// mod must be odd (hence non-zero); no operand may exceed MaxOperandBytes.
	ModExp(base, exp, mod []byte) ([]byte, error)
}
