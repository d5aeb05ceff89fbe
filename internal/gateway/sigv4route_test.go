package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/poolgate/poolgate/internal/creds"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

const filesPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
  "Resource":"arn:aws:s3:::bucket/private/${cognito-identity.amazonaws.com:sub}/*"},
 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket",
  "Condition":{"StringLike":{"s3:prefix":"private/${cognito-identity.amazonaws.com:sub}/*"}}},
 {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bucket/private/*/locked*"}]}`

const identityID = "us-east-1:11111111-2222-3333-4444-555555555555"

// sigEnv is a gateway with a sigv4 route, an issuer of identity-pool credentials and a signer.
type sigEnv struct {
	*env
	issuer *creds.Issuer
	creds  *creds.Credentials
	origin *origin
}

func newSigEnv(t *testing.T, spec *SigV4Spec) *sigEnv {
	t.Helper()
	master := bytes.Repeat([]byte{9}, 32)
	e := &env{t: t, clock: newClock(), pools: newFakePools(), logs: &strings.Builder{}}
	is, err := creds.NewIssuer(master, rand.NewChaCha8([32]byte{3}), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(Config{Store: memstore.New(e.clock.Now), Crypto: hostcrypto.Pure{}, Now: e.clock.Now, Logf: e.logf,
		Credentials: is.Verifier(), Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	e.gw = gw
	e.h = asHost(gw.Handler(http.NotFoundHandler()))
	s := &sigEnv{env: e, issuer: is, origin: newOrigin(t, nil)}
	e.apply(RouteSpec{Name: "files", Type: TypeSigV4, PathPrefix: "/s3", Origin: s.origin.URL, SigV4: spec})
	s.creds = s.issue(t, identityID, time.Hour)
	return s
}

func (s *sigEnv) issue(t *testing.T, id string, life time.Duration) *creds.Credentials {
	doc, err := policy.Parse([]byte(filesPolicy))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.issuer.Issue(creds.Grant{IdentityID: id, IdentityPoolID: "us-east-1:pool", RoleArn: "arn:aws:iam::000000000000:role/Auth",
		Policy: doc, Authenticated: true, Username: "alice", Lifetime: life})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// send signs a request with c at the given time (the env's clock when zero) and serves it.
func (s *sigEnv) send(method, target string, body []byte, c *creds.Credentials, at time.Time, unsigned bool, mod func(*http.Request)) *httptest.ResponseRecorder {
	s.t.Helper()
	r := httptest.NewRequest(method, "http://gw.test"+target, bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.7:5555"
	hash := "UNSIGNED-PAYLOAD"
	if !unsigned {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	r.Header.Set("X-Amz-Content-Sha256", hash)
	if at.IsZero() {
		at = s.clock.Now()
	}
	if c != nil {
		ac := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretKey, SessionToken: c.SessionToken}
		// A fresh signer each time: the SDK's caches derived keys by access key id alone,
		// which the wrong-secret case would poison.
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err := signer.SignHTTP(ctx, ac, r, hash, "s3", "us-east-1", at); err != nil {
			s.t.Fatal(err)
		}
	}
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func wantS3Error(t testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	var e struct {
		Code, Message string
	}
	if w.Code != status || w.Header().Get("Content-Type") != "application/xml" || xml.Unmarshal(w.Body.Bytes(), &e) != nil || e.Code != code {
		t.Fatalf("got %d %s %s, want %d with <Code>%s</Code>", w.Code, w.Header().Get("Content-Type"), w.Body, status, code)
	}
}

func TestSigV4RouteAllows(t *testing.T) {
	s := newSigEnv(t, nil)
	own := "/s3/bucket/private/" + identityID + "/photo.jpg"
	w := s.send("PUT", own, []byte("jpeg bytes"), s.creds, time.Time{}, false, nil)
	if w.Code != 200 {
		t.Fatalf("PUT own: %d %s\n%s", w.Code, w.Body, s.logs)
	}
	got := s.origin.last(t)
	if got.Method != "PUT" || string(got.Body) != "jpeg bytes" || got.Path != own {
		t.Fatalf("origin saw %s %s %q", got.Method, got.Path, got.Body)
	}
	for k, v := range map[string]string{
		HeaderIdentityID:     "us-east-1:11111111-2222-3333-4444-555555555555",
		HeaderSub:            "us-east-1:11111111-2222-3333-4444-555555555555",
		HeaderIdentityPoolID: "us-east-1:pool",
		HeaderRoleArn:        "arn:aws:iam::000000000000:role/Auth",
		HeaderAuthenticated:  "true",
		HeaderAccessKeyID:    s.creds.AccessKeyID,
		HeaderUsername:       "alice",
		HeaderAction:         "s3:PutObject",
		HeaderResource:       "arn:aws:s3:::bucket/private/us-east-1:11111111-2222-3333-4444-555555555555/photo.jpg",
		HeaderRoute:          "files",
	} {
		if got.Header.Get(k) != v {
			t.Errorf("origin header %s = %q, want %q", k, got.Header.Get(k), v)
		}
	}
	if got.Header.Get("Authorization") != "" || got.Header.Get("X-Amz-Security-Token") != "" {
		t.Error("the signature or the session token reached the origin")
	}
	// GET, unsigned payload, a key that needs encoding, ListBucket with an allowed prefix.
	for _, c := range []struct{ method, target string }{
		{"GET", own},
		{"HEAD", own},
		{"GET", "/s3/bucket/private/" + identityID + "/a%20b%2Bc.txt"},
		{"GET", "/s3/bucket?list-type=2&prefix=private%2F" + strings.ReplaceAll(identityID, ":", "%3A") + "%2F"},
	} {
		if w := s.send(c.method, c.target, nil, s.creds, time.Time{}, true, nil); w.Code != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.target, w.Code, w.Body)
		}
	}
	if got := s.origin.last(t); got.Header.Get(HeaderAction) != "s3:ListBucket" || got.Header.Get(HeaderResource) != "arn:aws:s3:::bucket" {
		t.Fatalf("ListBucket headers %v", got.Header)
	}
	// A streamed body with UNSIGNED-PAYLOAD.
	big := bytes.Repeat([]byte("z"), MaxSignedBodyBytes+10)
	if w := s.send("PUT", own, big, s.creds, time.Time{}, true, nil); w.Code != 200 || len(s.origin.last(t).Body) != len(big) {
		t.Fatalf("unsigned large PUT: %d", w.Code)
	}
	// A signed payload above the limit is refused.
	wantS3Error(t, s.send("PUT", own, big, s.creds, time.Time{}, false, nil), http.StatusRequestEntityTooLarge, "EntityTooLarge")
}

func TestSigV4RouteRefusals(t *testing.T) {
	s := newSigEnv(t, nil)
	own := "/s3/bucket/private/" + identityID + "/x"
	other := "/s3/bucket/private/us-east-1:99999999-2222-3333-4444-555555555555/x"
	expired := s.issue(t, identityID, 15*time.Minute)
	tampered := *s.creds
	tampered.SessionToken = s.creds.SessionToken[:40] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, s.creds.SessionToken[40:41]) + s.creds.SessionToken[41:]
	foreignIssuer, _ := creds.NewIssuer(bytes.Repeat([]byte{1}, 32), rand.NewChaCha8([32]byte{4}), s.clock.Now)
	doc, _ := policy.Parse([]byte(filesPolicy))
	foreign, _ := foreignIssuer.Issue(creds.Grant{IdentityID: identityID, IdentityPoolID: "p", RoleArn: "r", Policy: doc})
	wrongSecret := *s.creds
	wrongSecret.SecretKey = "x" + s.creds.SecretKey[1:]
	swapped := *s.issue(t, identityID, time.Hour)
	swapped.AccessKeyID = s.creds.AccessKeyID

	s.clock.Advance(20 * time.Minute) // expired is past its expiry; s.creds is not
	cases := []struct {
		name   string
		w      *httptest.ResponseRecorder
		status int
		code   string
	}{
		{"other identity's prefix", s.send("GET", other, nil, s.creds, time.Time{}, true, nil), 403, "AccessDenied"},
		{"list other prefix", s.send("GET", "/s3/bucket?prefix=private/", nil, s.creds, time.Time{}, true, nil), 403, "AccessDenied"},
		{"explicit deny", s.send("DELETE", "/s3/bucket/private/"+identityID+"/locked.txt", nil, s.creds, time.Time{}, true, nil), 403, "AccessDenied"},
		{"other bucket", s.send("GET", "/s3/other/private/"+identityID+"/x", nil, s.creds, time.Time{}, true, nil), 403, "AccessDenied"},
		{"unsigned", s.send("GET", own, nil, nil, time.Time{}, true, nil), 403, "AccessDenied"},
		{"expired credentials", s.send("GET", own, nil, expired, time.Time{}, true, nil), 403, "ExpiredToken"},
		{"tampered session token", s.send("GET", own, nil, &tampered, time.Time{}, true, nil), 403, "InvalidToken"},
		{"foreign credentials", s.send("GET", own, nil, foreign, time.Time{}, true, nil), 403, "InvalidToken"},
		{"wrong secret", s.send("GET", own, nil, &wrongSecret, time.Time{}, true, nil), 403, "SignatureDoesNotMatch"},
		{"token of another key", s.send("GET", own, nil, &swapped, time.Time{}, true, nil), 403, "InvalidToken"},
		{"no session token", s.send("GET", own, nil, s.creds, time.Time{}, true, func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") }), 403, "InvalidAccessKeyId"},
		{"replayed outside the skew", s.send("GET", own, nil, s.creds, s.clock.Now().Add(-6*time.Minute), true, nil), 403, "RequestTimeTooSkewed"},
		{"from the future", s.send("GET", own, nil, s.creds, s.clock.Now().Add(6*time.Minute), true, nil), 403, "RequestTimeTooSkewed"},
		{"path changed after signing", s.send("GET", own, nil, s.creds, time.Time{}, true, func(r *http.Request) {
			r.URL.Path = other
			r.RequestURI = other
		}), 403, "SignatureDoesNotMatch"},
		{"body changed after signing", s.send("PUT", own, []byte("a"), s.creds, time.Time{}, false, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("b"))
		}), 403, "SignatureDoesNotMatch"},
		{"wrong service", s.send("GET", own, nil, s.creds, time.Time{}, true, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/", "/execute-api/", 1))
		}), 403, "SignatureDoesNotMatch"},
		{"malformed authorization", s.send("GET", own, nil, s.creds, time.Time{}, true, func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
		}), 403, "AuthorizationHeaderMalformed"},
		{"method without action", s.send("POST", own, nil, s.creds, time.Time{}, true, nil), 405, "MethodNotAllowed"},
		{"bucket-level PUT", s.send("PUT", "/s3/bucket", nil, s.creds, time.Time{}, true, nil), 405, "MethodNotAllowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantS3Error(t, c.w, c.status, c.code) })
	}
	if s.origin.count() != 0 {
		t.Fatalf("%d refused requests reached the origin", s.origin.count())
	}
}

func TestSigV4RouteCustomMappingAndJSON(t *testing.T) {
	s := newSigEnv(t, &SigV4Spec{Service: "execute-api", Region: "us-east-1", Bucket: "bucket",
		Actions: map[string]string{"POST": "s3:PutObject"}, Resource: "arn:aws:s3:::{bucket}/{path}", ErrorFormat: "json"})
	sign := func(method, target string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://gw.test"+target, bytes.NewReader(body))
		sum := sha256.Sum256(body)
		ac := aws.Credentials{AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretKey, SessionToken: s.creds.SessionToken}
		if err := v4.NewSigner().SignHTTP(ctx, ac, r, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", s.clock.Now()); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		return w
	}
	if w := sign("POST", "/s3/private/"+identityID+"/new", []byte(`{"a":1}`)); w.Code != 200 {
		t.Fatalf("POST: %d %s", w.Code, w.Body)
	}
	if got := s.origin.last(t); got.Header.Get(HeaderAction) != "s3:PutObject" ||
		got.Header.Get(HeaderResource) != "arn:aws:s3:::bucket/private/"+identityID+"/new" {
		t.Fatalf("mapping: %v", got.Header)
	}
	w := sign("POST", "/s3/private/someone-else/new", nil)
	var e map[string]string
	if w.Code != 403 || json.Unmarshal(w.Body.Bytes(), &e) != nil || e["__type"] != "AccessDeniedException" || w.Header().Get("X-Amzn-Errortype") != "AccessDeniedException:" {
		t.Fatalf("JSON refusal: %d %s", w.Code, w.Body)
	}
}
