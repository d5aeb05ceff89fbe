package oauth

import (
	"io"
	"net/http"
	"strings"
)

// serveUserInfo answers GET and POST /oauth2/userInfo (spec §6, OIDC Core §5.3) with the
// claims the access token's scopes allow. Errors follow RFC 6750 §3: no credentials → 401
// with a bare challenge, a malformed request → 400 invalid_request, a bad token → 401
// invalid_token.
func (s *Server) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		bearerError(w, http.StatusMethodNotAllowed, errInvalidRequest, "Use GET or POST.")
		return
	}
	if r.Body != nil {
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxForm))
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="poolgate"`)
		writeJSON401(w)
		return
	}
	scheme, token, _ := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 32<<10 {
		bearerError(w, http.StatusBadRequest, errInvalidRequest, "The Authorization header must carry a Bearer token.")
		return
	}
	claims, err := s.cfg.UserPools.UserInfo(r.Context(), token)
	if err != nil {
		m, ok := userpoolMessage(err)
		if !ok {
			s.cfg.Logf("oauth: userInfo: %v", err)
			bearerError(w, http.StatusInternalServerError, errServerError, "The server could not read the user.")
			return
		}
		msg := "Access token is expired, disabled, or deleted, or the user has globally signed out."
		if strings.Contains(m, "openid") {
			msg = m
		}
		bearerError(w, http.StatusUnauthorized, errInvalidToken, msg)
		return
	}
	writeJSON(w, claims)
}

// bearerError answers with an RFC 6750 error in WWW-Authenticate and the body.
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	writeJSONError(w, &oauthError{Code: code, Description: desc, Status: status}, false)
}

func writeJSON401(w http.ResponseWriter) {
	writeJSONError(w, &oauthError{Code: errInvalidRequest, Description: "An access token is required.", Status: http.StatusUnauthorized}, false)
}
