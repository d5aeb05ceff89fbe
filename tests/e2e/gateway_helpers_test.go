package e2e

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Gateway scenarios (issue 5): JWT-guarded routes in front of a test origin, with tokens from
// a poolgate pool and from an external issuer the test runs. gatewayConfig builds the
// configuration for the origin's and the issuer's URLs, so the same scenarios run wherever
// the configuration can be applied (hostsim, the native service, the Worker).

const (
	gwPool      = "us-east-1_GwE2E1"
	gwClient    = "gwe2eclient1"
	gwOther     = "gwe2eclient2"
	gwPassword  = "Gw-Passw0rd!"
	gwExtClient = "ext-spa"
	gwAppOrigin = "https://app.example.com"
)

// gatewayConfig: /api (access tokens of gwClient, revocation checked, CORS for gwAppOrigin),
// /api/admin (group admins), /scoped (scope orders/write), /profile (ID tokens), /blob (any
// token of the pool; large bodies), /ext (the external issuer's tokens, RS256 and ES256).
func gatewayConfig(origin, issuer string) []byte {
	return fmt.Appendf(nil, `{
  "UserPools": [{"Id": %[1]q, "PoolName": "gateway-e2e",
    "Clients": [
      {"ClientId": %[2]q, "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "EnableTokenRevocation": true},
      {"ClientId": %[3]q, "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}],
    "Groups": [{"GroupName": "admins"}, {"GroupName": "team,blue"}]}],
  "Routes": [
    {"Name": "api", "PathPrefix": "/api", "Origin": %[4]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "ClientIds": [%[2]q], "CheckRevocation": true},
     "Cors": {"AllowOrigins": [%[7]q], "AllowHeaders": ["authorization", "content-type"], "MaxAgeSeconds": 600}},
    {"Name": "admin", "PathPrefix": "/api/admin", "Origin": %[4]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "Groups": ["admins"]}},
    {"Name": "scoped", "PathPrefix": "/scoped", "Origin": %[4]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "Scopes": ["orders/write"]}},
    {"Name": "profile", "PathPrefix": "/profile", "Origin": %[4]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "id", "ClientIds": [%[2]q]}},
    {"Name": "blob", "PathPrefix": "/blob", "Methods": ["PUT"], "Origin": %[4]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}]}},
    {"Name": "ext", "PathPrefix": "/ext", "StripPrefix": true, "Origin": "%[4]s/v1",
     "Jwt": {"Issuers": [{"Issuer": %[5]q, "JwksUri": "%[5]s/jwks", "Algorithms": ["RS256", "ES256"]}], "ClientIds": [%[6]q]}}
  ]
}`, gwPool, gwClient, gwOther, origin, issuer, gwExtClient, gwAppOrigin)
}

// gwOrigin is the origin behind the routes. /blob answers with the SHA-256 of the request
// body (X-Body-Sha256) and the body itself; /blob/up and /blob/down take part in the
// streaming scenario (streamUp, streamDown); everything else answers "origin <method> <path>".
type gwOrigin struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []originRequest
	// gotFirstLine receives when /blob/up has read the first line of its body;
	// releaseSecond lets /blob/down send its second line.
	gotFirstLine  chan struct{}
	releaseSecond chan struct{}
}

// streamWait bounds how long the streaming scenario's two sides wait for each other: a host
// that buffers bodies makes them wait this long, and the scenario fails.
const streamWait = 20 * time.Second

func newGwOrigin(t testing.TB) *gwOrigin {
	o := &gwOrigin{gotFirstLine: make(chan struct{}, 1), releaseSecond: make(chan struct{}, 1)}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/blob/up":
			o.streamUp(w, r)
			return
		case "/blob/down":
			o.streamDown(w, r)
			return
		}
		if r.URL.Path == "/blob" {
			h := sha256.New()
			body, _ := io.ReadAll(io.TeeReader(r.Body, h))
			o.record(r, "")
			w.Header().Set("X-Body-Sha256", hex.EncodeToString(h.Sum(nil)))
			w.Write(body)
			return
		}
		b, _ := io.ReadAll(r.Body)
		o.record(r, string(b))
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Access-Control-Allow-Origin", "*") // the route's CORS policy must replace it
		fmt.Fprintf(w, "origin %s %s", r.Method, r.URL.Path)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// streamUp reads the request body line by line, tells the test as soon as the first line is
// in, and answers with everything it read.
func (o *gwOrigin) streamUp(w http.ResponseWriter, r *http.Request) {
	br := bufio.NewReader(r.Body)
	first, err := br.ReadString('\n')
	if err != nil {
		http.Error(w, "no first line: "+err.Error(), http.StatusBadRequest)
		return
	}
	o.gotFirstLine <- struct{}{}
	rest, _ := io.ReadAll(br)
	o.record(r, first+string(rest))
	io.WriteString(w, first+string(rest))
}

// streamDown sends a first line, flushes it and sends the second only once the test has
// read the first (or after streamWait, saying so). It answers as a server-sent event stream:
// Cloudflare, and wrangler dev like it, gzip text/plain for clients that accept gzip (Go's
// client does) and the compressor holds small chunks back, with or without poolgate.
func (o *gwOrigin) streamDown(w http.ResponseWriter, r *http.Request) {
	o.record(r, "")
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, "first\n")
	w.(http.Flusher).Flush()
	select {
	case <-o.releaseSecond:
		io.WriteString(w, "second\n")
	case <-time.After(streamWait):
		io.WriteString(w, "second, sent unasked: the first line never reached the client\n")
	}
}

func (o *gwOrigin) record(r *http.Request, body string) {
	o.mu.Lock()
	o.seen = append(o.seen, originRequest{r.Method, r.URL.Path, r.Header.Clone(), body})
	o.mu.Unlock()
}

func (o *gwOrigin) count() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.seen) }

func (o *gwOrigin) last(t testing.TB) originRequest {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		t.Fatal("nothing reached the origin")
	}
	return o.seen[len(o.seen)-1]
}

// extIssuer is an external OIDC issuer made by the test: RSA and EC keys, its JWKS served over
// HTTP (switchable off to simulate an outage), fetches counted.
type extIssuer struct {
	srv     *httptest.Server
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	mu      sync.Mutex
	down    bool
	fetches int
}

func newExtIssuer(t testing.TB) *extIssuer {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x := &extIssuer{rsa: rk, ec: ek}
	x.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x.mu.Lock()
		defer x.mu.Unlock()
		x.fetches++
		if x.down || r.URL.Path != "/jwks" {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		pt, _ := ek.PublicKey.Bytes()
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{
			{"kid": "ext-rsa", "kty": "RSA", "alg": "RS256", "use": "sig", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
			{"kid": "ext-ec", "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "x": b64(pt[1:33]), "y": b64(pt[33:])},
		}})
	}))
	t.Cleanup(x.srv.Close)
	return x
}

func (x *extIssuer) url() string { return x.srv.URL }

func (x *extIssuer) setDown(down bool) { x.mu.Lock(); x.down = down; x.mu.Unlock() }

func (x *extIssuer) count() int { x.mu.Lock(); defer x.mu.Unlock(); return x.fetches }

// token signs claims with the issuer's key for alg ("RS256" or "ES256") under kid.
func (x *extIssuer) token(alg, kid string, claims map[string]any) string {
	input := b64json(map[string]any{"alg": alg, "kid": kid, "typ": "JWT"}) + "." + b64json(claims)
	d := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "RS256":
		sig, _ = rsa.SignPKCS1v15(rand.Reader, x.rsa, crypto.SHA256, d[:])
	case "ES256":
		r, s, _ := ecdsa.Sign(rand.Reader, x.ec, d[:])
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// gwFixture is one endpoint configured with gatewayConfig, its origin and issuer.
type gwFixture struct {
	ep  *Endpoint
	f   *fixture // gwPool / gwClient
	o   *gwOrigin
	idp *extIssuer
	// largeBody is the body size of the large-body scenario: what the host can carry.
	largeBody int
}

// user creates a confirmed user of gwPool in groups and returns its tokens from client.
func (g *gwFixture) user(t testing.TB, client, username string, groups ...string) *ciptypes.AuthenticationResultType {
	t.Helper()
	admin := g.ep.Admin()
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(gwPool), Username: aws.String(username),
		MessageAction: ciptypes.MessageActionTypeSuppress})).must(t)
	call(admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(gwPool), Username: aws.String(username),
		Password: aws.String(gwPassword), Permanent: true})).must(t)
	for _, grp := range groups {
		call(admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(gwPool), Username: aws.String(username),
			GroupName: aws.String(grp)})).must(t)
	}
	return g.signIn(t, client, username)
}

func (g *gwFixture) signIn(t testing.TB, client, username string) *ciptypes.AuthenticationResultType {
	t.Helper()
	out := call(g.ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		ClientId: aws.String(client), AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": gwPassword}})).must(t)
	return out.AuthenticationResult
}

// gwResponse is a route's answer as the tests look at it.
type gwResponse struct {
	status int
	header http.Header
	body   string
}

// do sends a request to a route of the endpoint with a bearer token ("" for none) and extra
// headers as name/value pairs.
func (g *gwFixture) do(t testing.TB, method, path, token string, body io.Reader, hdr ...string) gwResponse {
	t.Helper()
	req, err := http.NewRequest(method, g.ep.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return gwResponse{resp.StatusCode, resp.Header, string(b)}
}

// wantBearerRefusal checks an RFC 6750 refusal: the status and the WWW-Authenticate error
// code ("" for a challenge without one), and that nothing reached the origin.
func (g *gwFixture) wantBearerRefusal(t testing.TB, r gwResponse, status int, code string, originBefore int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	www := r.header.Get("WWW-Authenticate")
	if !strings.HasPrefix(www, `Bearer realm="poolgate"`) {
		t.Fatalf("WWW-Authenticate %q is not a Bearer challenge", www)
	}
	if code == "" && strings.Contains(www, "error=") {
		t.Fatalf("WWW-Authenticate %q has an error code; a request without a token must not", www)
	}
	if code != "" && !strings.Contains(www, `error="`+code+`"`) {
		t.Fatalf("WWW-Authenticate %q, want error=%q", www, code)
	}
	if !strings.Contains(www, "error_description=") && code != "" {
		t.Fatalf("WWW-Authenticate %q has no error_description", www)
	}
	if n := g.o.count(); n != originBefore {
		t.Fatalf("a refused request reached the origin (%d → %d)", originBefore, n)
	}
}

// hs256 signs claims with HMAC-SHA256 under key: the algorithm-confusion attack.
func hs256(key []byte, header, claims map[string]any) string {
	input := b64json(header) + "." + b64json(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
