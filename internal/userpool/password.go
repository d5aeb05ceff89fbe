package userpool

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/srp"
)

// Passwords are never stored: a user holds the SRP salt and verifier of the current password
// (spec §3.3), which also serves the password flows, since the verifier can be recomputed
// from a presented password. Password history keeps earlier (salt, verifier) pairs.

// setPassword gives u a fresh salt and verifier for password. With a PasswordHistorySize of
// n, the password may not match the current one or the n−1 before it
// (PasswordHistoryPolicyViolationException). It does not check the policy, change the
// status or save u.
func (s *Service) setPassword(ctx context.Context, p *Pool, u *User, password string) error {
	n := p.Password().PasswordHistorySize
	if n > 0 {
		previous := slices.Clone(u.Secrets.History)
		if u.Secrets.Password != nil {
			previous = append([]PasswordVerifier{*u.Secrets.Password}, previous...)
		}
		for i, pv := range previous {
			if i >= n {
				break
			}
			ok, err := srp.CheckPassword(s.d.Crypto, srp.PoolName(p.Id), u.Username, password, pv.Salt, pv.Verifier)
			if err != nil {
				return fmt.Errorf("userpool: password history: %w", err)
			}
			if ok {
				return awsjson.New(awsjson.ErrPasswordHistoryPolicyViolation,
					"The password history policy was violated: the new password matches one of the last %d passwords.", n)
			}
		}
	}
	salt, verifier, err := srp.NewVerifier(s.d.Crypto, s.d.Rand, srp.PoolName(p.Id), u.Username, password)
	if err != nil {
		return fmt.Errorf("userpool: password verifier: %w", err)
	}
	if n > 1 && u.Secrets.Password != nil {
		u.Secrets.History = append([]PasswordVerifier{*u.Secrets.Password}, u.Secrets.History...)
		if len(u.Secrets.History) > n-1 {
			u.Secrets.History = u.Secrets.History[:n-1]
		}
	} else {
		u.Secrets.History = nil
	}
	u.Secrets.Password = &PasswordVerifier{Salt: salt, Verifier: verifier}
	u.Secrets.Imported = "" // a hash imported with the user no longer holds (password_import.go)
	return nil
}

// passwordMatches reports whether password is u's current password (constant-time compare
// of the recomputed verifier). A user without a password matches nothing.
func (s *Service) passwordMatches(p *Pool, u *User, password string) (bool, error) {
	pv := u.Secrets.Password
	if pv == nil {
		return false, nil
	}
	ok, err := srp.CheckPassword(s.d.Crypto, srp.PoolName(p.Id), u.Username, password, pv.Salt, pv.Verifier)
	if err != nil {
		return false, fmt.Errorf("userpool: password check: %w", err)
	}
	return ok, nil
}

// Character classes of generated passwords. The symbols are a subset of Cognito's allowed set
// that survives e-mail, SMS and shells without quoting.
const (
	upperChars  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	lowerChars  = "abcdefghijkmnopqrstuvwxyz"
	digitChars  = "23456789"
	symbolChars = "!#%+-=@^_"
)

// randomPassword returns a temporary password that satisfies p's policy: at least 12
// characters (or the policy minimum), with one character of every class.
func (s *Service) randomPassword(p *Pool) (string, error) {
	pp := p.Password()
	length := max(pp.MinimumLength, 12)
	classes := []string{upperChars, lowerChars, digitChars, symbolChars}
	out := make([]byte, 0, length)
	for _, class := range classes {
		c, err := s.randomString(class, 1)
		if err != nil {
			return "", err
		}
		out = append(out, c...)
	}
	rest, err := s.randomString(upperChars+lowerChars+digitChars+symbolChars, length-len(out))
	if err != nil {
		return "", err
	}
	out = append(out, rest...)
	// Fisher–Yates, so the class characters are not always in front.
	for i := len(out) - 1; i > 0; i-- {
		j, err := s.randomIndex(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

// randomIndex returns a uniform integer in [0, n) for 0 < n <= 256.
func (s *Service) randomIndex(n int) (int, error) {
	limit := 256 - 256%n
	for {
		var b [1]byte
		if _, err := io.ReadFull(s.d.Rand, b[:]); err != nil {
			return 0, fmt.Errorf("userpool: random: %w", err)
		}
		if int(b[0]) < limit {
			return int(b[0]) % n, nil
		}
	}
}
