package passhash

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/pbkdf2"
)

// pbkdf2Hash is Django's PBKDF2-SHA256: pbkdf2_sha256$<iterations>$<salt>$<hash>, the salt
// used as its text, the hash in standard base64.
type pbkdf2Hash struct {
	iter       int
	salt, hash []byte
}

// maxPBKDF2Iterations bounds the work of one check (Django 5 uses 870,000–1,000,000).
const maxPBKDF2Iterations = 2_000_000

func parsePBKDF2(s string) (Hash, error) {
	f := strings.Split(s, "$") // "pbkdf2_sha256", iterations, salt, hash
	if len(f) != 4 || f[2] == "" {
		return nil, fmt.Errorf("%w: pbkdf2_sha256: want pbkdf2_sha256$iterations$salt$hash", ErrFormat)
	}
	iter, err := smallInt(f[1])
	if err != nil || iter < 1 || iter > maxPBKDF2Iterations {
		return nil, fmt.Errorf("%w: pbkdf2_sha256 iterations out of bounds", ErrFormat)
	}
	hash, err := base64.StdEncoding.Strict().DecodeString(f[3])
	if err != nil || len(hash) < 16 || len(hash) > 64 {
		return nil, fmt.Errorf("%w: pbkdf2_sha256 hash", ErrFormat)
	}
	return pbkdf2Hash{iter: iter, salt: []byte(f[2]), hash: hash}, nil
}

func (pbkdf2Hash) Scheme() Scheme { return PBKDF2SHA256 }

func (h pbkdf2Hash) Verify(password string) bool {
	dk := pbkdf2.Key([]byte(password), h.salt, h.iter, len(h.hash), sha256.New)
	return subtle.ConstantTimeCompare(dk, h.hash) == 1
}
