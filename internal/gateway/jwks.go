package gateway

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits on what a JWKS may hold.
const (
	maxJWKSBytes = 256 << 10
	maxJWKSKeys  = 64
	minRSABits   = 2048
	maxRSABits   = 8192
	fetchTimeout = 10 * time.Second
)

// verifyKey is one usable public key from a JWKS.
type verifyKey struct {
	kid string
	alg string // the JWK's alg, "" when it names none
	kty string // "RSA" or "EC" (P-256)
	der []byte // PKIX, for hostcrypto
}

// fitsAlg reports whether the key may verify a token whose header says alg.
func (k *verifyKey) fitsAlg(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch alg {
	case RS256:
		return k.kty == "RSA"
	case ES256:
		return k.kty == "EC"
	}
	return false
}

// parseJWKS reads a JSON Web Key Set and keeps the keys the gateway can verify with: RSA
// (2048..8192 bits, odd exponent) and EC P-256 keys whose use, if given, is "sig", with a
// kid. Other keys (symmetric "oct", OKP, encryption keys, keys without kid) are skipped, so
// no token can be checked against a shared secret. skipped counts them.
func parseJWKS(b []byte) (keys map[string]*verifyKey, skipped int, err error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, 0, fmt.Errorf("gateway: JWKS: %w", err)
	}
	if set.Keys == nil {
		return nil, 0, errors.New("gateway: JWKS has no keys member")
	}
	if len(set.Keys) > maxJWKSKeys {
		return nil, 0, fmt.Errorf("gateway: JWKS has %d keys; at most %d", len(set.Keys), maxJWKSKeys)
	}
	keys = map[string]*verifyKey{}
	for _, raw := range set.Keys {
		k, err := parseJWK(raw)
		if err != nil {
			skipped++
			continue
		}
		if _, dup := keys[k.kid]; dup {
			// Two keys under one kid: neither can be chosen safely.
			delete(keys, k.kid)
			skipped += 2
			continue
		}
		keys[k.kid] = k
	}
	return keys, skipped, nil
}

func parseJWK(raw json.RawMessage) (*verifyKey, error) {
	var j struct {
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		Alg string `json:"alg"`
		Use string `json:"use"`
		N   string `json:"n"`
		E   string `json:"e"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if j.Kid == "" {
		return nil, errors.New("no kid")
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("use %q", j.Use)
	}
	k := &verifyKey{kid: j.Kid, alg: j.Alg, kty: j.Kty}
	switch j.Kty {
	case "RSA":
		if j.Alg != "" && j.Alg != RS256 {
			return nil, fmt.Errorf("RSA key for %s", j.Alg)
		}
		n, err1 := decodeB64Int(j.N)
		e, err2 := decodeB64Int(j.E)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad n or e")
		}
		if n.BitLen() < minRSABits || n.BitLen() > maxRSABits || n.Bit(0) == 0 {
			return nil, fmt.Errorf("RSA modulus of %d bits", n.BitLen())
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, errors.New("bad RSA exponent")
		}
		der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n, E: int(e.Int64())})
		if err != nil {
			return nil, err
		}
		k.der = der
	case "EC":
		if j.Crv != "P-256" || (j.Alg != "" && j.Alg != ES256) {
			return nil, fmt.Errorf("EC key on %q for %q", j.Crv, j.Alg)
		}
		x, err1 := b64.DecodeString(j.X)
		y, err2 := b64.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC coordinates")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, err // not on the curve
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, err
		}
		k.der = der
	default:
		return nil, fmt.Errorf("kty %q", j.Kty)
	}
	return k, nil
}

func decodeB64Int(s string) (*big.Int, error) {
	b, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}

// keySource fetches an issuer's current JWKS.
type keySource func(ctx context.Context) ([]byte, error)

// keySet caches one issuer's keys. Keys are trusted for ttl after a successful fetch. A kid
// the cache does not know triggers a fetch, and so does a stale cache; after a fetch that
// failed or did not yield the wanted kid, no fetch happens for the penalty time (a flood of
// tokens with random kids costs at most one fetch per penalty). When a fetch fails, keys
// already cached keep verifying: an outage of the JWKS endpoint does not stop tokens whose
// keys are known.
type keySet struct {
	name    string
	source  keySource
	ttl     time.Duration
	penalty time.Duration
	logf    func(format string, args ...any)
	changed func() // called when a fetch brings other keys than the cached ones

	fetchMu sync.Mutex // held across a fetch: one fetch at a time per set

	mu        sync.Mutex
	keys      map[string]*verifyKey
	fetchedAt time.Time // last successful fetch; zero: never
	nextFetch time.Time // no fetch before this (penalty box)
	fetches   int       // fetch attempts, for tests and benchmarks
}

// errUnknownKid: the token's kid is not among the issuer's keys.
var errUnknownKid = errors.New("gateway: unknown kid")

// key returns the key named kid, fetching the set when the cache is stale or does not know
// kid (subject to the penalty box). Errors other than errUnknownKid mean the keys could not
// be obtained at all.
func (s *keySet) key(ctx context.Context, kid string, now time.Time) (*verifyKey, error) {
	s.mu.Lock()
	k, known := s.keys[kid]
	fresh := !s.fetchedAt.IsZero() && now.Before(s.fetchedAt.Add(s.ttl))
	mayFetch := !now.Before(s.nextFetch)
	gen := s.fetchedAt
	s.mu.Unlock()
	if known && fresh {
		return k, nil
	}
	if !mayFetch {
		return s.cachedOr(kid)
	}

	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.Lock()
	if !s.fetchedAt.Equal(gen) || now.Before(s.nextFetch) {
		// Another caller fetched (or failed) while this one waited: use its result.
		s.mu.Unlock()
		return s.cachedOr(kid)
	}
	s.fetches++
	s.mu.Unlock()

	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	body, err := s.source(fctx)
	cancel()
	var keys map[string]*verifyKey
	skipped := 0
	if err == nil {
		keys, skipped, err = parseJWKS(body)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.nextFetch = now.Add(s.penalty)
		s.logf("gateway: keys of %s: %v (cached keys stay in use; next try in %v)", s.name, err, s.penalty)
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
		if s.keys == nil {
			return nil, fmt.Errorf("gateway: keys of %s: %w", s.name, err)
		}
		return nil, errUnknownKid
	}
	if skipped > 0 {
		s.logf("gateway: keys of %s: skipped %d unusable key(s)", s.name, skipped)
	}
	if s.keys != nil && !sameKeys(s.keys, keys) && s.changed != nil {
		defer s.changed()
	}
	s.keys, s.fetchedAt = keys, now
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	s.nextFetch = now.Add(s.penalty)
	return nil, errUnknownKid
}

// sameKeys reports whether a and b hold the same keys under the same ids.
func sameKeys(a, b map[string]*verifyKey) bool {
	if len(a) != len(b) {
		return false
	}
	for kid, k := range a {
		o, ok := b[kid]
		if !ok || o.alg != k.alg || o.kty != k.kty || !bytes.Equal(o.der, k.der) {
			return false
		}
	}
	return true
}

// trustedUntil is when the cached keys stop being trusted without a fetch: the zero time
// when they are stale or there are none.
func (s *keySet) trustedUntil(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.fetchedAt.Add(s.ttl)
	if s.fetchedAt.IsZero() || !now.Before(end) {
		return time.Time{}
	}
	return end
}

func (s *keySet) cachedOr(kid string) (*verifyKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	if s.keys == nil {
		return nil, fmt.Errorf("gateway: keys of %s are not available (fetching is paused after a failure)", s.name)
	}
	return nil, errUnknownKid
}

// fetchCount reports how many fetches the set has attempted.
func (s *keySet) fetchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// httpSource fetches a JWKS over HTTP through rt.
func httpSource(rt http.RoundTripper, uri string) keySource {
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
			return nil, fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", uri, err)
		}
		if len(b) > maxJWKSBytes {
			return nil, fmt.Errorf("GET %s: more than %d bytes", uri, maxJWKSBytes)
		}
		return b, nil
	}
}
