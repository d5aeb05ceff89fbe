package store

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Parts of keys that would not fit.
//
// Domains build keys from parts: a kind, a pool id, then names (a username, a group name, an
// attribute value, a role ARN). Each name is bounded by the API, but not every combination
// of bounded parts fits in MaxKeyLen bytes (a 128-character group name and username of
// 3-byte characters make a 793-byte membership key). FitPart keeps a part as it is when it
// fits and replaces it otherwise with its digest form: digestMark followed by the unpadded
// base64url SHA-256 of the part, DigestPartLen bytes whatever the part's length.
//
// No two parts share a form (short of a SHA-256 collision): digest forms are distinct, and a
// part kept as it is never has the digest form's shape, because a part of that shape (its
// length and its first two bytes) is digested even when it fits. The mark holds a space, which
// no username, group name, pool id, client id or ARN can hold (their patterns admit letters,
// marks, symbols, numbers and punctuation only), so every such part that fits keeps exactly
// the form keys had before digests existed; only a free-form value (an attribute such as
// preferred_username) of exactly that shape changes form.
const (
	digestMark = "~ "
	// DigestPartLen is the length of a digested part: the longest a part written with
	// FitPart can be, whatever room it is given.
	DigestPartLen = len(digestMark) + 43
)

// FitPart returns part as it goes into a key where room bytes are left for it: part itself
// when it has at most room bytes and is not of the digest form's shape, its digest form
// (DigestPartLen bytes) otherwise. Callers leave room of at least DigestPartLen.
func FitPart(part string, room int) string {
	if len(part) <= room && !digestShaped(part) {
		return part
	}
	sum := sha256.Sum256([]byte(part))
	return digestMark + base64.RawURLEncoding.EncodeToString(sum[:])
}

// digestShaped reports whether s has the length and mark of a digest form.
func digestShaped(s string) bool {
	return len(s) == DigestPartLen && strings.HasPrefix(s, digestMark)
}
