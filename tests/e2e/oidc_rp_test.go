package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// TestOpenIDClientHostsim runs tests/node/oidc_rp.mjs: openid-client, a certified relying
// party, finds hostsim's managed login through discovery alone and signs in with the code flow
// and PKCE. Tokens carry the server's real URL as issuer (openid-client compares it with the
// discovery document's) and the real clock (it checks iat and exp).
func TestOpenIDClientHostsim(t *testing.T) {
	logs := &logBuffer{}
	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0",
		Region: testRegion, AdminAccessKeyID: testAdminKeyID, AdminSecretAccessKey: testAdminSecret,
		MasterKey: testMasterKey, Sender: new(message.Recorder), Logf: logs.logf,
	})
	if err != nil {
		t.Fatalf("hostsim.Start: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("server log (last lines):\n%s", logs.tail(60))
		}
	})
	runOpenIDClient(t, &Endpoint{URL: srv.URL(), Region: testRegion, IssuerBase: srv.IssuerBase(),
		AdminKeyID: testAdminKeyID, AdminKey: testAdminSecret, Clock: realClock{}, calls: newCallLog()})
}

// TestOpenIDClientWorkerd is the same relying party against the Worker under wrangler dev.
func TestOpenIDClientWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler dev; skipped in -short mode")
	}
	root := repoRoot()
	if err := edgelocal.Build(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	w, err := edgelocal.Start(context.Background(), edgelocal.Options{
		Root: root, PersistDir: t.TempDir(), Region: testRegion,
		AdminAccessKeyID: testAdminKeyID, AdminSecretAccessKey: testAdminSecret, MasterKey: testMasterKey,
		Logf: logs.logf,
	})
	if err != nil {
		t.Fatalf("starting the Worker: %v\n%s", err, logs.tail(60))
	}
	t.Cleanup(func() {
		w.Close()
		if t.Failed() {
			t.Logf("wrangler log (last lines):\n%s", logs.tail(80))
		}
	})
	runOpenIDClient(t, &Endpoint{URL: w.URL(), Region: testRegion, IssuerBase: w.IssuerBase(),
		AdminKeyID: testAdminKeyID, AdminKey: testAdminSecret, Clock: realClock{}, calls: newCallLog()})
}

func runOpenIDClient(t *testing.T, ep *Endpoint) {
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	for _, pkg := range []string{"openid-client", "jose"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("node_modules/%s is missing: run `npm ci` at the repository root (make test does)", pkg)
		}
	}

	const redirectURI = "http://localhost:3000/callback"
	const email, password = "rp.user@example.com", "Rp-Passw0rd!"
	f := newFixture(t, ep, nil, func(in *cip.CreateUserPoolClientInput) {
		in.AllowedOAuthFlowsUserPoolClient = true
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeCode}
		in.AllowedOAuthScopes = []string{"openid", "email", "profile"}
		in.CallbackURLs = []string{redirectURI}
		in.SupportedIdentityProviders = []string{"COGNITO"}
	})
	admin := ep.Admin()
	call(admin.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(f.pool),
		Identifier: aws.String("orders"), Name: aws.String("Orders API"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read orders")}}})).must(t)
	machine := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) {
		in.GenerateSecret = true
		in.ExplicitAuthFlows = nil
		in.AllowedOAuthFlowsUserPoolClient = true
		in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials}
		in.AllowedOAuthScopes = []string{"orders/read"}
	})
	user := f.createUser(t, "rpuser", password, attr("email", email), attr("email_verified", "true"))

	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	issuer := ep.IssuerBase + "/" + f.pool
	cmd := exec.CommandContext(runCtx, node, filepath.Join("tests", "node", "oidc_rp.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "ISSUER="+issuer, "CLIENT_ID="+f.client, "REDIRECT_URI="+redirectURI,
		"USERNAME=rpuser", "PASSWORD="+password, "CC_CLIENT_ID="+aws.ToString(machine.ClientId),
		"CC_CLIENT_SECRET="+aws.ToString(machine.ClientSecret), "CC_SCOPE=orders/read")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	t.Logf("node output: %s", stdout.Bytes())
	if stderr.Len() > 0 {
		t.Logf("node stderr: %s", stderr.Bytes())
	}
	var out struct {
		Error     string         `json:"error"`
		Cause     string         `json:"cause"`
		Discovery map[string]any `json:"discovery"`
		Code      map[string]any `json:"code"`
		IDSig     string         `json:"idTokenSignature"`
		Access    map[string]any `json:"accessToken"`
		Tampered  bool           `json:"tamperedAccepted"`
		UserInfo  map[string]any `json:"userInfo"`
		Reused    string         `json:"reusedCode"`
		Silent    bool           `json:"silentSignIn"`
		Refresh   map[string]any `json:"refresh"`
		Revoked   string         `json:"refreshAfterRevoke"`
		AfterUse  string         `json:"refreshAfterReuse"`
		CC        map[string]any `json:"clientCredentials"`
		Wrong     string         `json:"wrongSecret"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		t.Fatalf("node printed no JSON result (exit: %v): %v", runErr, err)
	}
	if runErr != nil || out.Error != "" {
		t.Fatalf("openid-client failed (%v): %s (cause: %s)", runErr, out.Error, out.Cause)
	}

	sub := aws.ToString(user.Username)
	for _, a := range user.Attributes {
		if aws.ToString(a.Name) == "sub" {
			sub = aws.ToString(a.Value)
		}
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "revocation_endpoint"} {
		if v, _ := out.Discovery[k].(string); !strings.HasPrefix(v, ep.URL+"/") {
			t.Errorf("discovery %s = %v, want an endpoint on %s", k, out.Discovery[k], ep.URL)
		}
	}
	if m, _ := out.Discovery["code_challenge_methods_supported"].([]any); len(m) != 1 || m[0] != "S256" {
		t.Errorf("code_challenge_methods_supported = %v, want [S256]", out.Discovery["code_challenge_methods_supported"])
	}
	if out.Code["sub"] != sub || out.Code["email"] != email || out.Code["iss"] != issuer || out.Code["aud"] != f.client || out.Code["hasRefresh"] != true {
		t.Errorf("code flow ID token: %v (want sub %s)", out.Code, sub)
	}
	if out.IDSig != "RS256" || out.Tampered {
		t.Errorf("ID token signature: alg %q, tampered token accepted %v", out.IDSig, out.Tampered)
	}
	scopes := strings.Fields(asString(out.Access["scope"]))
	if len(scopes) != 3 || !containsAll(scopes, "openid", "email", "profile") || out.Access["client_id"] != f.client || out.Access["username"] != "rpuser" {
		t.Errorf("access token: %v", out.Access)
	}
	if out.UserInfo["sub"] != sub || out.UserInfo["email"] != email || out.UserInfo["username"] != "rpuser" {
		t.Errorf("userInfo: %v", out.UserInfo)
	}
	if out.Reused != "invalid_grant" {
		t.Errorf("reused code: %q, want invalid_grant", out.Reused)
	}
	if !out.Silent {
		t.Errorf("a second authorization with the session cookie did not come back with a code")
	}
	if out.Refresh["idToken"] != true || out.Refresh["accessToken"] != true || out.Refresh["sub"] != sub {
		t.Errorf("refresh: %v", out.Refresh)
	}
	if out.Revoked != "invalid_grant" {
		t.Errorf("refresh after revocation: %q, want invalid_grant", out.Revoked)
	}
	if out.AfterUse != "invalid_grant" {
		t.Errorf("refresh after the code was used twice: %q, want invalid_grant", out.AfterUse)
	}
	if out.CC["scope"] != "orders/read" || out.CC["sub"] != aws.ToString(machine.ClientId) || out.CC["client_id"] != aws.ToString(machine.ClientId) ||
		out.CC["token_use"] != "access" || out.CC["idToken"] != false || out.CC["refreshToken"] != false {
		t.Errorf("client_credentials: %v", out.CC)
	}
	if out.Wrong != "invalid_client" {
		t.Errorf("client_credentials with a wrong secret: %q, want invalid_client", out.Wrong)
	}
}

func asString(v any) string { s, _ := v.(string); return s }

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
