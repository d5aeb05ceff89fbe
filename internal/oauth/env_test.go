package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/token"
	"github.com/poolgate/poolgate/internal/userpool"
)

// The unit tests drive the endpoints through an http.ServeMux over a userpool.Service on a
// memstore, with a clock they move by hand; the pools and users are made through the
// user-pool actions themselves.

const (
	testIssuer   = "https://issuer.oauth.test"
	callbackURL  = "https://app.example.com/callback"
	logoutURL    = "https://app.example.com/signed-out"
	testPassword = "Correct-horse-1"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

type env struct {
	t       testing.TB
	clock   *fakeClock
	up      *userpool.Service
	srv     *Server
	mux     *http.ServeMux
	keys    *token.Keyring
	sent    *message.Recorder
	actions map[string]awsjson.Action
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	var seed [32]byte
	copy(seed[:], t.Name())
	rnd := &lockedReader{r: rand.NewChaCha8(seed)}
	st := memstore.New(clock.Now)
	master := make([]byte, 32)
	io.ReadFull(rnd, master)
	mk := func(label string) *seal.Sealer {
		s, err := seal.New(seal.DeriveKey(master, label), rnd)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	atRest := mk("at-rest")
	keys := token.NewKeyring(st, atRest, hostcrypto.Pure{}, clock.Now)
	sent := &message.Recorder{}
	up := userpool.New(userpool.Deps{Store: st, Keys: keys, Crypto: hostcrypto.Pure{}, Seal: mk("transient"),
		AtRest: atRest, Sender: sent, Now: clock.Now, Rand: rnd, Region: "us-east-1",
		AccountID: "000000000000", IssuerBase: testIssuer, Logf: t.Logf})
	srv, err := New(Config{UserPools: up, Seal: mk("oauth"), Now: clock.Now, Rand: rnd, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	e := &env{t: t, clock: clock, up: up, srv: srv, mux: mux, keys: keys, sent: sent, actions: map[string]awsjson.Action{}}
	for _, a := range up.Actions() {
		e.actions[a.Name] = a
	}
	return e
}

// call runs a user-pool action and returns its output as JSON.
func (e *env) call(name string, in any) map[string]any {
	e.t.Helper()
	out, err := e.callErr(name, in)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return out
}

func (e *env) callErr(name string, in any) (map[string]any, error) {
	e.t.Helper()
	body, _ := json.Marshal(in)
	res, err := e.actions[name].Handle(context.Background(), body)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(res)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out, nil
}

// fixture is a pool with a resource server, an app client for the hosted pages and a user.
type fixture struct {
	*env
	pool, client, secret string
}

type fixtureOpts struct {
	secret       bool
	clientMod    func(map[string]any)
	poolMod      func(map[string]any)
	noUser       bool
	userPassword string
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	e := newEnv(t)
	pin := map[string]any{"PoolName": "oauth"}
	if o.poolMod != nil {
		o.poolMod(pin)
	}
	pool := e.call("CreateUserPool", pin)["UserPool"].(map[string]any)["Id"].(string)
	e.call("CreateResourceServer", map[string]any{"UserPoolId": pool, "Identifier": "orders", "Name": "Orders",
		"Scopes": []map[string]string{{"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}}})
	cin := map[string]any{"UserPoolId": pool, "ClientName": "Shop", "GenerateSecret": o.secret,
		"CallbackURLs": []string{callbackURL, "http://localhost:3000/cb"}, "LogoutURLs": []string{logoutURL},
		"AllowedOAuthFlows": []string{"code", "implicit"}, "AllowedOAuthFlowsUserPoolClient": true,
		"AllowedOAuthScopes":         []string{"openid", "email", "profile", "orders/read"},
		"SupportedIdentityProviders": []string{"COGNITO"},
		"ExplicitAuthFlows":          []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}}
	if o.clientMod != nil {
		o.clientMod(cin)
	}
	c := e.call("CreateUserPoolClient", cin)["UserPoolClient"].(map[string]any)
	f := &fixture{env: e, pool: pool, client: c["ClientId"].(string)}
	f.secret, _ = c["ClientSecret"].(string)
	if !o.noUser {
		f.createUser("alice", "alice@example.com", true)
	}
	return f
}

func (f *fixture) createUser(name, email string, permanent bool) {
	f.t.Helper()
	f.call("AdminCreateUser", map[string]any{"UserPoolId": f.pool, "Username": name, "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}}})
	f.call("AdminSetUserPassword", map[string]any{"UserPoolId": f.pool, "Username": name, "Password": testPassword, "Permanent": permanent})
}

// browser keeps cookies by name (Secure ones too: the tests speak plain http to the mux).
type browser struct {
	e       *env
	host    string
	cookies map[string]string
}

func (e *env) browser() *browser {
	return &browser{e: e, host: "login.oauth.test", cookies: map[string]string{}}
}

func (b *browser) do(method, target string, form url.Values) *httptest.ResponseRecorder {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "https://"+b.host+target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.e.mux.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return w
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no CSRF field in the page (status %d):\n%s", w.Code, w.Body.String())
	}
	return m[1]
}

// authQuery is an authorization request's query for f's client.
func (f *fixture) authQuery(mod func(url.Values)) url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {f.client}, "redirect_uri": {callbackURL},
		"state": {"st-123"}, "code_challenge": {challengeOf(verifier)}, "code_challenge_method": {"S256"},
		"nonce": {"n-456"}}
	if mod != nil {
		mod(q)
	}
	return q
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signIn runs authorize → login page → posted form and returns the final redirect.
func (f *fixture) signIn(b *browser, q url.Values, username, password string) *url.URL {
	f.t.Helper()
	w := b.do("GET", "/oauth2/authorize?"+q.Encode(), nil)
	if w.Code != http.StatusFound {
		f.t.Fatalf("authorize: %d %s", w.Code, w.Body.String())
	}
	loc := w.Header().Get("Location")
	if !strings.HasPrefix(loc, "/login?") {
		return mustURL(f.t, loc)
	}
	page := b.do("GET", loc, nil)
	if page.Code != http.StatusOK {
		f.t.Fatalf("login page: %d %s", page.Code, page.Body.String())
	}
	res := b.do("POST", loc, url.Values{"_csrf": {csrfOf(f.t, page)}, "username": {username}, "password": {password}})
	if res.Code != http.StatusFound {
		f.t.Fatalf("login: %d %s", res.Code, res.Body.String())
	}
	return mustURL(f.t, res.Header().Get("Location"))
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// codeFor signs alice in with q and returns the code.
func (f *fixture) codeFor(b *browser, q url.Values) string {
	f.t.Helper()
	u := f.signIn(b, q, "alice", testPassword)
	code := u.Query().Get("code")
	if code == "" || u.Query().Get("state") != q.Get("state") {
		f.t.Fatalf("no code or wrong state in %s", u)
	}
	return code
}

// token posts to the token endpoint.
func (f *fixture) token(form url.Values, basic bool) (int, map[string]any, http.Header) {
	f.t.Helper()
	if form.Get("client_id") == "" && !basic {
		form.Set("client_id", f.client)
	}
	r := httptest.NewRequest("POST", "https://login.oauth.test/oauth2/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		r.SetBasicAuth(url.QueryEscape(f.client), url.QueryEscape(f.secret))
	} else if f.secret != "" && form.Get("client_secret") == "" {
		form.Set("client_secret", f.secret)
		r = httptest.NewRequest("POST", "https://login.oauth.test/oauth2/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out, w.Header()
}

func (f *fixture) redeem(code string, mod func(url.Values)) (int, map[string]any) {
	f.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURL},
		"code_verifier": {verifier}}
	if mod != nil {
		mod(form)
	}
	status, out, _ := f.token(form, false)
	return status, out
}

// claims decodes a JWT's payload (the signature is the keyring's concern, tested there).
func claims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.Unmarshal(b, &c)
	return c
}

func wantOAuthError(t testing.TB, status int, out map[string]any, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || out["error"] != code {
		t.Fatalf("got %d %v, want %d %s", status, out, wantStatus, code)
	}
}

func decode(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}
