//go:build wasip1

package guest

import (
	"errors"
	"fmt"

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
