package token

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/poolgate/poolgate/internal/jose"
)

// TestJWXInterop checks the hand-written JWS code against an independent implementation:
// jwx verifies poolgate's tokens with nothing but the published JWKS, computes the same kids
// (RFC 7638 thumbprints), and poolgate verifies a token jwx signs with the pool's key.
func TestJWXInterop(t *testing.T) {
	f := newFixture(t)
	toks := map[string]string{}
	for _, use := range []string{UseID, UseAccess} {
		toks[use] = f.sign(t, f.kr, use, f.claims(use, time.Hour))
	}
	raw, err := f.kr.JWKS(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), `{"keys":[{"alg":"RS256","e":"AQAB","kid":"`) {
		t.Errorf("JWKS = %s", raw)
	}
	var generic struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	if len(generic.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(generic.Keys))
	}
	for _, k := range generic.Keys {
		if len(k) != 6 || k["use"] != "sig" || k["kty"] != "RSA" {
			t.Errorf("JWK %v: want exactly alg, e, kid, kty, n, use", k)
		}
	}

	set, err := jwk.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range set.Len() {
		k, _ := set.Key(i)
		tp, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if got := jose.Encode(tp); got != k.KeyID() {
			t.Errorf("kid %s is not the key's RFC 7638 thumbprint %s", k.KeyID(), got)
		}
	}

	clk := jwt.ClockFunc(f.clk.Now)
	for use, tok := range toks {
		parsed, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithClock(clk), jwt.WithValidate(true))
		if err != nil {
			t.Fatalf("jwx rejects the %s token: %v", use, err)
		}
		if got, _ := parsed.Get("token_use"); got != use {
			t.Errorf("jwx reads token_use %v", got)
		}
		// jwx agrees it has expired once the clock passes exp.
		late := jwt.ClockFunc(func() time.Time { return f.clk.Now().Add(2 * time.Hour) })
		if _, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithClock(late), jwt.WithValidate(true)); err == nil {
			t.Errorf("jwx accepts the %s token after exp", use)
		}
	}
	// jwx rejects a token whose signature poolgate would reject.
	p := strings.Split(toks[UseID], ".")
	if _, err := jwt.Parse([]byte(p[0]+"."+p[1]+"."+strings.Repeat("A", len(p[2]))), jwt.WithKeySet(set), jwt.WithClock(clk)); err == nil {
		t.Error("jwx accepts a zeroed signature")
	}

	// The other direction: jwx signs with the pool's access key, poolgate verifies.
	sk, err := f.kr.signingKey(ctx, pool, UseAccess)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := x509.ParsePKCS1PrivateKey(sk.privDER)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.FromRaw(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	priv.Set(jwk.KeyIDKey, sk.kid)
	tok, err := jwt.NewBuilder().
		Subject("bob").
		Expiration(f.clk.Now().Add(time.Minute)).
		Claim("token_use", UseAccess).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, priv))
	if err != nil {
		t.Fatal(err)
	}
	claims, err := f.kr.Verify(ctx, pool, string(signed))
	if err != nil {
		t.Fatalf("poolgate rejects jwx's token: %v", err)
	}
	if claims.Subject != "bob" {
		t.Errorf("claims = %v", claims)
	}
	// jwx adds typ to the header; the same key with RS512 is refused.
	signed512, err := jwt.Sign(tok, jwt.WithKey(jwa.RS512, priv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.kr.Verify(ctx, pool, string(signed512)); !errors.Is(err, jose.ErrInvalid) {
		t.Errorf("RS512 token: %v, want ErrInvalid", err)
	}
	msg, err := jws.Parse(signed512)
	if err != nil || msg.Signatures()[0].ProtectedHeaders().Algorithm() != jwa.RS512 {
		t.Fatalf("jwx did not produce an RS512 token: %v", err)
	}
}
