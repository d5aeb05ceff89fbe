package hostcrypto

import (
	"crypto/aes"
	"crypto/cipher"
)

// AESGCMer is implemented by providers whose host computes AES-GCM faster than Go does where
// the core runs: in wasm, Go's AES and GHASH have no assembly (hostsim's guest asks its host,
// which has AES-NI). The AEAD takes a 12-byte nonce and adds a 16-byte tag, as
// cipher.NewGCM's does, and computes the same bytes.
type AESGCMer interface {
	// AESGCM returns AES-GCM under key (16, 24 or 32 bytes; otherwise aes.KeySizeError).
	AESGCM(key []byte) (cipher.AEAD, error)
}

// AESGCM returns AES-GCM under key: p's when it is an AESGCMer, else Go's own.
func AESGCM(p Provider, key []byte) (cipher.AEAD, error) {
	if g, ok := p.(AESGCMer); ok {
		return g.AESGCM(key)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
