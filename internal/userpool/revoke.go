package userpool

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Two ways end tokens before they expire:
//   - a user-wide sign-out (GlobalSignOut, AdminUserGlobalSignOut, AdminDisableUser) sets
//     u.TokensValidAfter; tokens issued before it are refused;
//   - RevokeToken revokes one refresh-token family (one sign-in and its refreshes) with a
//     marker rv/<pool>/<origin_jti> that lives as long as the refresh token would have; access
//     tokens carrying that origin_jti are refused too.

// revokeUserTokens signs u out everywhere: every token issued up to now is refused. The time
// is rounded up to the next whole second because access tokens carry whole-second iat: a
// token issued in the same second before the sign-out must fail, so one issued in that second
// after it fails too (new sign-ins in that second get iat = TokensValidAfter, see issueTime).
// The caller saves u.
func (s *Service) revokeUserTokens(ctx context.Context, p *Pool, u *User) {
	u.TokensValidAfter = s.now().Truncate(time.Second).Add(time.Second)
}

// familyRevoked reports whether RevokeToken revoked the family originJTI.
func (s *Service) familyRevoked(ctx context.Context, pool, originJTI string) (bool, error) {
	if originJTI == "" {
		return false, nil
	}
	_, err := s.d.Store.Get(ctx, revokedKey(pool, originJTI))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// RevokeTokenInput is the input of RevokeToken.
type RevokeTokenInput struct {
	Token        string `json:"Token" aws:"required"`
	ClientId     string `json:"ClientId" aws:"required"`
	ClientSecret string `json:"ClientSecret"`
}

// RevokeTokenOutput is the (empty) output of RevokeToken.
type RevokeTokenOutput struct{}

// revokeToken revokes a refresh token's family: the refresh token, the tokens refreshed from
// it and the access tokens of that sign-in. A token that has expired already is accepted
// silently (there is nothing left to revoke; identity-js retries every error six times).
func (s *Service) revokeToken(ctx context.Context, in *RevokeTokenInput) (*RevokeTokenOutput, error) {
	p, c, err := s.clientByID(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkClientSecret(c, in.ClientSecret); err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			return nil, awsjson.New(awsjson.ErrUnauthorized, "%s", ae.Message)
		}
		return nil, err
	}
	if err := s.revokeFamily(ctx, p, c, in.Token); err != nil {
		return nil, err
	}
	return &RevokeTokenOutput{}, nil
}

// revokeFamily revokes the family of refresh token raw, presented by c (whose secret the
// caller has checked): UnsupportedOperationException when c may not revoke,
// UnsupportedTokenTypeException for a JWT, NotAuthorizedException for a token that is not
// c's; an expired token is accepted silently.
func (s *Service) revokeFamily(ctx context.Context, p *Pool, c *Client, raw string) error {
	if !c.RevocationEnabled() {
		return awsjson.New(awsjson.ErrUnsupportedOperation, "Token revocation is not enabled for client %s.", c.ClientId)
	}
	if strings.Count(raw, ".") == 2 {
		// A JWT (ID or access token); refresh tokens are base64url and carry no dots.
		return awsjson.New(awsjson.ErrUnsupportedTokenType, "The token provided is not a refresh token.")
	}
	st, err := s.openRefreshToken(p, c, raw)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) && ae.Message == "Refresh Token has expired" {
			return nil
		}
		return err
	}
	ttl := max(time.Unix(st.Expires, 0).Sub(s.now()), time.Second)
	return s.d.Store.Put(ctx, revokedKey(p.Id, st.Event.OriginJTI), []byte("1"), store.PutOptions{TTL: ttl})
}

// GlobalSignOutInput is the input of GlobalSignOut.
type GlobalSignOutInput struct {
	AccessToken string `json:"AccessToken" aws:"required"`
}

// GlobalSignOutOutput is the (empty) output of GlobalSignOut.
type GlobalSignOutOutput struct{}

// globalSignOut signs the token's user out of every device and client.
func (s *Service) globalSignOut(ctx context.Context, in *GlobalSignOutInput) (*GlobalSignOutOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	err = s.modifySelf(ctx, a, func(ts *Service, u, prev *User) error {
		ts.revokeUserTokens(ctx, a.p, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &GlobalSignOutOutput{}, nil
}

// AdminUserGlobalSignOutInput is the input of AdminUserGlobalSignOut.
type AdminUserGlobalSignOutInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
}

// AdminUserGlobalSignOutOutput is the (empty) output of AdminUserGlobalSignOut.
type AdminUserGlobalSignOutOutput struct{}

// adminUserGlobalSignOut signs a user out of every device and client.
func (s *Service) adminUserGlobalSignOut(ctx context.Context, in *AdminUserGlobalSignOutInput) (*AdminUserGlobalSignOutOutput, error) {
	_, err := s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		s.revokeUserTokens(ctx, p, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &AdminUserGlobalSignOutOutput{}, nil
}
