package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/userpool"
)

// complete finishes an authorization request for a signed-in user: an authorization code
// to the redirect URI (code flow), or the tokens in its fragment (implicit flow). It
// reports false, having written nothing, when the session's user may no longer sign in
// (deleted, disabled, signed out globally): the caller shows the login page.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, req *authRequest, st *sessionState) bool {
	ctx := r.Context()
	grant := &userpool.OAuthGrant{Username: st.Username, Sub: st.Sub, Scopes: req.scopes, Nonce: req.Nonce,
		AuthTime: time.Unix(st.AuthTime, 0)}
	v := url.Values{}
	if req.ResponseType == "token" {
		res, err := s.cfg.UserPools.IssueOAuthTokens(ctx, req.pool, req.client, grant, false)
		if errors.Is(err, awsjson.ErrNotAuthorized) {
			return false
		}
		if err != nil {
			s.serverError(w, err)
			return true
		}
		v.Set("access_token", res.AccessToken)
		if res.IdToken != "" {
			v.Set("id_token", res.IdToken)
		}
		v.Set("token_type", "Bearer")
		v.Set("expires_in", strconv.FormatInt(res.ExpiresIn, 10))
	} else {
		if _, err := s.cfg.UserPools.HostedUser(ctx, req.pool, st.Username, st.Sub, grant.AuthTime); err != nil {
			if errors.Is(err, awsjson.ErrNotAuthorized) {
				return false
			}
			s.serverError(w, err)
			return true
		}
		code, err := s.newCode(req, st)
		if err != nil {
			s.serverError(w, err)
			return true
		}
		v.Set("code", code)
	}
	if req.State != "" {
		v.Set("state", req.State)
	}
	redirectTo(w, r, req.RedirectURI, req.ResponseType == "token", v)
	return true
}

// newCode seals an authorization code for req and the signed-in user.
func (s *Server) newCode(req *authRequest, st *sessionState) (string, error) {
	id, err := s.newUUID()
	if err != nil {
		return "", err
	}
	return s.sealJSON(purposeCode, &codeState{ID: id, Pool: req.pool.Id, Client: req.client.ClientId,
		RedirectURI: req.RedirectURI, Username: st.Username, Sub: st.Sub, Scopes: req.scopes, Nonce: req.Nonce,
		Challenge: req.CodeChallenge, AuthTime: st.AuthTime}, s.now().Add(codeTTL))
}
