package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// The names Config declares. Every poolgate under test gets the same file, so the same pool,
// client, identity pool and routes exist on each (with keys of its own).
const (
	PoolID         = "us-east-1_GwBench1"
	ClientID       = "gwbenchclient0001"
	IdentityPoolID = "us-east-1:be4c0000-0000-4000-8000-00000000be4c"
	GuestRole      = "arn:aws:iam::000000000000:role/BenchGuest"
	Region         = "us-east-1"

	// GuardedPath is behind the jwt route: an access token of ClientID passes.
	GuardedPath = "/bench/items"
	// VerifyOnlyPath is behind a jwt route that checks the same tokens in full and then refuses
	// them (it accepts another client), so nothing is forwarded.
	VerifyOnlyPath = "/verify-only/items"
	// SignedPath is behind the sigv4 route (S3 defaults, prefix /s3 stripped): GET needs
	// s3:GetObject on arn:aws:s3:::files/public/bench.txt, which GuestRole allows.
	SignedPath = "/s3/files/public/bench.txt"
	// OriginSignedPath is what SignedPath reaches at the origin.
	OriginSignedPath = "/files/public/bench.txt"

	// OAuthClientID signs users in through the managed login pages (authorization code with
	// PKCE, redirect to OAuthRedirect); MachineClientID is a confidential client that gets
	// access tokens for MachineScope with client_credentials.
	OAuthClientID   = "gwbenchoauth0001"
	OAuthRedirect   = "http://localhost:3000/callback"
	MachineClientID = "gwbenchmachine01"
	MachineSecret   = "benchmachinesecret0000000000000000000000000000"
	MachineScope    = "bench/read"

	// Password is every harness user's password.
	Password = "Bench-Passw0rd!"
)

// Config is the declarative configuration of the gateway, identity and OAuth benchmarks, in
// front of origin: a user pool with a client for the JSON API, one for the managed login pages
// and a confidential one for client_credentials, and a resource server; the jwt routes of GuardedPath and VerifyOnlyPath; a
// guest role allowed s3:GetObject on files/public/*, an identity pool whose guests get it, and
// the sigv4 route of SignedPath.
func Config(origin string) []byte {
	return fmt.Appendf(nil, `{
  "UserPools": [{"Id": %[1]q, "PoolName": "gateway-bench",
    "ResourceServers": [{"Identifier": "bench", "Name": "bench", "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}]}],
    "Clients": [{"ClientId": %[2]q, "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
      {"ClientId": %[6]q, "AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
       "AllowedOAuthScopes": ["openid"], "CallbackURLs": [%[7]q], "SupportedIdentityProviders": ["COGNITO"]},
      {"ClientId": %[8]q, "ClientSecret": %[9]q, "AllowedOAuthFlowsUserPoolClient": true,
       "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": [%[10]q]}]}],
  "Roles": [{"Arn": %[4]q, "Policy": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/public/*"}]}}],
  "IdentityPools": [{"IdentityPoolId": %[5]q, "IdentityPoolName": "bench", "AllowUnauthenticatedIdentities": true,
    "Roles": {"unauthenticated": %[4]q}}],
  "Routes": [
    {"Name": "bench", "PathPrefix": "/bench", "Origin": %[3]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "ClientIds": [%[2]q]}},
    {"Name": "verify-only", "PathPrefix": "/verify-only", "Origin": %[3]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "ClientIds": ["another-client"]}},
    {"Name": "files", "Type": "sigv4", "PathPrefix": "/s3", "StripPrefix": true, "Origin": %[3]q}]
}`, PoolID, ClientID, origin, GuestRole, IdentityPoolID, OAuthClientID, OAuthRedirect, MachineClientID, MachineSecret, MachineScope)
}

// Origin is the server every guarded route forwards to: "ok" for any request.
type Origin struct {
	ln  net.Listener
	srv *http.Server

	mu        sync.Mutex
	forwarded string // IdentityHeaders of the last request
}

// IdentityHeaders names the identity and X-Forwarded-* headers the last request carried
// (lower case, sorted, comma-separated): what a gateway told the origin about the caller.
func (o *Origin) IdentityHeaders() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.forwarded
}

// SameIdentity checks that target's last request told the origin what the targets checked
// before it did: *seen holds their IdentityHeaders ("" before the first, which sets it).
func (o *Origin) SameIdentity(seen *string, target string) error {
	got := o.IdentityHeaders()
	if *seen == "" {
		*seen = got
	} else if got != *seen {
		return fmt.Errorf("harness: %s sent the origin %s, another target %s", target, got, *seen)
	}
	return nil
}

// StartOrigin serves the origin on a free loopback port.
func StartOrigin() (*Origin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("harness: origin: %w", err)
	}
	o := &Origin{ln: ln}
	o.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for name := range r.Header {
			if n := strings.ToLower(name); strings.HasPrefix(n, "x-poolgate-") || strings.HasPrefix(n, "x-forwarded-") {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		o.mu.Lock()
		o.forwarded = strings.Join(names, ",")
		o.mu.Unlock()
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	})}
	go o.srv.Serve(ln)
	return o, nil
}

// URL is the origin's base URL.
func (o *Origin) URL() string { return "http://" + o.ln.Addr().String() }

// Close stops the origin.
func (o *Origin) Close() error { return o.srv.Close() }

// MakeUser creates a user of PoolID through the admin API of the poolgate at base (which must
// have Config applied), signs it in and returns its access token and the pool's JWKS.
func MakeUser(ctx context.Context, base, adminID, adminSecret string) (token, jwks string, err error) {
	user, err := CreateUser(ctx, base, adminID, adminSecret)
	if err != nil {
		return "", "", err
	}
	pub := cip.New(cip.Options{Region: Region, BaseEndpoint: aws.String(base + apiPath), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	out, err := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(ClientID),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": Password}})
	if err != nil {
		return "", "", fmt.Errorf("harness: %w", err)
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
		return "", "", errors.New("harness: InitiateAuth returned no tokens")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/"+PoolID+"/.well-known/jwks.json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("harness: JWKS: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("harness: JWKS: %d %v", resp.StatusCode, err)
	}
	return *out.AuthenticationResult.AccessToken, string(bytes.TrimSpace(b)), nil
}

// apiPath is where the harness sends JSON API calls: the API dispatches on X-Amz-Target
// whatever the path, and a path of its own keeps the calls clear of the Worker's static
// assets, which answer "/".
const apiPath = "/cognito-idp"

// CreateUser creates a confirmed user of PoolID with a permanent password (Password) through
// the admin API of the poolgate at base and returns its name.
func CreateUser(ctx context.Context, base, adminID, adminSecret string) (string, error) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: adminID, SecretAccessKey: adminSecret}, nil
	})
	admin := cip.New(cip.Options{Region: Region, BaseEndpoint: aws.String(base + apiPath), Credentials: creds, RetryMaxAttempts: 1})
	user := "bench-" + RandText(8)
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(PoolID), Username: aws.String(user),
		MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(PoolID), Username: aws.String(user),
		Password: aws.String(Password), Permanent: true}); err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	return user, nil
}

// TokenIssuer reads the iss claim of a JWT without verifying it (the comparison Worker is told
// which issuer to accept; the token comes from a poolgate this program started).
func TokenIssuer(token string) (string, error) {
	t, err := jose.Parse(token)
	if err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	iss := t.UnverifiedClaims().Issuer
	if iss == "" {
		return "", errors.New("harness: JWT payload has no iss")
	}
	return iss, nil
}

// Get sends a GET with the bearer token (none when token is "") and returns the status and up
// to 4 KiB of the body; status 0 and the error text when the request failed.
func Get(ctx context.Context, hc *http.Client, url, token string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(hc, req)
}

func send(hc *http.Client, req *http.Request) (int, string) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, string(b)
}

// CheckGuard makes sure a guarded URL refuses token with a broken signature (401) and passes
// token itself (200) before it is timed.
func CheckGuard(ctx context.Context, hc *http.Client, url, token string) error {
	if s, body := Get(ctx, hc, url, token[:len(token)-4]+"AAAA"); s != http.StatusUnauthorized {
		return fmt.Errorf("harness: %s: a token with a bad signature got %d, want 401: %s", url, s, body)
	}
	if s, body := Get(ctx, hc, url, token); s != http.StatusOK {
		return fmt.Errorf("harness: %s: the good token got %d: %s", url, s, body)
	}
	return nil
}

// The comparison Workers of the gateway benchmark (bench/gateway/worker.mjs).
const (
	Passthrough = "passthrough" // forwards every request unchecked: the cost of a Worker hop alone
	// JWTVerify: aws-jwt-verify checks the bearer token first, as a poolgate jwt route does,
	// and the request goes on with the same identity headers a jwt route sends.
	JWTVerify = "jwt-verify"
	// JWTVerifySub: the same checks, and only the caller's sub goes on (X-Verified-Sub).
	JWTVerifySub = "jwt-verify-sub"
)

// StartComparisonWorker starts bench/gateway/worker.mjs under wrangler dev in front of origin,
// in mode Passthrough, JWTVerify or JWTVerifySub; the latter two accept access tokens of ClientID from issuer,
// whose keys are jwks. o carries Root, PersistDir, the keys edgelocal.Start requires and Logf;
// Config and Vars are set here.
func StartComparisonWorker(ctx context.Context, mode string, o edgelocal.Options, origin, issuer, jwks string) (*edgelocal.Worker, error) {
	benchMode := map[string]string{Passthrough: "passthrough", JWTVerify: "verify", JWTVerifySub: "verify-sub"}[mode]
	if benchMode == "" {
		return nil, fmt.Errorf("harness: unknown comparison Worker %q", mode)
	}
	o.Config = filepath.Join(o.Root, "bench", "gateway", "wrangler.toml")
	o.Vars = map[string]string{"BENCH_MODE": benchMode, "BENCH_ORIGIN": origin, "BENCH_ISSUER": issuer, "BENCH_JWKS": jwks,
		"BENCH_CLIENT_ID": ClientID}
	return edgelocal.Start(ctx, o)
}

// EmptySHA256 is the hex SHA-256 of an empty payload.
const EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// SignedGet sends GET url signed with SigV4 the way the SDK's S3 client signs (service s3,
// path not re-encoded, X-Amz-Content-Sha256 set, the session token included) at the current
// time, and returns the status and the start of the body.
func SignedGet(ctx context.Context, hc *http.Client, url string, c aws.Credentials) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("X-Amz-Content-Sha256", EmptySHA256)
	if err := signer.SignHTTP(ctx, c, req, EmptySHA256, "s3", Region, time.Now()); err != nil {
		return 0, err.Error()
	}
	return send(hc, req)
}

var signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

// RandText returns n random base32 characters (n <= 52).
func RandText(n int) string { return (rand.Text() + rand.Text())[:n] }
