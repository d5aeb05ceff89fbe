package service

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/creds"
	"github.com/poolgate/poolgate/internal/fetch"
	"github.com/poolgate/poolgate/internal/identitypool"
)

// identityTarget is the X-Amz-Target prefix of the identity-pool API (spec §1.1).
const identityTarget = "AWSCognitoIdentityService."

// fetchTimeout bounds one request to an external OIDC provider.
const fetchTimeout = 10 * time.Second

// initIdentity builds the identity-pool half: the AWSCognitoIdentityService dispatcher, the
// credential issuer (whose keys derive from the master key, so the gateway's verifier opens
// its session tokens anywhere) and the JWKS of the OpenID tokens it signs.
func (s *Service) initIdentity(mux *http.ServeMux) error {
	issuer, err := creds.NewIssuer(s.cfg.MasterKey, s.cfg.Rand, s.cfg.Now)
	if err != nil {
		return err
	}
	pages, err := s.sealer("poolgate identity pages v1")
	if err != nil {
		return err
	}
	s.identityPools = identitypool.New(identitypool.Deps{
		Store: s.cfg.Store, UserPools: s.userPools, Keys: s.keys, Creds: issuer, Crypto: s.cfg.Crypto,
		Seal: pages, Fetch: s.fetch, Now: s.cfg.Now, Rand: s.cfg.Rand,
		Region: s.cfg.Region, AccountID: s.cfg.AccountID, IssuerBase: s.cfg.IssuerBase, Logf: s.cfg.Logf,
	})
	s.cognitoIdentity = awsjson.NewDispatcher(identityTarget, awsjson.DispatcherConfig{
		Now:         s.cfg.Now,
		Credentials: s.adminCredentials,
		Service:     "cognito-identity",
		Region:      s.cfg.Region,
		Logf:        s.cfg.Logf,
	})
	s.cognitoIdentity.Register(s.identityPools.Actions()...)

	base := "/" + identitypool.KeyringID + "/.well-known/"
	mux.HandleFunc("GET "+base+"jwks.json", s.serveIdentityJWKS)
	mux.HandleFunc("GET "+base+"openid-configuration", s.serveIdentityDiscovery)
	return nil
}

// serveIdentityJWKS answers GET /cognito-identity/.well-known/jwks.json: the keys of the
// OpenID tokens from GetOpenIdToken(ForDeveloperIdentity).
func (s *Service) serveIdentityJWKS(w http.ResponseWriter, r *http.Request) {
	jwks, err := s.identityPools.JWKS(r.Context())
	if err != nil {
		s.cfg.Logf("identity jwks: %v", err)
		writeJSONError(w, awsjson.Internal("The server could not read the signing keys."))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(jwks)
}

// serveIdentityDiscovery answers GET /cognito-identity/.well-known/openid-configuration.
func (s *Service) serveIdentityDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := s.identityPools.OpenIDIssuer()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q,"response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`+"\n",
		iss, iss+"/.well-known/jwks.json")
}

// fetch GETs an external OIDC document through the configured transport.
func (s *Service) fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := fetch.Do(s.cfg.Transport, req, fetchTimeout)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20+1))
}
