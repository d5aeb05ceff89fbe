// Package oauth serves managed login: the OAuth 2.0 / OpenID Connect endpoints
// (/oauth2/authorize, /oauth2/token, /oauth2/userInfo, /oauth2/revoke, /logout), the
// server-rendered pages (sign-in, new password, sign-up, confirmation, forgotten password)
// and the federation callbacks, over the user-pool service (userpool/hosted.go).
//
// Nothing is kept between requests but one consume-once marker per redeemed authorization
// code: codes, the session cookie, CSRF tokens and federation state are sealed with a key of
// this package's own, so authorize, login and token may run on different instances with no
// read-after-write between them.
package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Config is what the endpoints need from the service.
type Config struct {
	UserPools *userpool.Service
	// Seal seals authorization codes, session cookies and CSRF tokens: a key derived for
	// managed login alone (service: seal.DeriveKey(master, "poolgate oauth v1")).
	Seal *seal.Sealer
	Now  func() time.Time
	Rand io.Reader
	Logf func(format string, args ...any)
	// Base is the managed-login origin (e.g. https://auth.example.com): identity providers
	// call back to Base/oauth2/idpresponse and Base/saml2/idpresponse.
	Base string

	// Federator signs users in at external identity providers, and FederatedSignIn makes
	// the user of an identity they vouch for (userpool's FederatedSignIn); with either nil,
	// identity_provider=<provider> is answered "identity provider not available".
	Federator       Federator
	FederatedSignIn func(ctx context.Context, p *userpool.Pool, c *userpool.Client, id *ExternalIdentity) (*userpool.User, error)
}

// Server answers the managed-login endpoints.
type Server struct {
	cfg Config
}

// New checks cfg and returns the endpoints.
func New(cfg Config) (*Server, error) {
	if cfg.UserPools == nil || cfg.Seal == nil || cfg.Now == nil || cfg.Rand == nil {
		return nil, errors.New("oauth: user pools, sealer, clock and randomness are required")
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Server{cfg: cfg}, nil
}

// Register adds the endpoints to mux. Every path takes every method and refuses the wrong
// ones itself, so a GET of /oauth2/token gets an OAuth answer rather than the JSON API's.
func (s *Server) Register(mux *http.ServeMux) {
	for path, h := range s.routes() {
		mux.HandleFunc(path, h)
	}
}

// routes are the endpoints by path.
func (s *Server) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"/oauth2/authorize":          s.serveAuthorize,
		"/login":                     s.serveLogin,
		"/forceChangePassword":       s.serveNewPassword,
		"/mfa":                       s.serveMFA,
		"/oauth2/token":              s.serveToken,
		"/oauth2/userInfo":           s.serveUserInfo,
		"/oauth2/revoke":             s.serveRevoke,
		"/logout":                    s.serveLogout,
		"/signup":                    s.serveSignUp,
		"/confirmUser":               s.serveConfirm,
		"/forgotPassword":            s.serveForgotPassword,
		"/confirmForgotPassword":     s.serveConfirmForgotPassword,
		"/oauth2/idpresponse":        s.serveIdpResponse,
		"/saml2/idpresponse":         s.serveSAMLResponse,
		"GET /{pool}/saml2/metadata": s.serveSPMetadata,
	}
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// maxForm bounds a form body (login, token, revoke): more than any legitimate request.
const maxForm = 16 << 10

// maxQuery bounds the query of an authorization request (it is carried through /login).
const maxQuery = 8 << 10
