//go:build wasip1

package guest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// hostCrypto is a hostcrypto.Provider over the crypto_* imports: the host computes natively
// what Go's math/big and crypto would compute slowly in wasm.
type hostCrypto struct{}

var _ hostcrypto.Provider = hostCrypto{}

func (hostCrypto) ModExp(base, exp, mod []byte) ([]byte, error) {
	bp, bn := in(base)
	ep, en := in(exp)
	mp, mn := in(mod)
	out, err := sized(func(out *byte, outCap uint32) int32 { return cryptoModExp(bp, bn, ep, en, mp, mn, out, outCap) })
	return out, cryptoErr(abi.CryptoModExp, err)
}

func (hostCrypto) SignRSA(privPKCS1, digest []byte) ([]byte, error) {
	return sign(abi.CryptoRSASign, cryptoRSASign, privPKCS1, digest)
}

var _ hostcrypto.RSAPairSigner = hostCrypto{}

// SignRSAPair asks the host for both signatures in one call, which it may make side by side.
func (hostCrypto) SignRSAPair(privA, digestA, privB, digestB []byte) (sigA, sigB []byte, err error) {
	ka, kan := in(privA)
	da, dan := in(digestA)
	kb, kbn := in(privB)
	db, dbn := in(digestB)
	out, err := sized(func(out *byte, outCap uint32) int32 {
		return cryptoRSASignPair(ka, kan, da, dan, kb, kbn, db, dbn, out, outCap)
	})
	if err != nil {
		return nil, nil, cryptoErr(abi.CryptoRSASignPair, err)
	}
	if len(out) < 2 || int(out[0])<<8|int(out[1]) > len(out)-2 {
		panic(fmt.Sprintf("guest: %s returned %d bytes that do not hold A's length", abi.CryptoRSASignPair, len(out)))
	}
	n := int(out[0])<<8 | int(out[1])
	return out[2 : 2+n : 2+n], out[2+n:], nil
}

// VerifyRSA asks the host, once per triple it accepts (acceptedRSA).
func (hostCrypto) VerifyRSA(pubPKIX, digest, sig []byte) error {
	return acceptedRSA.Verify(pubPKIX, digest, sig, func() error {
		return verify(abi.CryptoRSAVerify, cryptoRSAVerify, pubPKIX, digest, sig)
	})
}

// acceptedRSA is the instance's memory of the signatures the host accepted.
var acceptedRSA hostcrypto.AcceptedRSA

func (hostCrypto) GenerateRSA(bits int) ([]byte, error) {
	if err := hostcrypto.CheckRSABits(bits); err != nil {
		return nil, err
	}
	out, err := sized(func(out *byte, outCap uint32) int32 { return cryptoRSAGenerate(int32(bits), out, outCap) })
	return out, cryptoErr(abi.CryptoRSAGenerate, err)
}

func (hostCrypto) SignECDSA(privSEC1, digest []byte) ([]byte, error) {
	return sign(abi.CryptoECDSASign, cryptoECDSASign, privSEC1, digest)
}

func (hostCrypto) VerifyECDSA(pubPKIX, digest, sig []byte) error {
	return verify(abi.CryptoECDSAVerify, cryptoECDSAVerify, pubPKIX, digest, sig)
}

func sign(name string, imp func(key *byte, keyLen uint32, digest *byte, digestLen uint32, out *byte, outCap uint32) int32, key, digest []byte) ([]byte, error) {
	kp, kn := in(key)
	dp, dn := in(digest)
	out, err := sized(func(out *byte, outCap uint32) int32 { return imp(kp, kn, dp, dn, out, outCap) })
	if err != nil {
		return nil, cryptoErr(name, err)
	}
	return out, nil
}

func verify(name string, imp func(key *byte, keyLen uint32, digest *byte, digestLen uint32, sig *byte, sigLen uint32) int32, key, digest, sig []byte) error {
	kp, kn := in(key)
	dp, dn := in(digest)
	sp, sn := in(sig)
	return cryptoErr(name, status(imp(kp, kn, dp, dn, sp, sn)))
}

// cryptoErr maps a host code to the Provider's errors: CodeVerify is hostcrypto.ErrVerify,
// anything else an error that names the import.
func cryptoErr(name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, abi.CodeVerify):
		return hostcrypto.ErrVerify
	default:
		return fmt.Errorf("guest: %s: %w", name, err)
	}
}

var _ hostcrypto.AESGCMer = hostCrypto{}

// AESGCM is AES-GCM over the crypto_aes_gcm_* imports: natively the host has AES-NI, where
// Go's AES and GHASH in wasm are table code (a sealed user's secrets cost about a sixth of
// AdminConfirmSignUp's guest time).
func (hostCrypto) AESGCM(key []byte) (cipher.AEAD, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, aes.KeySizeError(len(key))
	}
	return hostAESGCM{key: bytes.Clone(key)}, nil
}

// hostAESGCM is a cipher.AEAD whose Seal and Open the host computes. Like Go's GCM, it panics
// on a nonce of the wrong length; it also panics if the host fails a call whose operands are
// valid, which only a broken host does.
type hostAESGCM struct{ key []byte }

const (
	gcmNonceSize = 12
	gcmTagSize   = 16
)

// errGCMOpen is Go's GCM's error for a ciphertext that does not authenticate.
var errGCMOpen = errors.New("cipher: message authentication failed")

func (hostAESGCM) NonceSize() int { return gcmNonceSize }
func (hostAESGCM) Overhead() int  { return gcmTagSize }

func (g hostAESGCM) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != gcmNonceSize {
		panic("guest: incorrect nonce length given to GCM")
	}
	ret, out := sliceForAppend(dst, len(plaintext)+gcmTagSize)
	if n := g.call(cryptoAESGCMSeal, nonce, additionalData, plaintext, out); n != int32(len(out)) {
		panic(fmt.Sprintf("guest: %s returned %d for %d bytes: %v", abi.CryptoAESGCMSeal, n, len(out), status(n)))
	}
	return ret
}

func (g hostAESGCM) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != gcmNonceSize {
		panic("guest: incorrect nonce length given to GCM")
	}
	if len(ciphertext) < gcmTagSize {
		return nil, errGCMOpen
	}
	ret, out := sliceForAppend(dst, len(ciphertext)-gcmTagSize)
	switch n := g.call(cryptoAESGCMOpen, nonce, additionalData, ciphertext, out); {
	case n == -int32(abi.CodeVerify):
		return nil, errGCMOpen
	case n != int32(len(out)):
		panic(fmt.Sprintf("guest: %s returned %d for %d bytes: %v", abi.CryptoAESGCMOpen, n, len(out), status(n)))
	}
	return ret, nil
}

// call passes the operands to imp; the host reads them all before it writes out, which may
// share text's storage (Seal and Open in place).
func (g hostAESGCM) call(imp func(key *byte, keyLen uint32, nonce *byte, nonceLen uint32, ad *byte, adLen uint32, text *byte, textLen uint32, out *byte, outCap uint32) int32, nonce, ad, text, out []byte) int32 {
	kp, kn := in(g.key)
	np, nn := in(nonce)
	ap, an := in(ad)
	tp, tn := in(text)
	op, on := in(out)
	return imp(kp, kn, np, nn, ap, an, tp, tn, op, on)
}

// sliceForAppend extends dst by n bytes (reallocating when its capacity is short) and
// returns the whole slice and the n new bytes, as crypto/cipher does for Seal and Open.
func sliceForAppend(dst []byte, n int) (whole, tail []byte) {
	whole = slices.Grow(dst, n)[:len(dst)+n]
	return whole, whole[len(dst):]
}
