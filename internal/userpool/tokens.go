package userpool

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/store"
)

// AuthenticationResult is the wire AuthenticationResultType.
type AuthenticationResult struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int64  `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	IdToken      string `json:"IdToken"`
	// NewDeviceMetadata names the device a sign-in of a device-tracking pool was given (device.go).
	NewDeviceMetadata *NewDeviceMetadata `json:"NewDeviceMetadata,omitempty"`
}

// accessScope is the scope of access tokens from API sign-ins (spec §5.3).
const accessScope = "aws.cognito.signin.user.admin"

// authEvent identifies one authentication; every token of its refresh chain shares it.
type authEvent struct {
	OriginJTI string `json:"o"`
	EventID   string `json:"e"`
	AuthTime  int64  `json:"t"` // epoch seconds
	// Scopes are the OAuth scopes granted at a managed-login sign-in (nil for the JSON API's
	// sign-ins): the access token's scope, and an ID token only with openid. Refreshes keep them.
	Scopes []string `json:"sc,omitempty"`
	// Device is the remembered device the sign-in came from: refreshes must name it (device.go).
	Device string `json:"d,omitempty"`
}

// oauth reports whether ev is a managed-login (OAuth) authentication.
func (ev authEvent) oauth() bool { return ev.Scopes != nil }

// newAuthEvent starts an authentication of u at the current issue time.
func (s *Service) newAuthEvent(u *User) (authEvent, error) {
	origin, err := s.newUUID()
	if err != nil {
		return authEvent{}, err
	}
	event, err := s.newUUID()
	if err != nil {
		return authEvent{}, err
	}
	return authEvent{OriginJTI: origin, EventID: event, AuthTime: s.issueTime(u).Unix()}, nil
}

// issueTime is when tokens for u are issued: now, or u.TokensValidAfter when a sign-out in
// this very second pushed that just past now (so fresh tokens are not born revoked).
func (s *Service) issueTime(u *User) time.Time {
	now := s.now()
	if now.Before(u.TokensValidAfter) {
		return u.TokensValidAfter
	}
	return now
}

// issueTokens signs an ID and an access token for u through client c, plus a refresh token
// when withRefresh is set.
func (s *Service) issueTokens(ctx context.Context, p *Pool, c *Client, u *User, ev authEvent, withRefresh bool) (*AuthenticationResult, error) {
	return s.mintTokens(ctx, p, c, u, ev, withRefresh, "")
}

// mintTokens is issueTokens with the OIDC nonce of a managed-login authorization request,
// copied into the ID token. For an OAuth authentication (ev.Scopes set) the access token
// carries the granted scopes, the ID token exists only with openid, and carries at_hash.
func (s *Service) mintTokens(ctx context.Context, p *Pool, c *Client, u *User, ev authEvent, withRefresh bool, nonce string) (*AuthenticationResult, error) {
	issued := s.issueTime(u)
	iat := issued.Unix()
	groups, err := s.userGroups(ctx, p, u)
	if err != nil {
		return nil, err
	}
	common := func() (map[string]any, error) {
		jti, err := s.newUUID()
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"sub": u.Sub, "iss": s.Issuer(p.Id), "auth_time": ev.AuthTime, "iat": iat,
			"jti": jti, "origin_jti": ev.OriginJTI, "event_id": ev.EventID,
		}, nil
	}

	id, err := common()
	if err != nil {
		return nil, err
	}
	id["aud"] = c.ClientId
	id["token_use"] = "id"
	id["cognito:username"] = u.Username
	id["exp"] = iat + int64(c.IDTTL()/time.Second)
	addGroupClaims(id, groups)
	for name, v := range idTokenAttributes(p, c, u) {
		id[name] = v
	}

	access, err := common()
	if err != nil {
		return nil, err
	}
	access["client_id"] = c.ClientId
	access["token_use"] = "access"
	access["scope"] = accessScope
	if ev.oauth() {
		access["scope"] = strings.Join(ev.Scopes, " ")
	}
	access["username"] = u.Username
	access["version"] = 2
	access["exp"] = iat + int64(c.AccessTTL()/time.Second)
	if len(groups) > 0 {
		access["cognito:groups"] = groupNames(groups)
	}

	if err := s.preTokenGeneration(ctx, p, c, u, ev, groups, id, access); err != nil {
		return nil, err
	}
	res := &AuthenticationResult{TokenType: "Bearer", ExpiresIn: int64(c.AccessTTL() / time.Second)}
	if !ev.oauth() {
		// The ID token does not depend on the access token: both are signed at once.
		if res.AccessToken, res.IdToken, err = s.d.Keys.SignPair(ctx, p.Id, access, id); err != nil {
			return nil, err
		}
	} else {
		if res.AccessToken, err = s.d.Keys.Sign(ctx, p.Id, "access", access); err != nil {
			return nil, err
		}
		id["at_hash"] = atHash(res.AccessToken)
		if nonce != "" {
			id["nonce"] = nonce
		}
		if slices.Contains(ev.Scopes, "openid") {
			if res.IdToken, err = s.d.Keys.Sign(ctx, p.Id, "id", id); err != nil {
				return nil, err
			}
		}
	}
	if withRefresh {
		if res.RefreshToken, err = s.newRefreshToken(p, c, u, ev, issued); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// atHash is OIDC's at_hash of an RS256-signed access token: the left half of its SHA-256,
// base64url (OpenID Connect Core 1.0 §3.1.3.6).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// userGroups loads u's groups in token order: by precedence (lowest first; groups without
// one last), then by name. Groups deleted meanwhile are skipped.
func (s *Service) userGroups(ctx context.Context, p *Pool, u *User) ([]*Group, error) {
	var groups []*Group
	for _, name := range u.Groups {
		var g Group
		err := s.getJSON(ctx, groupKey(p.Id, name), &g)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		groups = append(groups, &g)
	}
	slices.SortFunc(groups, func(a, b *Group) int {
		switch {
		case a.Precedence != nil && b.Precedence == nil:
			return -1
		case a.Precedence == nil && b.Precedence != nil:
			return 1
		case a.Precedence != nil && *a.Precedence != *b.Precedence:
			return cmp.Compare(*a.Precedence, *b.Precedence)
		}
		return strings.Compare(a.GroupName, b.GroupName)
	})
	return groups, nil
}

func groupNames(groups []*Group) []string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.GroupName
	}
	return names
}

// addGroupClaims sets cognito:groups, cognito:roles and cognito:preferred_role (the role of
// the group with the best precedence that has one) on an ID token.
func addGroupClaims(claims map[string]any, groups []*Group) {
	if len(groups) == 0 {
		return
	}
	claims["cognito:groups"] = groupNames(groups)
	var roles []string
	for _, g := range groups {
		if g.RoleArn != "" && !slices.Contains(roles, g.RoleArn) {
			roles = append(roles, g.RoleArn)
		}
	}
	if len(roles) > 0 {
		claims["cognito:roles"] = roles
		claims["cognito:preferred_role"] = roles[0]
	}
}

// idTokenAttributes are the user attributes an ID token carries: every attribute the client
// may read (all when ReadAttributes is unset) except developer-only ones, as strings, with the
// two *_verified flags as JSON booleans.
func idTokenAttributes(p *Pool, c *Client, u *User) map[string]any {
	out := map[string]any{}
	for name, v := range u.Attributes {
		if len(c.ReadAttributes) > 0 && !contains(c.ReadAttributes, name) {
			continue
		}
		if sa, ok := p.Schema(name); ok && sa.DeveloperOnlyAttribute {
			continue
		}
		if strings.HasPrefix(name, "dev:") {
			continue
		}
		switch name {
		case "sub":
			continue
		case "email_verified", "phone_number_verified":
			out[name] = v == "true"
		case identitiesAttribute:
			// A federated user's identities: the attribute's JSON text, as a JSON array.
			var entries []identityEntry
			if json.Unmarshal([]byte(v), &entries) != nil {
				continue
			}
			out[name] = entries
		default:
			out[name] = v
		}
	}
	return out
}

// accessCaller is who an access token speaks for.
type accessCaller struct {
	p      *Pool
	c      *Client
	u      *User
	claims map[string]any
}

// authorizeAccess checks an access token from a self-service call: signature and expiry,
// token_use, issuer, pool, client and user, the user's sign-out time and the revocation of
// its refresh-token family.
func (s *Service) authorizeAccess(ctx context.Context, raw string) (*accessCaller, error) {
	return s.authorizeAccessUser(ctx, raw, accessReads{pool: s.getPool, client: s.getClient, user: s.userAt})
}

// authorizeAccessToRead is authorizeAccess for a call that answers from the user's
// attributes and state alone and writes nothing (GetUser): the caller's user comes without
// its secrets, and user, pool and client are the cache's shared records (userView, poolView,
// clientView), which spares opening the secrets and decoding or copying the records: the
// caller must modify none of a.u, a.p and a.c.
func (s *Service) authorizeAccessToRead(ctx context.Context, raw string) (*accessCaller, error) {
	return s.authorizeAccessUser(ctx, raw, accessReads{pool: s.poolView, client: s.clientView, user: s.userView})
}

// accessReads are the reads an access-token check makes: private copies for a caller that
// may write, shared views and a user without secrets for one that only reads.
type accessReads struct {
	pool   func(ctx context.Context, id string) (*Pool, error)
	client func(ctx context.Context, pool, id string) (*Client, error)
	user   func(ctx context.Context, p *Pool, key string) (*User, error)
}

func (s *Service) authorizeAccessUser(ctx context.Context, raw string, read accessReads) (*accessCaller, error) {
	invalid := func() error { return awsjson.NotAuthorized("Invalid Access Token") }
	revoked := func() error { return awsjson.NotAuthorized("Access Token has been revoked") }

	// The pool (whose keys verify the token) is named by the token itself; nothing read here
	// is trusted until Keys.VerifySeen has checked the signature with that pool's keys, or
	// found the key that checked it before (a token is sent with every request until it
	// expires: the instance keeps the parsed token and that key, jose.SeenTokens).
	now := s.now()
	unverified, seenKey, seen := s.cache.accessTokens.Get(raw, now)
	if !seen {
		var err error
		if unverified, err = jose.Parse(raw); err != nil {
			return nil, invalid()
		}
	}
	poolID, found := strings.CutPrefix(unverified.UnverifiedClaims().Issuer, s.d.IssuerBase+"/")
	if !found || poolID == "" || strings.Contains(poolID, "/") {
		return nil, invalid()
	}
	p, err := read.pool(ctx, poolID)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			return nil, invalid()
		}
		return nil, err
	}
	claims, key, err := s.d.Keys.VerifySeen(ctx, p.Id, unverified, seenKey)
	if errors.Is(err, jose.ErrExpired) {
		return nil, awsjson.NotAuthorized("Access Token has expired")
	}
	if err != nil {
		return nil, invalid()
	}
	if key != seenKey {
		s.cache.accessTokens.Put(raw, unverified, key, now)
	}
	if claims.Check(jose.Expect{Issuers: []string{s.Issuer(p.Id)}, TokenUse: "access"}) != nil {
		return nil, invalid()
	}
	c, err := read.client(ctx, p.Id, claims.ClientID)
	if err != nil {
		var ae *awsjson.Error
		if errors.As(err, &ae) {
			return nil, invalid()
		}
		return nil, err
	}
	u, err := read.user(ctx, p, userKey(p.Id, usernameKey(p, claims.String("username"))))
	if errors.Is(err, store.ErrNotFound) {
		return nil, awsjson.UserNotFound()
	}
	if err != nil {
		return nil, err
	}
	if u.Sub != claims.Subject {
		// A user of the same name, created after the token's owner was deleted.
		return nil, awsjson.UserNotFound()
	}
	if !u.Enabled {
		return nil, awsjson.NotAuthorized("User is disabled.")
	}
	if claims.IssuedAt == nil {
		return nil, invalid()
	}
	if int64(*claims.IssuedAt) < u.TokensValidAfter.Unix() {
		return nil, revoked()
	}
	isRevoked, err := s.familyRevoked(ctx, p.Id, claims.String("origin_jti"))
	if err != nil {
		return nil, err
	}
	if isRevoked {
		return nil, revoked()
	}
	return &accessCaller{p: p, c: c, u: u, claims: claims.Raw}, nil
}

func claimString(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

func claimInt(claims map[string]any, name string) (int64, bool) {
	switch v := claims[name].(type) {
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		return n, err == nil
	case float64:
		return int64(v), v == float64(int64(v))
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}
