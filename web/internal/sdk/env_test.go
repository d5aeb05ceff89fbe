package sdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// The SDK's tests run the real server (internal/service over a memory store) in-process:
// the transport below hands each call to its http.Handler, so every flow is checked against
// the same protocol code the local server and the Worker run.

const (
	testPool     = "us-east-1_WebTest1"
	testClient   = "webtestclient000000000001"
	testIdentity = "us-east-1:11111111-2222-3333-4444-555555555555"
	adminKey     = "AKIDWEBTEST"
	adminSecret  = "web/test/secret/0123456789abcdef"
)

// testConfig is the server's declarative configuration: one pool with an email username and
// the default-style password policy, one public client with 5-minute access tokens.
const testConfig = `{
  "UserPools": [{
    "Id": "us-east-1_WebTest1",
    "UsernameAttributes": ["email"],
    "AutoVerifiedAttributes": ["email"],
    "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}},
    "Schema": [{"Name": "name", "AttributeDataType": "String", "Mutable": true}],
    "Clients": [{
      "ClientId": "webtestclient000000000001",
      "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      "AccessTokenValidity": 5, "IdTokenValidity": 5,
      "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes"},
      "PreventUserExistenceErrors": "ENABLED",
      "EnableTokenRevocation": true
    }],
    "Groups": [{"GroupName": "readers", "Precedence": 2}]
  }]
}`

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t      *testing.T
	svc    *service.Service
	clock  *clock
	outbox *message.Recorder
	calls  []string // X-Amz-Target of every call, in order
	mu     sync.Mutex
}

func newEnv(t *testing.T, extraConfig ...string) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, outbox: &message.Recorder{}}
	svc, err := service.New(service.Config{
		IssuerBase:           "http://127.0.0.1:8787",
		AdminAccessKeyID:     adminKey,
		AdminSecretAccessKey: adminSecret,
		MasterKey:            bytes.Repeat([]byte{7}, 32),
		Store:                memstore.New(e.clock.Now),
		Crypto:               hostcrypto.Pure{},
		Sender:               e.outbox,
		Now:                  e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	cfg := testConfig
	if len(extraConfig) > 0 {
		cfg = extraConfig[0]
	}
	if _, err := svc.ApplyConfig(context.Background(), []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	return e
}

// Call implements Transport by serving the request in-process.
func (e *env) Call(ctx context.Context, target string, body []byte) (*Response, error) {
	e.mu.Lock()
	e.calls = append(e.calls, target)
	e.mu.Unlock()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:8787/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", target)
	w := httptest.NewRecorder()
	e.svc.ServeHTTP(w, r)
	return &Response{Status: w.Code, ErrorType: w.Header().Get("X-Amzn-Errortype"), Body: w.Body.Bytes()}, nil
}

func (e *env) targets() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, len(e.calls))
	for i, c := range e.calls {
		out[i] = c[strings.LastIndexByte(c, '.')+1:]
	}
	return out
}

func (e *env) resetCalls() {
	e.mu.Lock()
	e.calls = nil
	e.mu.Unlock()
}

// admin sends a SigV4-signed management call and fails the test on an error status.
func (e *env) admin(action, body string) string {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8787/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", userPoolTarget+action)
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret},
		r, hex.EncodeToString(sum[:]), "cognito-idp", "us-east-1", e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	w := httptest.NewRecorder()
	e.svc.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		e.t.Fatalf("%s: %d %s", action, w.Code, w.Body)
	}
	return w.Body.String()
}

func (e *env) client(storage Storage) *Client {
	e.t.Helper()
	c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: e, Storage: storage, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// code returns the newest code of the given kind sent to the user with that email.
func (e *env) code(email, kind string) string {
	e.t.Helper()
	msgs := e.outbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Destination == email && msgs[i].Kind == kind {
			return msgs[i].Code
		}
	}
	e.t.Fatalf("no %s message to %s in %+v", kind, email, msgs)
	return ""
}

// signedUp registers and confirms a user.
func (e *env) signedUp(c *Client, email, password string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := c.SignUp(ctx, email, password, map[string]string{"email": email}); err != nil {
		e.t.Fatal(err)
	}
	if err := c.ConfirmSignUp(ctx, email, e.code(email, message.KindSignUp)); err != nil {
		e.t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error %s: %s, want %s", e.Code, e.Message, code)
	}
	return e
}
