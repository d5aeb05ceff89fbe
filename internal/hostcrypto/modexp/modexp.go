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

// SRPGroupN is N of the group every SRP exponentiation is made in, in hex: the 3072-bit MODP
// group of RFC 3526 / RFC 5054 (spec §3.1), whose generator is 2. Package srp computes in it;
// a ModExper may keep powers of 2 modulo it, since every verifier and server session raises 2
// to a secret exponent (hostcrypto.Pure does).
const SRPGroupN = "" +
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
