package browser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/url"
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

const (
	redirectPoolID   = "us-east-1_AmplifyR1"
	redirectClientID = "amplifyredirectclient0001"
)

// redirectConfig is a pool whose app client signs in through the managed login pages; %s is
// the app's origin (its callback and sign-out URLs).
const redirectConfig = `{
  "UserPools": [{
    "Id": "us-east-1_AmplifyR1", "PoolName": "Amplify redirect", "Domain": {"Domain": "amplify-redirect"},
    "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
    "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": true, "Mutable": true}],
    "Clients": [{
      "ClientId": "amplifyredirectclient0001", "ClientName": "amplify",
      "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      "AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
      "AllowedOAuthScopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
      "CallbackURLs": ["%[1]s/"], "LogoutURLs": ["%[1]s/signed-out"],
      "SupportedIdentityProviders": ["COGNITO"]
    }]
  }]
}`

// testLogo draws the custom logo the pages must show: 160×40, a white disc and bars on
// orange, as PNG.
func testLogo(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, logoWidth, 40))
	for y := range 40 {
		for x := range logoWidth {
			c := color.RGBA{0xff, 0x6a, 0x00, 0xff}
			if dx, dy := x-20, y-20; dx*dx+dy*dy < 196 || (x > 44 && x < 150 && (y/6)%2 == 1) {
				c = color.RGBA{0xff, 0xff, 0xff, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const logoWidth = 160

// TestAmplifyRedirect: Amplify v6's signInWithRedirect, unmodified, from a page on another
// origin, signs in through poolgate's managed login over HTTPS (Amplify only builds https://
// URLs for the OAuth domain) and signOut comes back through /logout. Chromium trusts the local
// CA's server certificate by its key (--ignore-certificate-errors-spki-list), the way a
// developer's browser trusts DATA/tls/ca.pem. The pages are photographed on a desktop and a
// phone with a custom logo.
func TestAmplifyRedirect(t *testing.T) {
	requireBrowser(t)
	bundle := buildAmplifyBundle(t)

	// The app: a page on http://localhost:<port> (another origin than the login pages).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appOrigin := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	var amplifyConfig []byte
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>app</title></head><body><p id="where">%s</p>
<script>window.AMPLIFY_CONFIG = %s;</script><script src="/amplify.js"></script></body></html>`, r.URL.Path, amplifyConfig)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", page)
	mux.HandleFunc("GET /signed-out", page)
	mux.HandleFunc("GET /amplify.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(bundle)
	})
	app := &http.Server{Handler: mux}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })

	srv, err := hostsim.Start(context.Background(), hostsim.Options{
		ModulePath: guestPath, CompilationCacheDir: cacheDir, Addr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0",
		AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret,
		Config: fmt.Appendf(nil, redirectConfig, appOrigin), Sender: new(message.Recorder), Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	loginOrigin := srv.HTTPSURL()
	domain := strings.TrimPrefix(loginOrigin, "https://")
	amplifyConfig, _ = json.Marshal(map[string]any{"Auth": map[string]any{"Cognito": map[string]any{
		"userPoolId": redirectPoolID, "userPoolClientId": redirectClientID,
		"loginWith": map[string]any{"oauth": map[string]any{
			"domain": domain, "scopes": []string{"openid", "email", "profile", "aws.cognito.signin.user.admin"},
			"redirectSignIn": []string{appOrigin + "/"}, "redirectSignOut": []string{appOrigin + "/signed-out"},
			"responseType": "code",
		}},
	}}})

	admin := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
		})})
	const email, password = "amplify.user@example.com", "Amplify-Passw0rd"
	if _, err := admin.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: aws.String(redirectPoolID), Username: aws.String(email),
		MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(redirectPoolID), Username: aws.String(email),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: aws.String(redirectPoolID),
		CSS: aws.String(".banner-customizable { background-color: #0b5fff; }"), ImageFile: testLogo(t)}); err != nil {
		t.Fatal(err)
	}

	p := newTrustingPage(t, srv.LocalTLS().Certificate.Certificate[0])
	p.do(chromedp.Navigate(appOrigin + "/"))
	p.waitFor(`document.body.dataset.ready === "true"`)
	p.eval(`(amplifyTest.signIn(), true)`, nil)
	p.waitFor(`location.origin === ` + jsString(loginOrigin) + ` && document.querySelector('input[name="password"]') !== null`)

	// The managed login page as the user sees it, with the pool's logo.
	var logo bool
	p.waitFor(`[...document.images].some(i => i.complete && i.naturalWidth === ` + fmt.Sprint(logoWidth) + `)`)
	p.eval(`[...document.images].some(i => i.naturalWidth === `+fmt.Sprint(logoWidth)+`)`, &logo)
	if !logo {
		t.Errorf("the login page does not show the pool's logo")
	}
	p.shot("managed-login-desktop")
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	var sideways bool
	p.eval(`document.documentElement.scrollWidth > window.innerWidth`, &sideways)
	if sideways {
		t.Errorf("the managed login page scrolls sideways on a phone-sized screen")
	}
	p.shot("managed-login-phone")
	p.do(chromedp.EmulateReset())

	p.fill(`input[name="username"]`, email)
	p.fill(`input[name="password"]`, password)
	p.click(`form button[type="submit"]`)
	p.waitFor(`location.origin === ` + jsString(appOrigin) + ` && window.amplifyTest !== undefined && amplifyTest.events.some(e => e.startsWith("signInWithRedirect"))`)
	var events []string
	p.eval(`amplifyTest.events`, &events)
	if len(events) == 0 || events[0] != "signInWithRedirect" {
		t.Fatalf("Amplify's auth events after the redirect: %v", events)
	}
	var session struct {
		Username, Scope, Email, Iss string
	}
	p.eval(`amplifyTest.session()`, &session)
	if session.Email != email || !strings.Contains(session.Scope, "openid") || !strings.Contains(session.Scope, "aws.cognito.signin.user.admin") ||
		session.Iss != srv.IssuerBase()+"/"+redirectPoolID {
		t.Errorf("fetchAuthSession after signInWithRedirect: %+v", session)
	}
	var user struct{ Username, UserID, Error string }
	p.eval(`amplifyTest.user()`, &user)
	if user.Error != "" || user.Username != session.Username {
		t.Errorf("getCurrentUser: %+v (session username %q)", user, session.Username)
	}

	// signOut goes through /logout and back to the sign-out URL; the session cookie is gone,
	// so the next authorization shows the form again.
	p.eval(`(amplifyTest.signOut(), true)`, nil)
	p.waitFor(`location.origin === ` + jsString(appOrigin) + ` && location.pathname === "/signed-out" && document.body.dataset.ready === "true"`)
	p.eval(`amplifyTest.session()`, &session)
	q := url.Values{"response_type": {"code"}, "client_id": {redirectClientID}, "redirect_uri": {appOrigin + "/"}, "scope": {"openid"}}
	p.do(chromedp.Navigate(loginOrigin + "/oauth2/authorize?" + q.Encode()))
	p.waitFor(`document.querySelector('input[name="password"]') !== null`)
	if errs := p.takeErrors(); len(errs) > 0 {
		t.Logf("page errors (informational): %v", errs)
	}
}

// newTrustingPage is newPage with Chromium trusting the server certificate cert (DER) by its
// public key.
func newTrustingPage(t *testing.T, cert []byte) *page {
	t.Helper()
	leaf, err := x509.ParseCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return newPageWith(t, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(sum[:])))
}

// buildAmplifyBundle bundles tests/browser/amplify/entry.mjs with esbuild (npm ci installs it).
func buildAmplifyBundle(t *testing.T) []byte { t.Helper(); return bundleAmplifyPage(t, "entry.mjs") }

// bundleAmplifyPage bundles tests/browser/amplify/<entry> with esbuild.
func bundleAmplifyPage(t *testing.T, entry string) []byte {
	t.Helper()
	root := repoRoot()
	esbuild := filepath.Join(root, "node_modules", ".bin", "esbuild")
	if _, err := os.Stat(filepath.Join(root, "node_modules", "aws-amplify", "package.json")); err != nil {
		t.Fatalf("node_modules/aws-amplify is missing: run `npm ci` at the repository root (make test does)")
	}
	out := filepath.Join(t.TempDir(), "amplify.js")
	cmd := exec.Command(esbuild, filepath.Join("tests", "browser", "amplify", entry), "--bundle", "--format=iife",
		"--platform=browser", "--minify", "--outfile="+out)
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

func ctx(t *testing.T) context.Context { return t.Context() }
