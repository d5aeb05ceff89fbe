package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
)

// Refresh tokens are opaque to clients (spec §5.4): the base64url form of a blob sealed for
// purposeRefresh that names the pool, client, user, the authentication it continues and its
// own id, and expires with it. Nothing is stored per token; what can end a token early lives
// in the store: the user's TokensValidAfter, a revoked-family marker rv/<pool>/<origin_jti>
// (RevokeToken), and, with rotation, a used-token marker rtu/<pool>/<token id>.
const purposeRefresh = "refresh"

type refreshState struct {
	Pool     string    `json:"p"`
	Client   string    `json:"c"`
	Username string    `json:"u"`
	Sub      string    `json:"s"`
	Event    authEvent `json:"a"`
	IssuedAt int64     `json:"i"` // unix nanoseconds: compared with TokensValidAfter
	Expires  int64     `json:"x"` // unix seconds
	ID       string    `json:"n"`
}

func rotatedKey(pool, id string) string { return "rtu/" + pool + "/" + id }

// newRefreshToken seals a refresh token for u through c, valid for c.RefreshTTL() from issued.
func (s *Service) newRefreshToken(p *Pool, c *Client, u *User, ev authEvent, issued time.Time) (string, error) {
	id, err := s.newUUID()
	if err != nil {
		return "", err
	}
	expires := issued.Add(c.RefreshTTL())
	st := refreshState{Pool: p.Id, Client: c.ClientId, Username: u.Username, Sub: u.Sub, Event: ev,
		IssuedAt: issued.UnixNano(), Expires: expires.Unix(), ID: id}
	plain, err := json.Marshal(&st)
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeRefresh, plain, expires)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openRefreshToken opens a refresh token presented to client c of pool p (its authenticity,
// expiry, pool and client), without checking the user or revocation.
func (s *Service) openRefreshToken(p *Pool, c *Client, raw string) (*refreshState, error) {
	var st refreshState
	_, err := s.unseal(purposeRefresh, base64.RawURLEncoding, raw, &st)
	switch {
	case errors.Is(err, seal.ErrExpired):
		return nil, awsjson.NotAuthorized("Refresh Token has expired")
	case errors.Is(err, errBadSeal):
		return nil, awsjson.NotAuthorized("Invalid Refresh Token")
	case err != nil:
		return nil, err
	}
	if st.Pool != p.Id || st.Client != c.ClientId {
		return nil, awsjson.NotAuthorized("Invalid Refresh Token")
	}
	return &st, nil
}

// checkRefreshToken opens a refresh token and checks everything that can end it early:
// its family revoked, its user gone, disabled or signed out since it was issued, and (with
// rotation) its reuse after the grace period. It returns the state and the user.
func (s *Service) checkRefreshToken(ctx context.Context, p *Pool, c *Client, raw string) (*refreshState, *User, error) {
	st, err := s.openRefreshToken(p, c, raw)
	if err != nil {
		return nil, nil, err
	}
	revoked, err := s.familyRevoked(ctx, p.Id, st.Event.OriginJTI)
	if err != nil {
		return nil, nil, err
	}
	if revoked {
		return nil, nil, awsjson.NotAuthorized("Refresh Token has been revoked")
	}
	u, err := s.getUser(ctx, p, st.Username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, awsjson.UserNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	if u.Sub != st.Sub || st.IssuedAt < u.TokensValidAfter.UnixNano() {
		return nil, nil, awsjson.NotAuthorized("Refresh Token has been revoked")
	}
	if !u.Enabled {
		return nil, nil, awsjson.NotAuthorized("User is disabled.")
	}
	usedAt, used, err := s.rotatedAt(ctx, p.Id, st.ID)
	if err != nil {
		return nil, nil, err
	}
	if used && s.now().After(usedAt.Add(gracePeriod(c))) {
		return nil, nil, awsjson.New(awsjson.ErrRefreshTokenReuse, "Refresh token has already been used.")
	}
	return st, u, nil
}

// gracePeriod is how long a rotated-out refresh token still works (RetryGracePeriodSeconds).
func gracePeriod(c *Client) time.Duration {
	if c.RefreshTokenRotation == nil {
		return 0
	}
	return time.Duration(c.RefreshTokenRotation.RetryGracePeriodSeconds) * time.Second
}

// rotatedAt returns when refresh token id was first exchanged for a new one, if it was.
func (s *Service) rotatedAt(ctx context.Context, pool, id string) (time.Time, bool, error) {
	b, err := s.d.Store.Get(ctx, rotatedKey(pool, id))
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("userpool: corrupt record %s: %w", rotatedKey(pool, id), err)
	}
	return time.Unix(0, n).UTC(), true, nil
}

// refreshFlow answers REFRESH_TOKEN_AUTH / REFRESH_TOKEN (InitiateAuth and AdminInitiateAuth):
// new ID and access tokens, no new refresh token (spec §2.5).
func (s *Service) refreshFlow(ctx context.Context, p *Pool, c *Client, params map[string]string) (*InitiateAuthOutput, error) {
	raw := params["REFRESH_TOKEN"]
	if raw == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter REFRESH_TOKEN")
	}
	st, u, err := s.checkRefreshToken(ctx, p, c, raw)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, params["SECRET_HASH"], userNames("", u)...); err != nil {
		return nil, err
	}
	if err := s.checkRefreshDevice(ctx, p, u, st.Event); err != nil {
		return nil, err
	}
	res, err := s.issueTokens(withTokenSource(ctx, "TokenGeneration_RefreshTokens"), p, c, u, st.Event, false)
	if err != nil {
		return nil, err
	}
	return authenticated(res), nil
}

// GetTokensFromRefreshTokenInput is the input of GetTokensFromRefreshToken.
type GetTokensFromRefreshTokenInput struct {
	RefreshToken   string            `json:"RefreshToken" aws:"required"`
	ClientId       string            `json:"ClientId" aws:"required"`
	ClientSecret   string            `json:"ClientSecret"`
	DeviceKey      string            `json:"DeviceKey"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

// GetTokensFromRefreshTokenOutput is the output of GetTokensFromRefreshToken.
type GetTokensFromRefreshTokenOutput struct {
	AuthenticationResult *AuthenticationResult `json:"AuthenticationResult"`
}

// getTokensFromRefreshToken refreshes (Amplify v6's refresh call). With rotation enabled it
// also returns a new refresh token and retires the presented one after the grace period.
func (s *Service) getTokensFromRefreshToken(ctx context.Context, in *GetTokensFromRefreshTokenInput) (*GetTokensFromRefreshTokenOutput, error) {
	p, c, err := s.clientByID(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkClientSecret(c, in.ClientSecret); err != nil {
		return nil, err
	}
	if !c.AllowsFlow("REFRESH_TOKEN_AUTH") {
		return nil, awsjson.InvalidParameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
	}
	res, err := s.exchangeRefreshToken(withSignInDevice(ctx, in.DeviceKey), p, c, in.RefreshToken)
	if err != nil {
		return nil, err
	}
	return &GetTokensFromRefreshTokenOutput{AuthenticationResult: res}, nil
}

// exchangeRefreshToken checks a refresh token presented to c and issues the tokens it is
// good for; with rotation it also issues a new refresh token and retires the presented one
// after the grace period. GetTokensFromRefreshToken and the managed-login token endpoint
// both exchange through it.
func (s *Service) exchangeRefreshToken(ctx context.Context, p *Pool, c *Client, raw string) (*AuthenticationResult, error) {
	st, u, err := s.checkRefreshToken(ctx, p, c, raw)
	if err != nil {
		return nil, err
	}
	if err := s.checkRefreshDevice(ctx, p, u, st.Event); err != nil {
		return nil, err
	}
	rotate := c.RotatesRefreshTokens()
	if rotate {
		// The first exchange starts the grace period: one marker, created once, living as long
		// as the retired token would have. An exchange that finds it already there (a
		// concurrent or later one) is a reuse, allowed only within the grace period.
		ttl := max(time.Unix(st.Expires, 0).Sub(s.now()), time.Second)
		mark := []byte(strconv.FormatInt(s.now().UnixNano(), 10))
		err := s.d.Store.Commit(ctx, []store.Op{store.Create(rotatedKey(p.Id, st.ID), mark, ttl)})
		if errors.Is(err, store.ErrConflict) {
			usedAt, used, err := s.rotatedAt(ctx, p.Id, st.ID)
			if err != nil {
				return nil, err
			}
			if used && s.now().After(usedAt.Add(gracePeriod(c))) {
				return nil, awsjson.New(awsjson.ErrRefreshTokenReuse, "Refresh token has already been used.")
			}
		} else if err != nil {
			return nil, err
		}
	}
	return s.issueTokens(withTokenSource(ctx, "TokenGeneration_RefreshTokens"), p, c, u, st.Event, rotate)
}
