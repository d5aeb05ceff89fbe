package oauth

import (
	"errors"
	"net/http"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// serveRevoke answers POST /oauth2/revoke (RFC 7009, spec §6): 200 with an empty body for
// a revoked, unknown or already revoked refresh token; unsupported_token_type for an access
// or ID token; invalid_request when the token is missing or the client may not revoke.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	req, p, c := s.clientRequest(w, r)
	if c == nil {
		return
	}
	token := req.form.Get("token")
	if token == "" {
		writeJSONError(w, fail(errInvalidRequest, "token is required."), req.basic)
		return
	}
	if len(token) > maxSealed {
		w.WriteHeader(http.StatusOK) // no refresh token is that long: unknown, so nothing to revoke
		return
	}
	err := s.cfg.UserPools.RevokeRefreshToken(r.Context(), p, c, token)
	switch {
	case err == nil, errors.Is(err, awsjson.ErrNotAuthorized):
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, awsjson.ErrUnsupportedTokenType):
		writeJSONError(w, fail(errUnsupportedTokenType, "The token is not a refresh token."), req.basic)
	case errors.Is(err, awsjson.ErrUnsupportedOperation):
		writeJSONError(w, fail(errInvalidRequest, "Token revocation is not enabled for this client."), req.basic)
	default:
		s.jsonServerError(w, err)
	}
}
