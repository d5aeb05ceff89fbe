// Package seal owns authenticated encryption of server-held state: transient blobs that
// travel through clients (SRP state, challenge sessions, refresh tokens) and records
// encrypted at rest, each bound to a purpose and carrying its own expiry.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// KeySize is the length of a Sealer key (AES-256).
const KeySize = 32

// version is the first byte of every sealed blob; it is also authenticated (part of the AAD).
const version byte = 1

const (
	nonceSize  = 12 // GCM's standard 96-bit nonce
	expirySize = 8  // big-endian unix seconds, 0 = never
	tagSize    = 16
)

// Overhead is how many bytes Seal adds to a plaintext.
const Overhead = 1 + nonceSize + expirySize + tagSize

var (
	// ErrInvalid is returned by Open for anything malformed, forged, sealed under another
	// key or for another purpose.
	ErrInvalid = errors.New("seal: invalid sealed data")
	// ErrExpired is returned by Open for an authentic blob whose expiry has passed.
	ErrExpired = errors.New("seal: sealed data expired")
)

// Sealer seals and opens blobs with AES-256-GCM under one key. The purpose string is
// authenticated as additional data, so a blob sealed for one purpose never opens for another.
//
// Layout of a sealed blob: version (1) || nonce (12) || GCM(expiry (8) || plaintext) with its
// tag (16); the AAD is version || purpose. The expiry has one-second precision.
// A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD

	randMu sync.Mutex // the injected reader need not be safe for concurrent use
	rand   io.Reader
}

// New returns a Sealer for a 32-byte key that draws nonces from rand.
func New(key []byte, rand io.Reader) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key is %d bytes, want %d", len(key), KeySize)
	}
	if rand == nil {
		return nil, errors.New("seal: nil random source")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return NewAEAD(aead, rand)
}

// NewAEAD returns a Sealer over aead, which must be AES-256-GCM with a 12-byte nonce and a
// 16-byte tag computed elsewhere (a host's, hostcrypto.AESGCM): blobs it seals open with New
// under the same key, and the other way round.
func NewAEAD(aead cipher.AEAD, rand io.Reader) (*Sealer, error) {
	if aead == nil || aead.NonceSize() != nonceSize || aead.Overhead() != tagSize {
		return nil, errors.New("seal: the AEAD is not GCM with a 12-byte nonce and a 16-byte tag")
	}
	if rand == nil {
		return nil, errors.New("seal: nil random source")
	}
	return &Sealer{aead: aead, rand: rand}, nil
}

// Seal encrypts plaintext for purpose. A zero expires means the blob never expires;
// otherwise it is rounded down to the second and must be after the Unix epoch.
func (s *Sealer) Seal(purpose string, plaintext []byte, expires time.Time) ([]byte, error) {
	if purpose == "" {
		return nil, errors.New("seal: empty purpose")
	}
	var exp uint64
	if !expires.IsZero() {
		secs := expires.Unix()
		if secs <= 0 {
			return nil, fmt.Errorf("seal: expiry %v is not after the Unix epoch", expires)
		}
		exp = uint64(secs)
	}

	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = version
	nonce := out[1 : 1+nonceSize]
	s.randMu.Lock()
	_, err := io.ReadFull(s.rand, nonce)
	s.randMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("seal: reading nonce: %w", err)
	}

	inner := make([]byte, expirySize+len(plaintext))
	binary.BigEndian.PutUint64(inner, exp)
	copy(inner[expirySize:], plaintext)
	return s.aead.Seal(out, nonce, inner, additionalData(purpose)), nil
}

// Open authenticates and decrypts a blob sealed for purpose. It returns ErrInvalid (wrapped)
// for anything that does not authenticate and ErrExpired when now is at or past the expiry.
func (s *Sealer) Open(purpose string, sealed []byte, now time.Time) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the minimum %d", ErrInvalid, len(sealed), Overhead)
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrInvalid, sealed[0])
	}
	nonce := sealed[1 : 1+nonceSize]
	inner, err := s.aead.Open(nil, nonce, sealed[1+nonceSize:], additionalData(purpose))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrInvalid)
	}
	// The expiry is authentic, so it is one Seal wrote: 0 or a positive int64.
	exp := int64(binary.BigEndian.Uint64(inner))
	if exp != 0 && now.Unix() >= exp {
		return nil, fmt.Errorf("%w at %s", ErrExpired, time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	return inner[expirySize:], nil
}

func additionalData(purpose string) []byte {
	ad := make([]byte, 1+len(purpose))
	ad[0] = version
	copy(ad[1:], purpose)
	return ad
}

// DeriveKey derives a separate 32-byte key for one use (label) from the master key with
// HKDF-SHA256 (RFC 5869, no salt, label as info). The master key should be 32 uniformly
// random bytes. It panics only if HKDF refuses the master key, which happens in FIPS 140-only
// mode for keys shorter than 112 bits.
func DeriveKey(master []byte, label string) []byte {
	key, err := hkdf.Key(sha256.New, master, nil, label, KeySize)
	if err != nil {
		panic("seal: deriving key: " + err.Error())
	}
	return key
}
