package userpool

import (
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
)

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func (s *Service) randomString(alphabet string, n int) (string, error) {
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		// Rejection sampling over one byte keeps the draw uniform.
		for {
			var b [1]byte
			if _, err := io.ReadFull(s.d.Rand, b[:]); err != nil {
				return "", fmt.Errorf("userpool: random: %w", err)
			}
			limit := 256 - 256%int(max.Int64())
			if int(b[0]) < limit {
				out[i] = alphabet[int(b[0])%len(alphabet)]
				break
			}
		}
	}
	return string(out), nil
}

// newPoolID returns an id shaped like AWS's: "<region>_" + 9 alphanumerics.
func (s *Service) newPoolID() (string, error) {
	suffix, err := s.randomString(alnum, 9)
	if err != nil {
		return "", err
	}
	return s.d.Region + "_" + suffix, nil
}

// newClientID returns 26 lower-case alphanumerics, as AWS client ids are.
func (s *Service) newClientID() (string, error) { return s.randomString(lowerAlnum, 26) }

// newClientSecret returns a 51-character secret.
func (s *Service) newClientSecret() (string, error) { return s.randomString(lowerAlnum, 51) }

// newUUID returns a random (version 4) UUID in lower case.
func (s *Service) newUUID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.d.Rand, b[:]); err != nil {
		return "", fmt.Errorf("userpool: random: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}
