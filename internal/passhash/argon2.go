package passhash

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2idHash is an argon2id PHC string: $argon2id$v=19$m=<KiB>,t=<t>,p=<p>$<salt>$<hash>,
// salt and hash in base64 without padding (what libargon2, argon2-cffi and Node's argon2
// write).
type argon2idHash struct {
	m, t, p    int
	salt, hash []byte
}

func parseArgon2id(s string) (Hash, error) {
	f := strings.Split(s, "$") // "", "argon2id", "v=19", params, salt, hash
	if len(f) != 6 || f[2] != "v=19" {
		return nil, fmt.Errorf("%w: argon2id: want $argon2id$v=19$m=,t=,p=$salt$hash", ErrFormat)
	}
	ps, err := params(f[3], "m", "t", "p")
	if err != nil {
		return nil, err
	}
	h := argon2idHash{m: ps[0], t: ps[1], p: ps[2]}
	if h.t < 1 || h.t > 10 || h.p < 1 || h.p > 16 || h.m < 8*h.p || h.m > maxMemory>>10 {
		return nil, fmt.Errorf("%w: argon2id parameters m=%d t=%d p=%d out of bounds", ErrFormat, h.m, h.t, h.p)
	}
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(f[4]); err != nil || len(h.salt) < 8 {
		return nil, fmt.Errorf("%w: argon2id salt", ErrFormat)
	}
	if h.hash, err = base64.RawStdEncoding.Strict().DecodeString(f[5]); err != nil || len(h.hash) < 16 || len(h.hash) > 64 {
		return nil, fmt.Errorf("%w: argon2id hash", ErrFormat)
	}
	return h, nil
}

func (argon2idHash) Scheme() Scheme { return Argon2id }

func (h argon2idHash) Verify(password string) bool {
	dk := argon2.IDKey([]byte(password), h.salt, uint32(h.t), uint32(h.m), uint8(h.p), uint32(len(h.hash)))
	return subtle.ConstantTimeCompare(dk, h.hash) == 1
}
