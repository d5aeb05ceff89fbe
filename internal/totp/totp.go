// Package totp computes and checks time-based one-time passwords (RFC 6238 over RFC 4226
// HOTP) as Cognito's software-token MFA uses them: HMAC-SHA-1, 6 digits, 30-second steps, a
// code accepted one step either side of the current one.
package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"
)

// Parameters of Cognito's software tokens.
const (
	Digits    = 6
	Step      = 30 * time.Second
	Skew      = 1  // steps accepted either side of the current one
	SecretLen = 20 // bytes: 32 base32 characters, the length Cognito hands out
)

// encoding is RFC 4648 base32 without padding: what authenticator apps and otpauth:// URIs take.
var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret draws a secret of SecretLen bytes from rand.
func NewSecret(rand io.Reader) ([]byte, error) {
	b := make([]byte, SecretLen)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("totp: random: %w", err)
	}
	return b, nil
}

// Encode spells a secret in base32 (upper case, unpadded), as AssociateSoftwareToken's SecretCode.
func Encode(secret []byte) string { return encoding.EncodeToString(secret) }

// Decode reads a base32 secret as Encode spells it (padding and lower case tolerated, as
// authenticator apps do; nothing else).
func Decode(s string) ([]byte, error) {
	norm := strings.ToUpper(strings.TrimRight(s, "="))
	b, err := encoding.DecodeString(norm)
	if err != nil {
		return nil, fmt.Errorf("totp: secret: %w", err)
	}
	if Encode(b) != norm { // trailing bits that spell no byte ("2")
		return nil, fmt.Errorf("totp: secret: not a whole number of bytes")
	}
	return b, nil
}

// Counter is the RFC 6238 time step t falls in (T = floor(unix time / 30 s)).
func Counter(t time.Time) int64 { return t.Unix() / int64(Step/time.Second) }

// HOTP is the RFC 4226 value of secret at counter, as a decimal string of digits digits
// (dynamic truncation of HMAC-SHA-1).
func HOTP(secret []byte, counter int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Code is the 6-digit code of secret at time t.
func Code(secret []byte, t time.Time) string { return HOTP(secret, Counter(t), Digits) }

// Verify checks code against secret at time now, Skew steps either side, and returns the
// step that matched. Every candidate is computed and compared in constant time, so the time
// taken says nothing about which step (if any) matched. The caller refuses a step it has seen
// accepted before (RFC 6238 §5.2: a code is good once).
func Verify(secret []byte, code string, now time.Time) (step int64, ok bool) {
	if len(code) != Digits {
		return 0, false
	}
	cur := Counter(now)
	for c := cur - Skew; c <= cur+Skew; c++ {
		if subtle.ConstantTimeCompare([]byte(HOTP(secret, c, Digits)), []byte(code)) == 1 && !ok {
			step, ok = c, true
		}
	}
	return step, ok
}
