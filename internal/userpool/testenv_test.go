package userpool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/token"
)

// Shared test environment for the userpool tests (auth_*_test.go and manage_*_test.go).

const (
	testRegion    = "us-east-1"
	testAccountID = "123456789012"
	testIssuer    = "https://cognito-idp.us-east-1.amazonaws.com"
	testAdminKey  = "AKIDPOOLGATETEST"
	testAdminSec  = "poolgate/test/secret/key/0123456789abcdef"
	targetPrefix  = "AWSCognitoIdentityProviderService."
)

// fakeClock is a settable clock; it only moves when a test advances it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedReader makes a deterministic, non-thread-safe source safe for concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

type testEnv struct {
	t      testing.TB
	svc    *Service
	clock  *fakeClock
	store  *memstore.Store
	sender *message.Recorder
	keys   *token.Keyring
	// dispatch sends body (marshalled to JSON) to the named action ("SignUp" or the full
	// "AWSCognitoIdentityProviderService.SignUp") through the awsjson dispatcher. Actions
	// registered as SigV4 are signed with the test admin key; public ones are sent unsigned.
	// out is the decoded JSON body (nil when the body is not a JSON object).
	dispatch func(target string, body any) (status int, out map[string]any)
}

// newTestEnv builds a Service over a memstore, a fake clock (starting at
// 2026-01-06 09:00:00.25 UTC), a deterministic random source, pure-Go crypto and a
// message.Recorder, plus a dispatcher serving svc.Actions().
func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 1, 6, 9, 0, 0, 250_000_000, time.UTC)}
	var seed [32]byte
	copy(seed[:], t.Name())
	rnd := &lockedReader{r: rand.NewChaCha8(seed)}
	st := memstore.New(clock.Now)

	master := make([]byte, 32)
	if _, err := io.ReadFull(rnd, master); err != nil {
		t.Fatal(err)
	}
	transient, err := seal.New(seal.DeriveKey(master, "transient"), rnd)
	if err != nil {
		t.Fatal(err)
	}
	atRest, err := seal.New(seal.DeriveKey(master, "at-rest"), rnd)
	if err != nil {
		t.Fatal(err)
	}
	crypto := hostcrypto.Pure{}
	keys := token.NewKeyring(st, atRest, crypto, clock.Now)
	sender := &message.Recorder{}

	svc := New(Deps{
		Store: st, Keys: keys, Crypto: crypto, Seal: transient, AtRest: atRest,
		Sender: sender, Now: clock.Now, Rand: rnd,
		Region: testRegion, AccountID: testAccountID, IssuerBase: testIssuer,
		Logf: t.Logf,
	})

	var reqN int
	var reqMu sync.Mutex
	d := awsjson.NewDispatcher(targetPrefix, awsjson.DispatcherConfig{
		Now: clock.Now,
		Credentials: func(akid string) (string, bool) {
			if akid == testAdminKey {
				return testAdminSec, true
			}
			return "", false
		},
		NewRequestID: func() string {
			reqMu.Lock()
			defer reqMu.Unlock()
			reqN++
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", reqN)
		},
		Service: "cognito-idp",
	})
	actions := svc.Actions()
	d.Register(actions...)
	signed := map[string]bool{}
	for _, a := range actions {
		signed[a.Name] = a.Auth == awsjson.SigV4
	}

	env := &testEnv{t: t, svc: svc, clock: clock, store: st, sender: sender, keys: keys}
	signer := v4.NewSigner()
	env.dispatch = func(target string, body any) (int, map[string]any) {
		t.Helper()
		name := strings.TrimPrefix(target, targetPrefix)
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("dispatch %s: marshal: %v", name, err)
		}
		r := httptest.NewRequest(http.MethodPost, "http://cognito-idp."+testRegion+".amazonaws.com/", bytes.NewReader(raw))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", targetPrefix+name)
		if signed[name] {
			sum := sha256.Sum256(raw)
			creds := aws.Credentials{AccessKeyID: testAdminKey, SecretAccessKey: testAdminSec}
			if err := signer.SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]),
				"cognito-idp", testRegion, clock.Now()); err != nil {
				t.Fatalf("dispatch %s: sign: %v", name, err)
			}
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		var out map[string]any
		dec := json.NewDecoder(w.Body)
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			out = nil
		}
		return w.Code, out
	}
	return env
}

// call dispatches and fails the test unless the action succeeds; it returns the output body.
func (e *testEnv) call(target string, body any) map[string]any {
	e.t.Helper()
	status, out := e.dispatch(target, body)
	if status != http.StatusOK {
		e.t.Fatalf("%s: status %d, body %v", target, status, out)
	}
	return out
}

// callErr dispatches, expects a 4xx error, and returns its __type and message.
func (e *testEnv) callErr(target string, body any) (typ, msg string) {
	e.t.Helper()
	status, out := e.dispatch(target, body)
	if status < 400 || status >= 500 {
		e.t.Fatalf("%s: status %d (want 4xx), body %v", target, status, out)
	}
	typ, _ = out["__type"].(string)
	msg, _ = out["message"].(string)
	return typ, msg
}

// wantErr dispatches and fails unless the answer is a 4xx with the given __type and,
// when msg is not empty, message.
func (e *testEnv) wantErr(target string, body any, typ, msg string) {
	e.t.Helper()
	gotTyp, gotMsg := e.callErr(target, body)
	if gotTyp != typ || (msg != "" && gotMsg != msg) {
		e.t.Fatalf("%s: got %s %q, want %s %q", target, gotTyp, gotMsg, typ, msg)
	}
}

// createPool creates a pool through CreateUserPool with the given input members
// (PoolName defaults to "test") and returns its id.
func (e *testEnv) createPool(in map[string]any) string {
	e.t.Helper()
	body := map[string]any{"PoolName": "test"}
	for k, v := range in {
		body[k] = v
	}
	out := e.call("CreateUserPool", body)
	pool, _ := out["UserPool"].(map[string]any)
	id, _ := pool["Id"].(string)
	if id == "" {
		e.t.Fatalf("CreateUserPool: no UserPool.Id in %v", out)
	}
	return id
}

// createClient creates an app client through CreateUserPoolClient with the given input
// members and returns its id and secret ("" unless GenerateSecret/ClientSecret was given).
func (e *testEnv) createClient(poolID string, in map[string]any) (clientID, secret string) {
	e.t.Helper()
	body := map[string]any{"UserPoolId": poolID, "ClientName": "app"}
	for k, v := range in {
		body[k] = v
	}
	out := e.call("CreateUserPoolClient", body)
	c, _ := out["UserPoolClient"].(map[string]any)
	clientID, _ = c["ClientId"].(string)
	secret, _ = c["ClientSecret"].(string)
	if clientID == "" {
		e.t.Fatalf("CreateUserPoolClient: no ClientId in %v", out)
	}
	return clientID, secret
}

// lastCode returns the code (or temporary password) of the newest message of kind sent to
// username, failing the test when there is none.
func (e *testEnv) lastCode(username, kind string) string {
	e.t.Helper()
	m, ok := e.sender.Last(username, kind)
	if !ok {
		e.t.Fatalf("no %s message for %s (have %d messages)", kind, username, len(e.sender.Messages()))
	}
	return m.Code
}

// user reads a user straight from the store (by username, alias or sub).
func (e *testEnv) user(poolID, name string) *User {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.svc.getPool(ctx, poolID)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.svc.findUser(ctx, p, name)
	if err != nil {
		e.t.Fatalf("user %s: %v", name, err)
	}
	return u
}
