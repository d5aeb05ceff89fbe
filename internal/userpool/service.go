package userpool

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/token"
)

// Deps are what the user-pool service needs from its host.
type Deps struct {
	Store  store.Store
	Keys   *token.Keyring
	Crypto hostcrypto.Provider
	// Seal seals transient state (SECRET_BLOCK, Session, refresh tokens, pagination tokens).
	Seal *seal.Sealer
	// AtRest seals secrets kept in the store (verifiers, codes, client secrets).
	AtRest *seal.Sealer
	Sender message.Sender
	Now    func() time.Time
	Rand   io.Reader

	// Transport carries trigger invocations (the host's fetch); TriggerSecret signs them
	// (trigger_invoke.go). With no Transport every configured trigger fails as unreachable.
	Transport     http.RoundTripper
	TriggerSecret []byte

	Region     string // e.g. "us-east-1"; pool ids start with it
	AccountID  string // for ARNs
	IssuerBase string // tokens carry iss = IssuerBase + "/" + poolID
	Logf       func(format string, args ...any)

	// ClientAddressHeader and CountryHeader name the request headers the host trusts for the
	// caller's address and country (threat protection, risk_context.go); "" trusts none: the
	// address is then the request's peer and the country unknown.
	ClientAddressHeader, CountryHeader string
}

// Service implements the user-pool actions.
type Service struct {
	d     Deps
	cache *instanceCache // shared by the copies a transaction makes (see atomically)
	base  store.Store    // Deps.Store, also in a transaction's copy (see outside)
}

// instanceCache holds what this instance keeps between requests: only values that never
// change once stored, or decoded records keyed by the bytes they came from (which a change
// misses), so losing them or holding them in many instances is harmless.
type instanceCache struct {
	decoyKey atomic.Pointer[[]byte]
	pools    *recordCache[Pool]
	clients  *recordCache[Client]
	users    *recordCache[User] // GetUser's users, without their secrets (userView)
	// accessTokens are the access tokens whose signature verified, by their text (the key
	// that verified one is checked to be still the pool's on every use).
	accessTokens jose.SeenTokens
}

// New returns a Service over d.
func New(d Deps) *Service {
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	cache := &instanceCache{pools: newRecordCache[Pool](maxCachedPools), clients: newRecordCache[Client](maxCachedClients),
		users: newRecordCache[User](maxCachedUsers)}
	return &Service{d: d, cache: cache, base: d.Store}
}

// Actions returns every user-pool action for the AWSCognitoIdentityProviderService dispatcher.
func (s *Service) Actions() []awsjson.Action {
	return slices.Concat(s.managementActions(), s.authActions(), s.mfaActions(), s.riskActions(), s.deviceActions(), s.importActions())
}

// Issuer returns the iss claim of tokens from pool poolID.
func (s *Service) Issuer(poolID string) string { return s.d.IssuerBase + "/" + poolID }

// outside is s on the store itself: for work after a transaction's commit (the triggers a
// message runs), which must not read through the finished transaction.
func (s *Service) outside() *Service {
	o := *s
	o.d.Store = s.base
	return &o
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }

var zeroTime time.Time

// PoolExists reports whether pool id exists.
func (s *Service) PoolExists(ctx context.Context, id string) (bool, error) {
	_, err := s.getPool(ctx, id)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, awsjson.ErrResourceNotFound) {
		return false, nil
	}
	return false, err
}
