// Package identitypool implements Cognito identity pools: identities and their linked logins,
// Logins validation, role resolution, credential vending and OpenID tokens (spec §7).
package identitypool

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/creds"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/token"
	"github.com/poolgate/poolgate/internal/txn"
)

// UserPools is what identity pools need from poolgate's user pools (internal/userpool):
// verifying an ID token, with ServerSideTokenCheck when serverSide is set.
type UserPools interface {
	CheckIDToken(ctx context.Context, poolID, raw string, serverSide bool) (*jose.Claims, error)
}

// Fetch gets a URL (an OIDC discovery document or a JWKS). It returns the body of a 200
// response and an error for anything else.
type Fetch func(ctx context.Context, url string) ([]byte, error)

// Deps are what the identity-pool service needs from its host.
type Deps struct {
	Store     store.Store
	UserPools UserPools
	// Keys signs the OpenID tokens of GetOpenIdToken under KeyringID.
	Keys   *token.Keyring
	Creds  *creds.Issuer
	Crypto hostcrypto.Provider // verifies external OIDC tokens
	// Seal seals pagination tokens.
	Seal *seal.Sealer
	// Fetch reaches external OIDC providers; nil refuses their logins with
	// ExternalServiceException.
	Fetch Fetch
	Now   func() time.Time
	Rand  io.Reader

	Region     string // identity ids are "<region>:<uuid>"
	AccountID  string // for ARNs
	IssuerBase string // user-pool tokens carry iss = IssuerBase/<poolId>; OpenID tokens OpenIDIssuer()
	Logf       func(format string, args ...any)
}

// KeyringID is the keyring slot that signs identity-pool OpenID tokens. User-pool ids hold
// an underscore and never a hyphen-free word like this, so it cannot collide with a pool.
const KeyringID = "cognito-identity"

// CognitoIdentityProviderName is the Logins key of OpenID tokens issued by identity pools
// (spec §7.3), used in the developer-authenticated flow.
const CognitoIdentityProviderName = "cognito-identity.amazonaws.com"

// Service implements the identity-pool actions.
type Service struct {
	d              Deps
	*instanceState // shared by the copies a transaction makes (see atomically)

	oidc *oidcCache
}

// instanceState is the Service's in-memory state.
type instanceState struct {
	randMu sync.Mutex

	rolesMu sync.Mutex
	roles   map[string]*cachedRole // parsed role policies by ARN
}

// New returns a Service over d.
func New(d Deps) *Service {
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	return &Service{d: d, instanceState: &instanceState{roles: map[string]*cachedRole{}}, oidc: newOIDCCache()}
}

// Actions returns every identity-pool action for the AWSCognitoIdentityService dispatcher.
func (s *Service) Actions() []awsjson.Action {
	pub := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.Public, Handle: h}
	}
	adm := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		pub("GetId", awsjson.Handler(s.getID)),
		pub("GetCredentialsForIdentity", awsjson.Handler(s.getCredentialsForIdentity)),
		pub("GetOpenIdToken", awsjson.Handler(s.getOpenIDToken)),
		pub("UnlinkIdentity", awsjson.Handler(s.unlinkIdentity)),
		adm("GetOpenIdTokenForDeveloperIdentity", awsjson.Handler(s.getOpenIDTokenForDeveloperIdentity)),
		adm("LookupDeveloperIdentity", awsjson.Handler(s.lookupDeveloperIdentity)),
		adm("CreateIdentityPool", awsjson.Handler(s.createIdentityPool)),
		adm("DescribeIdentityPool", awsjson.Handler(s.describeIdentityPool)),
		adm("UpdateIdentityPool", awsjson.Handler(s.updateIdentityPool)),
		adm("ListIdentityPools", awsjson.Handler(s.listIdentityPools)),
		adm("DeleteIdentityPool", awsjson.Handler(s.deleteIdentityPool)),
		adm("SetIdentityPoolRoles", awsjson.Handler(s.setIdentityPoolRoles)),
		adm("GetIdentityPoolRoles", awsjson.Handler(s.getIdentityPoolRoles)),
		adm("ListIdentities", awsjson.Handler(s.listIdentities)),
		adm("DescribeIdentity", awsjson.Handler(s.describeIdentity)),
		adm("DeleteIdentities", awsjson.Handler(s.deleteIdentities)),
	}
}

// OpenIDIssuer is the iss of the OpenID tokens this service signs; its JWKS is served at
// OpenIDIssuer()/.well-known/jwks.json [est: Cognito's own is https://cognito-identity.amazonaws.com].
func (s *Service) OpenIDIssuer() string { return s.d.IssuerBase + "/" + KeyringID }

// JWKS returns the public keys of the OpenID tokens.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) { return s.d.Keys.JWKS(ctx, KeyringID) }

func (s *Service) now() time.Time { return s.d.Now().UTC() }

// newUUID returns a random lower-case UUID v4.
func (s *Service) newUUID() (string, error) {
	var b [16]byte
	s.randMu.Lock()
	_, err := io.ReadFull(s.d.Rand, b[:])
	s.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("identitypool: reading randomness: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// Store keys.
func poolKey(id string) string         { return "ip/" + id }
func identityKey(id string) string     { return "ii/" + id }
func memberKey(pool, id string) string { return "iip/" + pool + "/" + id }
func memberPrefix(pool string) string  { return "iip/" + pool + "/" }
func loginPrefix(pool string) string   { return "il/" + pool + "/" }
func loginKey(pool, provider, user string) string {
	return loginPrefix(pool) + digest(provider+"\x00"+user)
}

// roleKey is the key of a role. An ARN can be longer than a key (arn:aws…:role/ and a
// 512-character name; CustomRoleArn takes up to 2048): such an ARN is digested
// (store.FitPart), which leaves the key of every declared ARN that fits as it was (a declared
// ARN passes validRoleArn, so it holds no space and cannot look like a digest form).
func roleKey(arn string) string { return "ir/" + store.FitPart(arn, store.MaxKeyLen-len("ir/")) }

// oidcRecordKey is the key of a declared OpenID Connect provider. Declared names and Logins
// keys have at most 128 bytes; an ARN's provider part may have 1000, which FitPart digests
// (a declared name is a URL's host and path: no space, so no digest form's shape).
func oidcRecordKey(providerName string) string {
	return "io/" + store.FitPart(providerName, store.MaxKeyLen-len("io/"))
}

func (s *Service) getJSON(ctx context.Context, key string, v any) error {
	b, err := s.d.Store.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("identitypool: record %s: %w", key, err)
	}
	return nil
}

func (s *Service) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("identitypool: encoding %s: %w", key, err)
	}
	return s.d.Store.Put(ctx, key, b, store.PutOptions{})
}

// Wire errors (spec §7.2).

func poolNotFound(id string) error {
	return awsjson.ResourceNotFound("IdentityPool '%s' not found.", id)
}

func identityNotFound(id string) error {
	return awsjson.ResourceNotFound("Identity '%s' not found.", id)
}

func loginsDontMatch() error {
	return awsjson.NotAuthorized("Logins don't match. Please include at least one valid login for this identity or identity pool.")
}

func guestsNotAllowed() error {
	return awsjson.NotAuthorized("Unauthenticated access is not supported for this identity pool.")
}

func badRoleConfig() error {
	return awsjson.New(awsjson.ErrInvalidIdentityPoolConfiguration,
		"Invalid identity pool configuration. Check assigned IAM roles for this pool.")
}

func conflict(format string, args ...any) error {
	return awsjson.New(awsjson.ErrResourceConflict, format, args...)
}

// getPool loads an identity pool, or ResourceNotFoundException.
func (s *Service) getPool(ctx context.Context, id string) (*storedPool, error) {
	if !validPoolID(id) {
		return nil, poolNotFound(id)
	}
	var p storedPool
	if err := s.getJSON(ctx, poolKey(id), &p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, poolNotFound(id)
		}
		return nil, err
	}
	return &p, nil
}

// getIdentity loads an identity record, or ResourceNotFoundException. follow resolves a
// merged-away identity to the one it was merged into (public calls); otherwise a merged-away
// identity is not found (it no longer exists for the admin API).
func (s *Service) getIdentity(ctx context.Context, id string, follow bool) (*identity, error) {
	if !validIdentityID(id) {
		return nil, identityNotFound(id)
	}
	cur := id
	for hops := 0; hops < 8; hops++ {
		var rec identity
		if err := s.getJSON(ctx, identityKey(cur), &rec); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, identityNotFound(id)
			}
			return nil, err
		}
		if rec.MergedInto == "" {
			if rec.Logins == nil {
				rec.Logins = map[string]string{}
			}
			return &rec, nil
		}
		if !follow {
			return nil, identityNotFound(id)
		}
		cur = rec.MergedInto
	}
	return nil, identityNotFound(id)
}

// validPoolID checks the IdentityPoolId pattern [\w-]+:[0-9a-f-]+ (1–55 characters).
func validPoolID(id string) bool { return validRegionUUID(id, 55) }

// validIdentityID checks the IdentityId pattern (same shape as a pool id).
func validIdentityID(id string) bool { return validRegionUUID(id, 55) }

func validRegionUUID(id string, max int) bool {
	if len(id) == 0 || len(id) > max {
		return false
	}
	region, rest, ok := strings.Cut(id, ":")
	if !ok || region == "" || rest == "" {
		return false
	}
	for i := 0; i < len(region); i++ {
		if c := region[i]; !(isWord(c) || c == '-') {
			return false
		}
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// regionOf returns the region part of a pool or identity id.
func regionOf(id string) string { r, _, _ := strings.Cut(id, ":"); return r }

// poolArn is the identity pool's ARN.
func (s *Service) poolArn(id string) string {
	return "arn:aws:cognito-identity:" + regionOf(id) + ":" + s.d.AccountID + ":identitypool/" + id
}

// atomically runs step as one transaction on the global shard (which holds identity pools,
// identities and their login index together), retried on conflict (internal/txn): step gets a
// Service whose store is the transaction, so everything it reads is a condition of what it
// writes. Exhausted retries are ConcurrentModificationException.
func (s *Service) atomically(ctx context.Context, step func(ts *Service) error) error {
	err := txn.Run(ctx, s.d.Store, store.Shard(poolKey("-")), func(tx *txn.Tx) error {
		ts := *s
		ts.d.Store = tx
		return step(&ts)
	})
	if errors.Is(err, store.ErrContended) {
		return awsjson.New(awsjson.ErrConcurrentModification, "The identity was modified concurrently; please try again.")
	}
	return err
}

// putNoTTL writes durable records.
var putNoTTL = store.PutOptions{}
