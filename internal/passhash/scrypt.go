package passhash

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// scryptHash is scrypt as passlib writes it: $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>,
// salt and hash in passlib's adapted base64.
type scryptHash struct {
	n, r, p    int
	salt, hash []byte
}

func parseScrypt(s string) (Hash, error) {
	f := strings.Split(s, "$") // "", "scrypt", params, salt, hash
	if len(f) != 5 {
		return nil, fmt.Errorf("%w: scrypt: %d fields", ErrFormat, len(f))
	}
	ps, err := params(f[2], "ln", "r", "p")
	if err != nil {
		return nil, err
	}
	h := scryptHash{r: ps[1], p: ps[2]}
	if err := checkScrypt(ps[0], h.r, h.p); err != nil {
		return nil, err
	}
	h.n = 1 << ps[0]
	if h.salt, err = ab64(f[3]); err != nil {
		return nil, err
	}
	if h.hash, err = ab64(f[4]); err != nil || len(h.hash) < 16 || len(h.hash) > 64 {
		return nil, fmt.Errorf("%w: scrypt hash", ErrFormat)
	}
	return h, nil
}

// checkScrypt bounds scrypt's parameters: N = 2^ln with 1 ≤ ln ≤ 20, 128·r·N ≤ maxMemory,
// r·p < 2^30 as scrypt requires, p ≤ 16.
func checkScrypt(ln, r, p int) error {
	if ln < 1 || ln > 20 || r < 1 || p < 1 || p > 16 || 128*r*(1<<ln) > maxMemory || r*p >= 1<<30 {
		return fmt.Errorf("%w: scrypt parameters ln=%d r=%d p=%d out of bounds", ErrFormat, ln, r, p)
	}
	return nil
}

func (scryptHash) Scheme() Scheme { return Scrypt }

func (h scryptHash) Verify(password string) bool {
	dk, err := scrypt.Key([]byte(password), h.salt, h.n, h.r, h.p, len(h.hash))
	return err == nil && subtle.ConstantTimeCompare(dk, h.hash) == 1
}

// ab64 decodes passlib's adapted base64 ("." for "+", no padding).
func ab64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "+=") {
		return nil, fmt.Errorf("%w: adapted base64", ErrFormat)
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(strings.ReplaceAll(s, ".", "+"))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: adapted base64", ErrFormat)
	}
	return b, nil
}

// firebaseHash is Firebase Authentication's modified scrypt, with the project's hash
// parameters (Firebase console → Users → Password hash parameters) carried in the string:
//
//	$firebase-scrypt$rounds=<rounds>,memcost=<mem_cost>$<base64_signer_key>$<base64_salt_separator>$<salt>$<passwordHash>
//
// all four values in standard base64 as Firebase exports them. The key is
// scrypt(password, salt ‖ salt separator, N = 2^memcost, r = rounds, p = 1, 32 bytes); the
// hash is the signer key encrypted with it by AES-256-CTR under a zero IV.
type firebaseHash struct {
	rounds, memcost         int
	signer, sep, salt, hash []byte
}

func parseFirebase(s string) (Hash, error) {
	f := strings.Split(s, "$") // "", "firebase-scrypt", params, signer, separator, salt, hash
	if len(f) != 7 {
		return nil, fmt.Errorf("%w: firebase-scrypt: %d fields", ErrFormat, len(f))
	}
	ps, err := params(f[2], "rounds", "memcost")
	if err != nil {
		return nil, err
	}
	h := firebaseHash{rounds: ps[0], memcost: ps[1]}
	if err := checkScrypt(h.memcost, h.rounds, 1); err != nil {
		return nil, err
	}
	for i, dst := range []*[]byte{&h.signer, &h.sep, &h.salt, &h.hash} {
		b, err := base64.StdEncoding.Strict().DecodeString(f[3+i])
		if err != nil || (len(b) == 0 && i != 1) {
			return nil, fmt.Errorf("%w: firebase-scrypt field %d", ErrFormat, 3+i)
		}
		*dst = b
	}
	if len(h.hash) != len(h.signer) {
		return nil, fmt.Errorf("%w: firebase-scrypt hash and signer key lengths differ", ErrFormat)
	}
	return h, nil
}

func (firebaseHash) Scheme() Scheme { return FirebaseScrypt }

func (h firebaseHash) Verify(password string) bool {
	salt := append(append([]byte{}, h.salt...), h.sep...)
	key, err := scrypt.Key([]byte(password), salt, 1<<h.memcost, h.rounds, 1, 32)
	if err != nil {
		return false
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return false
	}
	out := make([]byte, len(h.signer))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, h.signer)
	return subtle.ConstantTimeCompare(out, h.hash) == 1
}
