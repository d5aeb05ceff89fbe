package e2e

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Helpers of the federation scenarios: the other side of a federated sign-in is real — the
// Node package oidc-provider (tests/node/oidc_op.mjs) as the OpenID Provider and crewjam/saml's
// IdentityProvider as the SAML IdP — and a browser carries the sign-in between them and
// poolgate. Providers send the browser back to the managed-login base (ep.IssuerBase, which
// names no listening server in tests); the browser maps it to ep.URL as DNS would.

// testOP is a running oidc-provider.
type testOP struct {
	issuer string
	http   *http.Client
}

// opClientID and opClientSecret are poolgate's registration at the test OP.
const (
	opClientID     = "poolgate-e2e"
	opClientSecret = "op-client-secret-e2e-0123456789"
)

// startOP starts tests/node/oidc_op.mjs with poolgate registered as a client (redirect URI
// <managed-login base>/oauth2/idpresponse), account as the user it signs in, and its clock
// stopped at the server's (tokens it issues are checked against the server's clock).
func startOP(t testing.TB, ep *Endpoint, account map[string]any) *testOP {
	t.Helper()
	return startOPSigning(t, ep, account, "RS256")
}

// startOPSigning is startOP with the ID tokens signed with alg: RS256, or ES256 with a P-256
// key as the provider's only key.
func startOPSigning(t testing.TB, ep *Endpoint, account map[string]any, alg string) *testOP {
	t.Helper()
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("node_modules/oidc-provider is missing: run `npm ci` at the repository root (make test does)")
	}
	clients, _ := json.Marshal([]map[string]any{{"client_id": opClientID, "client_secret": opClientSecret,
		"redirect_uris": []string{ep.IssuerBase + "/oauth2/idpresponse"}}})
	acct, _ := json.Marshal(account)
	cmd := exec.Command(node, filepath.Join("tests", "node", "oidc_op.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "OP_CLIENTS="+string(clients), "OP_ACCOUNT="+string(acct), "OP_ID_TOKEN_ALG="+alg,
		fmt.Sprintf("OP_NOW=%d", ep.Now().UnixMilli()))
	cmd.Stderr = opLog{t}
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
		stdin.Close() // the script exits when its standard input closes
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
	return &testOP{issuer: hello.Issuer, http: ep.httpClient()}
}

// put sends a test-control request to the OP.
func (op *testOP) put(t testing.TB, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, op.issuer+path, strings.NewReader(string(b)))
	resp, err := op.http.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT %s: %d", path, resp.StatusCode)
	}
}

// setAccount makes the OP sign in as account from now on.
func (op *testOP) setAccount(t testing.TB, account map[string]any) {
	op.put(t, "/_test/account", account)
}

// syncClock stops the OP's clock at the server's current time.
func (op *testOP) syncClock(t testing.TB, ep *Endpoint) {
	op.put(t, "/_test/clock", map[string]int64{"now": ep.Now().UnixMilli()})
}

type opLog struct{ t testing.TB }

func (w opLog) Write(p []byte) (int, error) {
	w.t.Logf("oidc_op: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testIdP is crewjam/saml's IdentityProvider behind an httptest server, with one signed-in
// user (its session), knowing poolgate's SP by the metadata poolgate publishes.
type testIdP struct {
	idp      *saml.IdentityProvider
	srv      *httptest.Server
	metadata []byte // the IdP's metadata, for CreateIdentityProvider's MetadataFile
	// fetches counts the GETs of its metadata at srv.URL/metadata (for a MetadataURL).
	fetches atomic.Int32
	mu      sync.Mutex
	session *saml.Session
}

// startIdP fetches GET /{pool}/saml2/metadata and starts an IdP that trusts that SP, on its own
// key pair; the IdP's clock is the server's.
func startIdP(t testing.TB, ep *Endpoint, pool string, session *saml.Session) *testIdP {
	t.Helper()
	resp, err := ep.httpClient().Get(ep.URL + "/" + pool + "/saml2/metadata")
	if err != nil {
		t.Fatal(err)
	}
	spXML, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sp saml.EntityDescriptor
	if resp.StatusCode != http.StatusOK || xml.Unmarshal(spXML, &sp) != nil || sp.EntityID != "urn:amazon:cognito:sp:"+pool {
		t.Fatalf("SP metadata: %d %s", resp.StatusCode, spXML)
	}
	if acs := sp.SPSSODescriptors[0].AssertionConsumerServices; len(acs) == 0 || acs[0].Location != ep.IssuerBase+"/saml2/idpresponse" {
		t.Fatalf("SP metadata names the ACS %+v", acs)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := ep.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.e2e.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ti := &testIdP{session: session}
	mux := http.NewServeMux()
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	md, _ := url.Parse(ti.srv.URL + "/metadata")
	sso, _ := url.Parse(ti.srv.URL + "/sso")
	ti.idp = &saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *md, SSOURL: *sso,
		ServiceProviderProvider: spByID{&sp}, SessionProvider: ti, Clock: dsig.NewFakeClockAt(now)}
	mux.HandleFunc("/sso", ti.idp.ServeSSO)
	mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, _ *http.Request) {
		ti.fetches.Add(1)
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Write(ti.metadata)
	})
	if ti.metadata, err = xml.Marshal(ti.idp.Metadata()); err != nil {
		t.Fatal(err)
	}
	return ti
}

// syncClock sets the IdP's clock to the server's current time.
func (ti *testIdP) syncClock(ep *Endpoint) { ti.idp.Clock = dsig.NewFakeClockAt(ep.Now()) }

// GetSession signs every request in as the IdP's current user.
func (ti *testIdP) GetSession(http.ResponseWriter, *http.Request, *saml.IdpAuthnRequest) *saml.Session {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	s := *ti.session
	return &s
}

type spByID struct{ md *saml.EntityDescriptor }

func (p spByID) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if id != p.md.EntityID {
		return nil, fmt.Errorf("unknown SP %s", id)
	}
	return p.md, nil
}

// fedBrowser is one browser in a federated sign-in. It follows redirects itself, keeps
// poolgate's cookies by name (they are Secure; Go's jar sends none over http://) and every
// other host's in a cookie jar, maps the managed-login base to ep.URL, and submits the
// auto-posting forms SAML IdPs answer with. Its methods return errors rather than failing
// the test, so that races can run them off the test goroutine.
type fedBrowser struct {
	ep      *Endpoint
	c       *http.Client
	jar     *cookiejar.Jar
	cookies map[string]string // poolgate's
}

func newFedBrowser(ep *Endpoint) *fedBrowser {
	jar, _ := cookiejar.New(nil)
	return &fedBrowser{ep: ep, jar: jar, cookies: map[string]string{}, c: &http.Client{
		Transport:     ep.httpClient().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// fedPage is one answer the browser got.
type fedPage struct {
	status int
	header http.Header
	body   string
	url    *url.URL // the URL asked for, as the browser names it (managed-login base, not ep.URL)
}

// location is the page's redirect target, resolved against its URL (nil when none).
func (p *fedPage) location() *url.URL {
	if p.status < 300 || p.status > 399 || p.header.Get("Location") == "" {
		return nil
	}
	u, err := p.url.Parse(p.header.Get("Location"))
	if err != nil {
		return nil
	}
	return u
}

// poolgate reports whether u is served by poolgate (the managed-login base).
func (b *fedBrowser) poolgate(u *url.URL) bool {
	return strings.HasPrefix(u.String(), b.ep.IssuerBase+"/")
}

// abs turns a poolgate path into a URL at the managed-login base.
func (b *fedBrowser) abs(pathAndQuery string) *url.URL {
	u, _ := url.Parse(b.ep.IssuerBase + pathAndQuery)
	return u
}

// do sends one request (a form POST when form is set).
func (b *fedBrowser) do(method string, u *url.URL, form url.Values) (*fedPage, error) {
	target := u.String()
	if b.poolgate(u) {
		target = b.ep.URL + strings.TrimPrefix(target, b.ep.IssuerBase)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.poolgate(u) {
		for k, v := range b.cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
	} else {
		for _, c := range b.jar.Cookies(u) {
			req.AddCookie(c)
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if b.poolgate(u) {
		for _, c := range resp.Cookies() {
			if c.MaxAge < 0 {
				delete(b.cookies, c.Name)
			} else {
				b.cookies[c.Name] = c.Value
			}
		}
	} else {
		b.jar.SetCookies(u, resp.Cookies())
	}
	p := &fedPage{status: resp.StatusCode, header: resp.Header, body: string(raw), url: u}
	if p.status >= 500 {
		return p, fmt.Errorf("%s %s answered %d: %.300s", method, u, p.status, p.body)
	}
	return p, nil
}

var (
	formAction = regexp.MustCompile(`<form[^>]* action="([^"]+)"`)
	formField  = regexp.MustCompile(`<input type="hidden" name="([A-Za-z]+)" value="([^"]*)"`)
)

// autoPost is the form a SAML IdP's page posts by itself (HTTP-POST binding), or nil.
func autoPost(p *fedPage) (*url.URL, url.Values) {
	m := formAction.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, "SAMLResponse") {
		return nil, nil
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, nil
	}
	form := url.Values{}
	for _, f := range formField.FindAllStringSubmatch(p.body, -1) {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	return action, form
}

// fedStep is a request the browser is about to send: a GET, or the POST of a form.
type fedStep struct {
	u    *url.URL
	form url.Values // nil for a GET
}

// take sends step.
func (b *fedBrowser) take(step fedStep) (*fedPage, error) {
	if step.form != nil {
		return b.do(http.MethodPost, step.u, step.form)
	}
	return b.do(http.MethodGet, step.u, nil)
}

// walk takes step, then follows redirects and auto-posted forms until the next step goes to
// a URL stop accepts; it returns that step, not taken, and the URLs it visited.
func (b *fedBrowser) walk(step fedStep, stop func(*url.URL) bool) (fedStep, []*url.URL, error) {
	var hops []*url.URL
	for range 20 {
		hops = append(hops, step.u)
		p, err := b.take(step)
		if err != nil {
			return fedStep{}, hops, err
		}
		if loc := p.location(); loc != nil {
			step = fedStep{u: loc}
		} else if action, fields := autoPost(p); action != nil {
			step = fedStep{u: action, form: fields}
		} else {
			return fedStep{}, hops, fmt.Errorf("%s answered %d: %.500s", p.url, p.status, p.body)
		}
		if stop(step.u) {
			return step, hops, nil
		}
	}
	return fedStep{}, hops, errors.New("more than 20 hops")
}

// toApp stops at the app's callback.
func toApp(u *url.URL) bool { return strings.HasPrefix(u.String(), oauthCallback) }

// signIn walks from a poolgate path to the app's callback and returns the callback's query.
func (b *fedBrowser) signIn(pathAndQuery string) (url.Values, []*url.URL, error) {
	step, hops, err := b.walk(fedStep{u: b.abs(pathAndQuery)}, toApp)
	if err != nil {
		return nil, hops, err
	}
	return step.u.Query(), hops, nil
}

// toPoolgate stops where the provider sends the browser back to poolgate (idpresponse).
func (b *fedBrowser) toPoolgate(u *url.URL) bool {
	return b.poolgate(u) && strings.HasSuffix(u.Path, "/idpresponse")
}

// atProvider walks from a poolgate path through the provider and returns the step that
// brings the provider's answer back to poolgate.
func (b *fedBrowser) atProvider(pathAndQuery string) (fedStep, error) {
	step, _, err := b.walk(fedStep{u: b.abs(pathAndQuery)}, b.toPoolgate)
	return step, err
}

// finish takes the provider's answer to poolgate and returns where poolgate sends the
// browser: the app's callback query (code or error), or the error page poolgate shows.
func (b *fedBrowser) finish(step fedStep) (url.Values, *fedPage, error) {
	p, err := b.take(step)
	if err != nil {
		return nil, p, err
	}
	if loc := p.location(); loc != nil && toApp(loc) {
		return loc.Query(), p, nil
	}
	return nil, p, nil
}
