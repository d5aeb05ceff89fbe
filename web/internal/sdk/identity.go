package sdk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Credentials are temporary AWS credentials from the identity pool (spec §7).
type Credentials struct {
	IdentityID    string
	AccessKeyID   string
	SecretKey     string
	SessionToken  string
	Expiration    time.Time
	Authenticated bool
}

// credentialsMargin is how long before expiry cached credentials are fetched anew.
const credentialsMargin = 5 * time.Minute

func (c *Client) identityKey() string { return "poolgate." + c.cfg.IdentityPoolID + ".identityId" }

func (c *Client) clearCredentials() {
	c.mu.Lock()
	c.creds = map[bool]*Credentials{}
	c.mu.Unlock()
}

func (c *Client) cachedCredentials(authenticated bool) *Credentials {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := c.creds[authenticated]
	if cr == nil || !c.nowLocked().Add(credentialsMargin).Before(cr.Expiration) {
		return nil
	}
	return cr
}

func (c *Client) nowLocked() time.Time { return c.cfg.Now().Add(c.clockOffset) }

// GuestCredentials returns credentials for an unauthenticated identity: GetId without logins
// (once; the identity id is kept in storage), then GetCredentialsForIdentity.
func (c *Client) GuestCredentials(ctx context.Context) (*Credentials, error) {
	if c.cfg.IdentityPoolID == "" {
		return nil, noIdentityPool()
	}
	if cr := c.cachedCredentials(false); cr != nil {
		return cr, nil
	}
	id, ok := c.cfg.Storage.Get(c.identityKey())
	if !ok || id == "" {
		var err error
		if id, err = c.getID(ctx, nil); err != nil {
			return nil, err
		}
		if err := c.cfg.Storage.Set(c.identityKey(), id); err != nil {
			return nil, &Error{Code: "StorageError", Message: "The identity could not be stored: " + err.Error()}
		}
	}
	cr, err := c.credentialsFor(ctx, id, nil)
	if err != nil {
		if HasCode(err, CodeResourceNotFound, CodeNotAuthorized) {
			// The stored identity is gone or now belongs to a login: start a new guest identity.
			c.cfg.Storage.Remove(c.identityKey())
		}
		return nil, err
	}
	cr.Authenticated = false
	c.mu.Lock()
	c.creds[false] = cr
	c.mu.Unlock()
	return cr, nil
}

// Credentials returns credentials for the signed-in user's identity, with the ID token as
// its login. A guest identity this client used before is linked to the login (the server
// upgrades it when GetCredentialsForIdentity presents the login); without one, GetId with the
// login finds or creates the user's identity.
func (c *Client) Credentials(ctx context.Context) (*Credentials, error) {
	if c.cfg.IdentityPoolID == "" {
		return nil, noIdentityPool()
	}
	sess, err := c.Session(ctx, false)
	if err != nil {
		return nil, err
	}
	if cr := c.cachedCredentials(true); cr != nil {
		return cr, nil
	}
	logins, err := c.logins(sess)
	if err != nil {
		return nil, err
	}
	var cr *Credentials
	if id, ok := c.cfg.Storage.Get(c.identityKey()); ok && id != "" {
		cr, err = c.credentialsFor(ctx, id, logins)
		if HasCode(err, CodeNotAuthorized, CodeResourceConflict, CodeResourceNotFound) {
			// That identity belongs to someone else (or is gone): use the login's own.
			cr, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	if cr == nil {
		id, err := c.getID(ctx, logins)
		if err != nil {
			return nil, err
		}
		if cr, err = c.credentialsFor(ctx, id, logins); err != nil {
			return nil, err
		}
	}
	if err := c.cfg.Storage.Set(c.identityKey(), cr.IdentityID); err != nil {
		return nil, &Error{Code: "StorageError", Message: "The identity could not be stored: " + err.Error()}
	}
	cr.Authenticated = true
	c.mu.Lock()
	c.creds[true] = cr
	c.mu.Unlock()
	return cr, nil
}

// logins is the Logins map for the session's ID token. The key is the token's issuer without
// its scheme, as Amplify builds it (spec §7.3): it names this server's pool whatever its URL.
func (c *Client) logins(sess *Session) (map[string]string, error) {
	iss, _ := sess.IDClaims["iss"].(string)
	_, key, ok := strings.Cut(iss, "://")
	if !ok || key == "" {
		key = fmt.Sprintf("cognito-idp.%s.amazonaws.com/%s", c.region(), c.cfg.UserPoolID)
	}
	return map[string]string{key: sess.IDToken}, nil
}

func (c *Client) getID(ctx context.Context, logins map[string]string) (string, error) {
	in := map[string]any{"IdentityPoolId": c.cfg.IdentityPoolID}
	if logins != nil {
		in["Logins"] = logins
	}
	var id string
	if err := call(ctx, c.cfg.Transport, identityPoolTarget+"GetId", in, func(o object) { id = o.str("IdentityId") }); err != nil {
		return "", err
	}
	if id == "" {
		return "", badResponse("GetId", errors.New("no IdentityId"))
	}
	return id, nil
}

func (c *Client) credentialsFor(ctx context.Context, identityID string, logins map[string]string) (*Credentials, error) {
	in := map[string]any{"IdentityId": identityID}
	if logins != nil {
		in["Logins"] = logins
	}
	var cr Credentials
	var expiration float64
	err := call(ctx, c.cfg.Transport, identityPoolTarget+"GetCredentialsForIdentity", in, func(o object) {
		w := o.obj("Credentials")
		cr = Credentials{IdentityID: o.str("IdentityId"), AccessKeyID: w.str("AccessKeyId"), SecretKey: w.str("SecretKey"), SessionToken: w.str("SessionToken")}
		expiration = w.float("Expiration")
	})
	if err != nil {
		return nil, err
	}
	if cr.AccessKeyID == "" || cr.SecretKey == "" || cr.SessionToken == "" {
		return nil, badResponse("GetCredentialsForIdentity", errors.New("no credentials"))
	}
	if cr.IdentityID == "" {
		cr.IdentityID = identityID
	}
	sec, frac := math.Modf(expiration)
	cr.Expiration = time.Unix(int64(sec), int64(frac*1e9))
	return &cr, nil
}

func noIdentityPool() *Error {
	return &Error{Code: CodeNoIdentityPool, Message: "This app has no identity pool configured."}
}
