package service

import (
	"encoding/json"
	"net/http"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// serveJWKS answers GET /<poolId>/.well-known/jwks.json (spec §5.6).
func (s *Service) serveJWKS(w http.ResponseWriter, r *http.Request) {
	pool := r.PathValue("pool")
	if !s.poolExists(w, r, pool) {
		return
	}
	jwks, err := s.keys.JWKS(r.Context(), pool)
	if err != nil {
		s.cfg.Logf("jwks %s: %v", pool, err)
		writeJSONError(w, awsjson.Internal("The server could not read the signing keys."))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(jwks)
}

// serveDiscovery answers GET /<poolId>/.well-known/openid-configuration: the issuer and its
// keys, and the managed-login endpoints on the managed-login origin (spec §5.6), so an OIDC
// library configured with the issuer finds everything.
func (s *Service) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	pool := r.PathValue("pool")
	if !s.poolExists(w, r, pool) {
		return
	}
	iss := s.userPools.Issuer(pool)
	login := s.cfg.ManagedLoginBase
	doc := map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"authorization_endpoint":                login + "/oauth2/authorize",
		"token_endpoint":                        login + "/oauth2/token",
		"userinfo_endpoint":                     login + "/oauth2/userInfo",
		"revocation_endpoint":                   login + "/oauth2/revoke",
		"response_types_supported":              []string{"code", "token"},
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "client_credentials"},
		"scopes_supported":                      []string{"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"cognito:username", "cognito:groups", "email", "email_verified", "phone_number", "phone_number_verified"},
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	json.NewEncoder(w).Encode(doc)
}

func (s *Service) poolExists(w http.ResponseWriter, r *http.Request, pool string) bool {
	ok, err := s.userPools.PoolExists(r.Context(), pool)
	if err != nil {
		s.cfg.Logf("pool %s: %v", pool, err)
		writeJSONError(w, awsjson.Internal("The server could not read the user pool."))
		return false
	}
	if !ok {
		e := awsjson.ResourceNotFound("User pool %s does not exist.", pool)
		e.Status = http.StatusNotFound
		writeJSONError(w, e)
		return false
	}
	return true
}

// writeJSONError writes e's envelope as a plain JSON document (these are GETs of JSON files,
// not protocol calls).
func writeJSONError(w http.ResponseWriter, e *awsjson.Error) {
	w.Header().Set("Content-Type", "application/json")
	awsjson.WriteError(w, e)
}
