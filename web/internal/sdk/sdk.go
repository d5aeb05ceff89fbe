// Package sdk is poolgate's client half for browsers: the user-pool flows (sign-up, SRP
// sign-in with its challenges, password reset, profile, refresh, sign-out) and the
// identity-pool credential calls, over an injected transport, with the session kept in an
// injected storage.
//
// It is plain Go so that it runs and is tested anywhere; package main in web/ binds it to a
// page (fetch, Web Storage, promises) when built with GOOS=js GOARCH=wasm.
package sdk

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// Config is what a Client needs. UserPoolID, ClientID and Transport are required.
type Config struct {
	UserPoolID     string // e.g. "us-east-1_Poolgate1"; its suffix is the SRP pool name
	ClientID       string // a public app client (no secret)
	IdentityPoolID string // optional: enables GuestCredentials and Credentials

	Transport Transport
	Storage   Storage // nil → a MemoryStorage

	// DeviceStorage keeps this browser's remembered devices (devices.go), which outlive
	// sessions; nil → Storage.
	DeviceStorage Storage
	// DeviceName is the name ConfirmDevice gives this browser's devices (the page's user
	// agent); "" sends none.
	DeviceName string

	Crypto ModExper         // nil → BigMath{}
	Now    func() time.Time // nil → time.Now
	Rand   io.Reader        // nil → crypto/rand

	// RefreshMargin is how long before the tokens expire Session refreshes them.
	// Zero means DefaultRefreshMargin.
	RefreshMargin time.Duration
}

// DefaultRefreshMargin is Config.RefreshMargin's default.
const DefaultRefreshMargin = 2 * time.Minute

// Client runs the flows of one app client. It is safe for concurrent use.
type Client struct {
	cfg Config

	mu          sync.Mutex
	clockOffset time.Duration
	pending     *pendingChallenge // the challenge SignIn is waiting on, if any
	refreshing  chan struct{}     // closed when an in-flight refresh ends
	creds       map[bool]*Credentials
}

// validPoolID checks the shape identity-js accepts: ^[\w-]+_[0-9a-zA-Z]+$, at most 55 bytes.
func validPoolID(id string) bool {
	region, suffix, ok := strings.Cut(id, "_")
	if !ok || region == "" || suffix == "" || len(id) > 55 {
		return false
	}
	for _, r := range region {
		if !isAlnum(r) && r != '_' && r != '-' {
			return false
		}
	}
	for _, r := range suffix {
		if !isAlnum(r) {
			return false
		}
	}
	return true
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// maxDeviceName bounds Config.DeviceName: ConfirmDevice's DeviceName is at most 1,024
// characters, more than any user agent needs.
const maxDeviceName = 1024

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if !validPoolID(cfg.UserPoolID) {
		return nil, invalidParameter("userPoolId %q is not a user pool id (<region>_<id>)", cfg.UserPoolID)
	}
	if cfg.ClientID == "" || len(cfg.ClientID) > 128 {
		return nil, invalidParameter("clientId is required")
	}
	if cfg.IdentityPoolID != "" && !strings.Contains(cfg.IdentityPoolID, ":") {
		return nil, invalidParameter("identityPoolId %q is not an identity pool id (<region>:<uuid>)", cfg.IdentityPoolID)
	}
	if cfg.Transport == nil {
		return nil, errors.New("sdk: no transport")
	}
	if cfg.Storage == nil {
		cfg.Storage = NewMemoryStorage()
	}
	if cfg.DeviceStorage == nil {
		cfg.DeviceStorage = cfg.Storage
	}
	if len(cfg.DeviceName) > maxDeviceName {
		cfg.DeviceName = cfg.DeviceName[:maxDeviceName]
	}
	if cfg.Crypto == nil {
		cfg.Crypto = BigMath{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.RefreshMargin <= 0 {
		cfg.RefreshMargin = DefaultRefreshMargin
	}
	return &Client{cfg: cfg, creds: map[bool]*Credentials{}}, nil
}

// SetClockOffset shifts the client's clock by d: for devices whose clock is wrong, and for
// tests that move the server's clock and the page's together.
func (c *Client) SetClockOffset(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clockOffset = d
}

func (c *Client) now() time.Time {
	c.mu.Lock()
	off := c.clockOffset
	c.mu.Unlock()
	return c.cfg.Now().Add(off)
}

// region is the part of the user pool id before "_".
func (c *Client) region() string {
	region, _, _ := strings.Cut(c.cfg.UserPoolID, "_")
	return region
}

// call sends one user-pool action.
func (c *Client) call(ctx context.Context, action string, in map[string]any, read func(object)) error {
	return call(ctx, c.cfg.Transport, userPoolTarget+action, in, read)
}
