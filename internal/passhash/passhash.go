// Package passhash verifies password hashes made by other systems — bcrypt, scrypt (passlib's
// PHC-style string and Firebase's modified scrypt), argon2id (PHC string) and PBKDF2-SHA256
// (Django's format) — so users imported with their hashes keep their passwords.
//
// A hash is kept as the string it was imported as; Parse checks it and bounds its cost, so an
// imported row cannot make a sign-in allocate or compute without limit; Verify compares in
// constant time.
package passhash

import (
	"errors"
	"fmt"
	"strings"
)

// Scheme names a hash format.
type Scheme string

// The accepted formats (see Parse).
const (
	Bcrypt         Scheme = "bcrypt"
	Scrypt         Scheme = "scrypt"
	FirebaseScrypt Scheme = "firebase-scrypt"
	Argon2id       Scheme = "argon2id"
	PBKDF2SHA256   Scheme = "pbkdf2_sha256"
)

// MaxLen bounds a hash string (Firebase's, with its 64-byte signer key, is the longest).
const MaxLen = 512

// ErrFormat is wrapped by every Parse error.
var ErrFormat = errors.New("passhash: unrecognised or malformed hash")

// Hash is a parsed hash that can check a password.
type Hash interface {
	// Scheme names the format.
	Scheme() Scheme
	// Verify reports whether password hashes to this hash (constant-time comparison).
	Verify(password string) bool
}

// Parse recognises s by its prefix:
//
//	$2a$ / $2b$ / $2y$<cost>$...                          bcrypt (cost 4..15)
//	$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>         scrypt as passlib writes it (adapted
//	                                                      base64: "." for "+", no padding)
//	$firebase-scrypt$rounds=<r>,memcost=<m>$<signer key>$<salt separator>$<salt>$<hash>
//	                                                      Firebase's scrypt, its project
//	                                                      parameters in the string (standard base64)
//	$argon2id$v=19$m=<KiB>,t=<t>,p=<p>$<salt>$<hash>      argon2id PHC string (base64, no padding)
//	pbkdf2_sha256$<iterations>$<salt>$<hash>              Django's PBKDF2-SHA256 (salt as text,
//	                                                      hash in standard base64)
//
// Costs are bounded: memory at most 64 MiB (scrypt 128·r·N, argon2 m), PBKDF2 at most
// 2,000,000 iterations, argon2 t at most 10 and p at most 16.
func Parse(s string) (Hash, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrFormat, MaxLen)
	}
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$scrypt$"):
		return parseScrypt(s)
	case strings.HasPrefix(s, "$firebase-scrypt$"):
		return parseFirebase(s)
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case strings.HasPrefix(s, "pbkdf2_sha256$"):
		return parsePBKDF2(s)
	}
	return nil, fmt.Errorf("%w: unknown scheme", ErrFormat)
}

// maxMemory bounds the memory one verification may take (scrypt, argon2).
const maxMemory = 64 << 20

// params reads "k=v,k=v" into ints, requiring exactly the keys named, in order.
func params(s string, keys ...string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) != len(keys) {
		return nil, fmt.Errorf("%w: parameters %q", ErrFormat, s)
	}
	out := make([]int, len(keys))
	for i, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k != keys[i] {
			return nil, fmt.Errorf("%w: parameter %d is not %s", ErrFormat, i+1, keys[i])
		}
		n, err := smallInt(v)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// smallInt reads a decimal of at most 9 digits, no sign or leading zero.
func smallInt(v string) (int, error) {
	if v == "" || len(v) > 9 || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("%w: number %q", ErrFormat, v)
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: number %q", ErrFormat, v)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
