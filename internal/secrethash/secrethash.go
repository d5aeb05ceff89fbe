// Package secrethash computes and checks Cognito's SECRET_HASH, the proof that a caller of an
// app client with a secret knows that secret (spec §4).
package secrethash

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// Compute returns base64(HMAC-SHA256(key = clientSecret, msg = username ‖ clientID)),
// standard alphabet with padding.
func Compute(clientSecret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username))
	m.Write([]byte(clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether presented is the SECRET_HASH of (clientSecret, username, clientID).
// It compares the canonical encoding in constant time, so only the exact padded standard
// base64 that clients send is accepted.
func Verify(clientSecret, username, clientID, presented string) bool {
	want := Compute(clientSecret, username, clientID)
	return subtle.ConstantTimeCompare([]byte(want), []byte(presented)) == 1
}
