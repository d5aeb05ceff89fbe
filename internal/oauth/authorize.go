package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/userpool"
)

// authParams are the parameters of an authorization request (spec §6), as given.
type authParams struct {
	ResponseType, ClientID, RedirectURI, State, Scope string
	IdentityProvider, IdpIdentifier                   string
	CodeChallenge, CodeChallengeMethod, Nonce, Prompt string
	LoginHint                                         string
}

// authRequest is an authorization request checked against its client.
type authRequest struct {
	authParams
	query  string // the request's query, carried to /login and back unchanged
	pool   *userpool.Pool
	client *userpool.Client
	scopes []string // the granted scopes
}

// Bounds of single parameters (the whole query is bounded by maxQuery).
const (
	maxStateLen = 2048
	maxNonceLen = 1024
	maxScopes   = 50
)

// parseAuthParams reads an authorization request's query. A parameter given twice, or a
// query that does not parse, is invalid_request (RFC 6749 §3.1); the caller decides whether
// it can redirect with it.
func parseAuthParams(rawQuery string) (*authParams, *oauthError) {
	if len(rawQuery) > maxQuery {
		return nil, fail(errInvalidRequest, "The request is too large.")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fail(errInvalidRequest, "The request's query is malformed.")
	}
	for name, vs := range q {
		if len(vs) > 1 {
			return nil, fail(errInvalidRequest, "The parameter "+clip(name)+" is given more than once.")
		}
	}
	return &authParams{
		ResponseType: q.Get("response_type"), ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		State: q.Get("state"), Scope: q.Get("scope"), IdentityProvider: q.Get("identity_provider"),
		IdpIdentifier: q.Get("idp_identifier"), CodeChallenge: q.Get("code_challenge"),
		CodeChallengeMethod: q.Get("code_challenge_method"), Nonce: q.Get("nonce"), Prompt: q.Get("prompt"),
		LoginHint: q.Get("login_hint"),
	}, nil
}

// clip shortens outside text quoted in an error description.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// authRefusal is why an authorization request fails: with a trusted redirect URI the
// browser goes back there with the error; without one it gets an error page.
type authRefusal struct {
	err      *oauthError
	redirect bool
	status   int // of the error page
}

func pageRefusal(status int, e *oauthError) *authRefusal {
	return &authRefusal{err: e, status: status}
}

// checkAuthRequest validates an authorization request: the client and redirect URI first
// (failures there show a page: the redirect URI is not trusted), then everything else
// (failures redirect). A failure of the server itself is returned as err.
func (s *Server) checkAuthRequest(ctx context.Context, r *http.Request) (*authRequest, *authRefusal, error) {
	p, e := parseAuthParams(r.URL.RawQuery)
	if e != nil {
		return nil, pageRefusal(http.StatusBadRequest, e), nil
	}
	if p.ClientID == "" {
		return nil, pageRefusal(http.StatusBadRequest, fail(errInvalidRequest, "client_id is required.")), nil
	}
	pool, client, err := s.cfg.UserPools.HostedClient(ctx, p.ClientID)
	if errors.Is(err, awsjson.ErrResourceNotFound) || errors.Is(err, awsjson.ErrInvalidParameter) {
		return nil, pageRefusal(http.StatusBadRequest, fail(errInvalidClient, "The client does not exist.")), nil
	}
	if err != nil {
		return nil, nil, err
	}
	if ok, err := s.clientOnHost(ctx, r, pool); err != nil || !ok {
		if err != nil {
			return nil, nil, err
		}
		return nil, pageRefusal(http.StatusBadRequest, fail(errInvalidClient, "The client does not belong to this domain's user pool.")), nil
	}
	if p.RedirectURI == "" {
		return nil, pageRefusal(http.StatusBadRequest, fail(errInvalidRequest, "redirect_uri is required.")), nil
	}
	if !slices.Contains(client.CallbackURLs, p.RedirectURI) {
		return nil, pageRefusal(http.StatusBadRequest, fail(errInvalidRequest, "redirect_mismatch: the redirect_uri is not a callback URL of the client.")), nil
	}
	req := &authRequest{authParams: *p, query: r.URL.RawQuery, pool: pool, client: client}
	refuse := func(code, desc string) (*authRequest, *authRefusal, error) {
		return req, &authRefusal{err: fail(code, desc), redirect: true}, nil
	}
	switch p.ResponseType {
	case "":
		return refuse(errInvalidRequest, "response_type is required.")
	case "code", "token":
	default:
		return refuse(errUnsupportedResponseType, "response_type must be code or token.")
	}
	flow := map[string]string{"code": "code", "token": "implicit"}[p.ResponseType]
	if !client.AllowedOAuthFlowsUserPoolClient || !slices.Contains(client.AllowedOAuthFlows, flow) {
		return refuse(errUnauthorizedClient, "The client may not use the "+flow+" flow.")
	}
	if len(p.State) > maxStateLen {
		req.State = ""
		return refuse(errInvalidRequest, "state is too long.")
	}
	if len(p.Nonce) > maxNonceLen {
		return refuse(errInvalidRequest, "nonce is too long.")
	}
	scopes, e := grantScopes(p.Scope, client.AllowedOAuthScopes)
	if e != nil {
		return req, &authRefusal{err: e, redirect: true}, nil
	}
	req.scopes = scopes
	if e := checkChallenge(p.CodeChallenge, p.CodeChallengeMethod); e != nil {
		return req, &authRefusal{err: e, redirect: true}, nil
	}
	switch p.Prompt {
	case "", "login", "none", "consent", "select_account":
	default:
		return refuse(errInvalidRequest, "prompt is not one of login, none, consent, select_account.")
	}
	if !req.cognito() {
		return req, nil, nil // federated: checked by federate
	}
	if len(client.SupportedIdentityProviders) > 0 && !slices.Contains(client.SupportedIdentityProviders, "COGNITO") {
		return refuse(errUnauthorizedClient, "The client does not sign users in with the user pool's own login page (COGNITO).")
	}
	return req, nil, nil
}

// cognito reports whether the request signs in with the pool's own login page rather than
// an external identity provider.
func (req *authRequest) cognito() bool {
	return req.IdpIdentifier == "" && (req.IdentityProvider == "" || req.IdentityProvider == "COGNITO")
}

// clientOnHost reports whether pool may be served on the request's host: any pool on the
// service's own host, only its own pool on a user-pool domain.
func (s *Server) clientOnHost(ctx context.Context, r *http.Request, pool *userpool.Pool) (bool, error) {
	owner, err := s.cfg.UserPools.PoolForHost(ctx, r.Host)
	if err != nil {
		return false, err
	}
	return owner == "" || owner == pool.Id, nil
}

// grantScopes resolves the scope parameter against the client's allowed scopes: none asked
// → all of them; any scope not allowed → invalid_scope.
func grantScopes(scope string, allowed []string) ([]string, *oauthError) {
	asked := strings.Fields(scope)
	if len(asked) == 0 {
		return slices.Clone(allowed), nil
	}
	if len(asked) > maxScopes {
		return nil, fail(errInvalidScope, "Too many scopes requested.")
	}
	var out []string
	for _, sc := range asked {
		if !slices.Contains(allowed, sc) {
			return nil, fail(errInvalidScope, "The scope "+clip(sc)+" is not allowed for this client.")
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// checkChallenge checks PKCE parameters (RFC 7636 §4.2-4.3): S256 only; a challenge is
// the base64url SHA-256 of a verifier, 43 characters.
func checkChallenge(challenge, method string) *oauthError {
	if challenge == "" {
		if method != "" {
			return fail(errInvalidRequest, "code_challenge_method given without code_challenge.")
		}
		return nil
	}
	if method != "S256" {
		return fail(errInvalidRequest, "code_challenge_method must be S256.")
	}
	if len(challenge) != 43 || !isBase64URL(challenge) {
		return fail(errInvalidRequest, "code_challenge must be the base64url SHA-256 of the code verifier.")
	}
	return nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// refuse answers a refused authorization request.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, req *authRequest, f *authRefusal) {
	if f.redirect {
		redirectError(w, r, req.RedirectURI, req.ResponseType, req.State, f.err)
		return
	}
	s.errorPage(w, f.status, f.err)
}

// serveAuthorize answers GET /oauth2/authorize: a valid request with a live session for
// the pool completes at once (unless prompt=login); otherwise the browser goes to /login
// with the same query.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	req, ok := s.pageRequest(w, r, http.MethodGet, http.MethodHead)
	if !ok {
		return
	}
	if req.Prompt != "login" {
		if st := s.session(r, req.pool.Id); st != nil {
			if s.complete(w, r, req, st) {
				return
			}
		}
	}
	if req.Prompt == "none" {
		redirectError(w, r, req.RedirectURI, req.ResponseType, req.State, fail(errLoginRequired, "The user is not signed in."))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/login?"+req.query, http.StatusFound)
}

// serverError answers a failure of the server (the store, the keyring) with a page.
func (s *Server) serverError(w http.ResponseWriter, err error) {
	s.cfg.Logf("oauth: %v", err)
	s.errorPage(w, http.StatusInternalServerError, fail(errServerError, "The server could not complete the request. Try again."))
}

// pageRequest checks the method and the authorization request a page or /oauth2/authorize
// carries, and answers the request itself when it is refused or names an identity provider
// (which takes the browser there); ok means the page goes on with req, a COGNITO sign-in.
func (s *Server) pageRequest(w http.ResponseWriter, r *http.Request, methods ...string) (*authRequest, bool) {
	if !slices.Contains(methods, r.Method) {
		use := "Use " + strings.Join(slices.DeleteFunc(slices.Clone(methods), func(m string) bool { return m == http.MethodHead }), " or ") + "."
		s.errorPage(w, http.StatusMethodNotAllowed, fail(errInvalidRequest, use))
		return nil, false
	}
	req, f, err := s.checkAuthRequest(r.Context(), r)
	switch {
	case err != nil:
		s.serverError(w, err)
	case f != nil:
		s.refuse(w, r, req, f)
	case !req.cognito():
		s.federate(w, r, req)
	default:
		return req, true
	}
	return nil, false
}
