package federation

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/jose/josetest"
	"github.com/poolgate/poolgate/internal/userpool"
)

func TestMapAttributes(t *testing.T) {
	mapping := map[string]string{"username": "sub", "email": "mail", "name": "displayName",
		"custom:dept": "department", "family_name": "absent"}
	claims := map[string]string{"sub": "s-1", "mail": "a@example.com", "displayName": "A B",
		"department": "R&D", "unmapped": "x", "bad": "\xff"}
	got := mapAttributes(mapping, claims)
	want := map[string]string{"email": "a@example.com", "name": "A B", "custom:dept": "R&D"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("got %v, want %v", got, want)
		}
	}

	ip := &userpool.IdentityProvider{ProviderName: "Corp", ProviderType: "SAML", AttributeMapping: mapping}
	id, err := identity(ip, claims, "name-id", "https://idp.example")
	if err != nil || id.UserID != "s-1" || id.Issuer != "https://idp.example" {
		t.Fatalf("identity %+v, %v", id, err)
	}
	// The username claim absent: the provider's subject.
	delete(claims, "sub")
	if id, err := identity(ip, claims, "name-id", ""); err != nil || id.UserID != "name-id" {
		t.Fatalf("identity without the username claim %+v, %v", id, err)
	}
	if _, err := identity(ip, claims, "", ""); !errors.Is(err, ErrProvider) {
		t.Fatalf("no subject: %v", err)
	}
	if got := claimNames(mapping); len(got) != 5 || got[0] != "absent" {
		t.Fatalf("claimNames %v", got)
	}
}

func TestFlatClaims(t *testing.T) {
	var raw map[string]any
	if err := decodeJSON("t", []byte(`{"s":"x","b":true,"n":12345678901234567890,"o":{"a":1},"z":null}`), &raw); err != nil {
		t.Fatal(err)
	}
	got := flatClaims(raw)
	want := map[string]string{"s": "x", "b": "true", "n": "12345678901234567890", "o": `{"a":1}`}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestAppleClientSecret signs Apple's client secret and verifies it with internal/jose
// against the public half of the key, as Apple would.
func TestAppleClientSecret(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f := New(Config{Crypto: hostcrypto.Pure{}, Now: func() time.Time { return now }, Rand: rand.Reader})
	ip := &userpool.IdentityProvider{ProviderName: "SignInWithApple", ProviderType: "SignInWithApple",
		ProviderDetails: map[string]string{"client_id": "com.example.web", "team_id": "TEAM123456", "key_id": "KEY1234567",
			"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))}}
	secret, err := f.appleClientSecret(ip)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "kid": "KEY1234567", "use": "sig",
		"x": b64(key.PublicKey.X), "y": b64(key.PublicKey.Y)}}})
	keys, _, err := jose.ParseJWKS(jwks)
	if err != nil || keys.Len() != 1 {
		t.Fatalf("JWKS: %v", err)
	}
	v := jose.Verifier{Crypto: hostcrypto.Pure{}, Keys: keys, Algs: []string{jose.ES256}, Now: func() time.Time { return now }}
	claims, _, err := v.Verify(context.Background(), secret)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := claims.Check(jose.Expect{Issuers: []string{"TEAM123456"}, Audiences: []string{"https://appleid.apple.com"}}); err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "com.example.web" || claims.Expiry.Time().Sub(now) != appleSecretTTL {
		t.Fatalf("claims %+v", claims)
	}
	// A SEC 1 key works too; anything else is an ErrProvider.
	sec1, _ := x509.MarshalECPrivateKey(key)
	ip.ProviderDetails["private_key"] = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))
	if _, err := f.appleClientSecret(ip); err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	for name, bad := range map[string]string{"not PEM": "garbage", "RSA": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsa8})),
		"certificate": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}))} {
		ip.ProviderDetails["private_key"] = bad
		if _, err := f.appleClientSecret(ip); !errors.Is(err, ErrProvider) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func b64(n *big.Int) string {
	b := make([]byte, 32)
	n.FillBytes(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestIDTokenForgeries runs the shared forged-token corpus (internal/jose/josetest), plus a
// wrong or missing nonce and a foreign azp, through the ID-token check of the OIDC flow.
func TestIDTokenForgeries(t *testing.T) {
	trusted, _ := rsa.GenerateKey(rand.Reader, 2048)
	second, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwk := func(k *rsa.PrivateKey, kid string) map[string]any {
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": "AQAB"}
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []any{jwk(trusted, "k1"), jwk(second, "k2")}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	defer srv.Close()

	now := time.Now()
	f := New(Config{Transport: srv.Client().Transport, Crypto: hostcrypto.Pure{}, Now: func() time.Time { return now }, Rand: rand.Reader})
	pub, _ := x509.MarshalPKIXPublicKey(&trusted.PublicKey)
	is := &josetest.Issuer{Sign: josetest.SignRS256(trusted), Kid: "k1", Public: pub, Now: now,
		Claims: map[string]any{"iss": "https://op.example", "sub": "user-1", "aud": "rp", "nonce": "n-1",
			"exp": now.Unix() + 600, "iat": now.Unix()}}
	ip := &userpool.IdentityProvider{ProviderType: "OIDC", ProviderDetails: map[string]string{"client_id": "rp"}}
	e := &endpoints{jwks: srv.URL, issuers: []string{"https://op.example"}}
	ctx := context.Background()
	if _, err := f.verifyIDToken(ctx, ip, e, is.Good(), "n-1"); err != nil {
		t.Fatalf("good token refused: %v", err)
	}
	for _, fg := range is.Forgeries() {
		if _, err := f.verifyIDToken(ctx, ip, e, fg.Token, "n-1"); !errors.Is(err, ErrProvider) {
			t.Errorf("%s: %v, want ErrProvider", fg.Name, err)
		}
	}
	sign := func(mod map[string]any) string {
		c := map[string]any{}
		for k, v := range is.Claims {
			c[k] = v
		}
		for k, v := range mod {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		b, _ := json.Marshal(c)
		return josetest.SignRS256(trusted)(`{"alg":"RS256","kid":"k1"}`, string(b))
	}
	for name, tok := range map[string]string{
		"wrong nonce":        sign(map[string]any{"nonce": "n-2"}),
		"no nonce":           sign(map[string]any{"nonce": nil}),
		"no sub":             sign(map[string]any{"sub": nil}),
		"two audiences, azp": sign(map[string]any{"aud": []string{"rp", "other"}, "azp": "other"}),
		"two audiences":      sign(map[string]any{"aud": []string{"rp", "other"}}),
	} {
		if _, err := f.verifyIDToken(ctx, ip, e, tok, "n-1"); !errors.Is(err, ErrProvider) {
			t.Errorf("%s: %v, want ErrProvider", name, err)
		}
	}
	if _, err := f.verifyIDToken(ctx, ip, e, sign(map[string]any{"aud": []string{"rp", "other"}, "azp": "rp"}), "n-1"); err != nil {
		t.Errorf("two audiences with azp = client: %v", err)
	}
	// A Begin that sent no nonce accepts no ID token.
	if _, err := f.verifyIDToken(ctx, ip, e, is.Good(), ""); !errors.Is(err, ErrProvider) {
		t.Errorf("empty pending nonce: %v", err)
	}
}

func TestEndpointRule(t *testing.T) {
	for _, ok := range []string{"https://a.example/x", "http://127.0.0.1:1/", "http://localhost/", "http://[::1]:8/"} {
		if _, err := checkEndpoint("u", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://a.example/", "ftp://a.example/", "https://u:p@a.example/", "https://a.example/#f", "/relative", "javascript:alert(1)"} {
		if _, err := checkEndpoint("u", bad); !errors.Is(err, ErrProvider) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestProviderAnswersBounded: an answer over maxBody, a redirect and a non-JSON answer from
// a provider are ErrProvider errors with bounded messages; the redirect is not followed.
func TestProviderAnswersBounded(t *testing.T) {
	followed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge":
			w.Write(bytes.Repeat([]byte("a"), maxBody+10))
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/elsewhere":
			followed = true
		case "/html":
			w.WriteHeader(http.StatusBadGateway)
			w.Write(bytes.Repeat([]byte("<p>error</p>"), 1000))
		}
	}))
	defer srv.Close()
	f := New(Config{Transport: srv.Client().Transport, Crypto: hostcrypto.Pure{}})
	for _, path := range []string{"/huge", "/redirect", "/html"} {
		var v map[string]any
		err := f.getJSON(context.Background(), "test", srv.URL+path, "", &v)
		if !errors.Is(err, ErrProvider) || len(err.Error()) > 1000 {
			t.Errorf("%s: %v", path, err)
		}
	}
	if followed {
		t.Error("a provider's redirect was followed")
	}
	if err := New(Config{Crypto: hostcrypto.Pure{}}).getJSON(context.Background(), "test", srv.URL, "", nil); !errors.Is(err, ErrProvider) {
		t.Errorf("no transport: %v", err)
	}
}
