package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/userpool"
)

// tokenRequest is a parsed request to the token (or revocation) endpoint.
type tokenRequest struct {
	form url.Values
	// The client's credentials: from Basic authentication (basic) or the body.
	clientID, clientSecret string
	basic                  bool
}

// parseTokenRequest reads a token or revocation request: a form body of at most maxForm
// bytes, each parameter at most once (RFC 6749 §3.2), the client's credentials from Basic
// authentication or the body but not both (§2.3.1).
func parseTokenRequest(authorization, contentType string, body []byte) (*tokenRequest, *oauthError) {
	if len(body) > maxForm {
		return nil, fail(errInvalidRequest, "The request body is too large.")
	}
	if mt, _, _ := strings.Cut(contentType, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return nil, fail(errInvalidRequest, "The request must be application/x-www-form-urlencoded.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fail(errInvalidRequest, "The request body is malformed.")
	}
	for name, vs := range form {
		if len(vs) > 1 {
			return nil, fail(errInvalidRequest, "The parameter "+clip(name)+" is given more than once.")
		}
	}
	req := &tokenRequest{form: form, clientID: form.Get("client_id"), clientSecret: form.Get("client_secret")}
	if authorization != "" {
		scheme, cred, _ := strings.Cut(authorization, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return nil, &oauthError{Code: errInvalidClient, Description: "Only Basic client authentication is supported.", Status: http.StatusUnauthorized}
		}
		id, secret, ok := decodeBasic(strings.TrimSpace(cred))
		if !ok {
			return nil, &oauthError{Code: errInvalidClient, Description: "The Basic credentials are malformed.", Status: http.StatusUnauthorized}
		}
		if req.clientSecret != "" {
			return nil, fail(errInvalidRequest, "The client authenticated in two ways.")
		}
		if req.clientID != "" && req.clientID != id {
			return nil, fail(errInvalidRequest, "client_id differs from the authenticated client.")
		}
		req.clientID, req.clientSecret, req.basic = id, secret, true
	}
	if req.clientID == "" {
		return nil, &oauthError{Code: errInvalidClient, Description: "client_id is required.", Status: http.StatusUnauthorized}
	}
	return req, nil
}

// decodeBasic reads Basic credentials: base64 of client_id:client_secret, each
// form-urlencoded (RFC 6749 §2.3.1).
func decodeBasic(cred string) (id, secret string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", "", false
	}
	id, secret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if id, err = url.QueryUnescape(id); err != nil {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return "", "", false
	}
	return id, secret, id != ""
}

// readTokenRequest reads and parses the request; it answers the request itself when it
// cannot.
func (s *Server) readTokenRequest(w http.ResponseWriter, r *http.Request) *tokenRequest {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSONError(w, &oauthError{Code: errInvalidRequest, Description: "Use POST.", Status: http.StatusMethodNotAllowed}, false)
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		writeJSONError(w, fail(errInvalidRequest, "The request body is too large or could not be read."), false)
		return nil
	}
	req, e := parseTokenRequest(r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body)
	if e != nil {
		writeJSONError(w, e, r.Header.Get("Authorization") != "")
		return nil
	}
	return req
}

// authenticateClient resolves and authenticates the client of a token or revocation
// request (constant-time secret check); nil after answering invalid_client.
// clientRequest reads a token-endpoint style request (/oauth2/token, /oauth2/revoke), which
// browsers may send from any origin, and authenticates its client; a nil client means the
// request was answered.
func (s *Server) clientRequest(w http.ResponseWriter, r *http.Request) (*tokenRequest, *userpool.Pool, *userpool.Client) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	req := s.readTokenRequest(w, r)
	if req == nil {
		return nil, nil, nil
	}
	p, c := s.authenticateClient(w, r, req)
	return req, p, c
}

func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, req *tokenRequest) (*userpool.Pool, *userpool.Client) {
	invalid := func() {
		writeJSONError(w, &oauthError{Code: errInvalidClient, Description: "Client authentication failed.", Status: http.StatusUnauthorized}, req.basic)
	}
	p, c, err := s.cfg.UserPools.HostedClient(r.Context(), req.clientID)
	if errors.Is(err, awsjson.ErrResourceNotFound) || errors.Is(err, awsjson.ErrInvalidParameter) {
		invalid()
		return nil, nil
	}
	if err != nil {
		s.jsonServerError(w, err)
		return nil, nil
	}
	if ok, err := s.clientOnHost(r.Context(), r, p); err != nil || !ok {
		if err != nil {
			s.jsonServerError(w, err)
		} else {
			invalid()
		}
		return nil, nil
	}
	if s.cfg.UserPools.VerifyClientSecret(c, req.clientSecret) != nil {
		invalid()
		return nil, nil
	}
	return p, c
}

func (s *Server) jsonServerError(w http.ResponseWriter, err error) {
	s.cfg.Logf("oauth: %v", err)
	writeJSONError(w, &oauthError{Code: errServerError, Description: "The server could not complete the request.", Status: http.StatusInternalServerError}, false)
}

// tokenResponse is the token endpoint's answer (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

func tokensOf(res *userpool.AuthenticationResult) *tokenResponse {
	return &tokenResponse{AccessToken: res.AccessToken, IDToken: res.IdToken, RefreshToken: res.RefreshToken,
		TokenType: "Bearer", ExpiresIn: res.ExpiresIn}
}

// serveToken answers POST /oauth2/token: authorization_code (with PKCE), refresh_token and
// client_credentials (spec §6). Browsers call it from any origin.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	req, p, c := s.clientRequest(w, r)
	if c == nil {
		return
	}
	var res *tokenResponse
	var e *oauthError
	switch gt := req.form.Get("grant_type"); gt {
	case "authorization_code":
		res, e = s.redeemCode(r, p, c, req)
	case "refresh_token":
		res, e = s.refresh(r, p, c, req)
	case "client_credentials":
		res, e = s.clientCredentials(r, p, c, req)
	case "":
		e = fail(errInvalidRequest, "grant_type is required.")
	default:
		e = fail(errUnsupportedGrantType, "grant_type must be authorization_code, refresh_token or client_credentials.")
	}
	if e != nil {
		writeJSONError(w, e, req.basic)
		return
	}
	writeJSON(w, res)
}

// errServer is a failure of the server met while answering a grant.
func (s *Server) errServer(err error) *oauthError {
	s.cfg.Logf("oauth: token: %v", err)
	return &oauthError{Code: errServerError, Description: "The server could not complete the request.", Status: http.StatusInternalServerError}
}

// redeemCode answers the authorization_code grant: the code opens, is this client's, was
// issued for this redirect_uri, the verifier matches its challenge (RFC 7636 §4.6), and it
// was not redeemed before (a consume-once marker, so of racing redemptions one wins; a
// replay revokes what the first redemption got).
func (s *Server) redeemCode(r *http.Request, p *userpool.Pool, c *userpool.Client, req *tokenRequest) (*tokenResponse, *oauthError) {
	if !c.AllowedOAuthFlowsUserPoolClient || !slices.Contains(c.AllowedOAuthFlows, "code") {
		return nil, fail(errUnauthorizedClient, "The client may not use the code flow.")
	}
	code, redirectURI, verifier := req.form.Get("code"), req.form.Get("redirect_uri"), req.form.Get("code_verifier")
	if code == "" || redirectURI == "" {
		return nil, fail(errInvalidRequest, "code and redirect_uri are required.")
	}
	invalid := fail(errInvalidGrant, "The authorization code is invalid, expired or already used.")
	var st codeState
	if !s.openJSON(purposeCode, code, &st) || st.Pool != p.Id || st.Client != c.ClientId {
		return nil, invalid
	}
	if st.RedirectURI != redirectURI {
		return nil, fail(errInvalidGrant, "redirect_uri differs from the authorization request's.")
	}
	if st.Challenge != "" || verifier != "" {
		if !verifierMatches(verifier, st.Challenge) {
			return nil, fail(errInvalidGrant, "The code_verifier does not match the code_challenge.")
		}
	}
	if err := s.cfg.UserPools.SpendAuthorizationCode(r.Context(), p.Id, st.ID, codeTTL+time.Minute); err != nil {
		if !errors.Is(err, userpool.ErrCodeSpent) {
			return nil, s.errServer(err)
		}
		// Presented again: someone else may hold it, so what it was redeemed for is revoked
		// too (RFC 6749 §4.1.2).
		if err := s.cfg.UserPools.RevokeAuthentication(r.Context(), p, c, st.ID); err != nil {
			return nil, s.errServer(err)
		}
		return nil, invalid
	}
	res, err := s.cfg.UserPools.IssueOAuthTokens(r.Context(), p, c, &userpool.OAuthGrant{Username: st.Username,
		Sub: st.Sub, Scopes: st.Scopes, Nonce: st.Nonce, AuthTime: time.Unix(st.AuthTime, 0), OriginJTI: st.ID}, true)
	if errors.Is(err, awsjson.ErrNotAuthorized) {
		return nil, fail(errInvalidGrant, "The user can no longer sign in.")
	}
	if err != nil {
		return nil, s.errServer(err)
	}
	return tokensOf(res), nil
}

// verifierMatches checks a PKCE code_verifier (43-128 unreserved characters) against an
// S256 challenge, in constant time.
func verifierMatches(verifier, challenge string) bool {
	if challenge == "" || len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for i := 0; i < len(verifier); i++ {
		c := verifier[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// refresh answers the refresh_token grant.
func (s *Server) refresh(r *http.Request, p *userpool.Pool, c *userpool.Client, req *tokenRequest) (*tokenResponse, *oauthError) {
	raw := req.form.Get("refresh_token")
	if raw == "" {
		return nil, fail(errInvalidRequest, "refresh_token is required.")
	}
	if len(raw) > maxSealed {
		return nil, fail(errInvalidGrant, "Invalid Refresh Token")
	}
	res, err := s.cfg.UserPools.RefreshOAuthTokens(r.Context(), p, c, raw)
	if err != nil {
		if errors.Is(err, awsjson.ErrInvalidParameter) {
			return nil, fail(errUnauthorizedClient, "The client may not refresh tokens.")
		}
		if msg, ok := userpoolMessage(err); ok {
			return nil, fail(errInvalidGrant, msg)
		}
		return nil, s.errServer(err)
	}
	return tokensOf(res), nil
}

// clientCredentials answers the client_credentials grant: a confidential client, allowed
// the flow, for custom scopes it is allowed (all of them when it names none).
func (s *Server) clientCredentials(r *http.Request, p *userpool.Pool, c *userpool.Client, req *tokenRequest) (*tokenResponse, *oauthError) {
	if c.ClientSecret == "" || !c.AllowedOAuthFlowsUserPoolClient || !slices.Contains(c.AllowedOAuthFlows, "client_credentials") {
		return nil, fail(errUnauthorizedClient, "The client may not use the client_credentials flow.")
	}
	scopes, e := grantScopes(req.form.Get("scope"), c.AllowedOAuthScopes)
	if e != nil {
		return nil, e
	}
	res, err := s.cfg.UserPools.ClientCredentialsToken(r.Context(), p, c, scopes)
	if err != nil {
		return nil, s.errServer(err)
	}
	return tokensOf(res), nil
}
