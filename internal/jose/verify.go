package jose

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

// KeySource finds the key a token names: a static *Keys, a *RemoteKeys, or a caller's own
// store of keys. Errors matching ErrInvalid refuse the token; others are failures to look.
type KeySource interface {
	Key(ctx context.Context, kid string) (*Key, error)
}

// Key makes a static set a KeySource.
func (s *Keys) Key(_ context.Context, kid string) (*Key, error) { return s.Lookup(kid) }

// CheckAlg checks the token's alg against an allow-list. Only RS256 and ES256 can ever pass,
// whatever the list says: "none" and the HMAC algorithms have no verification code here.
func CheckAlg(t *JWS, allowed []string) error {
	if (t.Alg == RS256 || t.Alg == ES256) && slices.Contains(allowed, t.Alg) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrAlgNotAllowed, quote(t.Alg))
}

// CheckSignature verifies the token's signature with k through the host's crypto provider.
// The key must fit the header's alg (ErrAlgNotAllowed); a signature that does not verify is
// ErrBadSignature. Any other error is a failure of the provider or the key, not a verdict.
func CheckSignature(c hostcrypto.Provider, k *Key, t *JWS) error {
	if !k.Fits(t.Alg) {
		return fmt.Errorf("%w: %s does not fit %s key %s", ErrAlgNotAllowed, quote(t.Alg), k.Kty, quote(k.Kid))
	}
	var err error
	switch t.Alg {
	case RS256:
		digest := sha256.Sum256([]byte(t.SigningInput))
		err = c.VerifyRSA(k.DER, digest[:], t.Signature)
	case ES256:
		// The signing input, not its digest: WebCrypto's ECDSA hashes the message itself.
		err = hostcrypto.VerifyES256(c, k.DER, []byte(t.SigningInput), t.Signature)
	}
	switch {
	case errors.Is(err, hostcrypto.ErrVerify):
		return fmt.Errorf("%w: key %s", ErrBadSignature, quote(k.Kid))
	case err != nil:
		return fmt.Errorf("jose: verifying with key %s: %w", quote(k.Kid), err)
	}
	return nil
}

// Verifier checks tokens signed by the keys of one KeySource: algorithm allow-list, key,
// signature (through the host's crypto), then exp, nbf and iat with Skew.
type Verifier struct {
	Crypto hostcrypto.Provider
	Keys   KeySource
	Algs   []string         // the allow-list: RS256 and/or ES256
	Skew   time.Duration    // leeway on exp, nbf and iat
	Now    func() time.Time // nil: time.Now
}

// Verify parses raw and verifies it (see VerifyParsed).
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, *Key, error) {
	t, err := Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	return v.VerifyParsed(ctx, t)
}

// VerifyParsed verifies a parsed token and returns its claims, now trusted, and the key that
// verified it. Errors matching ErrInvalid refuse the token; others (ErrKeysUnavailable, a
// provider failure) mean it could not be judged.
func (v *Verifier) VerifyParsed(ctx context.Context, t *JWS) (*Claims, *Key, error) {
	return v.VerifySeen(ctx, t, nil)
}

// VerifySeen is VerifyParsed of a token whose signature seen verified before (SeenTokens;
// nil: none): when the key source still gives seen for the token's kid, the signature is not
// checked again; every other check is made. The caller vouches that seen verified exactly
// this token (SeenTokens keys its entries by the token's text).
func (v *Verifier) VerifySeen(ctx context.Context, t *JWS, seen *Key) (*Claims, *Key, error) {
	if err := CheckAlg(t, v.Algs); err != nil {
		return nil, nil, err
	}
	k, err := v.Keys.Key(ctx, t.Kid)
	if err != nil {
		return nil, nil, err
	}
	if seen == nil || k != seen {
		if err := CheckSignature(v.Crypto, k, t); err != nil {
			return nil, nil, err
		}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if err := t.claims.CheckTimes(now(), v.Skew); err != nil {
		return nil, nil, err
	}
	return t.claims, k, nil
}
