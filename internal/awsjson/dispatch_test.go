package awsjson

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

const (
	prefix      = "AWSCognitoIdentityProviderService."
	adminKey    = "AKIAPOOLGATEADMIN"
	adminSecret = "admin/secret+key"
	requestID   = "11111111-2222-4333-8444-555555555555"
)

var testNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

type attr struct {
	Name  string  `aws:"required"`
	Value *string `json:",omitempty"`
}

type echoIn struct {
	ClientId       string `aws:"required"`
	AuthFlow       *string
	AuthParameters map[string]string
	Count          *int
	When           *EpochTime
	UserAttributes []attr
	Meta           *struct {
		Source string `aws:"required"`
	}
}

type echoOut struct {
	ClientId       string
	AuthParameters map[string]string `json:",omitempty"`
	Count          *int              `json:",omitempty"`
	When           *EpochTime        `json:",omitempty"`
	Attributes     int
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logSink) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type adminGetUserIn struct {
	UserPoolId string `aws:"required"`
	Username   string `aws:"required"`
}

type adminGetUserOut struct {
	Username       string
	Enabled        bool
	UserStatus     string
	UserCreateDate EpochTime
	UserAttributes []map[string]string
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newTestDispatcher(logs *logSink) *Dispatcher {
	d := newSafeDispatcher(logs)
	d.Register(
		Action{Name: "Panics", Handle: func(context.Context, []byte) (any, error) { panic("boom") }},
		Action{Name: "Fails", Handle: func(context.Context, []byte) (any, error) { return nil, errors.New("store: disk on fire") }},
		Action{Name: "Unencodable", Handle: func(context.Context, []byte) (any, error) { return map[string]any{"f": func() {}}, nil }},
	)
	return d
}

// newSafeDispatcher registers only actions that never fail on their own (they may refuse
// the caller with a 4xx *Error).
func newSafeDispatcher(logs *logSink) *Dispatcher {
	d := NewDispatcher(prefix, DispatcherConfig{
		Now: func() time.Time { return testNow },
		Credentials: func(akid string) (string, bool) {
			if akid == adminKey {
				return adminSecret, true
			}
			return "", false
		},
		NewRequestID: func() string { return requestID },
		Region:       "us-east-1",
		Service:      "cognito-idp",
		Logf:         logs.Logf,
	})
	d.Register(
		Action{Name: "Echo", Auth: Public, Handle: Handler(func(ctx context.Context, in *echoIn) (*echoOut, error) {
			if Operation(ctx) != "Echo" || RequestID(ctx) != requestID || HTTPRequest(ctx) == nil {
				return nil, errors.New("context not populated")
			}
			if _, ok := Caller(ctx); ok {
				return nil, errors.New("public action has a caller")
			}
			return &echoOut{ClientId: in.ClientId, AuthParameters: in.AuthParameters, Count: in.Count, When: in.When, Attributes: len(in.UserAttributes)}, nil
		})},
		Action{Name: "AdminGetUser", Auth: SigV4, Handle: Handler(func(ctx context.Context, in *adminGetUserIn) (*adminGetUserOut, error) {
			c, ok := Caller(ctx)
			if !ok || c.AccessKeyID != adminKey {
				return nil, errors.New("no verified caller")
			}
			if in.Username != "alice" {
				return nil, UserNotFound()
			}
			return &adminGetUserOut{Username: "alice", Enabled: true, UserStatus: "CONFIRMED",
				UserCreateDate: Epoch(time.UnixMilli(1795379937123)),
				UserAttributes: []map[string]string{{"Name": "email", "Value": "alice@example.com"}}}, nil
		})},
		Action{Name: "InitiateAuth", Handle: Handler(func(ctx context.Context, in *struct{}) (*struct{}, error) {
			return nil, IncorrectCredentials()
		})},
		Action{Name: "Typed", Handle: Handler(func(_ context.Context, in *echoIn) (*echoIn, error) { return in, nil })},
		Action{Name: "Wrapped", Handle: func(context.Context, []byte) (any, error) {
			return nil, fmt.Errorf("userpool: %w", ExpiredCode())
		}},
		Action{Name: "Reason", Handle: func(context.Context, []byte) (any, error) {
			return nil, &Error{Type: "InvalidParameterException", Message: "bad", ReasonCode: "RESOURCE_NOT_FOUND"}
		}},
		Action{Name: "NilOut", Handle: Handler(func(context.Context, *struct{}) (*echoOut, error) { return nil, nil })},
	)
	return d
}

func post(target, body string) *http.Request {
	r := httptest.NewRequest("POST", "http://127.0.0.1:18229/", strings.NewReader(body))
	r.Header.Set("Content-Type", ContentType)
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	return r
}

func sdkSigned(t testing.TB, target, body, akid, secret, service, token string, at time.Time) *http.Request {
	t.Helper()
	r := post(target, body)
	r.Header.Set("Amz-Sdk-Invocation-Id", "5c1d5a40-2b4f-4b55-9a37-d2a3c53bd5a1")
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token},
		r, sha256Hex(body), service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDispatch(t *testing.T) {
	huge := `{"ClientId":"c","Pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	for _, c := range []struct {
		name   string
		req    func() *http.Request
		status int
		typ    string // "" for success
		body   string // expected exact body (success) or message (error); "" to skip
		logged string // substring expected in the log
	}{
		{name: "public call", req: func() *http.Request {
			return post(prefix+"Echo", `{"ClientId":"c1","AuthParameters":{"USERNAME":"u","DEVICE_KEY":null},"Count":3,"When":1795379937.123,"Unknown":{"x":[1,null]}}`)
		}, status: 200, body: `{"ClientId":"c1","AuthParameters":{"USERNAME":"u"},"Count":3,"When":1795379937.123,"Attributes":0}`},
		{name: "empty body is {}", req: func() *http.Request { return post(prefix+"NilOut", "") }, status: 200, body: `{}`},
		{name: "nil output is {}", req: func() *http.Request { return post(prefix+"NilOut", " {} ") }, status: 200, body: `{}`},
		{name: "GET", req: func() *http.Request { return httptest.NewRequest("GET", "/", nil) }, status: 400, typ: "UnknownOperationException"},
		{name: "missing target", req: func() *http.Request { return post("", "{}") }, status: 400, typ: "UnknownOperationException", body: "Missing X-Amz-Target header."},
		{name: "unknown action", req: func() *http.Request { return post(prefix+"Nope", "{}") }, status: 400, typ: "UnknownOperationException"},
		{name: "foreign prefix", req: func() *http.Request { return post("AWSCognitoIdentityService.Echo", "{}") }, status: 400, typ: "UnknownOperationException"},
		{name: "huge body", req: func() *http.Request { return post(prefix+"Echo", huge) }, status: 400, typ: "SerializationException"},
		{name: "huge body without length", req: func() *http.Request {
			r := post(prefix+"Echo", huge)
			r.ContentLength = -1
			return r
		}, status: 400, typ: "SerializationException"},
		{name: "malformed JSON", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":`) }, status: 400, typ: "SerializationException"},
		{name: "syntax error", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":"a",}`) }, status: 400, typ: "SerializationException"},
		{name: "trailing value", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":"a"} {}`) }, status: 400, typ: "SerializationException"},
		{name: "array body", req: func() *http.Request { return post(prefix+"Echo", `[]`) }, status: 400, typ: "SerializationException"},
		{name: "null body", req: func() *http.Request { return post(prefix+"Echo", `null`) }, status: 400, typ: "SerializationException"},
		{name: "wrong type", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":5}`) }, status: 400, typ: "SerializationException",
			body: "Cannot deserialize member 'ClientId': expected a string, got a number."},
		{name: "wrong map value type", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":"c","AuthParameters":{"A":1}}`) }, status: 400, typ: "SerializationException"},
		{name: "timestamp as string", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":"c","When":"2026-05-01"}`) }, status: 400, typ: "SerializationException",
			body: "Cannot deserialize member 'When': expected a number of epoch seconds, got a string."},
		{name: "negative timestamp", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":"c","When":-1}`) }, status: 400, typ: "SerializationException"},
		{name: "missing required", req: func() *http.Request { return post(prefix+"Echo", `{}`) }, status: 400, typ: "InvalidParameterException",
			body: "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"},
		{name: "null required", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":null}`) }, status: 400, typ: "InvalidParameterException",
			body: "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"},
		{name: "empty required", req: func() *http.Request { return post(prefix+"Echo", `{"ClientId":""}`) }, status: 400, typ: "InvalidParameterException",
			body: "1 validation error detected: Value '' at 'clientId' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "nested required", req: func() *http.Request {
			return post(prefix+"Echo", `{"UserAttributes":[{"Name":"email"},{"Value":"x"}],"Meta":{}}`)
		}, status: 400, typ: "InvalidParameterException",
			body: "3 validation errors detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'userAttributes.2.member.name' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'meta.source' failed to satisfy constraint: Member must not be null"},
		{name: "null map value", req: func() *http.Request {
			return post(prefix+"Echo", `{"ClientId":"c","AuthParameters":{"DEVICE_KEY":null},"Count":null,"When":null}`)
		}, status: 200, body: `{"ClientId":"c","Attributes":0}`},
		{name: "admin call unsigned", req: func() *http.Request {
			return post(prefix+"AdminGetUser", `{"UserPoolId":"us-east-1_p","Username":"alice"}`)
		},
			status: 400, typ: "MissingAuthenticationTokenException", body: "Missing Authentication Token"},
		{name: "admin call signed by the SDK", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{"UserPoolId":"us-east-1_p","Username":"alice"}`, adminKey, adminSecret, "cognito-idp", "", testNow)
		}, status: 200, body: `{"Username":"alice","Enabled":true,"UserStatus":"CONFIRMED","UserCreateDate":1795379937.123,"UserAttributes":[{"Name":"email","Value":"alice@example.com"}]}`},
		{name: "admin call wrongly signed", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{"UserPoolId":"us-east-1_p","Username":"alice"}`, adminKey, "wrong", "cognito-idp", "", testNow)
		}, status: 400, typ: "InvalidSignatureException"},
		{name: "admin call body swapped", req: func() *http.Request {
			r := sdkSigned(t, prefix+"AdminGetUser", `{"UserPoolId":"us-east-1_p","Username":"alice"}`, adminKey, adminSecret, "cognito-idp", "", testNow)
			swapped := `{"UserPoolId":"us-east-1_p","Username":"mallory"}`
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(swapped)), int64(len(swapped))
			return r
		}, status: 400, typ: "InvalidSignatureException"},
		{name: "admin call unknown key", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{}`, "AKIAOTHER", adminSecret, "cognito-idp", "", testNow)
		}, status: 400, typ: "UnrecognizedClientException", body: "The security token included in the request is invalid."},
		{name: "admin call with a session token", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{}`, adminKey, adminSecret, "cognito-idp", "token", testNow)
		}, status: 400, typ: "UnrecognizedClientException"},
		{name: "admin call for another service", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{}`, adminKey, adminSecret, "cognito-identity", "", testNow)
		}, status: 400, typ: "InvalidSignatureException", body: "Credential should be scoped to correct service: 'cognito-idp'."},
		{name: "admin call target replayed unsigned", req: func() *http.Request {
			// Signed as AdminGetUser with the target left out of SignedHeaders, then retargeted.
			r := post("", `{"UserPoolId":"us-east-1_p","Username":"alice"}`)
			r.Header.Del("Content-Type")
			err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret},
				r, sha256Hex(`{"UserPoolId":"us-east-1_p","Username":"alice"}`), "cognito-idp", "us-east-1", testNow)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("X-Amz-Target", prefix+"AdminGetUser")
			return r
		}, status: 400, typ: "InvalidSignatureException", body: "There were headers present in the request which were not signed: x-amz-target"},
		{name: "admin call for another region", req: func() *http.Request {
			r := post(prefix+"AdminGetUser", `{}`)
			err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret},
				r, sha256Hex(`{}`), "cognito-idp", "eu-west-1", testNow)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}, status: 400, typ: "InvalidSignatureException", body: "Credential should be scoped to a valid region, not 'eu-west-1'."},
		{name: "admin call stale", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{}`, adminKey, adminSecret, "cognito-idp", "", testNow.Add(-10*time.Minute))
		}, status: 400, typ: "InvalidSignatureException"},
		{name: "admin call validated after signature", req: func() *http.Request {
			return sdkSigned(t, prefix+"AdminGetUser", `{"UserPoolId":"us-east-1_p"}`, adminKey, adminSecret, "cognito-idp", "", testNow)
		}, status: 400, typ: "InvalidParameterException",
			body: "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null"},
		{name: "typed error wrapped", req: func() *http.Request { return post(prefix+"Wrapped", `{}`) }, status: 400, typ: "ExpiredCodeException",
			body: "Invalid code provided, please request a code again."},
		{name: "handler panic", req: func() *http.Request { return post(prefix+"Panics", `{}`) }, status: 500, typ: "InternalErrorException",
			body: "An internal error occurred.", logged: "panic in Panics: boom"},
		{name: "plain error", req: func() *http.Request { return post(prefix+"Fails", `{}`) }, status: 500, typ: "InternalErrorException",
			body: "An internal error occurred.", logged: "disk on fire"},
		{name: "unencodable output", req: func() *http.Request { return post(prefix+"Unencodable", `{}`) }, status: 500, typ: "InternalErrorException",
			logged: "encoding output"},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := &logSink{}
			d := newTestDispatcher(logs)
			w := httptest.NewRecorder()
			d.ServeHTTP(w, c.req())
			res := w.Result()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.status {
				t.Fatalf("status = %d, want %d; body %s", res.StatusCode, c.status, raw)
			}
			if got := res.Header.Get("Content-Type"); got != ContentType {
				t.Errorf("Content-Type = %q", got)
			}
			if got := res.Header.Get("x-amzn-RequestId"); got != requestID {
				t.Errorf("x-amzn-RequestId = %q", got)
			}
			if got := res.Header.Get("Date"); got != "Fri, 01 May 2026 10:00:00 GMT" {
				t.Errorf("Date = %q", got)
			}
			if c.logged != "" && !strings.Contains(logs.all(), c.logged) {
				t.Errorf("log %q lacks %q", logs.all(), c.logged)
			}
			if c.typ == "" {
				if c.body != "" && string(raw) != c.body {
					t.Errorf("body = %s\nwant   %s", raw, c.body)
				}
				return
			}
			var e map[string]string
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body %q is not a JSON object of strings: %v", raw, err)
			}
			if e["__type"] != c.typ {
				t.Errorf("__type = %q, want %q (message %q)", e["__type"], c.typ, e["message"])
			}
			if c.body != "" && e["message"] != c.body {
				t.Errorf("message = %q\nwant      %q", e["message"], c.body)
			}
			if e["message"] == "" {
				t.Error("empty message")
			}
			if got := res.Header.Get("x-amzn-ErrorType"); got != c.typ+":" {
				t.Errorf("x-amzn-ErrorType = %q", got)
			}
			if got := res.Header.Get("x-amzn-ErrorMessage"); got != e["message"] {
				t.Errorf("x-amzn-ErrorMessage = %q, body message %q", got, e["message"])
			}
		})
	}
}

func TestErrorWire(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, &Error{Type: "InvalidParameterException", Message: "line one\nline two", ReasonCode: "RESOURCE_NOT_FOUND"})
	if w.Code != 400 {
		t.Errorf("status %d for an Error without Status", w.Code)
	}
	if got, want := w.Body.String(), `{"__type":"InvalidParameterException","message":"line one\nline two","reasonCode":"RESOURCE_NOT_FOUND"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if got := w.Header().Get("x-amzn-ErrorMessage"); got != "line one line two" {
		t.Errorf("header message = %q", got)
	}
	w = httptest.NewRecorder()
	WriteError(w, NotAuthorized("<%s> & more", "x"))
	if got, want := w.Body.String(), `{"__type":"NotAuthorizedException","message":"<x> & more"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	d := NewDispatcher(prefix, DispatcherConfig{})
	d.Register(Action{Name: "A", Handle: func(context.Context, []byte) (any, error) { return nil, nil }})
	for _, a := range []Action{{Name: "A", Handle: func(context.Context, []byte) (any, error) { return nil, nil }}, {Name: "B"}, {}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", a.Name)
				}
			}()
			d.Register(a)
		}()
	}
	if !d.Handles(prefix+"Anything") || d.Handles("AWSCognitoIdentityService.GetId") {
		t.Error("Handles does not follow the prefix")
	}
}

func TestDefaultRequestID(t *testing.T) {
	d := NewDispatcher(prefix, DispatcherConfig{Logf: t.Logf})
	w := httptest.NewRecorder()
	d.ServeHTTP(w, post(prefix+"X", "{}"))
	id := w.Header().Get("x-amzn-RequestId")
	if len(id) != 36 || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Errorf("request ID %q is not a UUID v4", id)
	}
	if NewUUID() == NewUUID() {
		t.Error("two UUIDs are equal")
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for range 50 {
		if id := NewUUID(); !uuid.MatchString(id) {
			t.Fatalf("NewUUID() = %q, not a lower-case UUID v4", id)
		}
	}
}

// TestAWSSDKClient drives the dispatcher with the real Cognito client of the AWS SDK Go v2:
// a signed admin call, a typed error on a public call, and a typed error on a signed call.
func TestAWSSDKClient(t *testing.T) {
	d := newTestDispatcher(&logSink{})
	d.cfg.Now = time.Now
	srv := httptest.NewServer(d)
	defer srv.Close()
	client := cognitoidentityprovider.NewFromConfig(aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, nil
		}),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
	ctx := context.Background()
	out, err := client.AdminGetUser(ctx, &cognitoidentityprovider.AdminGetUserInput{UserPoolId: aws.String("us-east-1_abc"), Username: aws.String("alice")})
	if err != nil {
		t.Fatalf("AdminGetUser: %v", err)
	}
	if aws.ToString(out.Username) != "alice" || !out.Enabled || out.UserStatus != types.UserStatusTypeConfirmed ||
		!out.UserCreateDate.Equal(time.UnixMilli(1795379937123)) || aws.ToString(out.UserAttributes[0].Value) != "alice@example.com" {
		t.Errorf("AdminGetUser output = %+v", out)
	}
	_, err = client.AdminGetUser(ctx, &cognitoidentityprovider.AdminGetUserInput{UserPoolId: aws.String("us-east-1_abc"), Username: aws.String("bob")})
	if _, ok := errors.AsType[*types.UserNotFoundException](err); !ok {
		t.Errorf("AdminGetUser(bob) error = %v, want UserNotFoundException", err)
	}
	_, err = client.InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{ClientId: aws.String("c"), AuthFlow: types.AuthFlowTypeUserPasswordAuth})
	if e, ok := errors.AsType[*types.NotAuthorizedException](err); !ok || e.ErrorMessage() != "Incorrect username or password." {
		t.Errorf("InitiateAuth error = %v, want NotAuthorizedException", err)
	}
	bad := cognitoidentityprovider.NewFromConfig(aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: "wrong"}, nil
		}),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
	_, err = bad.AdminGetUser(ctx, &cognitoidentityprovider.AdminGetUserInput{UserPoolId: aws.String("p"), Username: aws.String("alice")})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("wrong secret: err = %v", err)
	}
}

func TestCORS(t *testing.T) {
	h := CORS(newTestDispatcher(&logSink{}))
	pre := httptest.NewRequest("OPTIONS", "/", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, pre)
	if w.Code != http.StatusNoContent {
		t.Fatalf("preflight status %d", w.Code)
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "https://app.example",
		"Access-Control-Allow-Methods": "POST, GET, OPTIONS",
		"Access-Control-Allow-Headers": "content-type,x-amz-target,x-amz-user-agent",
		"Access-Control-Max-Age":       "7200",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("OPTIONS", "/", nil))
	if w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "x-amz-target") {
		t.Errorf("bare OPTIONS headers = %v", w.Header())
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, post(prefix+"Nope", "{}"))
	if w.Code != 400 || w.Header().Get("Access-Control-Expose-Headers") != ExposedHeaders || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("error response: %d %v", w.Code, w.Header())
	}
	r := post(prefix+"NilOut", "{}")
	r.Header.Set("Origin", "http://localhost:5173")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5173" || w.Header().Get("Access-Control-Expose-Headers") != ExposedHeaders {
		t.Errorf("success response: %d %v", w.Code, w.Header())
	}
}

// FuzzDispatch: whatever the body and target, a dispatcher whose handlers never fail never
// answers 5xx, and every error answer is a well-formed Cognito error.
func FuzzDispatch(f *testing.F) {
	f.Add(prefix+"Echo", `{"ClientId":"c","AuthParameters":{"A":null},"When":1795379937.5,"UserAttributes":[{"Name":"n"},null]}`)
	f.Add(prefix+"Echo", `{"Meta":{"Source":""},"UserAttributes":[{}]}`)
	f.Add(prefix+"Echo", `{"When":1e400}`)
	f.Add(prefix+"Echo", `{"ClientId":"\ud800","Count":1.5}`)
	f.Add(prefix+"AdminGetUser", `{"UserPoolId":"us-east-1_p","Username":"alice"}`)
	f.Add(prefix+"NilOut", "")
	f.Add(prefix+"Typed", `{"ClientId":"c","When":99999999999.999999999,"Meta":{"Source":"s"},"UserAttributes":[{"Name":"a","Value":null}]}`)
	f.Add(prefix+"Reason", `{}`)
	f.Add("", "[")
	f.Add(prefix, "\x00")
	f.Fuzz(func(t *testing.T, target, body string) {
		d := newSafeDispatcher(&logSink{})
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header["X-Amz-Target"] = []string{target}
		d.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for target %q body %q: %s", w.Code, target, body, w.Body)
		}
		if w.Code >= 400 {
			var e map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e["__type"] == "" || e["message"] == "" {
				t.Fatalf("bad error body %q", w.Body)
			}
		} else if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON output %q", w.Body)
		}
	})
}

// TestDateHeader: the Date header formatted once per second is what formatting every time
// gives, for times within a second, across seconds, backwards, and before 1970.
func TestDateHeader(t *testing.T) {
	d := NewDispatcher("X.", DispatcherConfig{})
	base := time.Date(2026, 12, 7, 23, 59, 58, 0, time.FixedZone("x", -7*3600))
	steps := []time.Duration{0, 1, 999_999_999, 1e9, 1e9 + 1, 3e9 - 1, -1, -1e9, 0, 86400e9}
	for _, at := range []time.Time{base, time.Unix(-1, 500_000_000), time.Unix(0, 0)} {
		for _, step := range steps {
			now := at.Add(step)
			if got, want := d.dateHeader(now), now.UTC().Format(http.TimeFormat); got != want {
				t.Fatalf("dateHeader(%v) = %q, want %q", now, got, want)
			}
		}
	}
}
