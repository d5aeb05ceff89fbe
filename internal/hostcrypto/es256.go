package hostcrypto

import "crypto/sha256"

// MessageECDSA is implemented by providers whose ECDSA hashes the message itself and cannot
// take a digest: WebCrypto's ECDSA (the Worker) is one. Keys and signatures are as in
// Provider (SEC 1 private, PKIX public, r||s); the hash is SHA-256 (ES256). A provider with
// these methods may refuse the digest methods, so callers that hold the message go through
// SignES256 and VerifyES256, which prefer them.
type MessageECDSA interface {
	// SignES256 returns the P-256 ECDSA signature over SHA-256(msg), r||s.
	SignES256(privSEC1, msg []byte) ([]byte, error)
	// VerifyES256 checks a P-256 ECDSA signature over SHA-256(msg); ErrVerify when it does
	// not verify.
	VerifyES256(pubPKIX, msg, sig []byte) error
}

// SignES256 signs msg with ES256 through p: its MessageECDSA methods when it has them, else
// SHA-256 and SignECDSA.
func SignES256(p Provider, privSEC1, msg []byte) ([]byte, error) {
	if m, ok := p.(MessageECDSA); ok {
		return m.SignES256(privSEC1, msg)
	}
	digest := sha256.Sum256(msg)
	return p.SignECDSA(privSEC1, digest[:])
}

// VerifyES256 checks an ES256 signature of msg through p, as SignES256 signs.
func VerifyES256(p Provider, pubPKIX, msg, sig []byte) error {
	if m, ok := p.(MessageECDSA); ok {
		return m.VerifyES256(pubPKIX, msg, sig)
	}
	digest := sha256.Sum256(msg)
	return p.VerifyECDSA(pubPKIX, digest[:], sig)
}
