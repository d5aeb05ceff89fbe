package token

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/jsonwrite"
	"github.com/poolgate/poolgate/internal/keyder"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
)

// KeyBits is the size of the RSA signing keys the keyring generates.
const KeyBits = 2048

// RotationGrace is how long a rotated-out key stays in the JWKS and keeps verifying tokens.
const RotationGrace = 24 * time.Hour

const (
	// cacheTTL is how long a keyring trusts its in-memory copy of a pool's keys before it
	// re-reads the store (so a rotation by another instance is picked up).
	cacheTTL = 5 * time.Minute
	// refetchInterval is the least time between store re-reads caused by an unknown kid,
	// so that tokens with made-up kids cannot turn every Verify into a store read.
	refetchInterval = 30 * time.Second
	recordVersion   = 1
	maxPoolIDLen    = 255
)

var uses = [...]string{UseID, UseAccess}

// Keyring holds each pool's RSA signing keys, one for ID tokens and one for access tokens.
// Keys are created on first use, stored under key/<poolID>/<use> with the private key sealed
// by the at-rest Sealer, and cached in memory. A Keyring is safe for concurrent use; in one
// process the first use of a (pool, use) generates one key however many callers race for it.
// Instances sharing a store converge on the key that is stored (see install). The keyring
// keeps a small cache entry for every pool ID it is asked about, so callers pass only IDs of
// pools that exist.
type Keyring struct {
	store  store.Store
	atRest *seal.Sealer
	crypto hostcrypto.Provider
	now    func() time.Time

	mu    sync.Mutex
	slots map[slotID]*slot
}

type slotID struct{ pool, use string }

// slot caches the keys of one (pool, use). Its mutex is held across store reads, key
// generation and writes, which makes creation and rotation single-flight per slot.
type slot struct {
	mu       sync.Mutex
	loadedAt time.Time     // zero: never loaded (or reset)
	keys     []*key        // newest first; keys[0] is the signing key; nil when none stored
	version  store.Version // of the stored record keys came from (NoVersion: none stored)
}

// key is one signing key as cached in memory.
type key struct {
	kid     string
	use     string
	created time.Time
	retired time.Time // zero for the signing key
	pubPKIX []byte
	privDER []byte // PKCS#1; only for the signing key
	jwk     *jose.Key
	jwkN    string
	jwkE    string
}

// record is the stored form of a slot's keys.
type record struct {
	Version int         `json:"v"`
	Keys    []storedKey `json:"keys"` // newest first
}

type storedKey struct {
	Kid     string `json:"kid"`
	Created int64  `json:"created"`
	Retired int64  `json:"retired,omitempty"`
	Public  []byte `json:"public"`            // PKIX DER
	Private []byte `json:"private,omitempty"` // PKCS#1 DER sealed at rest; signing key only
}

// NewKeyring returns a keyring over st. atRest seals private keys in the store; c signs and
// verifies and generates keys (hosts generate them natively: it is slow in wasm); now is the
// clock for expiry and rotation.
func NewKeyring(st store.Store, atRest *seal.Sealer, c hostcrypto.Provider, now func() time.Time) *Keyring {
	if now == nil {
		now = time.Now
	}
	return &Keyring{store: st, atRest: atRest, crypto: c, now: now, slots: map[slotID]*slot{}}
}

// Sign returns an RS256 JWT over claims, signed with the pool's current key for use ("id" or
// "access"), creating that key on first use. claims must hold a numeric exp; a token_use
// claim, if present, must equal use.
func (k *Keyring) Sign(ctx context.Context, poolID, use string, claims map[string]any) (string, error) {
	in, err := k.signingInput(ctx, poolID, use, claims)
	if err != nil {
		return "", err
	}
	sig, err := k.crypto.SignRSA(in.key, in.digest[:])
	if err != nil {
		return "", fmt.Errorf("token: signing: %w", err)
	}
	return in.token(sig), nil
}

// SignPair returns Sign(ctx, poolID, "access", access) and Sign(ctx, poolID, "id", id), the
// two signatures made at once where the provider can (hostcrypto.SignRSAPair): a sign-in's
// tokens, when the ID token does not depend on the access token.
func (k *Keyring) SignPair(ctx context.Context, poolID string, access, id map[string]any) (accessJWT, idJWT string, err error) {
	a, err := k.signingInput(ctx, poolID, UseAccess, access)
	if err != nil {
		return "", "", err
	}
	i, err := k.signingInput(ctx, poolID, UseID, id)
	if err != nil {
		return "", "", err
	}
	sigA, sigI, err := hostcrypto.SignRSAPair(k.crypto, a.key, a.digest[:], i.key, i.digest[:])
	if err != nil {
		return "", "", fmt.Errorf("token: signing: %w", err)
	}
	return a.token(sigA), i.token(sigI), nil
}

// signingInput is a token waiting for its signature: the JWS signing input, its SHA-256 and
// the private key to sign it with.
type signingInput struct {
	input  string
	digest [sha256.Size]byte
	key    []byte
}

func (in signingInput) token(sig []byte) string { return in.input + "." + jose.Encode(sig) }

// signingInput checks and encodes claims and picks the pool's current key for use.
func (k *Keyring) signingInput(ctx context.Context, poolID, use string, claims map[string]any) (signingInput, error) {
	if err := checkPoolID(poolID); err != nil {
		return signingInput{}, err
	}
	if use != UseID && use != UseAccess {
		return signingInput{}, fmt.Errorf("token: unknown key use %q", use)
	}
	if claims == nil {
		claims = map[string]any{}
	}
	// Check the claims as Verify will see them, so Sign never issues an unverifiable token.
	// The errors do not wrap jose.ErrInvalid: a caller bug, not a bad token.
	if err := checkClaims(claims, use); err != nil {
		return signingInput{}, fmt.Errorf("token: cannot sign: %w", err)
	}
	payload, err := encodeJSON(claims)
	if err != nil {
		return signingInput{}, fmt.Errorf("token: encoding claims: %w", err)
	}
	sk, err := k.signingKey(ctx, poolID, use)
	if err != nil {
		return signingInput{}, err
	}
	header := append(jsonwrite.AppendString(append(jsonwrite.AppendString([]byte(`{"alg":`), Alg, false), `,"kid":`...), sk.kid, false), '}')
	input := jose.Encode(header) + "." + jose.Encode(payload)
	return signingInput{input: input, digest: sha256.Sum256([]byte(input)), key: sk.privDER}, nil
}

// Verify checks raw against the pool's keys with internal/jose and returns its claims. It
// accepts only RS256 with a kid naming one of the pool's current or recently rotated keys;
// exp is required, and exp, nbf and iat are checked with the keyring's clock and no skew
// (the keyring's instances share the clock that issued the tokens); a token_use claim must
// match the use of the key that signed it. Token failures match jose.ErrInvalid (expiry:
// jose.ErrExpired); any other error is a failure of the store or the provider. Verify never
// creates keys.
func (k *Keyring) Verify(ctx context.Context, poolID, raw string) (*jose.Claims, error) {
	t, err := jose.Parse(raw)
	if err != nil {
		return nil, err
	}
	return k.VerifyParsed(ctx, poolID, t)
}

// VerifyParsed is Verify of a token the caller has parsed already (to read its issuer).
func (k *Keyring) VerifyParsed(ctx context.Context, poolID string, t *jose.JWS) (*jose.Claims, error) {
	claims, _, err := k.VerifySeen(ctx, poolID, t, nil)
	return claims, err
}

// VerifySeen is VerifyParsed of a token whose signature seen verified before (see
// jose.Verifier.VerifySeen; nil: none). It also returns the key that verifies the token,
// for the caller's jose.SeenTokens.
func (k *Keyring) VerifySeen(ctx context.Context, poolID string, t *jose.JWS, seen *jose.Key) (*jose.Claims, *jose.Key, error) {
	if err := checkPoolID(poolID); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", jose.ErrUnknownKey, err)
	}
	if err := jose.CheckAlg(t, algs); err != nil {
		return nil, nil, err
	}
	// Every key is RSA-KeyBits (decodeRecord checks), so every signature has this length:
	// junk is refused before it can cost a store read.
	if len(t.Signature) != KeyBits/8 {
		return nil, nil, fmt.Errorf("%w: signature is %d bytes, want %d", jose.ErrBadSignature, len(t.Signature), KeyBits/8)
	}
	src := &poolKeys{k: k, poolID: poolID}
	v := jose.Verifier{Crypto: k.crypto, Keys: src, Algs: algs, Now: k.now}
	claims, key, err := v.VerifySeen(ctx, t, seen)
	if err != nil {
		return nil, nil, err
	}
	if claims.TokenUse != "" && claims.TokenUse != src.use {
		return nil, nil, fmt.Errorf("%w: token_use %q signed with the %s key", jose.ErrWrongTokenUse, claims.TokenUse, src.use)
	}
	return claims, key, nil
}

var algs = []string{Alg}

// poolKeys is the jose.KeySource of one pool's keys; use is the use of the key found.
type poolKeys struct {
	k      *Keyring
	poolID string
	use    string
}

func (p *poolKeys) Key(ctx context.Context, kid string) (*jose.Key, error) {
	if kid == "" {
		return nil, fmt.Errorf("%w: no kid (a pool has a key per token_use)", jose.ErrUnknownKey)
	}
	vk, err := p.k.verificationKey(ctx, p.poolID, kid)
	if err != nil {
		return nil, err
	}
	p.use = vk.use
	return vk.jwk, nil
}

// JWKS returns the pool's public keys as a JSON Web Key Set: the ID-token key, the
// access-token key and any key rotated out less than RotationGrace ago. It creates the
// pool's keys if they do not exist yet, so callers must check that the pool exists.
func (k *Keyring) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	if err := checkPoolID(poolID); err != nil {
		return nil, err
	}
	type jwk struct {
		Alg string `json:"alg"`
		E   string `json:"e"`
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		N   string `json:"n"`
		Use string `json:"use"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, use := range uses {
		s := k.slot(poolID, use)
		s.mu.Lock()
		keys, err := k.currentKeys(ctx, s, slotID{poolID, use}, true)
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		for _, pk := range keys {
			set.Keys = append(set.Keys, jwk{Alg: Alg, E: pk.jwkE, Kid: pk.kid, Kty: "RSA", N: pk.jwkN, Use: "sig"})
		}
	}
	return encodeJSON(set)
}

// Rotate gives the pool new signing keys for both uses. The previous keys stop signing at
// once but stay in the JWKS and keep verifying for RotationGrace. Other instances sharing
// the store sign with the new keys after their cache expires (at most five minutes) and
// verify them as soon as they see an unknown kid.
func (k *Keyring) Rotate(ctx context.Context, poolID string) error {
	if err := checkPoolID(poolID); err != nil {
		return err
	}
	for _, use := range uses {
		id := slotID{poolID, use}
		s := k.slot(poolID, use)
		s.mu.Lock()
		err := k.load(ctx, s, id)
		if err == nil {
			err = k.install(ctx, s, id, k.live(s.keys, k.now()), false)
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// DeletePool removes the pool's keys from the store and from this keyring's cache. Other
// instances forget them when their cache expires.
func (k *Keyring) DeletePool(ctx context.Context, poolID string) error {
	if err := checkPoolID(poolID); err != nil {
		return err
	}
	for _, use := range uses {
		id := slotID{poolID, use}
		s := k.slot(poolID, use)
		s.mu.Lock()
		err := k.store.Delete(ctx, storeKey(id))
		s.keys, s.loadedAt = nil, time.Time{}
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("token: deleting keys of %s: %w", poolID, err)
		}
		k.mu.Lock()
		if k.slots[id] == s {
			delete(k.slots, id)
		}
		k.mu.Unlock()
	}
	return nil
}

func (k *Keyring) slot(poolID, use string) *slot {
	id := slotID{poolID, use}
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.slots[id]
	if s == nil {
		s = &slot{}
		k.slots[id] = s
	}
	return s
}

// Prepare creates the pool's signing keys (ID and access) that the store does not hold yet.
// Pools get them when they are created, so that the first sign-ins do not all race to create
// them (the race is safe, see install, but costs every loser a key generation).
func (k *Keyring) Prepare(ctx context.Context, poolID string) error {
	if err := checkPoolID(poolID); err != nil {
		return err
	}
	for _, use := range uses {
		if _, err := k.signingKey(ctx, poolID, use); err != nil {
			return err
		}
	}
	return nil
}

// signingKey returns the current key of (pool, use), creating it if the store has none.
func (k *Keyring) signingKey(ctx context.Context, poolID, use string) (*key, error) {
	s := k.slot(poolID, use)
	s.mu.Lock()
	defer s.mu.Unlock()
	keys, err := k.currentKeys(ctx, s, slotID{poolID, use}, true)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// verificationKey finds kid among the pool's live keys, re-reading the store once (at most
// every refetchInterval) when it is not cached.
func (k *Keyring) verificationKey(ctx context.Context, poolID, kid string) (*key, error) {
	for attempt := 0; attempt < 2; attempt++ {
		for _, use := range uses {
			id := slotID{poolID, use}
			s := k.slot(poolID, use)
			s.mu.Lock()
			var err error
			if attempt == 1 && !k.now().Before(s.loadedAt.Add(refetchInterval)) {
				err = k.load(ctx, s, id)
			}
			var keys []*key
			if err == nil {
				keys, err = k.currentKeys(ctx, s, id, false)
			}
			s.mu.Unlock()
			if err != nil {
				return nil, err
			}
			for _, pk := range keys {
				if pk.kid == kid {
					return pk, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("%w: kid %s for pool %s", jose.ErrUnknownKey, clip(kid), poolID)
}

// currentKeys returns the live keys of a slot (signing key first), reading the store when
// the cache is older than cacheTTL. With create, a slot without keys gets one. s.mu is held.
func (k *Keyring) currentKeys(ctx context.Context, s *slot, id slotID, create bool) ([]*key, error) {
	now := k.now()
	fresh := false
	if s.loadedAt.IsZero() || !now.Before(s.loadedAt.Add(cacheTTL)) {
		if err := k.load(ctx, s, id); err != nil {
			return nil, err
		}
		fresh = true
	}
	if len(s.keys) == 0 && create {
		// Another instance may have created the key since the cache was filled.
		if !fresh {
			if err := k.load(ctx, s, id); err != nil {
				return nil, err
			}
		}
		if len(s.keys) == 0 {
			if err := k.install(ctx, s, id, nil, true); err != nil {
				return nil, err
			}
		}
	}
	return k.live(s.keys, now), nil
}

// live drops keys whose rotation grace is over.
func (k *Keyring) live(keys []*key, now time.Time) []*key {
	out := make([]*key, 0, len(keys))
	for _, pk := range keys {
		if pk.retired.IsZero() || now.Before(pk.retired.Add(RotationGrace)) {
			out = append(out, pk)
		}
	}
	return out
}

// install generates a new signing key for the slot and stores it ahead of previous (the
// slot's live keys, which are retired now). The write is conditional: a slot's first key
// (first) is created only if the slot is still empty, a rotation replaces the record only if
// it is still the one loaded. An instance that loses either race adopts what the winner
// stored, so every instance signs with the key the JWKS publishes. s.mu is held.
func (k *Keyring) install(ctx context.Context, s *slot, id slotID, previous []*key, first bool) error {
	der, err := k.crypto.GenerateRSA(KeyBits)
	if err != nil {
		return fmt.Errorf("token: generating key: %w", err)
	}
	return k.installKey(ctx, s, id, der, previous, first)
}

// installKey is install with the key given as PKCS#1 DER. s.mu is held.
func (k *Keyring) installKey(ctx context.Context, s *slot, id slotID, privPKCS1 []byte, previous []*key, first bool) error {
	now := k.now()
	if first {
		if err := k.load(ctx, s, id); err != nil {
			return err
		}
		if len(s.keys) > 0 {
			return nil
		}
	}
	priv, err := keyder.ParsePKCS1RSA(privPKCS1)
	if err != nil {
		return fmt.Errorf("token: generated key: %w", err)
	}
	if priv.N.BitLen() != KeyBits {
		return fmt.Errorf("token: generated key has %d bits, want %d", priv.N.BitLen(), KeyBits)
	}
	pub := keyder.MarshalPKIXRSA(&priv.RSAPublicKey)
	kid := thumbprint(&priv.RSAPublicKey)
	sealed, err := k.atRest.Seal(sealPurpose(id, kid), privPKCS1, time.Time{})
	if err != nil {
		return fmt.Errorf("token: sealing key: %w", err)
	}
	rec := record{Version: recordVersion, Keys: []storedKey{{Kid: kid, Created: now.Unix(), Public: pub, Private: sealed}}}
	for _, old := range previous {
		retired := old.retired
		if retired.IsZero() {
			retired = now
		}
		rec.Keys = append(rec.Keys, storedKey{Kid: old.kid, Created: old.created.Unix(), Retired: retired.Unix(), Public: old.pubPKIX})
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("token: encoding key record: %w", err)
	}
	op := store.PutIf(storeKey(id), s.version, b, 0)
	if first {
		op = store.Create(storeKey(id), b, 0)
	}
	if err := k.store.Commit(ctx, []store.Op{op}); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("token: storing key of %s/%s: %w", id.pool, id.use, err)
	}
	// Written, or another instance wrote first (its key or rotation stands): use what is stored.
	if err := k.load(ctx, s, id); err != nil {
		return err
	}
	if len(s.keys) == 0 {
		return fmt.Errorf("token: key of %s/%s not readable after writing it", id.pool, id.use)
	}
	return nil
}

// load reads the slot's record from the store into s. s.mu is held.
func (k *Keyring) load(ctx context.Context, s *slot, id slotID) error {
	e, err := k.store.GetEntry(ctx, storeKey(id))
	if errors.Is(err, store.ErrNotFound) {
		s.keys, s.loadedAt, s.version = nil, k.now(), store.NoVersion
		return nil
	}
	b := e.Value
	if err != nil {
		return fmt.Errorf("token: reading keys of %s/%s: %w", id.pool, id.use, err)
	}
	keys, err := k.decodeRecord(b, id)
	if err != nil {
		return fmt.Errorf("token: keys of %s/%s: %w", id.pool, id.use, err)
	}
	s.keys, s.loadedAt, s.version = keys, k.now(), e.Version
	return nil
}

// decodeRecord parses a stored record and checks its integrity: each kid matches its public
// key, and the signing key's private half opens under the seal purpose bound to pool, use
// and kid.
func (k *Keyring) decodeRecord(b []byte, id slotID) ([]*key, error) {
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decoding record: %w", err)
	}
	if rec.Version != recordVersion {
		return nil, fmt.Errorf("record version %d, want %d", rec.Version, recordVersion)
	}
	if len(rec.Keys) == 0 {
		return nil, errors.New("record has no keys")
	}
	keys := make([]*key, 0, len(rec.Keys))
	for i, sk := range rec.Keys {
		if (i == 0) != (sk.Retired == 0) {
			return nil, fmt.Errorf("key %d (%s): only the first key may be unretired", i, sk.Kid)
		}
		pub, err := keyder.ParsePKIXRSA(sk.Public)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", sk.Kid, err)
		}
		if pub.N.BitLen() != KeyBits {
			return nil, fmt.Errorf("key %s: not an RSA-%d public key", sk.Kid, KeyBits)
		}
		if kid := thumbprint(pub); kid != sk.Kid {
			return nil, fmt.Errorf("key %s: kid does not match the public key (%s)", sk.Kid, kid)
		}
		kk := &key{
			kid:     sk.Kid,
			use:     id.use,
			created: time.Unix(sk.Created, 0),
			pubPKIX: sk.Public,
			jwkN:    jose.Encode(pub.N.Bytes()),
			jwkE:    jose.Encode(big.NewInt(int64(pub.E)).Bytes()),
			jwk:     &jose.Key{Kid: sk.Kid, Alg: Alg, Kty: "RSA", DER: sk.Public},
		}
		if sk.Retired != 0 {
			kk.retired = time.Unix(sk.Retired, 0)
		} else {
			der, err := k.atRest.Open(sealPurpose(id, sk.Kid), sk.Private, k.now())
			if err != nil {
				return nil, fmt.Errorf("key %s: opening private key (is the master key the one it was sealed with?): %w", sk.Kid, err)
			}
			kk.privDER = der
		}
		keys = append(keys, kk)
	}
	return keys, nil
}

// thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key,
// used as its kid: stable, derived from the key, and checkable by anyone holding the JWK.
func thumbprint(pub *keyder.RSAPublicKey) string {
	e := jose.Encode(big.NewInt(int64(pub.E)).Bytes())
	n := jose.Encode(pub.N.Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return jose.Encode(sum[:])
}

func storeKey(id slotID) string { return "key/" + id.pool + "/" + id.use }

// sealPurpose binds a sealed private key to its place, so it cannot be moved to another
// pool, use or kid in the store.
func sealPurpose(id slotID, kid string) string {
	return "token/signing-key/" + id.pool + "/" + id.use + "/" + kid
}

// checkPoolID keeps pool IDs usable as one segment of a store key.
func checkPoolID(poolID string) error {
	if poolID == "" || len(poolID) > maxPoolIDLen || strings.ContainsAny(poolID, "/\x00") {
		return fmt.Errorf("token: invalid pool ID %q", poolID)
	}
	return nil
}

// clip quotes s for an error message, cut to 64 bytes (a kid comes from outside).
func clip(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Sprintf("%q", s)
}
