package creds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/sigv4"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var master = bytes.Repeat([]byte{7}, 32)

const ownPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*"},
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/users/${aws:username}/*"}]}`

type fixture struct {
	clock  *clock
	issuer *Issuer
	doc    *policy.Document
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	is, err := NewIssuer(master, rand.NewChaCha8([32]byte{1}), c.Now)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := policy.Parse([]byte(ownPolicy))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{clock: c, issuer: is, doc: doc}
}

func (f *fixture) grant() Grant {
	return Grant{
		IdentityID: "us-east-1:11111111-2222-3333-4444-555555555555", IdentityPoolID: "us-east-1:pool",
		RoleArn: "arn:aws:iam::000000000000:role/Auth", Policy: f.doc, Authenticated: true,
		Logins: []string{"cognito-idp.us-east-1.amazonaws.com/us-east-1_X"}, Username: "alice",
	}
}

func (f *fixture) issue(t testing.TB, g Grant) *Credentials {
	t.Helper()
	c, err := f.issuer.Issue(g)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, err error, code sigv4.Code) {
	t.Helper()
	var e *sigv4.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want *sigv4.Error %s", err, code)
	}
}

func TestIssueShape(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, f.grant())
	if !regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`).MatchString(c.AccessKeyID) {
		t.Errorf("AccessKeyId %q", c.AccessKeyID)
	}
	if len(c.SecretKey) != 40 {
		t.Errorf("SecretKey length %d", len(c.SecretKey))
	}
	if !c.Expiration.Equal(f.clock.Now().Add(DefaultLifetime)) {
		t.Errorf("Expiration %v", c.Expiration)
	}
	if _, err := base64.StdEncoding.DecodeString(c.SessionToken); err != nil {
		t.Errorf("SessionToken is not base64: %v", err)
	}
	if strings.Contains(c.SessionToken, "alice") || strings.Contains(c.SessionToken, c.SecretKey) {
		t.Error("session token leaks its content")
	}
	other := f.issue(t, f.grant())
	if other.AccessKeyID == c.AccessKeyID || other.SecretKey == c.SecretKey {
		t.Error("two issues share a key")
	}
}

func TestLookup(t *testing.T) {
	f := newFixture(t)
	g := f.grant()
	c := f.issue(t, g)
	secret, p, err := f.issuer.Verifier().Lookup(c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if secret != c.SecretKey {
		t.Fatalf("secret %q, want %q", secret, c.SecretKey)
	}
	if p.IdentityID != g.IdentityID || p.IdentityPoolID != g.IdentityPoolID || p.RoleArn != g.RoleArn ||
		!p.Authenticated || p.Username != "alice" || p.AccessKeyID != c.AccessKeyID ||
		len(p.Logins) != 1 || p.Logins[0] != g.Logins[0] || !p.Expires.Equal(c.Expiration) || !p.Issued.Equal(f.clock.Now()) {
		t.Fatalf("principal %+v", p)
	}
	if string(p.Policy.JSON()) != string(f.doc.JSON()) {
		t.Fatalf("policy changed in transit")
	}
	own := "arn:aws:s3:::bucket/" + g.IdentityID + "/k"
	if p.Evaluate("s3:GetObject", own, nil) != policy.Allow {
		t.Error("own prefix denied")
	}
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::bucket/users/alice/k", nil) != policy.Allow {
		t.Error("aws:username not substituted")
	}
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::bucket/us-east-1:other/k", nil) != policy.ImplicitDeny {
		t.Error("other prefix allowed")
	}
	// A caller-supplied key cannot override the principal's own variables.
	if p.Evaluate("s3:GetObject", "arn:aws:s3:::bucket/x/k", map[string]string{"cognito-identity.amazonaws.com:sub": "x"}) != policy.ImplicitDeny {
		t.Error("extra vars overrode the identity")
	}
	if amr := p.Sets()["cognito-identity.amazonaws.com:amr"]; len(amr) != 2 || amr[0] != "authenticated" {
		t.Errorf("amr %v", amr)
	}
	// A fresh Verifier from the master key alone (another edge location) agrees.
	v2, err := NewVerifier(master, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if s2, _, err := v2.Lookup(c.AccessKeyID, c.SessionToken); err != nil || s2 != secret {
		t.Fatalf("second verifier: %v", err)
	}
}

func TestGuestPrincipal(t *testing.T) {
	f := newFixture(t)
	g := f.grant()
	g.Authenticated, g.Logins, g.Username = false, nil, ""
	c := f.issue(t, g)
	_, p, err := f.issuer.Verifier().Lookup(c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.Authenticated || p.Username != "" {
		t.Fatalf("guest principal %+v", p)
	}
	if _, ok := p.Vars()["aws:username"]; ok {
		t.Error("guest has aws:username")
	}
	if amr := p.Sets()["cognito-identity.amazonaws.com:amr"]; len(amr) != 1 || amr[0] != "unauthenticated" {
		t.Errorf("amr %v", amr)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	g := f.grant()
	g.Lifetime = 15 * time.Minute
	c := f.issue(t, g)
	v := f.issuer.Verifier()
	f.clock.Advance(15*time.Minute - time.Second)
	if _, _, err := v.Lookup(c.AccessKeyID, c.SessionToken); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	f.clock.Advance(time.Second)
	_, _, err := v.Lookup(c.AccessKeyID, c.SessionToken)
	wantCode(t, err, sigv4.ExpiredToken)
}

func TestLookupRefuses(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, f.grant())
	other := f.issue(t, f.grant())
	v := f.issuer.Verifier()
	raw, _ := base64.StdEncoding.DecodeString(c.SessionToken)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 1

	foreign, err := NewIssuer(bytes.Repeat([]byte{8}, 32), rand.NewChaCha8([32]byte{2}), f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := foreign.Issue(f.grant())
	if err != nil {
		t.Fatal(err)
	}
	// A blob sealed under the right key but for another purpose (e.g. a user-pool session).
	s, _ := seal.New(seal.DeriveKey(master, labelSession), rand.NewChaCha8([32]byte{3}))
	wrongPurpose, _ := s.Seal("userpool/session", []byte(`{"k":"`+c.AccessKeyID+`"}`), time.Time{})
	// A genuine seal whose content is not a claims object.
	notClaims, _ := s.Seal(purpose, []byte(`not json`), time.Time{})

	tests := map[string]struct{ akid, token string }{
		"no token":            {c.AccessKeyID, ""},
		"long-term key id":    {"AKIA" + c.AccessKeyID[4:], c.SessionToken},
		"other key's token":   {c.AccessKeyID, other.SessionToken},
		"not base64":          {c.AccessKeyID, "***"},
		"truncated":           {c.AccessKeyID, c.SessionToken[:len(c.SessionToken)-8]},
		"bit flipped":         {c.AccessKeyID, base64.StdEncoding.EncodeToString(flipped)},
		"foreign server":      {fc.AccessKeyID, fc.SessionToken},
		"wrong purpose":       {c.AccessKeyID, base64.StdEncoding.EncodeToString(wrongPurpose)},
		"not claims":          {c.AccessKeyID, base64.StdEncoding.EncodeToString(notClaims)},
		"oversized":           {c.AccessKeyID, strings.Repeat("A", MaxSessionTokenLen+4)},
		"case-changed key id": {strings.ToLower(c.AccessKeyID[:5]) + c.AccessKeyID[5:], c.SessionToken},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, p, err := v.Lookup(tc.akid, tc.token)
			if p != nil {
				t.Fatal("principal returned with an error")
			}
			wantCode(t, err, sigv4.UnrecognizedClient)
		})
	}
}

func TestIssueRejects(t *testing.T) {
	f := newFixture(t)
	for name, mod := range map[string]func(*Grant){
		"no identity":   func(g *Grant) { g.IdentityID = "" },
		"no pool":       func(g *Grant) { g.IdentityPoolID = "" },
		"no role":       func(g *Grant) { g.RoleArn = "" },
		"no policy":     func(g *Grant) { g.Policy = nil },
		"negative life": func(g *Grant) { g.Lifetime = -time.Second },
		"too long life": func(g *Grant) { g.Lifetime = MaxLifetime + time.Second },
	} {
		g := f.grant()
		mod(&g)
		if _, err := f.issuer.Issue(g); err == nil || !strings.HasPrefix(err.Error(), "creds: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := NewVerifier(master[:16], f.clock.Now); err == nil {
		t.Error("short master key accepted")
	}
	if _, err := NewIssuer(master, nil, f.clock.Now); err == nil {
		t.Error("nil rand accepted")
	}
}

func largePolicy(n int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, `{"Sid":"S%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-%d/${cognito-identity.amazonaws.com:sub}/*","Condition":{"StringLike":{"aws:username":"user-%d-*"}}},`, i, i, i)
	}
	b.WriteString(`{"Sid":"Own","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*"}]}`)
	return b.String()
}

func TestLargePolicyIsCompressed(t *testing.T) {
	f := newFixture(t)
	doc := largePolicy(100)
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	g := f.grant()
	g.Policy = d
	c := f.issue(t, g)
	if len(c.SessionToken) >= len(doc) {
		t.Errorf("token %d bytes for a %d-byte policy: not compressed", len(c.SessionToken), len(doc))
	}
	_, p, err := f.issuer.Verifier().Lookup(c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Policy.JSON()) != string(d.JSON()) {
		t.Fatal("policy changed in transit")
	}
	_, p2, _ := f.issuer.Verifier().Lookup(c.AccessKeyID, c.SessionToken)
	if p2.Policy != p.Policy {
		t.Error("parsed policy not cached")
	}
}

// signedRequest signs a request with the SDK's own signer, as an S3 client would.
func signedRequest(t testing.TB, c *Credentials, method, url string, body []byte, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, url, bytes.NewReader(body))
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", hash)
	err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), aws.Credentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretKey, SessionToken: c.SessionToken,
	}, r, hash, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyRequestWithSDKSigner(t *testing.T) {
	f := newFixture(t)
	g := f.grant()
	c := f.issue(t, g)
	v := f.issuer.Verifier()
	opt := sigv4.Options{Now: f.clock.Now(), Service: "s3", SingleEncodePath: true, AllowUnsignedPayload: true}
	url := "http://gw.example/files/" + g.IdentityID + "/a.txt"

	r := signedRequest(t, c, http.MethodPut, url, []byte("hello"), f.clock.Now())
	res, p, err := v.VerifyRequest(r, []byte("hello"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.SessionToken != c.SessionToken || p.IdentityID != g.IdentityID {
		t.Fatalf("result %+v principal %+v", res, p)
	}

	// The secret of another vended key does not verify this key's signature.
	other := f.issue(t, g)
	forged := *c
	forged.SecretKey = other.SecretKey
	r = signedRequest(t, &forged, http.MethodGet, url, nil, f.clock.Now())
	_, _, err = v.VerifyRequest(r, nil, opt)
	wantCode(t, err, sigv4.InvalidSignature)

	// The signature was made with the real key but the token is swapped for another's.
	r = signedRequest(t, c, http.MethodGet, url, nil, f.clock.Now())
	r.Header.Set("X-Amz-Security-Token", other.SessionToken)
	_, _, err = v.VerifyRequest(r, nil, opt)
	wantCode(t, err, sigv4.UnrecognizedClient)

	// Replayed outside the skew window.
	r = signedRequest(t, c, http.MethodGet, url, nil, f.clock.Now())
	opt.Now = f.clock.Now().Add(6 * time.Minute)
	_, _, err = v.VerifyRequest(r, nil, opt)
	wantCode(t, err, sigv4.InvalidSignature)

	// Expired credentials, freshly signed.
	f.clock.Advance(2 * time.Hour)
	opt.Now = f.clock.Now()
	r = signedRequest(t, c, http.MethodGet, url, nil, f.clock.Now())
	_, _, err = v.VerifyRequest(r, nil, opt)
	wantCode(t, err, sigv4.ExpiredToken)
}

func FuzzLookup(f *testing.F) {
	fx := newFixture(f)
	c := fx.issue(f, fx.grant())
	f.Add(c.AccessKeyID, c.SessionToken)
	f.Add(c.AccessKeyID, "")
	f.Add("ASIA", "AQ==")
	f.Add("AKIAEXAMPLE", c.SessionToken)
	v := fx.issuer.Verifier()
	f.Fuzz(func(t *testing.T, akid, tok string) {
		secret, p, err := v.Lookup(akid, tok)
		if err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) || p != nil || secret != "" {
				t.Fatalf("refusal %v is not a bare *sigv4.Error", err)
			}
			return
		}
		// Only the genuine pair opens (base64 may spell the same bytes with line breaks).
		if akid != c.AccessKeyID || p.AccessKeyID != akid || secret != c.SecretKey {
			t.Fatalf("opened for %q", akid)
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	g := f.grant()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.issuer.Issue(g); err != nil {
			b.Fatal(err)
		}
	}
}

// benchGatewayCheck measures what a gateway does per request: SigV4 verification with the
// credential lookup, then policy evaluation.
func benchGatewayCheck(b *testing.B, doc string) {
	f := newFixture(b)
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		b.Fatal(err)
	}
	g := f.grant()
	g.Policy = d
	c := f.issue(b, g)
	v := f.issuer.Verifier()
	key := g.IdentityID + "/photo.jpg"
	r := signedRequest(b, c, http.MethodGet, "http://gw.example/bucket/"+key, nil, f.clock.Now())
	opt := sigv4.Options{Now: f.clock.Now(), Service: "s3", SingleEncodePath: true, AllowUnsignedPayload: true}
	b.ReportAllocs()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		_, p, err := v.VerifyRequest(r, nil, opt)
		if err != nil {
			b.Fatal(err)
		}
		if p.Evaluate("s3:GetObject", "arn:aws:s3:::bucket/"+key, nil) != policy.Allow {
			b.Fatal("denied")
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
}

func BenchmarkGatewayCheckSmallPolicy(b *testing.B) { benchGatewayCheck(b, ownPolicy) }
func BenchmarkGatewayCheckLargePolicy(b *testing.B) { benchGatewayCheck(b, largePolicy(100)) }
