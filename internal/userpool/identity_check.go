package userpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/store"
)

// Errors of CheckIDToken, for identity pools to map onto their own wire errors. Each is
// wrapped with detail.
var (
	// ErrLoginInvalid: not an ID token of the pool (malformed, forged, wrong issuer or use).
	ErrLoginInvalid = errors.New("userpool: invalid ID token")
	// ErrLoginExpired: an authentic ID token past its exp.
	ErrLoginExpired = errors.New("userpool: ID token expired")
	// ErrLoginRevoked: the token's user was signed out, disabled or deleted, or its
	// refresh-token family was revoked (checked only with serverSide).
	ErrLoginRevoked = errors.New("userpool: ID token revoked")
)

// CheckIDToken verifies an ID token issued by pool poolID for an identity-pool login (spec
// §7.3): signature with the pool's keys, exp, iss equal to the pool's issuer, token_use "id".
// With serverSide (the identity pool's ServerSideTokenCheck) it also checks that the user
// still exists with the token's sub, is enabled, has not signed out since the token was issued,
// and that the token's refresh-token family was not revoked. It returns the verified claims. Token failures wrap ErrLoginInvalid, ErrLoginExpired or
// ErrLoginRevoked; other errors are failures of the store.
func (s *Service) CheckIDToken(ctx context.Context, poolID, raw string, serverSide bool) (*jose.Claims, error) {
	p, err := s.getPool(ctx, poolID)
	if err != nil {
		if ae := (*awsjson.Error)(nil); errors.As(err, &ae) {
			return nil, fmt.Errorf("%w: user pool %s does not exist", ErrLoginInvalid, poolID)
		}
		return nil, err
	}
	claims, err := s.d.Keys.Verify(ctx, p.Id, raw)
	switch {
	case errors.Is(err, jose.ErrExpired):
		return nil, fmt.Errorf("%w: %v", ErrLoginExpired, err)
	case errors.Is(err, jose.ErrInvalid):
		return nil, fmt.Errorf("%w: %v", ErrLoginInvalid, err)
	case err != nil:
		return nil, err
	}
	if err := claims.Check(jose.Expect{Issuers: []string{s.Issuer(p.Id)}, TokenUse: "id"}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLoginInvalid, err)
	}
	if claims.Subject == "" || len(claims.Audience) != 1 {
		return nil, fmt.Errorf("%w: no sub, or not one aud", ErrLoginInvalid)
	}
	if serverSide {
		if err := s.checkSignedIn(ctx, p, claims.Raw); err != nil {
			return nil, err
		}
	}
	return claims, nil
}

// checkSignedIn is ServerSideTokenCheck on the verified claims of a token of pool p: the
// user still exists with the token's sub, is enabled, has not signed out since iat, and the
// token's refresh-token family was not revoked.
func (s *Service) checkSignedIn(ctx context.Context, p *Pool, claims map[string]any) error {
	u, err := s.getUser(ctx, p, claimString(claims, "cognito:username"))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: user no longer exists", ErrLoginRevoked)
	}
	if err != nil {
		return err
	}
	if u.Sub != claimString(claims, "sub") {
		return fmt.Errorf("%w: user no longer exists", ErrLoginRevoked)
	}
	if !u.Enabled {
		return fmt.Errorf("%w: user is disabled", ErrLoginRevoked)
	}
	iat, ok := claimInt(claims, "iat")
	if !ok {
		return fmt.Errorf("%w: no iat", ErrLoginInvalid)
	}
	if iat < u.TokensValidAfter.Unix() {
		return fmt.Errorf("%w: user signed out after the token was issued", ErrLoginRevoked)
	}
	revoked, err := s.familyRevoked(ctx, p.Id, claimString(claims, "origin_jti"))
	if err != nil {
		return err
	}
	if revoked {
		return fmt.Errorf("%w: token was revoked", ErrLoginRevoked)
	}
	return nil
}
