package hostcrypto_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/hostcrypto/hostcryptotest"
)

// messageOnly is a provider shaped like the Worker's: ECDSA only over the message (here
// Pure's over its digest), the digest methods refuse.
type messageOnly struct{ hostcrypto.Pure }

var errDigest = errors.New("digest ECDSA refused")

func (messageOnly) SignECDSA(_, _ []byte) ([]byte, error) { return nil, errDigest }
func (messageOnly) VerifyECDSA(_, _, _ []byte) error      { return errDigest }

func (m messageOnly) SignES256(priv, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return m.Pure.SignECDSA(priv, d[:])
}

func (m messageOnly) VerifyES256(pub, msg, sig []byte) error {
	d := sha256.Sum256(msg)
	return m.Pure.VerifyECDSA(pub, d[:], sig)
}

// TestMessageECDSAConformance: a provider with the message methods passes the suite, which
// then reaches ECDSA only through SignES256 and VerifyES256.
func TestMessageECDSAConformance(t *testing.T) {
	hostcryptotest.Run(t, messageOnly{})
}

// TestES256PrefersMessageMethods: the helpers call the message methods when a provider has
// them, and hash for the digest methods otherwise; both produce signatures the other checks.
func TestES256PrefersMessageMethods(t *testing.T) {
	priv, pub := hostcryptotest.ECKeys()
	msg := []byte("header.payload")
	sig, err := hostcrypto.SignES256(messageOnly{}, priv, msg)
	if err != nil {
		t.Fatalf("SignES256 with message methods: %v", err)
	}
	if err := hostcrypto.VerifyES256(hostcrypto.Pure{}, pub, msg, sig); err != nil {
		t.Fatalf("VerifyES256 over the digest: %v", err)
	}
	sig, err = hostcrypto.SignES256(hostcrypto.Pure{}, priv, msg)
	if err != nil {
		t.Fatalf("SignES256 over the digest: %v", err)
	}
	if err := hostcrypto.VerifyES256(messageOnly{}, pub, msg, sig); err != nil {
		t.Fatalf("VerifyES256 with message methods: %v", err)
	}
	if err := hostcrypto.VerifyES256(messageOnly{}, pub, []byte("header.payloaD"), sig); !errors.Is(err, hostcrypto.ErrVerify) {
		t.Fatalf("VerifyES256 of another message = %v, want ErrVerify", err)
	}
}
