package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

// customConfig is a pool whose Define/Create/Verify auth challenge functions are the e2e
// tests' Lambda-style handlers behind the Node adapter (%s: the adapter's URL).
const customConfig = `{
  "Functions": [
    {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:define-auth", "Url": "%[1]s/define-auth"},
    {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:create-auth", "Url": "%[1]s/create-auth"},
    {"Arn": "arn:aws:lambda:us-east-1:000000000000:function:verify-auth", "Url": "%[1]s/verify-auth"}
  ],
  "UserPools": [{
    "Id": "us-east-1_AmplifyC1", "PoolName": "Amplify custom auth",
    "LambdaConfig": {
      "DefineAuthChallenge": "arn:aws:lambda:us-east-1:000000000000:function:define-auth",
      "CreateAuthChallenge": "arn:aws:lambda:us-east-1:000000000000:function:create-auth",
      "VerifyAuthChallengeResponse": "arn:aws:lambda:us-east-1:000000000000:function:verify-auth"
    },
    "Clients": [{"ClientId": "amplifycustomclient000001", "ClientName": "amplify",
      "ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}]
  }]
}`

// TestAmplifyCustomAuth: Amplify v6's signIn with authFlowType CUSTOM_WITHOUT_SRP and
// CUSTOM_WITH_SRP, unmodified, in Chromium: CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE with the
// challenge's public parameters, a wrong answer asks again, the right one signs in.
func TestAmplifyCustomAuth(t *testing.T) {
	requireBrowser(t)
	bundle := buildBundle(t, "custom_entry.mjs")
	const secret = "amplify-custom-auth-trigger-secret"
	adapterURL := startLambdaAdapter(t, secret, map[string]string{"define-auth": "define_auth_challenge.mjs",
		"create-auth": "create_auth_challenge.mjs", "verify-auth": "verify_auth_challenge.mjs"})

	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0", AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret, TriggerSecret: secret,
		Config: fmt.Appendf(nil, customConfig, adapterURL), Sender: new(message.Recorder), Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	admin := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
		})})
	const username, password = "amplify-custom", "Amplify-Passw0rd"
	if _, err := admin.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: aws.String("us-east-1_AmplifyC1"),
		Username: aws.String(username), MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String("us-east-1_AmplifyC1"),
		Username: aws.String(username), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}

	config, _ := json.Marshal(map[string]any{"Auth": map[string]any{"Cognito": map[string]any{
		"userPoolId": "us-east-1_AmplifyC1", "userPoolClientId": "amplifycustomclient000001", "userPoolEndpoint": srv.URL(),
	}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>app</title></head><body>
<script>window.AMPLIFY_CONFIG = %s;</script><script src="/amplify.js"></script></body></html>`, config)
	})
	mux.HandleFunc("GET /amplify.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(bundle)
	})
	app := &http.Server{Handler: mux}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })

	p := newPage(t)
	p.do(chromedp.Navigate("http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port) + "/"))
	p.waitFor(`document.body.dataset.ready === "true"`)
	for _, flow := range []string{"CUSTOM_WITHOUT_SRP", "CUSTOM_WITH_SRP"} {
		var steps []map[string]any
		p.eval(`amplifyTest.run(`+jsString(flow)+`, `+jsString(username)+`, `+jsString(password)+`, "42")`, &steps)
		got, _ := json.Marshal(steps)
		want := `[{"info":{"USERNAME":"amplify-custom","hint":"what is six times seven?"},"step":"CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"},` +
			`{"info":{"USERNAME":"amplify-custom","hint":"what is six times seven?"},"step":"CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"},` +
			`{"signedIn":true,"step":"DONE"},{"username":"amplify-custom"}]`
		if string(got) != want {
			t.Errorf("%s: steps\n got %s\nwant %s", flow, got, want)
		}
	}
}

// buildBundle bundles tests/browser/amplify/<entry> with esbuild.
func buildBundle(t *testing.T, entry string) []byte {
	t.Helper()
	root := repoRoot()
	out := filepath.Join(t.TempDir(), "bundle.js")
	cmd := exec.Command(filepath.Join(root, "node_modules", ".bin", "esbuild"), filepath.Join("tests", "browser", "amplify", entry),
		"--bundle", "--format=iife", "--platform=browser", "--minify", "--outfile="+out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("esbuild: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startLambdaAdapter runs tools/lambda-adapter on a free port with the named handler modules
// of tests/e2e/testdata/triggers and returns its URL.
func startLambdaAdapter(t *testing.T, secret string, fns map[string]string) string {
	t.Helper()
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: %v", err)
	}
	args := []string{filepath.Join("tools", "lambda-adapter", "adapter.mjs"), "--port", "0"}
	for name, file := range fns {
		args = append(args, name+"="+filepath.Join("tests", "e2e", "testdata", "triggers", file))
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "POOLGATE_TRIGGER_SECRET="+secret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	rest, ok := strings.CutPrefix(line, "poolgate-lambda-adapter listening on ")
	if err != nil || !ok {
		t.Fatalf("the Lambda adapter did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	url, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return url
}
