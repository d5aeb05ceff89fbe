package userpool

import (
	"context"
	"errors"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// TokenUserState is what a verifier outside the JSON API (the gateway) needs to know about a
// token's user to honour sign-outs: whether the user still exists under the token's sub, is
// enabled, and from when on its tokens are valid.
type TokenUserState struct {
	Found            bool // false: no such pool or user
	Sub              string
	Enabled          bool
	TokensValidAfter time.Time // tokens with an earlier iat are revoked (zero: none are)
}

// TokenUserState reads the revocation-relevant state of user username of pool poolID. A
// missing pool or user is not an error: the result says Found false.
func (s *Service) TokenUserState(ctx context.Context, poolID, username string) (TokenUserState, error) {
	if poolID == "" || username == "" {
		return TokenUserState{}, nil
	}
	p, err := s.getPool(ctx, poolID)
	if err != nil {
		if errors.Is(err, awsjson.ErrResourceNotFound) {
			return TokenUserState{}, nil
		}
		return TokenUserState{}, err
	}
	u, err := s.getUser(ctx, p, username)
	if errors.Is(err, store.ErrNotFound) {
		return TokenUserState{}, nil
	}
	if err != nil {
		return TokenUserState{}, err
	}
	return TokenUserState{Found: true, Sub: u.Sub, Enabled: u.Enabled, TokensValidAfter: u.TokensValidAfter}, nil
}

// TokenFamilyRevoked reports whether RevokeToken revoked the refresh-token family originJTI
// of pool poolID (the access and ID tokens of that sign-in carry it as origin_jti).
func (s *Service) TokenFamilyRevoked(ctx context.Context, poolID, originJTI string) (bool, error) {
	return s.familyRevoked(ctx, poolID, originJTI)
}
