package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/userpool"
)

// serveLogin answers /login: GET shows the sign-in form for a valid authorization request
// (the same query as /oauth2/authorize), POST signs in with its username and password.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	req, ok := s.pageRequest(w, r, http.MethodGet, http.MethodHead, http.MethodPost)
	if !ok {
		return
	}
	if r.Method != http.MethodPost {
		s.loginPage(w, r, req, http.StatusOK, "", req.LoginHint)
		return
	}
	if !s.readForm(w, r) {
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	if !s.checkCSRF(r) {
		s.loginPage(w, r, req, http.StatusForbidden, "The form expired or did not come from this page. Please sign in again.", username)
		return
	}
	password := r.PostForm.Get("password")
	if username == "" || password == "" {
		s.loginPage(w, r, req, http.StatusOK, "Enter your username and password.", username)
		return
	}
	res, err := s.cfg.UserPools.HostedSignIn(userpool.WithRequest(r.Context(), r), req.pool, req.client, username, password)
	if err != nil {
		msg, ok := userpoolMessage(err)
		switch {
		case !ok:
			s.serverError(w, err)
		case errors.Is(err, awsjson.ErrUserNotConfirmed):
			s.confirmPage(w, r, req, http.StatusOK, msg+" Enter the code you were sent, or ask for a new one.", "", username)
		case errors.Is(err, awsjson.ErrPasswordResetRequired):
			s.formPage(w, r, req, http.StatusOK, "forgot", "Forgot your password?", "/forgotPassword", msg, "", username)
		default:
			s.loginPage(w, r, req, http.StatusOK, msg, username)
		}
		return
	}
	s.continueSignIn(w, r, req, res)
}

// signedIn starts the session of a user who just signed in and completes the request.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, req *authRequest, u *userpool.User) {
	st := &sessionState{Pool: req.pool.Id, Username: u.Username, Sub: u.Sub, AuthTime: s.now().Unix()}
	if err := s.startSession(w, st); err != nil {
		s.serverError(w, err)
		return
	}
	if !s.complete(w, r, req, st) {
		s.loginPage(w, r, req, http.StatusOK, "You cannot sign in right now.", u.Username)
	}
}

// readForm parses a posted form of at most maxForm bytes; it answers the request itself
// when it cannot.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.errorPage(w, http.StatusUnsupportedMediaType, fail(errInvalidRequest, "The form must be application/x-www-form-urlencoded."))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "The form could not be read."))
		return false
	}
	return true
}

// loginPage renders the sign-in form.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, req *authRequest, status int, msg, username string) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	s.render(w, r, req, status, "login", &page{Title: "Sign in", ClientName: req.client.ClientName, Error: msg,
		Action: "/login?" + req.query, CSRF: csrf, Username: prefill(username), Links: accountLinks(req),
		Providers: s.providerLinks(req)})
}

// providerLinks are the "Sign in with" links of the client's identity providers (none
// without a Federator): the same authorization request, naming the provider.
func (s *Server) providerLinks(req *authRequest) []link {
	if s.cfg.Federator == nil || s.cfg.FederatedSignIn == nil {
		return nil
	}
	var out []link
	for _, name := range req.client.SupportedIdentityProviders {
		if name == "COGNITO" {
			continue
		}
		q, err := url.ParseQuery(req.query)
		if err != nil {
			continue // checked by checkAuthRequest already
		}
		q.Set("identity_provider", name)
		q.Del("idp_identifier")
		out = append(out, link{"/oauth2/authorize?" + q.Encode(), "Sign in with " + name})
	}
	return out
}

// prefill is a username to show again in the form: nothing when it is longer than any
// username.
func prefill(username string) string {
	if len(username) > 512 {
		return ""
	}
	return username
}
