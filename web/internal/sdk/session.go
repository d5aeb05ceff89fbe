package sdk

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in user's tokens. Expires is when the earlier of the ID and access
// tokens expires, on the client's clock (corrected for the drift between the client's clock
// and the server's at the time the tokens arrived, as amazon-cognito-identity-js does).
type Session struct {
	IDToken      string         `json:"idToken"`
	AccessToken  string         `json:"accessToken"`
	RefreshToken string         `json:"refreshToken"`
	Username     string         `json:"username"` // the internal username (cognito:username)
	Expires      time.Time      `json:"-"`
	IDClaims     map[string]any `json:"-"`
	AccessClaims map[string]any `json:"-"`
}

// Groups returns the cognito:groups claim of the ID token.
func (s *Session) Groups() []string {
	raw, _ := s.IDClaims["cognito:groups"].([]any)
	groups := make([]string, 0, len(raw))
	for _, g := range raw {
		if name, ok := g.(string); ok {
			groups = append(groups, name)
		}
	}
	return groups
}

// stored is a Session as kept in Storage: a JSON object with these members (encode, readStored).
type stored struct {
	IDToken      string `json:"idToken"`
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	// ClockDrift is the client's clock minus the server's, in seconds, when the tokens arrived.
	ClockDrift int64 `json:"clockDrift"`
}

func (st *stored) encode() ([]byte, error) {
	return encodeJSON(map[string]any{"idToken": st.IDToken, "accessToken": st.AccessToken, "refreshToken": st.RefreshToken, "clockDrift": st.ClockDrift})
}

func readStored(b []byte) (*stored, error) {
	o, err := readObject(b)
	if err != nil {
		return nil, err
	}
	st := &stored{IDToken: o.str("idToken"), AccessToken: o.str("accessToken"), RefreshToken: o.str("refreshToken"), ClockDrift: o.int("clockDrift")}
	return st, o.typeError()
}

func (c *Client) sessionKey() string { return "poolgate." + c.cfg.ClientID + ".session" }

// authResult is the wire's AuthenticationResult.
type authResult struct {
	AccessToken  string
	ExpiresIn    int64
	TokenType    string
	RefreshToken string
	IdToken      string

	NewDeviceMetadata *newDeviceMetadata
}

// readAuthResult reads an AuthenticationResult; nil when o is the zero object.
func readAuthResult(o object) *authResult {
	if o.m == nil {
		return nil
	}
	r := &authResult{AccessToken: o.str("AccessToken"), ExpiresIn: o.int("ExpiresIn"), TokenType: o.str("TokenType"),
		RefreshToken: o.str("RefreshToken"), IdToken: o.str("IdToken")}
	if md := o.obj("NewDeviceMetadata"); md.m != nil {
		r.NewDeviceMetadata = &newDeviceMetadata{DeviceKey: md.str("DeviceKey"), DeviceGroupKey: md.str("DeviceGroupKey")}
	}
	return r
}

// saveTokens stores a fresh AuthenticationResult. refresh is kept when the result carries no
// refresh token (refreshes without rotation).
func (c *Client) saveTokens(res *authResult, refresh string) (*Session, error) {
	if res == nil || res.IdToken == "" || res.AccessToken == "" {
		return nil, badResponse("authentication", errors.New("no tokens in AuthenticationResult"))
	}
	if res.RefreshToken != "" {
		refresh = res.RefreshToken
	}
	st := &stored{IDToken: res.IdToken, AccessToken: res.AccessToken, RefreshToken: refresh}
	access, err := DecodeClaims(res.AccessToken)
	if err != nil {
		return nil, badResponse("authentication", err)
	}
	if iat, ok := numberClaim(access, "iat"); ok {
		st.ClockDrift = c.now().Unix() - iat
	}
	sess, err := c.session(st)
	if err != nil {
		return nil, badResponse("authentication", err)
	}
	b, err := st.encode()
	if err != nil {
		return nil, fmt.Errorf("sdk: encode session: %w", err)
	}
	if err := c.cfg.Storage.Set(c.sessionKey(), string(b)); err != nil {
		return nil, &Error{Code: "StorageError", Message: "The session could not be stored: " + err.Error()}
	}
	return sess, nil
}

// session decodes a stored session.
func (c *Client) session(st *stored) (*Session, error) {
	id, err := DecodeClaims(st.IDToken)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	access, err := DecodeClaims(st.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("access token: %w", err)
	}
	idExp, ok1 := numberClaim(id, "exp")
	accessExp, ok2 := numberClaim(access, "exp")
	if !ok1 || !ok2 {
		return nil, errors.New("a token has no exp claim")
	}
	username, _ := id["cognito:username"].(string)
	if username == "" {
		username, _ = access["username"].(string)
	}
	return &Session{
		IDToken: st.IDToken, AccessToken: st.AccessToken, RefreshToken: st.RefreshToken,
		Username: username,
		Expires:  time.Unix(min(idExp, accessExp)+st.ClockDrift, 0),
		IDClaims: id, AccessClaims: access,
	}, nil
}

// load reads the stored session; nil when there is none or it is unreadable (then removed).
func (c *Client) load() *stored {
	raw, ok := c.cfg.Storage.Get(c.sessionKey())
	if !ok {
		return nil
	}
	st, err := readStored([]byte(raw))
	if err != nil || st.IDToken == "" || st.AccessToken == "" {
		c.cfg.Storage.Remove(c.sessionKey())
		return nil
	}
	return st
}

// clear forgets the session, the pending challenge and cached credentials.
func (c *Client) clear() {
	c.cfg.Storage.Remove(c.sessionKey())
	c.cfg.Storage.Remove(c.identityKey())
	c.mu.Lock()
	c.pending = nil
	c.creds = map[bool]*Credentials{}
	c.mu.Unlock()
}

// Session returns the signed-in user's session, refreshing the tokens first when they expire
// within the refresh margin (or always, with force). Concurrent callers share one refresh.
// With no session it fails with UserUnAuthenticatedException; a refresh the server refuses
// (revoked or expired refresh token, disabled user) signs the user out locally and returns
// the server's error.
func (c *Client) Session(ctx context.Context, force bool) (*Session, error) {
	for {
		st := c.load()
		if st == nil {
			return nil, unauthenticated()
		}
		sess, err := c.session(st)
		if err != nil {
			c.clear()
			return nil, unauthenticated()
		}
		if !force && c.now().Add(c.cfg.RefreshMargin).Before(sess.Expires) {
			return sess, nil
		}
		c.mu.Lock()
		if wait := c.refreshing; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
				force = false // the other caller refreshed: re-read and re-check
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		c.refreshing = done
		c.mu.Unlock()
		// Another caller may have refreshed between load and here: refresh what is stored now.
		if cur := c.load(); cur != nil && cur.AccessToken != st.AccessToken {
			c.mu.Lock()
			c.refreshing = nil
			c.mu.Unlock()
			close(done)
			force = false
			continue
		}
		sess, err = c.refresh(ctx, st)
		c.mu.Lock()
		c.refreshing = nil
		c.mu.Unlock()
		close(done)
		return sess, err
	}
}

// refresh exchanges the refresh token for new tokens (GetTokensFromRefreshToken, which also
// hands out a new refresh token when the client rotates them), naming this browser's device.
func (c *Client) refresh(ctx context.Context, st *stored) (*Session, error) {
	if st.RefreshToken == "" {
		c.clear()
		return nil, unauthenticated()
	}
	var res *authResult
	in := map[string]any{"ClientId": c.cfg.ClientID, "RefreshToken": st.RefreshToken}
	// Tokens of a sign-in from a known device refresh only with its key; others ignore it.
	if sess, err := c.session(st); err == nil {
		if d := c.loadDevice(sess.Username); d != nil && d.Confirmed {
			in["DeviceKey"] = d.Key
		}
	}
	err := c.call(ctx, "GetTokensFromRefreshToken", in, func(o object) { res = readAuthResult(o.obj("AuthenticationResult")) })
	if err != nil {
		if HasCode(err, CodeNotAuthorized) {
			c.clear()
		}
		return nil, err
	}
	return c.saveTokens(res, st.RefreshToken)
}

func numberClaim(claims map[string]any, name string) (int64, bool) {
	f, ok := claims[name].(float64)
	if !ok || f < 0 || f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
