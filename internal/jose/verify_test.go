package jose_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/jose/josetest"
)

var (
	fixOnce sync.Once
	fixRSA  *rsa.PrivateKey
	fixEC   *ecdsa.PrivateKey
)

// fixture is a verifier trusting one RSA key (kid "r1") and one P-256 key (kid "e1"), and
// the issuer description of the tokens it accepts.
func fixture(t testing.TB) (*jose.Verifier, *josetest.Issuer, jose.Expect) {
	t.Helper()
	fixOnce.Do(func() {
		var err error
		if fixRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if fixEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	rsaDER, _ := x509.MarshalPKIXPublicKey(&fixRSA.PublicKey)
	ecDER, _ := x509.MarshalPKIXPublicKey(&fixEC.PublicKey)
	now := time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	v := &jose.Verifier{
		Crypto: hostcrypto.Pure{},
		Keys:   jose.NewKeys(&jose.Key{Kid: "r1", Kty: "RSA", DER: rsaDER}, &jose.Key{Kid: "e1", Kty: "EC", DER: ecDER}),
		Algs:   []string{jose.RS256, jose.ES256},
		Skew:   30 * time.Second,
		Now:    func() time.Time { return now },
	}
	is := &josetest.Issuer{
		Sign: josetest.SignRS256(fixRSA), Kid: "r1", Public: rsaDER, Now: now, Skew: v.Skew,
		Claims: map[string]any{"iss": "https://issuer.test", "sub": "u-1", "aud": "client-1", "token_use": "id",
			"exp": now.Unix() + 600, "iat": now.Unix() - 10, "email": "a@b.test"},
	}
	return v, is, jose.Expect{Issuers: []string{"https://issuer.test"}, Audiences: []string{"client-1"}, TokenUse: "id"}
}

// verify is the whole check a caller of jose makes: Verify, then Check.
func verify(v *jose.Verifier, e jose.Expect, raw string) (*jose.Claims, error) {
	c, _, err := v.Verify(context.Background(), raw)
	if err != nil {
		return nil, err
	}
	if err := c.Check(e); err != nil {
		return nil, err
	}
	return c, nil
}

// TestForgeries feeds the shared corpus to jose itself; the same corpus runs against
// GetUser (internal/userpool), the gateway's jwt routes and identity-pool Logins.
func TestForgeries(t *testing.T) {
	v, is, e := fixture(t)
	c, err := verify(v, e, is.Good())
	if err != nil || c.Subject != "u-1" || c.String("email") != "a@b.test" {
		t.Fatalf("the good token: %v %v", c, err)
	}
	forgeries := is.Forgeries()
	if len(forgeries) < 40 {
		t.Fatalf("corpus of %d forgeries", len(forgeries))
	}
	for _, f := range forgeries {
		t.Run(f.Name, func(t *testing.T) {
			if c, err := verify(v, e, f.Token); !errors.Is(err, jose.ErrInvalid) {
				t.Fatalf("accepted or not judged: %v %v", c, err)
			}
		})
	}
}

// TestReasons pins which sentinel each class of failure gets.
func TestReasons(t *testing.T) {
	v, is, e := fixture(t)
	byName := map[string]string{}
	for _, f := range is.Forgeries() {
		byName[f.Name] = f.Token
	}
	for name, want := range map[string]error{
		"alg none, empty signature":                  jose.ErrAlgNotAllowed,
		"HS256 with the public key (DER) as secret":  jose.ErrAlgNotAllowed,
		"RS512 header":                               jose.ErrAlgNotAllowed,
		"ES256 by another key under the trusted kid": jose.ErrAlgNotAllowed, // r1 is an RSA key
		"kid path injection":                         jose.ErrUnknownKey,
		"no kid (the key set has several keys)":      jose.ErrUnknownKey,
		"another key under the trusted kid":          jose.ErrBadSignature,
		"embedded jwk of the signing key":            jose.ErrBadSignature,
		"payload swapped":                            jose.ErrBadSignature,
		"duplicate exp":                              jose.ErrMalformed,
		"non-canonical signature encoding":           jose.ErrMalformed,
		"a fourth segment":                           jose.ErrMalformed,
		"crit":                                       jose.ErrMalformed,
		"too long":                                   jose.ErrMalformed,
		"expired":                                    jose.ErrExpired,
		"no exp":                                     jose.ErrMalformed,
		"not yet valid":                              jose.ErrNotYetValid,
		"issued in the future":                       jose.ErrNotYetValid,
		"wrong issuer":                               jose.ErrWrongIssuer,
		"wrong audience":                             jose.ErrWrongAudience,
		"wrong token_use":                            jose.ErrWrongTokenUse,
	} {
		tok, ok := byName[name]
		if !ok {
			t.Fatalf("no forgery %q in the corpus", name)
		}
		if _, err := verify(v, e, tok); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}

// TestAllowList: the allow-list can only narrow RS256 and ES256; "none" and HMAC never pass,
// even when a caller lists them.
func TestAllowList(t *testing.T) {
	v, is, _ := fixture(t)
	good, err := jose.Parse(is.Good())
	if err != nil {
		t.Fatal(err)
	}
	for _, algs := range [][]string{nil, {jose.ES256}, {"none", "HS256", "rs256"}} {
		v.Algs = algs
		if _, _, err := v.VerifyParsed(context.Background(), good); !errors.Is(err, jose.ErrAlgNotAllowed) {
			t.Errorf("allow-list %v: %v", algs, err)
		}
	}
	none, _ := jose.Parse(strings.Join(strings.Split(is.Good(), ".")[:2], ".") + ".")
	none.Alg = "none"
	if err := jose.CheckAlg(none, []string{"none"}); !errors.Is(err, jose.ErrAlgNotAllowed) {
		t.Errorf("none: %v", err)
	}
	k := &jose.Key{Kid: "h", Kty: "oct", DER: []byte("secret")}
	for _, alg := range []string{"HS256", "none", ""} {
		if k.Fits(alg) {
			t.Errorf("an oct key fits %q", alg)
		}
	}
}

// TestProviderFailure: a provider error that is not a verdict stays out of ErrInvalid.
func TestProviderFailure(t *testing.T) {
	v, is, _ := fixture(t)
	v.Crypto = failing{}
	_, _, err := v.Verify(context.Background(), is.Good())
	if err == nil || errors.Is(err, jose.ErrInvalid) {
		t.Fatalf("%v: a failing provider is not a bad token", err)
	}
}

type failing struct{ hostcrypto.Pure }

func (failing) VerifyRSA([]byte, []byte, []byte) error { return errors.New("host crypto down") }
