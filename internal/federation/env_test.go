package federation

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/token"
	"github.com/poolgate/poolgate/internal/userpool"
)

// The federation tests run against real implementations of the other side: the Node
// package oidc-provider (tests/node/oidc_op.mjs) as the OpenID Provider and crewjam/saml's
// IdentityProvider as the SAML IdP, and sign the identity in through a real userpool.Service.

// callbackURL is where providers send the browser back; the test client stops there.
const callbackURL = "https://login.example.test/oauth2/idpresponse"

// env is a Federation and a user pool to sign its identities into.
type env struct {
	t     *testing.T
	fed   *Federation
	store *memstore.Store
	users *userpool.Service
	pool  *userpool.Pool
	cl    *userpool.Client
	now   func() time.Time
}

// newEnv builds the Federation (on the real clock unless now is given: the OP stamps its
// tokens with it) and a user pool with one app client.
func newEnv(t *testing.T, now func() time.Time) *env {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	st := memstore.New(now)
	master := make([]byte, 32)
	rand.Read(master)
	transient, err := seal.New(seal.DeriveKey(master, "transient"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	atRest, err := seal.New(seal.DeriveKey(master, "at-rest"), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	crypto := hostcrypto.Pure{}
	users := userpool.New(userpool.Deps{Store: st, Keys: token.NewKeyring(st, atRest, crypto, now), Crypto: crypto,
		Seal: transient, AtRest: atRest, Sender: &message.Recorder{}, Now: now, Rand: rand.Reader,
		Region: "us-east-1", AccountID: "123456789012", IssuerBase: "https://cognito-idp.us-east-1.amazonaws.com"})
	e := &env{t: t, store: st, users: users, now: now,
		fed: New(Config{Transport: http.DefaultTransport.(*http.Transport).Clone(), Store: st, SAML: testSAML, Crypto: crypto, Now: now, Rand: rand.Reader})}
	var pool struct{ UserPool *userpool.Pool }
	e.action("CreateUserPool", map[string]any{"PoolName": "fed",
		"Schema": []map[string]any{{"Name": "dept", "AttributeDataType": "String", "Mutable": true}}}, &pool)
	e.pool = pool.UserPool
	var client struct{ UserPoolClient *userpool.Client }
	e.action("CreateUserPoolClient", map[string]any{"UserPoolId": e.pool.Id, "ClientName": "app"}, &client)
	e.cl = client.UserPoolClient
	return e
}

// action runs a user-pool action's handler (the dispatcher's SigV4 check is not the subject
// here) and decodes its output into out.
func (e *env) action(name string, in any, out any) error {
	e.t.Helper()
	body, _ := json.Marshal(in)
	for _, a := range e.users.Actions() {
		if a.Name != name {
			continue
		}
		res, err := a.Handle(context.Background(), body)
		if err != nil {
			return err
		}
		if out != nil {
			b, _ := json.Marshal(res)
			if err := json.Unmarshal(b, out); err != nil {
				e.t.Fatalf("%s output: %v", name, err)
			}
		}
		return nil
	}
	e.t.Fatalf("no action %s", name)
	return nil
}

// signIn signs id into the pool and checks the user AdminGetUser then shows.
func (e *env) signIn(id *userpool.ExternalIdentity) map[string]string {
	e.t.Helper()
	u, err := e.users.FederatedSignIn(context.Background(), e.pool, e.cl, id)
	if err != nil {
		e.t.Fatalf("FederatedSignIn: %v", err)
	}
	var got struct {
		Username       string
		UserStatus     string
		UserAttributes []struct{ Name, Value string }
	}
	if err := e.action("AdminGetUser", map[string]any{"UserPoolId": e.pool.Id, "Username": u.Username}, &got); err != nil {
		e.t.Fatalf("AdminGetUser %s: %v", u.Username, err)
	}
	if got.Username != id.ProviderName+"_"+id.UserID || got.UserStatus != userpool.StatusExternalProvider {
		e.t.Fatalf("user %s status %s", got.Username, got.UserStatus)
	}
	attrs := map[string]string{}
	for _, a := range got.UserAttributes {
		attrs[a.Name] = a.Value
	}
	return attrs
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// testOP is a running oidc-provider.
type testOP struct {
	issuer string
}

// startOP starts tests/node/oidc_op.mjs with clients registered and account signed in.
func startOP(t *testing.T, clients []map[string]any, account map[string]any, noPKCE ...string) *testOP {
	t.Helper()
	root := repoRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("node_modules/oidc-provider is missing: run `npm ci` at the repository root (make test does)")
	}
	cj, _ := json.Marshal(clients)
	aj, _ := json.Marshal(account)
	cmd := exec.Command(node, filepath.Join("tests", "node", "oidc_op.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "OP_CLIENTS="+string(cj), "OP_ACCOUNT="+string(aj), "OP_NO_PKCE="+strings.Join(noPKCE, ","))
	cmd.Stderr = testWriter{t}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("oidc_op.mjs did not start: %v", err)
	}
	var hello struct{ Issuer string }
	if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Issuer == "" {
		t.Fatalf("oidc_op.mjs said %q", line)
	}
	return &testOP{issuer: hello.Issuer}
}

// setAccount makes the OP sign in as account from now on.
func (op *testOP) setAccount(t *testing.T, account map[string]any) {
	t.Helper()
	b, _ := json.Marshal(account)
	req, _ := http.NewRequest(http.MethodPut, op.issuer+"/_test/account", strings.NewReader(string(b)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("set account: %v %v", err, resp)
	}
	resp.Body.Close()
}

// browse follows authorizeURL like a browser with cookies until the provider sends it to
// callbackURL, and returns that callback's query.
func browse(t *testing.T, authorizeURL string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callbackURL) {
			return http.ErrUseLastResponse
		}
		if len(via) > 20 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	resp, err := client.Get(authorizeURL)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, callbackURL) {
		t.Fatalf("authorize ended at %d %s: %.500s", resp.StatusCode, loc, body)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
