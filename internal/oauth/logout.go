package oauth

import (
	"net/http"
	"net/url"
	"slices"
)

// serveLogout answers GET /logout (spec §6): it ends the managed-login session and sends
// the browser to a registered sign-out URL (logout_uri), or back to the login page of an
// authorization request (redirect_uri and response_type). A URL the client did not
// register gets an error page: /logout is never an open redirect.
func (s *Server) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.errorPage(w, http.StatusMethodNotAllowed, fail(errInvalidRequest, "Use GET."))
		return
	}
	p, e := parseAuthParams(r.URL.RawQuery)
	if e != nil {
		s.errorPage(w, http.StatusBadRequest, e)
		return
	}
	q := r.URL.Query()
	if p.ClientID == "" {
		s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "client_id is required."))
		return
	}
	pool, client, err := s.cfg.UserPools.HostedClient(r.Context(), p.ClientID)
	if err != nil {
		if _, ok := userpoolMessage(err); ok {
			s.errorPage(w, http.StatusBadRequest, fail(errInvalidClient, "The client does not exist."))
			return
		}
		s.serverError(w, err)
		return
	}
	if ok, err := s.clientOnHost(r.Context(), r, pool); err != nil || !ok {
		if err != nil {
			s.serverError(w, err)
		} else {
			s.errorPage(w, http.StatusBadRequest, fail(errInvalidClient, "The client does not belong to this domain's user pool."))
		}
		return
	}
	if logoutURI := q.Get("logout_uri"); logoutURI != "" {
		if !slices.Contains(client.LogoutURLs, logoutURI) {
			s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "logout_uri is not a sign-out URL of the client."))
			return
		}
		clearCookie(w, sessionCookie)
		redirectTo(w, r, logoutURI, false, nil)
		return
	}
	if p.RedirectURI == "" || p.ResponseType == "" {
		s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "logout_uri, or redirect_uri and response_type, are required."))
		return
	}
	if !slices.Contains(client.CallbackURLs, p.RedirectURI) {
		s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "redirect_uri is not a callback URL of the client."))
		return
	}
	clearCookie(w, sessionCookie)
	back := url.Values{"client_id": {p.ClientID}, "redirect_uri": {p.RedirectURI}, "response_type": {p.ResponseType}}
	for _, name := range []string{"state", "scope", "code_challenge", "code_challenge_method", "nonce"} {
		if v := q.Get(name); v != "" {
			back.Set(name, v)
		}
	}
	redirectTo(w, r, "/login?"+back.Encode(), false, nil)
}
