package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/federation"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Federated sign-in (spec §12): /oauth2/authorize?identity_provider=<name> (or
// idp_identifier=<id>) sends the browser to the provider through the Federator; the provider
// comes back to /oauth2/idpresponse (OAuth and OIDC providers; GET, or POST for Apple's
// form_post) or /saml2/idpresponse (SAML, POST); the identity it vouches for is signed in
// to the pool (Config.FederatedSignIn) and the authorization request completes as after
// /login.
//
// The provider hands back our `state` (SAML: RelayState) untouched: it seals the
// authorization request's query and the provider's name, and a nonce. What Begin returns
// for Finish (Pending) is sealed into a cookie carrying the same nonce, so the callback
// must come to the browser that started the sign-in (a login CSRF defence). The cookie is
// SameSite=None: SAML and Apple post their answer from the provider's site.

// Federator is the federation package's surface (CONTRACT.md).
type Federator interface {
	Begin(ctx context.Context, poolID string, ip *userpool.IdentityProvider, callback, state string) (string, Pending, error)
	FinishOAuth(ctx context.Context, poolID string, ip *userpool.IdentityProvider, callback, code string, p Pending) (*ExternalIdentity, error)
	FinishSAML(ctx context.Context, poolID string, ip *userpool.IdentityProvider, acsURL, samlResponse string, p Pending) (*ExternalIdentity, error)
	SPMetadata(poolID, acsURL string) ([]byte, error)
}

// ErrProvider is what a Federator's errors match (errors.Is) when the provider or its answer
// is at fault: the app gets error=invalid_request with the description.
var ErrProvider = federation.ErrProvider

const (
	purposeFedState   = "oauth/federation-state"
	purposeFedPending = "oauth/federation-pending"
	fedCookie         = "poolgate-federation"
	fedTTL            = 10 * time.Minute // time to sign in at the provider

	maxProviderRef = 128 // a provider name is at most 32 characters, an identifier 40
)

// fedState is our state at the provider.
type fedState struct {
	Query    string `json:"q"`
	Provider string `json:"p"`
	Nonce    string `json:"n"`
}

// fedPending is the cookie: Begin's Pending for the state with the same nonce.
type fedPending struct {
	Nonce   string  `json:"n"`
	Pending Pending `json:"p"`
}

// federate starts a federated sign-in for a checked authorization request that names an
// identity provider.
func (s *Server) federate(w http.ResponseWriter, r *http.Request, req *authRequest) {
	refuse := func(code, desc string) {
		redirectError(w, r, req.RedirectURI, req.ResponseType, req.State, fail(code, desc))
	}
	if s.cfg.Federator == nil || s.cfg.FederatedSignIn == nil {
		refuse(errInvalidRequest, "identity provider not available")
		return
	}
	if len(req.IdentityProvider) > maxProviderRef || len(req.IdpIdentifier) > maxProviderRef {
		refuse(errInvalidRequest, "The identity provider does not exist.")
		return
	}
	name := req.IdentityProvider
	if req.IdpIdentifier != "" && (name == "" || name == "COGNITO") {
		name = ""
	}
	ip, err := s.cfg.UserPools.HostedProvider(r.Context(), req.pool, name, req.IdpIdentifier)
	if errors.Is(err, awsjson.ErrResourceNotFound) {
		refuse(errInvalidRequest, "The identity provider does not exist.")
		return
	}
	if err != nil {
		s.serverError(w, err)
		return
	}
	if !slices.Contains(req.client.SupportedIdentityProviders, ip.ProviderName) {
		refuse(errUnauthorizedClient, "The client does not support the identity provider "+ip.ProviderName+".")
		return
	}
	nonce, err := s.randomToken(16)
	if err != nil {
		s.serverError(w, err)
		return
	}
	state, err := s.sealJSON(purposeFedState, &fedState{Query: req.query, Provider: ip.ProviderName, Nonce: nonce}, s.now().Add(fedTTL))
	if err != nil {
		s.serverError(w, err)
		return
	}
	target, pending, err := s.cfg.Federator.Begin(r.Context(), req.pool.Id, ip, s.callback(ip), state)
	if err != nil {
		if errors.Is(err, ErrProvider) {
			refuse(errInvalidRequest, bound.String(err.Error(), bound.MessageBytes))
			return
		}
		s.serverError(w, err)
		return
	}
	cookie, err := s.sealJSON(purposeFedPending, &fedPending{Nonce: nonce, Pending: pending}, s.now().Add(fedTTL))
	if err != nil {
		s.serverError(w, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: fedCookie, Value: cookie, Path: "/", MaxAge: int(fedTTL / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// callback is where provider ip answers: /saml2/idpresponse for SAML, /oauth2/idpresponse
// for the others, on the managed-login origin.
func (s *Server) callback(ip *userpool.IdentityProvider) string {
	if ip.ProviderType == "SAML" {
		return s.cfg.Base + "/saml2/idpresponse"
	}
	return s.cfg.Base + "/oauth2/idpresponse"
}

// resumed is a federated sign-in coming back: the authorization request, the provider and
// Begin's Pending.
type resumed struct {
	req     *authRequest
	ip      *userpool.IdentityProvider
	pending Pending
}

// resume opens the state a provider handed back and the browser's cookie, checks the
// authorization request again, and loads the provider. It answers the request itself (and
// returns nil) when any of that fails: an error page while no redirect URI is trusted.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, state string) *resumed {
	var st fedState
	var fp fedPending
	c, err := r.Cookie(fedCookie)
	if !s.openJSON(purposeFedState, state, &st) || err != nil || !s.openJSON(purposeFedPending, c.Value, &fp) || fp.Nonce != st.Nonce {
		s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "The sign-in at the identity provider expired or did not start in this browser. Start again."))
		return nil
	}
	clearFedCookie(w)
	orig := r.Clone(r.Context())
	orig.URL = &url.URL{Path: "/oauth2/authorize", RawQuery: st.Query}
	req, f, err := s.checkAuthRequest(r.Context(), orig)
	if err != nil {
		s.serverError(w, err)
		return nil
	}
	if f != nil {
		s.refuse(w, r, req, f)
		return nil
	}
	ip, err := s.cfg.UserPools.HostedProvider(r.Context(), req.pool, st.Provider, "")
	if errors.Is(err, awsjson.ErrResourceNotFound) {
		redirectError(w, r, req.RedirectURI, req.ResponseType, req.State, fail(errInvalidRequest, "The identity provider no longer exists."))
		return nil
	}
	if err != nil {
		s.serverError(w, err)
		return nil
	}
	return &resumed{req: req, ip: ip, pending: fp.Pending}
}

func clearFedCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: fedCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode})
}

// serveIdpResponse answers /oauth2/idpresponse: an OAuth or OIDC provider's code (or
// error) for our state.
func (s *Server) serveIdpResponse(w http.ResponseWriter, r *http.Request) {
	if !s.federationOn(w) {
		return
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if !s.readForm(w, r) {
			return
		}
		q = r.PostForm
	} else if r.Method != http.MethodGet {
		s.errorPage(w, http.StatusMethodNotAllowed, fail(errInvalidRequest, "Use GET or POST."))
		return
	}
	res := s.resume(w, r, q.Get("state"))
	if res == nil {
		return
	}
	req := res.req
	if e := q.Get("error"); e != "" || q.Get("code") == "" {
		desc := "The identity provider returned no authorization code."
		if e != "" {
			desc = "The identity provider answered " + clip(e) + ": " + clip(q.Get("error_description"))
		}
		redirectError(w, r, req.RedirectURI, req.ResponseType, req.State, fail(errInvalidRequest, desc))
		return
	}
	id, err := s.cfg.Federator.FinishOAuth(r.Context(), req.pool.Id, res.ip, s.callback(res.ip), q.Get("code"), res.pending)
	s.finishFederated(w, r, req, id, err)
}

// serveSAMLResponse answers POST /saml2/idpresponse: a SAML IdP's SAMLResponse for our
// RelayState.
func (s *Server) serveSAMLResponse(w http.ResponseWriter, r *http.Request) {
	if !s.federationOn(w) {
		return
	}
	if r.Method != http.MethodPost {
		s.errorPage(w, http.StatusMethodNotAllowed, fail(errInvalidRequest, "Use POST."))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, fail(errInvalidRequest, "The SAML response could not be read."))
		return
	}
	res := s.resume(w, r, r.PostForm.Get("RelayState"))
	if res == nil {
		return
	}
	id, err := s.cfg.Federator.FinishSAML(r.Context(), res.req.pool.Id, res.ip, s.callback(res.ip), r.PostForm.Get("SAMLResponse"), res.pending)
	s.finishFederated(w, r, res.req, id, err)
}

// maxSAMLForm bounds a posted SAML response (signed assertions with certificates are large).
const maxSAMLForm = 512 << 10

// finishFederated signs in the identity a provider vouched for and completes the request.
func (s *Server) finishFederated(w http.ResponseWriter, r *http.Request, req *authRequest, id *ExternalIdentity, err error) {
	refuse := func(desc string) {
		redirectError(w, r, req.RedirectURI, req.ResponseType, req.State, fail(errInvalidRequest, desc))
	}
	if err != nil {
		if errors.Is(err, ErrProvider) {
			refuse(bound.String(err.Error(), bound.MessageBytes))
			return
		}
		s.serverError(w, err)
		return
	}
	u, err := s.cfg.FederatedSignIn(r.Context(), req.pool, req.client, id)
	if err != nil {
		if msg, ok := userpoolMessage(err); ok {
			refuse(msg)
			return
		}
		s.serverError(w, err)
		return
	}
	s.signedIn(w, r, req, u)
}

// serveSPMetadata answers GET /{pool}/saml2/metadata: the pool's SAML service-provider
// metadata, for the IdP's administrator.
func (s *Server) serveSPMetadata(w http.ResponseWriter, r *http.Request) {
	if !s.federationOn(w) {
		return
	}
	pool := r.PathValue("pool")
	ok, err := s.cfg.UserPools.PoolExists(r.Context(), pool)
	if err != nil {
		s.serverError(w, err)
		return
	}
	if !ok {
		s.errorPage(w, http.StatusNotFound, fail(errInvalidRequest, "The user pool does not exist."))
		return
	}
	md, err := s.cfg.Federator.SPMetadata(pool, s.cfg.Base+"/saml2/idpresponse")
	if err != nil {
		s.serverError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(md)
}

// federationOn answers 404 when no Federator is configured.
func (s *Server) federationOn(w http.ResponseWriter) bool {
	if s.cfg.Federator == nil || s.cfg.FederatedSignIn == nil {
		s.errorPage(w, http.StatusNotFound, fail(errInvalidRequest, "Federated sign-in is not available on this server."))
		return false
	}
	return true
}
