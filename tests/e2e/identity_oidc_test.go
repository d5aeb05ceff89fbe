package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

// TestIdentityOIDCHostsim: an external OpenID Connect provider made by the test (discovery
// document and JWKS over HTTP); the guest fetches its keys through the host's http_fetch.
func TestIdentityOIDCHostsim(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	idp := httptest.NewServer(mux)
	t.Cleanup(idp.Close)
	issuer = idp.URL
	name := strings.TrimPrefix(issuer, "http://")
	const pool = "us-east-1:0e2e0005-0000-4000-8000-000000000005"
	config := fmt.Appendf(nil, `{
  "Roles": [{"Arn": %[4]q, "Policy": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}}],
  "OpenIDConnectProviders": [{"Url": %[1]q, "ClientIDList": ["e2e-app"]}],
  "IdentityPools": [{"IdentityPoolId": %[3]q, "IdentityPoolName": "oidc", "AllowUnauthenticatedIdentities": false,
    "OpenIdConnectProviderARNs": ["arn:aws:iam::000000000000:oidc-provider/%[2]s"], "Roles": {"authenticated": %[4]q}}]
}`, issuer, name, pool, idAuthRole)
	s := startSim(t, simOptions{Config: config})
	ep := s.Endpoint
	sign := func(claims map[string]any) string {
		enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
		input := enc(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"}) + "." + enc(claims)
		sum := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	now := ep.Now()
	claims := func(aud string) map[string]any {
		return map[string]any{"iss": issuer, "aud": aud, "sub": "ext-user-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	logins := map[string]string{name: sign(claims("e2e-app"))}
	id, _ := vend(t, ep, pool, logins)
	if again, _ := vend(t, ep, pool, logins); again != id {
		t.Fatalf("the same subject got identities %s and %s", id, again)
	}
	// The calls are sequential, so hostsim serves them all from one instance, whose cache holds.
	if n := fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want once (cached by the instance)", n)
	}
	pub := ep.Identity(false)
	_, err = pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(pool), Logins: map[string]string{name: sign(claims("other-app"))}})
	wantErr(t, err, "NotAuthorizedException", "Invalid login token. Incorrect token audience.")
	forged := logins[name][:strings.LastIndexByte(logins[name], '.')] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 256))
	_, err = pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(pool), Logins: map[string]string{name: forged}})
	wantErr(t, err, "NotAuthorizedException", "Invalid login token. Couldn't verify signed token.")
	idp.Close()
	// Cached keys keep working while the provider is down.
	if again, _ := vend(t, ep, pool, logins); again != id {
		t.Fatalf("with the provider down: %s, want %s", again, id)
	}
}
