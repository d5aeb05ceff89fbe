package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// The managed-login pages and OAuth 2.0 endpoints (internal/oauth) sign users in through
// this file: the same rules as the JSON API (lockout, PreventUserExistenceErrors, disabled and
// unconfirmed users, NEW_PASSWORD_REQUIRED), the same token minting, with the scopes and
// nonce of an authorization request. What the pages keep between requests (codes, sessions)
// is sealed by the oauth package; the one thing kept here is the consume-once marker of an
// authorization code, oac/<pool>/<code id>, in the pool's shard.

// ErrCodeSpent is SpendAuthorizationCode's answer for a code redeemed before.
var ErrCodeSpent = errors.New("userpool: authorization code already redeemed")

func spentCodeKey(pool, id string) string { return "oac/" + pool + "/" + id }

// HostedClient resolves a client_id to its pool and client (ResourceNotFoundException when
// unknown).
func (s *Service) HostedClient(ctx context.Context, clientID string) (*Pool, *Client, error) {
	return s.clientByID(ctx, clientID)
}

// PoolForHost returns the id of the pool whose user-pool domain host names: a custom domain
// itself, or a prefix domain as <prefix>.auth.<region>.amazoncognito.com. It returns "" when
// host is no pool's domain (the service's own host serves every pool).
func (s *Service) PoolForHost(ctx context.Context, host string) (string, error) {
	host = strings.ToLower(host)
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	if host == "" || len(host) > 253 || strings.ContainsAny(host, "/[]") {
		return "", nil
	}
	d, err := s.getDomain(ctx, host)
	if err != nil {
		return "", err
	}
	if d != nil && d.custom() {
		return d.UserPoolId, nil
	}
	prefix, ok := strings.CutSuffix(host, ".auth."+s.d.Region+".amazoncognito.com")
	if !ok || prefix == "" || strings.Contains(prefix, ".") {
		return "", nil
	}
	if d, err = s.getDomain(ctx, prefix); err != nil {
		return "", err
	}
	if d == nil || d.custom() {
		return "", nil
	}
	return d.UserPoolId, nil
}

// HostedSignIn is the outcome of a step of a managed-login sign-in: the user, or the
// challenge it must answer first.
type HostedSignIn struct {
	User *User
	// Challenge names the step the user must take before the sign-in completes, with its
	// sealed Session and ChallengeParameters as the JSON API would answer them:
	// NEW_PASSWORD_REQUIRED (HostedNewPassword takes it, with RequiredAttributes), or a second
	// factor (SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE, MFA_SETUP: hosted_mfa.go).
	Challenge           string
	Session             string
	ChallengeParameters map[string]string
	RequiredAttributes  []string // attribute names, without the "userAttributes." prefix
}

// HostedSignIn checks username and password for the managed-login page exactly as
// USER_PASSWORD_AUTH does (lockout, PreventUserExistenceErrors, the states a right password
// reports, the second factor), without SECRET_HASH: the page is the pool's own, and the
// client proves its secret when it redeems the code.
func (s *Service) HostedSignIn(ctx context.Context, p *Pool, c *Client, username, password string) (*HostedSignIn, error) {
	if username == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter USERNAME")
	}
	if password == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter PASSWORD")
	}
	t, err := s.resolveOrMigrate(ctx, p, c, username, password,
		func() (*signInTarget, error) {
			return s.resolveSignIn(ctx, p, c, username, false, func([]string) error { return nil })
		},
		func() error { return nil })
	if err != nil {
		return nil, err
	}
	if err := s.preAuthentication(ctx, p, c, t, username); err != nil {
		return nil, err
	}
	if err := s.checkTargetPassword(ctx, p, t, password); err != nil {
		return nil, err
	}
	u, challenge, err := s.admitVerified(ctx, p, c, t)
	if err != nil {
		return nil, err
	}
	if challenge != nil {
		return &HostedSignIn{Challenge: challenge.ChallengeName, Session: challenge.Session,
			ChallengeParameters: challenge.ChallengeParameters, RequiredAttributes: missingRequired(p, t.u)}, nil
	}
	return s.hostedSecondFactor(ctx, p, c, u)
}

// HostedNewPassword completes the NEW_PASSWORD_REQUIRED step of a managed-login sign-in:
// the session HostedSignIn returned, the chosen password and the missing required attributes.
// The user may still owe a second factor.
func (s *Service) HostedNewPassword(ctx context.Context, p *Pool, c *Client, session, password string, attrs map[string]string) (*HostedSignIn, error) {
	u, err := s.openSession(ctx, p, c, session, "NEW_PASSWORD_REQUIRED")
	if err != nil {
		return nil, err
	}
	if u.Status != StatusForceChangePassword {
		return nil, awsjson.NotAuthorized("Invalid session for the user, session is expired.")
	}
	var list []AttributeType
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[name]
		list = append(list, AttributeType{Name: name, Value: &v})
	}
	if u, err = s.setChosenPassword(ctx, p, u, password, list); err != nil {
		return nil, err
	}
	return s.hostedSecondFactor(ctx, p, c, u)
}

// HostedUser loads the user of a managed-login session (the sealed cookie names username
// and sub, and when it signed in) and checks it may still sign in: same sub, enabled,
// confirmed, not signed out globally since signedIn.
func (s *Service) HostedUser(ctx context.Context, p *Pool, username, sub string, signedIn time.Time) (*User, error) {
	u, err := s.getUser(ctx, p, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, awsjson.NotAuthorized("The session's user no longer exists.")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case u.Sub != sub:
		return nil, awsjson.NotAuthorized("The session's user no longer exists.")
	case !u.Enabled:
		return nil, awsjson.NotAuthorized("User is disabled.")
	case u.Status != StatusConfirmed && u.Status != StatusExternalProvider:
		// A federated user (EXTERNAL_PROVIDER) signs in at its provider, never here with a
		// password; its session and codes are as good as a confirmed user's.
		return nil, awsjson.NotAuthorized("User cannot sign in while in status %s.", u.Status)
	case signedIn.Before(u.TokensValidAfter.Add(-time.Second)):
		// TokensValidAfter is rounded up to the next second (revokeUserTokens).
		return nil, awsjson.NotAuthorized("The user has signed out globally since this session began.")
	}
	return u, nil
}

// OAuthGrant is what an authorization code or a managed-login session grants: a user,
// the scopes, the nonce of the authorization request and when the user signed in.
type OAuthGrant struct {
	Username, Sub string
	Scopes        []string
	Nonce         string
	AuthTime      time.Time
	// OriginJTI, when set, is the origin_jti of the tokens (a UUID): the authorization
	// code's id, so that a replayed code can revoke them (RevokeAuthentication).
	OriginJTI string
}

// IssueOAuthTokens mints the tokens of an OAuth grant through client c: the access token's
// scope is g.Scopes (custom "<resource server>/<scope>" ones included), an ID token only with
// openid (carrying g.Nonce), a refresh token when withRefresh (the code flow) that keeps the
// scopes for every refresh. The user is checked again as HostedUser does.
func (s *Service) IssueOAuthTokens(ctx context.Context, p *Pool, c *Client, g *OAuthGrant, withRefresh bool) (*AuthenticationResult, error) {
	if len(g.Scopes) == 0 {
		return nil, fmt.Errorf("userpool: OAuth grant for %s without scopes", c.ClientId)
	}
	u, err := s.HostedUser(ctx, p, g.Username, g.Sub, g.AuthTime)
	if err != nil {
		return nil, err
	}
	ev, err := s.newAuthEvent(u)
	if err != nil {
		return nil, err
	}
	if !g.AuthTime.IsZero() {
		ev.AuthTime = g.AuthTime.Unix()
	}
	if g.OriginJTI != "" {
		ev.OriginJTI = g.OriginJTI
	}
	ev.Scopes = slices.Clone(g.Scopes)
	return s.mintTokens(ctx, p, c, u, ev, withRefresh, g.Nonce)
}

// RefreshOAuthTokens answers the refresh_token grant: the refresh token's scopes again,
// a new refresh token only when c rotates them.
func (s *Service) RefreshOAuthTokens(ctx context.Context, p *Pool, c *Client, refreshToken string) (*AuthenticationResult, error) {
	if !c.AllowsFlow("REFRESH_TOKEN_AUTH") {
		return nil, awsjson.InvalidParameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
	}
	return s.exchangeRefreshToken(ctx, p, c, refreshToken)
}

// VerifyClientSecret checks a client secret presented at the token or revocation endpoint
// in constant time. A client without a secret accepts only none.
func (s *Service) VerifyClientSecret(c *Client, given string) error {
	if c.ClientSecret == "" && given != "" {
		return awsjson.NotAuthorized("Client %s has no secret.", c.ClientId)
	}
	return checkClientSecret(c, given)
}

// ClientCredentialsToken mints the access token of the client_credentials grant: the
// client speaks for itself (sub and client_id are its id), scope is the granted custom
// scopes; no ID or refresh token.
func (s *Service) ClientCredentialsToken(ctx context.Context, p *Pool, c *Client, scopes []string) (*AuthenticationResult, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("userpool: client_credentials for %s without scopes", c.ClientId)
	}
	jti, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	claims := map[string]any{
		"sub": c.ClientId, "iss": s.Issuer(p.Id), "client_id": c.ClientId, "token_use": "access",
		"scope": strings.Join(scopes, " "), "auth_time": now, "iat": now, "jti": jti, "version": 2,
		"exp": now + int64(c.AccessTTL()/time.Second),
	}
	if err := s.clientCredentialsTrigger(ctx, p, c, claims); err != nil {
		return nil, err
	}
	access, err := s.d.Keys.Sign(ctx, p.Id, "access", claims)
	if err != nil {
		return nil, err
	}
	return &AuthenticationResult{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(c.AccessTTL() / time.Second)}, nil
}

// RevokeRefreshToken revokes the family of a refresh token presented by c (its secret
// already verified), as RevokeToken does.
func (s *Service) RevokeRefreshToken(ctx context.Context, p *Pool, c *Client, token string) error {
	return s.revokeFamily(ctx, p, c, token)
}

// RevokeAuthentication revokes every token of the authentication originJTI (the refresh
// token and the access tokens carrying that origin_jti), as RevokeToken does for its
// family: what RFC 6749 §4.1.2 asks when an authorization code is presented again.
func (s *Service) RevokeAuthentication(ctx context.Context, p *Pool, c *Client, originJTI string) error {
	if originJTI == "" {
		return nil
	}
	return s.d.Store.Put(ctx, revokedKey(p.Id, originJTI), []byte("1"), store.PutOptions{TTL: c.RefreshTTL()})
}

// SpendAuthorizationCode marks authorization code id of pool redeemed: once only (a
// create-if-absent marker living ttl), ErrCodeSpent for every later or concurrent attempt.
func (s *Service) SpendAuthorizationCode(ctx context.Context, pool, id string, ttl time.Duration) error {
	err := s.d.Store.Commit(ctx, []store.Op{store.Create(spentCodeKey(pool, id), []byte("1"), max(ttl, time.Second))})
	if errors.Is(err, store.ErrConflict) {
		return ErrCodeSpent
	}
	return err
}

// UserInfo answers /oauth2/userInfo for an access token (verified through the keyring, as
// every access-token action is): refused without the openid scope; sub and username always,
// email and phone_number claims by their scopes, every readable attribute with profile; all
// values as strings.
func (s *Service) UserInfo(ctx context.Context, accessToken string) (map[string]string, error) {
	a, err := s.authorizeAccess(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	scopes := strings.Fields(claimString(a.claims, "scope"))
	if !slices.Contains(scopes, "openid") {
		return nil, awsjson.NotAuthorized("Access token does not contain openid scope")
	}
	out := map[string]string{"sub": a.u.Sub, "username": a.u.Username}
	for name, v := range idTokenAttributes(a.p, a.c, a.u) {
		var scope string
		switch name {
		case "email", "email_verified":
			scope = "email"
		case "phone_number", "phone_number_verified":
			scope = "phone"
		default:
			scope = "profile"
		}
		if slices.Contains(scopes, scope) || slices.Contains(scopes, "profile") {
			out[name] = claimText(v)
		}
	}
	return out, nil
}

// claimText is an ID-token claim value as userInfo gives it: a string as it is, a boolean
// as "true" or "false", anything else (a federated user's identities) as its JSON text.
func claimText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// PasswordRules returns the pool's password policy, for the pages that show it.
func (s *Service) PasswordRules(p *Pool) PasswordPolicy { return p.Password() }

// HostedProvider finds the identity provider an authorization request names: by
// ProviderName (identity_provider) or, when name is "", by one of its IdpIdentifiers
// (idp_identifier). An unknown one is ResourceNotFoundException.
func (s *Service) HostedProvider(ctx context.Context, p *Pool, name, identifier string) (*IdentityProvider, error) {
	if name == "" {
		out, err := s.getIdentityProviderByIdentifier(ctx, &GetIdentityProviderByIdentifierInput{UserPoolId: p.Id, IdpIdentifier: identifier})
		if err != nil {
			return nil, err
		}
		return out.IdentityProvider, nil
	}
	ip, err := s.getProvider(ctx, p.Id, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, providerNotFound(name)
	}
	return ip, err
}
