package browser

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

// devicesConfig is a pool with TOTP (OPTIONAL) and remembered devices that wait for the
// user's prompt, and one user; %s is the app's origin.
const devicesConfig = `{
  "UserPools": [{
    "Id": "us-east-1_AmplifyDev1", "PoolName": "Amplify devices",
    "MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": true},
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": true},
    "Clients": [{
      "ClientId": "amplifydevicesclient0001", "ClientName": "amplify",
      "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    }]
  }]
}`

// TestAmplifyRememberDevice: Amplify v6, unmodified, in Chromium, against poolgate's JSON API
// (userPoolEndpoint): a first SRP sign-in, whose new device Amplify confirms itself; setUpTOTP,
// verifyTOTPSetup, updateMFAPreference; a sign-in from the device, not yet remembered, that
// meets CONFIRM_SIGN_IN_WITH_TOTP_CODE; rememberDevice and fetchDevices; and a sign-in that
// goes through DEVICE_SRP_AUTH, which Amplify answers itself, straight to DONE.
func TestAmplifyRememberDevice(t *testing.T) {
	requireBrowser(t)
	bundle := buildAmplifyEntry(t, "devices.mjs")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appOrigin := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0",
		AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret,
		Config: []byte(devicesConfig), Sender: new(message.Recorder), Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	config := fmt.Sprintf(`{"Auth": {"Cognito": {"userPoolId": "us-east-1_AmplifyDev1", "userPoolClientId": "amplifydevicesclient0001", "userPoolEndpoint": %q}}}`, srv.URL())

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

	const username, password = "amplify-device", "Amplify-Passw0rd"
	admin := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
		})})
	if _, err := admin.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: aws.String("us-east-1_AmplifyDev1"), Username: aws.String(username),
		MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String("us-east-1_AmplifyDev1"), Username: aws.String(username),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}

	p := newPage(t)
	p.do(chromedp.Navigate(appOrigin + "/"))
	p.waitFor(`document.body.dataset.ready === "true"`)
	var out struct {
		Error           string
		First           string
		Second          string
		SecondConfirmed string
		Devices         []struct{ ID, Name string }
		Third           string
		ThirdSignedIn   bool
	}
	p.eval(`amplifyDevices.run(`+jsString(username)+`, `+jsString(password)+`)`, &out)
	if out.Error != "" {
		t.Fatalf("Amplify: %s (so far: %+v)", out.Error, out)
	}
	t.Logf("Amplify's steps: %+v", out)
	if out.First != "DONE" || out.Second != "CONFIRM_SIGN_IN_WITH_TOTP_CODE" || out.SecondConfirmed != "DONE" {
		t.Errorf("sign-ins before rememberDevice: first %s, second %s, after the code %s", out.First, out.Second, out.SecondConfirmed)
	}
	if len(out.Devices) != 1 || out.Devices[0].ID == "" {
		t.Errorf("fetchDevices: %+v", out.Devices)
	}
	if out.Third != "DONE" || !out.ThirdSignedIn {
		t.Errorf("sign-in from the remembered device: %s (signed in %v), want DONE without an MFA step", out.Third, out.ThirdSignedIn)
	}
	if errs := p.takeErrors(); len(errs) > 0 {
		t.Logf("page errors (informational): %v", errs)
	}
}

// buildAmplifyEntry bundles tests/browser/amplify/<entry> with esbuild (npm ci installs it).
func buildAmplifyEntry(t *testing.T, entry string) []byte {
	t.Helper()
	root := repoRoot()
	if _, err := os.Stat(filepath.Join(root, "node_modules", "aws-amplify", "package.json")); err != nil {
		t.Fatalf("node_modules/aws-amplify is missing: run `npm ci` at the repository root (make test does)")
	}
	out := filepath.Join(t.TempDir(), "amplify.js")
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
