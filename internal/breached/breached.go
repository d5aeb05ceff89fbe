// Package breached reports whether a password is among a bundled list of known-breached
// passwords: the 20,000 most common passwords of zxcvbn's list (drawn from Mark Burnett's
// public-domain dump of 10 million leaked passwords), for Cognito's compromised-credentials
// check. The list is kept as sorted 6-byte prefixes of SHA-256 of each password in lower case
// (120,000 bytes, no password in the clear; gen.go writes it). A password matches when its
// lower-case form's prefix is in the list, so "Password1" counts as "password1"; a password
// outside the list matches by accident with probability 20,000 / 2^48 (about 7·10^-11).
package breached

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"sort"
	"strings"
)

// HashLen is the length of each hash prefix in the list.
const HashLen = 6

//go:embed passwords.bin
var list []byte

// Len is how many passwords the list holds.
func Len() int { return len(list) / HashLen }

// Contains reports whether password, in lower case, is in the list.
func Contains(password string) bool {
	sum := sha256.Sum256([]byte(strings.ToLower(password)))
	want := sum[:HashLen]
	n := Len()
	i := sort.Search(n, func(i int) bool { return bytes.Compare(list[i*HashLen:(i+1)*HashLen], want) >= 0 })
	return i < n && bytes.Equal(list[i*HashLen:(i+1)*HashLen], want)
}
