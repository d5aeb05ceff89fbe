// Package service composes poolgate's domains into the one http.Handler every host serves:
// the Cognito JSON API, JWKS and OpenID discovery, the managed-login (OAuth 2.0) endpoints
// and pages, branding images, behind CORS.
package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/federation"
	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/gateway"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/identitypool"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/oauth"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/token"
	"github.com/poolgate/poolgate/internal/trigger"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Config is what a host hands the service.
type Config struct {
	Region     string // default "us-east-1"
	IssuerBase string // e.g. "http://127.0.0.1:8787"; tokens carry iss = IssuerBase/<poolId>
	// ManagedLoginBase is the origin of the managed-login pages and OAuth endpoints as the
	// discovery document names them; "" → IssuerBase. A host serving them over TLS on
	// another origin sets it.
	ManagedLoginBase string
	AccountID        string // for ARNs; default "000000000000"

	// The admin key pair that SigV4-signed (management) calls must be signed with.
	AdminAccessKeyID, AdminSecretAccessKey string

	// MasterKey (32 bytes, from the environment or a Worker secret) never reaches the store;
	// the at-rest and sealing keys derive from it.
	MasterKey []byte

	Store  store.Store
	Crypto hostcrypto.Provider // required: hostcrypto.Pure{} natively, the host's provider in wasm
	Sender message.Sender      // nil → messages are dropped after logging
	Now    func() time.Time    // nil → time.Now
	Rand   io.Reader           // nil → crypto/rand
	Logf   func(format string, args ...any)

	// Transport reaches gateway origins, external JWKS endpoints and identity providers: the
	// host's fetch (the wasip1 guest passes its http_fetch import, the Worker its fetch); nil:
	// none can be reached. Never http.DefaultTransport in the wasm builds (tools/wasmsize).
	Transport http.RoundTripper
	// SAML does the XML side of SAML sign-in (internal/federation/samlengine): samlxml
	// in-process, or on the Worker samlremote toward its companion Worker. nil: SAML
	// sign-in and the SP metadata endpoint answer with an identity-provider error.
	SAML samlengine.Engine
	// ClientAddressHeader and CountryHeader name the request headers the host trusts for
	// the caller's address and country, which threat protection scores sign-ins by; "" trusts
	// none (the address is the request's RemoteAddr, the country unknown). Only a host behind
	// a proxy that sets them, and strips what clients send, should name them.
	ClientAddressHeader, CountryHeader string

	// TriggerSecret signs trigger invocations (X-Poolgate-Signature, internal/trigger); empty →
	// trigger.DeriveSecret(MasterKey), so requests are always signed.
	TriggerSecret string
	// GatewayChanged is the gateway's Changed callback (gateway.Config): hosts that reuse its
	// decisions drop them when it is called.
	GatewayChanged func()
}

// Service is the composed handler.
type Service struct {
	cfg       Config
	userPools *userpool.Service
	keys      *token.Keyring
	idp       *awsjson.Dispatcher
	handler   http.Handler
	app       appCache         // GET /poolgate-app.json (app_config.go)
	gw        *gateway.Gateway // Routes in front of everything else (gateway.go)

	identityPools   *identitypool.Service // identity.go
	cognitoIdentity *awsjson.Dispatcher
	managedLogin    *oauth.Server // the OAuth 2.0 endpoints and hosted pages
}

// New checks cfg and builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("service: no store")
	}
	cfg.Store = longKeysAbsent{cfg.Store}
	if len(cfg.MasterKey) != 32 {
		return nil, fmt.Errorf("service: master key must be 32 bytes, got %d", len(cfg.MasterKey))
	}
	if cfg.AdminAccessKeyID == "" || cfg.AdminSecretAccessKey == "" {
		return nil, errors.New("service: admin key pair is not set")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	cfg.IssuerBase = strings.TrimRight(cfg.IssuerBase, "/")
	if cfg.IssuerBase == "" {
		return nil, errors.New("service: issuer base URL is not set")
	}
	cfg.ManagedLoginBase = strings.TrimRight(cfg.ManagedLoginBase, "/")
	if cfg.ManagedLoginBase == "" {
		cfg.ManagedLoginBase = cfg.IssuerBase
	}
	if cfg.TriggerSecret == "" {
		cfg.TriggerSecret = trigger.DeriveSecret(cfg.MasterKey)
	}
	if cfg.Crypto == nil {
		// No default: a default of hostcrypto.Pure would link Go's RSA, ECDSA and x509 into
		// the Worker, whose provider is WebCrypto.
		return nil, errors.New("service: no crypto provider (Config.Crypto)")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Sender == nil {
		logf := cfg.Logf
		cfg.Sender = message.SenderFunc(func(_ context.Context, m message.Message) error {
			logf("message for %s/%s (%s) not delivered: no sender configured", m.Pool, m.Username, m.Kind)
			return nil
		})
	}
	s := &Service{cfg: cfg}
	atRest, err := s.sealer("poolgate at-rest v1")
	if err != nil {
		return nil, err
	}
	transient, err := s.sealer("poolgate transient v1")
	if err != nil {
		return nil, err
	}
	oauthSeal, err := s.sealer("poolgate oauth v1")
	if err != nil {
		return nil, err
	}
	s.keys = token.NewKeyring(cfg.Store, atRest, cfg.Crypto, cfg.Now)
	s.userPools = userpool.New(userpool.Deps{
		Store: cfg.Store, Keys: s.keys, Crypto: cfg.Crypto, Seal: transient, AtRest: atRest,
		Sender: cfg.Sender, Now: cfg.Now, Rand: cfg.Rand,
		Region: cfg.Region, AccountID: cfg.AccountID, IssuerBase: cfg.IssuerBase, Logf: cfg.Logf,
		ClientAddressHeader: cfg.ClientAddressHeader, CountryHeader: cfg.CountryHeader,
		Transport: cfg.Transport, TriggerSecret: []byte(cfg.TriggerSecret),
	})
	s.idp = awsjson.NewDispatcher("AWSCognitoIdentityProviderService.", awsjson.DispatcherConfig{
		Now:         cfg.Now,
		Credentials: s.adminCredentials,
		Service:     "cognito-idp",
		Region:      cfg.Region,
		Logf:        cfg.Logf,
	})
	s.idp.Register(s.userPools.Actions()...)

	s.managedLogin, err = oauth.New(oauth.Config{UserPools: s.userPools, Seal: oauthSeal,
		Now: cfg.Now, Rand: cfg.Rand, Logf: cfg.Logf, Base: cfg.ManagedLoginBase,
		Federator: federation.New(federation.Config{Transport: cfg.Transport, Store: cfg.Store, SAML: cfg.SAML,
			Crypto: cfg.Crypto, Now: cfg.Now, Rand: cfg.Rand}),
		FederatedSignIn: s.userPools.FederatedSignIn})
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}

	mux := http.NewServeMux()
	s.managedLogin.Register(mux)
	mux.HandleFunc("GET /{pool}/.well-known/jwks.json", s.serveJWKS)
	mux.HandleFunc("GET /{pool}/.well-known/openid-configuration", s.serveDiscovery)
	mux.HandleFunc("GET "+appConfigPath, s.serveAppConfig)
	s.routeBranding(mux)
	s.routeImportUpload(mux)
	if err := s.initIdentity(mux); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	mux.HandleFunc("/", s.serveAPI)
	if s.gw, err = s.newGateway(); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	s.handler = s.gw.Handler(awsjson.CORS(mux))
	return s, nil
}

// ServeHTTP serves every poolgate endpoint.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Service) adminCredentials(accessKeyID string) (string, bool) {
	if accessKeyID != s.cfg.AdminAccessKeyID {
		return "", false
	}
	return s.cfg.AdminSecretAccessKey, true
}

// serveAPI routes JSON API calls on the X-Amz-Target prefix (spec §1.1), whatever the path.
func (s *Service) serveAPI(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "AWSCognitoIdentityProviderService."):
		s.idp.ServeHTTP(w, r)
	case strings.HasPrefix(target, identityTarget):
		s.cognitoIdentity.ServeHTTP(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"service\":\"poolgate\",\"region\":%q,\"issuerBase\":%q}\n", s.cfg.Region, s.cfg.IssuerBase)
	default:
		s.idp.ServeHTTP(w, r) // answers with a Cognito-shaped error for an unknown target
	}
}

// longKeysAbsent reads a key longer than store.MaxKeyLen, which no backend holds, as
// store.ErrNotFound. Such keys are built from request members longer than any ID (a
// 300,000-character ClientId): the lookup answers "does not exist", a client's mistake, where
// the backend's key error would be a 500. Writes of such keys still fail.
type longKeysAbsent struct{ store.Store }

func (s longKeysAbsent) Get(ctx context.Context, key string) ([]byte, error) {
	if len(key) > store.MaxKeyLen {
		return nil, store.ErrNotFound
	}
	return s.Store.Get(ctx, key)
}

var _ store.UnchangedGetter = longKeysAbsent{}

// GetUnlessUnchanged is the wrapped store's (store.GetUnlessUnchanged), a long key absent.
func (s longKeysAbsent) GetUnlessUnchanged(ctx context.Context, key string, have []byte) ([]byte, bool, error) {
	if len(key) > store.MaxKeyLen {
		return nil, false, store.ErrNotFound
	}
	return store.GetUnlessUnchanged(ctx, s.Store, key, have)
}

// sealer returns a Sealer under the key derived from the master key for label, with the
// crypto provider's AES-GCM when it has its own (hostcrypto.AESGCMer: hostsim's guest asks
// its host, whose AES-GCM is native).
func (s *Service) sealer(label string) (*seal.Sealer, error) {
	aead, err := hostcrypto.AESGCM(s.cfg.Crypto, seal.DeriveKey(s.cfg.MasterKey, label))
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	sealer, err := seal.NewAEAD(aead, s.cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return sealer, nil
}
