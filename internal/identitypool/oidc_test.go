package identitypool_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/poolgate/poolgate/internal/jose/josetest"
)

// oidcIssuer is a local OpenID Connect provider made by the test: a discovery document and a
// JWKS with one RSA and one P-256 key, and a fetch counter.
type oidcIssuer struct {
	srv *httptest.Server
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey

	mu      sync.Mutex
	fetches int
	extra   []map[string]string // further JWKs served (rotation)
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := &oidcIssuer{rsa: rk, ec: ek}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": o.srv.URL, "jwks_uri": o.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.fetches++
		keys := []map[string]string{
			{"kty": "RSA", "kid": "rsa1", "use": "sig", "alg": "RS256", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
			{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": b64(pad32(ek.X)), "y": b64(pad32(ek.Y))},
			{"kty": "oct", "kid": "hmac", "k": b64([]byte("secret"))},
		}
		keys = append(keys, o.extra...)
		o.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

func (o *oidcIssuer) fetchCount() int { o.mu.Lock(); defer o.mu.Unlock(); return o.fetches }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func pad32(n *big.Int) []byte {
	b := make([]byte, 32)
	return n.FillBytes(b)
}

// token signs claims with alg ("RS256", "ES256") under kid.
func (o *oidcIssuer) token(t *testing.T, alg, kid string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(rand.Reader, o.rsa, crypto.SHA256, sum[:])
	case "ES256":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, o.ec, sum[:])
		if err == nil {
			sig = append(pad32(r), pad32(s)...)
		}
	default:
		sig = []byte("x")
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

const oidcPool = "us-east-1:55555555-5555-4555-8555-555555555555"

func oidcConfig(issuer, down string) string {
	name := strings.TrimPrefix(issuer, "http://")
	downName := strings.TrimPrefix(down, "http://")
	return fmt.Sprintf(`{
  "Roles": [
    {"Arn": "arn:aws:iam::123456789012:role/Auth", "Policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}},
    {"Arn": "arn:aws:iam::123456789012:role/Editor", "Policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}}
  ],
  "OpenIDConnectProviders": [
    {"Url": %q, "ClientIDList": ["app-1", "app-2"]},
    {"Url": %q, "ClientIDList": ["app-1"]}
  ],
  "IdentityPools": [
    {"IdentityPoolId": %q, "IdentityPoolName": "oidc", "AllowUnauthenticatedIdentities": false,
     "OpenIdConnectProviderARNs": ["arn:aws:iam::123456789012:oidc-provider/%s", "arn:aws:iam::123456789012:oidc-provider/%s"],
     "Roles": {"authenticated": "arn:aws:iam::123456789012:role/Auth"},
     "RoleMappings": {%q: {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
        "RulesConfiguration": {"Rules": [{"Claim": "dept", "MatchType": "Equals", "Value": "eng", "RoleARN": "arn:aws:iam::123456789012:role/Editor"}]}}}}
  ]
}`, issuer, down, oidcPool, name, downName, name)
}

func TestOIDCLogins(t *testing.T) {
	iss := newOIDCIssuer(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	e := newEnv(t, envOptions{config: oidcConfig(iss.srv.URL, downURL), transport: http.DefaultTransport})
	key := strings.TrimPrefix(iss.srv.URL, "http://")
	now := e.clock.Now()
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": iss.srv.URL, "aud": "app-1", "sub": "user-123", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "dept": "eng"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	good := iss.token(t, "RS256", "rsa1", claims(nil))
	id := e.mustID(oidcPool, map[string]string{key: good})
	if again := e.mustID(oidcPool, map[string]string{key: iss.token(t, "ES256", "ec1", claims(func(c map[string]any) { c["aud"] = []any{"other", "app-2"} }))}); again != id {
		t.Fatalf("the same subject through ES256 and a list aud: %s, want %s", again, id)
	}
	p, _ := e.mustCreds(id, map[string]string{key: good}, "")
	if p.RoleArn != editorRole || p.Logins[0] != key {
		t.Fatalf("OIDC principal %+v", p)
	}
	other := iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { c["dept"] = "ops"; c["sub"] = "user-456" }))
	if p, _ := e.mustCreds(e.mustID(oidcPool, map[string]string{key: other}), map[string]string{key: other}, ""); p.RoleArn != authRole {
		t.Fatalf("no matching rule: %s", p.RoleArn)
	}
	if n := iss.fetchCount(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached)", n)
	}

	imposter, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := &oidcIssuer{rsa: imposter, ec: iss.ec}
	bad := []struct {
		name, token, code, msg string
	}{
		{"wrong audience", iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { c["aud"] = "app-9" })), "NotAuthorizedException", "Incorrect token audience"},
		{"wrong issuer", iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { c["iss"] = "https://evil.example" })), "NotAuthorizedException", "Issuer doesn't match providerName"},
		{"expired", iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })), "NotAuthorizedException", "Token expired"},
		{"not yet valid", iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), "NotAuthorizedException", "not valid yet"},
		{"no exp", iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { delete(c, "exp") })), "NotAuthorizedException", "Couldn't verify"},
		{"no sub", iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { delete(c, "sub") })), "NotAuthorizedException", "Couldn't verify"},
		{"forged signature", forged.token(t, "RS256", "rsa1", claims(nil)), "NotAuthorizedException", "Couldn't verify"},
		{"alg swapped to ES256 on the RSA kid", iss.token(t, "ES256", "rsa1", claims(nil)), "NotAuthorizedException", "Couldn't verify"},
		{"HMAC kid", iss.token(t, "HS256", "hmac", claims(nil)), "NotAuthorizedException", "Couldn't verify"},
		{"alg none", strings.Join(strings.Split(iss.token(t, "none", "rsa1", claims(nil)), ".")[:2], ".") + ".", "NotAuthorizedException", "Couldn't verify"},
		{"unknown kid", iss.token(t, "RS256", "rsa2", claims(nil)), "NotAuthorizedException", "Couldn't verify"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.getID(oidcPool, map[string]string{key: tc.token})
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
	// Within a minute of the last fetch, unknown kids do not refetch the JWKS.
	if n := iss.fetchCount(); n != 1 {
		t.Fatalf("unknown kids refetched the JWKS within the gap: %d fetches", n)
	}
	// Rotation: a new key appears; after the gap it is fetched and accepted.
	rotated, _ := rsa.GenerateKey(rand.Reader, 2048)
	iss.mu.Lock()
	iss.extra = append(iss.extra, map[string]string{"kty": "RSA", "kid": "rsa2", "n": b64(rotated.N.Bytes()), "e": "AQAB"})
	iss.mu.Unlock()
	e.clock.Advance(2 * time.Minute)
	now = e.clock.Now()
	withRotated := &oidcIssuer{rsa: rotated}
	if _, err := e.getID(oidcPool, map[string]string{key: withRotated.token(t, "RS256", "rsa2", claims(nil))}); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if n := iss.fetchCount(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (one refetch for the new kid)", n)
	}
	_, err := e.getID(oidcPool, map[string]string{key: iss.token(t, "RS256", "rsa3", claims(nil))})
	wantAPIError(t, err, "NotAuthorizedException", "Couldn't verify")
	if n := iss.fetchCount(); n != 2 {
		t.Fatalf("an unknown kid right after a fetch refetched: %d fetches", n)
	}

	// A provider that cannot be reached.
	downKey := strings.TrimPrefix(downURL, "http://")
	_, err = e.getID(oidcPool, map[string]string{downKey: good})
	wantAPIError(t, err, "NotAuthorizedException", "Issuer doesn't match") // iss is checked before any fetch
	downTok := iss.token(t, "RS256", "rsa1", claims(func(c map[string]any) { c["iss"] = downURL }))
	_, err = e.idPublic.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(oidcPool), Logins: map[string]string{downKey: downTok}})
	wantAPIError(t, err, "ExternalServiceException", "could not be reached")
}

func TestOIDCWithoutFetch(t *testing.T) {
	iss := newOIDCIssuer(t)
	// A transport that refuses every request: the host cannot reach providers.
	refuse := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, fmt.Errorf("no network") })
	e := newEnv(t, envOptions{config: oidcConfig(iss.srv.URL, "http://127.0.0.1:1"), transport: refuse})
	key := strings.TrimPrefix(iss.srv.URL, "http://")
	now := e.clock.Now()
	tok := iss.token(t, "RS256", "rsa1", map[string]any{"iss": iss.srv.URL, "aud": "app-1", "sub": "u", "exp": now.Add(time.Hour).Unix()})
	_, err := e.getID(oidcPool, map[string]string{key: tok})
	wantAPIError(t, err, "ExternalServiceException", "no network")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOIDCLoginForgeries feeds the shared forged-token corpus (internal/jose/josetest) to
// identity-pool Logins from an OpenID Connect provider: every forgery is refused with
// NotAuthorizedException, and the good token of the same provider is accepted.
func TestOIDCLoginForgeries(t *testing.T) {
	iss := newOIDCIssuer(t)
	e := newEnv(t, envOptions{config: oidcConfig(iss.srv.URL, "http://127.0.0.1:1"), transport: http.DefaultTransport})
	key := strings.TrimPrefix(iss.srv.URL, "http://")
	now := e.clock.Now()
	pub, err := x509.MarshalPKIXPublicKey(&iss.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	is := &josetest.Issuer{Sign: josetest.SignRS256(iss.rsa), Kid: "rsa1", Public: pub, Now: now,
		Claims: map[string]any{"iss": iss.srv.URL, "aud": "app-1", "sub": "user-123", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}}
	e.mustID(oidcPool, map[string]string{key: is.Good()})
	for _, f := range is.Forgeries() {
		t.Run(f.Name, func(t *testing.T) {
			_, err := e.getID(oidcPool, map[string]string{key: f.Token})
			wantAPIError(t, err, "NotAuthorizedException", "")
		})
	}
}
