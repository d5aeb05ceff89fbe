package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	suiteKey    = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func keys(pairs ...string) func(string) (string, string, bool) {
	return func(akid string) (string, string, bool) {
		for i := 0; i+2 < len(pairs); i += 3 {
			if pairs[i] == akid {
				return pairs[i+1], pairs[i+2], true
			}
		}
		return "", "", false
	}
}

// TestPublishedVectors checks requests from AWS's SigV4 test suite and documentation,
// rebuilt as they arrive at a server, with their published signatures.
func TestPublishedVectors(t *testing.T) {
	for _, c := range []struct {
		name, method, target, host string
		headers                    map[string]string
		signed, akid, secret, sig  string
		region, service            string
		at                         time.Time
		singleEncode               bool
	}{
		{name: "get-vanilla", method: "GET", target: "/", host: "example.amazonaws.com",
			headers: map[string]string{"X-Amz-Date": "20150830T123600Z"},
			signed:  "host;x-amz-date", region: "us-east-1", service: "service",
			sig: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1", host: "example.amazonaws.com",
			headers: map[string]string{"X-Amz-Date": "20150830T123600Z"},
			signed:  "host;x-amz-date", region: "us-east-1", service: "service",
			sig: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{name: "post-vanilla", method: "POST", target: "/", host: "example.amazonaws.com",
			headers: map[string]string{"X-Amz-Date": "20150830T123600Z"},
			signed:  "host;x-amz-date", region: "us-east-1", service: "service",
			sig: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{name: "iam-list-users", method: "GET", target: "/?Action=ListUsers&Version=2010-05-08", host: "iam.amazonaws.com",
			headers: map[string]string{"X-Amz-Date": "20150830T123600Z", "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
			signed:  "content-type;host;x-amz-date", region: "us-east-1", service: "iam",
			sig: "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
		{name: "s3-get-object", method: "GET", target: "/test.txt", host: "examplebucket.s3.amazonaws.com",
			headers: map[string]string{"X-Amz-Date": "20130524T000000Z", "Range": "bytes=0-9", "X-Amz-Content-Sha256": emptySHA256},
			signed:  "host;range;x-amz-content-sha256;x-amz-date", region: "us-east-1", service: "s3",
			akid: "AKIAIOSFODNN7EXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			at: time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC), singleEncode: true,
			sig: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
	} {
		t.Run(c.name, func(t *testing.T) {
			akid, secret, at := suiteKey, suiteSecret, suiteTime
			if c.akid != "" {
				akid, secret, at = c.akid, c.secret, c.at
			}
			r := httptest.NewRequest(c.method, "http://"+c.host+c.target, nil)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/"+at.Format("20060102")+"/"+c.region+"/"+c.service+
				"/aws4_request, SignedHeaders="+c.signed+", Signature="+c.sig)
			res, err := VerifyRequest(r, nil, Options{
				Lookup:           func(string, string) (string, error) { return secret, nil },
				Now:              at.Add(time.Minute),
				SingleEncodePath: c.singleEncode,
			})
			if err != nil {
				t.Fatalf("VerifyRequest: %v", err)
			}
			if res.AccessKeyID != akid || res.Region != c.region || res.Service != c.service || !res.Date.Equal(at) {
				t.Errorf("result = %+v", res)
			}
			// One flipped signature bit must fail.
			bad := []byte(c.sig)
			bad[len(bad)-1] ^= 1
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), c.sig, string(bad), 1))
			if _, err := VerifyRequest(r, nil, Options{
				Lookup: func(string, string) (string, error) { return secret, nil }, Now: at, SingleEncodePath: c.singleEncode,
			}); codeOf(err) != InvalidSignature {
				t.Errorf("flipped signature: err = %v", err)
			}
		})
	}
}

// TestSigningKeyAndStringToSign checks the intermediate values AWS's worked example publishes.
func TestSigningKeyAndStringToSign(t *testing.T) {
	creq := "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n" +
		"host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n" + emptySHA256
	sts := StringToSign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", creq)
	if want := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" +
		"f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"; sts != want {
		t.Fatalf("string to sign =\n%s\nwant\n%s", sts, want)
	}
	key := SigningKey(suiteSecret, "20150830", "us-east-1", "iam")
	if got, want := hex.EncodeToString(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"; got != want {
		t.Errorf("signing key = %s, want %s", got, want)
	}
}

func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

type sdkCase struct {
	name, method, url, body string
	headers                 map[string]string
	token                   string
	s3                      bool
	unsigned                bool
}

var sdkCases = []sdkCase{
	{name: "cognito admin call", method: "POST", url: "http://127.0.0.1:18229/", body: `{"UserPoolId":"us-east-1_abc","Username":"alice"}`,
		headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser",
			"Amz-Sdk-Invocation-Id": "5c1d5a40-2b4f-4b55-9a37-d2a3c53bd5a1", "Amz-Sdk-Request": "attempt=1; max=3"}},
	{name: "session token", method: "POST", url: "http://localhost:9229/prefix/", body: `{}`, token: "FwoGZXIvYXdzEBYaDJ/+sealed==",
		headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityService.ListIdentityPools"}},
	{name: "odd path", method: "GET", url: "https://api.example.com/a%20b/c%2Fd/%E1%88%B4/x~y!$'()*+,;=:@/", headers: nil},
	{name: "odd query", method: "GET", url: "https://api.example.com/items?Param2=value2&Param1=value1&b=%E2%9C%93&a=2&a=1&empty=&flag&sp=a%20b&plus=1%2B1&st=%21%2A%27%28%29",
		headers: map[string]string{"X-Custom": "  two   spaces  inside "}},
	{name: "put with body and content sha", method: "PUT", url: "https://api.example.com/things/42?version=3", body: "binary\x00\xffpayload",
		headers: map[string]string{"X-Amz-Content-Sha256": sha256Hex("binary\x00\xffpayload"), "Content-Type": "application/octet-stream"}, token: "tok"},
	{name: "delete no body", method: "DELETE", url: "https://api.example.com/things/42", headers: map[string]string{"X-Amz-Meta-Multi": "a"}},
	{name: "s3 single encode", method: "GET", url: "https://bucket.s3.amazonaws.com/photos/a%20b%2Bc.jpg?versionId=x", s3: true,
		headers: map[string]string{"X-Amz-Content-Sha256": emptySHA256}},
	{name: "unsigned payload", method: "POST", url: "https://api.example.com/upload", body: "streamed data", unsigned: true,
		headers: map[string]string{"X-Amz-Content-Sha256": UnsignedPayload}},
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// sdkSign builds and signs a request with the AWS SDK Go v2 signer.
func sdkSign(t testing.TB, c sdkCase, akid, secret string, at time.Time) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, c.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	service := "execute-api"
	if c.s3 {
		service = "s3"
	}
	hash := sha256Hex(c.body)
	if c.unsigned {
		hash = UnsignedPayload
	}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: c.token}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, r, hash, service, "eu-west-1", at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = c.s3 })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func optsFor(c sdkCase, now time.Time, lookup Lookup) Options {
	return Options{Lookup: lookup, Now: now, SingleEncodePath: c.s3, AllowUnsignedPayload: c.unsigned}
}

func tokenLookup(akid, secret, token string) Lookup {
	return func(k, tok string) (string, error) {
		if k != akid {
			return "", UnknownKey()
		}
		if tok != token {
			return "", UnknownKey()
		}
		return secret, nil
	}
}

// TestSDKSignerRoundTrip signs requests with the real AWS SDK Go v2 signer and verifies
// them both in-process and after they crossed a real HTTP connection.
func TestSDKSignerRoundTrip(t *testing.T) {
	const akid, secret = "AKIAPOOLGATE0000TEST", "s3cr3t/with+chars=="
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	type seen struct {
		res *Result
		err error
	}
	got := make(chan seen, 1)
	var mu sync.Mutex
	var current sdkCase
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		c := current
		mu.Unlock()
		res, err := VerifyRequest(r, b, optsFor(c, now, tokenLookup(akid, secret, c.token)))
		got <- seen{res, err}
	}))
	defer srv.Close()

	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			r := sdkSign(t, c, akid, secret, now.Add(-90*time.Second))
			res, err := VerifyRequest(r, []byte(c.body), optsFor(c, now, tokenLookup(akid, secret, c.token)))
			if err != nil {
				t.Fatalf("in-process: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			if res.AccessKeyID != akid || res.Region != "eu-west-1" || res.SessionToken != c.token {
				t.Errorf("result = %+v", res)
			}

			// Over the wire: point the signed request at the test server, keep its Host.
			mu.Lock()
			current = c
			mu.Unlock()
			wire := r.Clone(context.Background())
			wire.URL.Scheme, wire.URL.Host = "http", strings.TrimPrefix(srv.URL, "http://")
			wire.Host = r.Host
			wire.Body = io.NopCloser(strings.NewReader(c.body))
			resp, err := srv.Client().Do(wire)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if s := <-got; s.err != nil {
				t.Fatalf("over the wire: %v", s.err)
			}
		})
	}
}

// TestForgeries changes one thing in an SDK-signed request and expects a refusal.
func TestForgeries(t *testing.T) {
	const akid, secret = "AKIAPOOLGATE0000TEST", "s3cr3t"
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	base := sdkCases[0]
	withToken := sdkCases[1]
	sign := func(c sdkCase, at time.Time) *http.Request { return sdkSign(t, c, akid, secret, at) }
	lookupPlain := tokenLookup(akid, secret, "")

	for _, f := range []struct {
		name   string
		req    func() (*http.Request, string)
		lookup Lookup
		want   Code
	}{
		{"changed body", func() (*http.Request, string) { return sign(base, now), base.body + " " }, lookupPlain, InvalidSignature},
		{"changed signed header", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
			return r, base.body
		}, lookupPlain, InvalidSignature},
		{"changed host", func() (*http.Request, string) {
			r := sign(base, now)
			r.Host = "127.0.0.1:18230"
			return r, base.body
		}, lookupPlain, InvalidSignature},
		{"changed path", func() (*http.Request, string) {
			r := sign(base, now)
			r.URL.Path = "/other"
			return r, base.body
		}, lookupPlain, InvalidSignature},
		{"changed method", func() (*http.Request, string) {
			r := sign(base, now)
			r.Method = "PUT"
			return r, base.body
		}, lookupPlain, InvalidSignature},
		{"added query", func() (*http.Request, string) {
			r := sign(base, now)
			r.URL.RawQuery = "x=1"
			return r, base.body
		}, lookupPlain, InvalidSignature},
		{"wrong secret", func() (*http.Request, string) { return sdkSign(t, base, akid, "not-the-secret", now), base.body }, lookupPlain, InvalidSignature},
		{"unknown key", func() (*http.Request, string) { return sdkSign(t, base, "AKIAUNKNOWN", secret, now), base.body }, lookupPlain, UnrecognizedClient},
		{"stale date", func() (*http.Request, string) { return sign(base, now.Add(-6*time.Minute)), base.body }, lookupPlain, InvalidSignature},
		{"future date", func() (*http.Request, string) { return sign(base, now.Add(6*time.Minute)), base.body }, lookupPlain, InvalidSignature},
		{"scope date mismatch", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260501/", "/20260430/", 1))
			return r, base.body
		}, lookupPlain, InvalidSignature},
		{"host not signed", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
			return r, base.body
		}, lookupPlain, IncompleteSignature},
		{"missing security token", func() (*http.Request, string) {
			r := sign(withToken, now)
			r.Header.Del("X-Amz-Security-Token")
			return r, withToken.body
		}, tokenLookup(akid, secret, withToken.token), UnrecognizedClient},
		{"wrong security token", func() (*http.Request, string) {
			r := sign(withToken, now)
			r.Header.Set("X-Amz-Security-Token", withToken.token+"x")
			return r, withToken.body
		}, tokenLookup(akid, secret, withToken.token), UnrecognizedClient},
		{"extra security token", func() (*http.Request, string) { return sign(withToken, now), withToken.body }, lookupPlain, UnrecognizedClient},
		{"expired token", func() (*http.Request, string) { return sign(withToken, now), withToken.body },
			func(string, string) (string, error) { return "", TokenExpired() }, ExpiredToken},
		{"content sha lies", func() (*http.Request, string) {
			c := sdkCases[4]
			return sign(c, now), c.body + "x"
		}, tokenLookup(akid, secret, "tok"), InvalidSignature},
		{"unsigned payload not allowed", func() (*http.Request, string) { return sign(sdkCases[7], now), "anything" }, lookupPlain, InvalidSignature},
		{"no authorization", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Del("Authorization")
			return r, base.body
		}, lookupPlain, MissingAuthenticationToken},
		{"no date", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Del("X-Amz-Date")
			return r, base.body
		}, lookupPlain, IncompleteSignature},
		{"malformed date", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Set("X-Amz-Date", "2026-05-01T10:00:00Z")
			return r, base.body
		}, lookupPlain, IncompleteSignature},
		{"two authorization headers", func() (*http.Request, string) {
			r := sign(base, now)
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return r, base.body
		}, lookupPlain, IncompleteSignature},
	} {
		t.Run(f.name, func(t *testing.T) {
			r, body := f.req()
			_, err := VerifyRequest(r, []byte(body), Options{Lookup: f.lookup, Now: now})
			if got := codeOf(err); got != f.want {
				t.Fatalf("code = %q (err %v), want %q", got, err, f.want)
			}
		})
	}
}

// TestVerifyContract exercises the Verify entry point with its (secret, token, ok) lookup.
func TestVerifyContract(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	c := sdkCases[1]
	r := sdkSign(t, c, "ASIATEMP", "tempsecret", now)
	if _, err := Verify(r, []byte(c.body), keys("ASIATEMP", "tempsecret", c.token), now, time.Minute); err != nil {
		t.Fatalf("temporary key: %v", err)
	}
	if _, err := Verify(r, []byte(c.body), keys("ASIATEMP", "tempsecret", ""), now, time.Minute); codeOf(err) != UnrecognizedClient {
		t.Fatalf("token not expected: %v", err)
	}
	if _, err := Verify(r, []byte(c.body), keys("OTHER", "tempsecret", c.token), now, time.Minute); codeOf(err) != UnrecognizedClient {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := Verify(r, []byte(c.body), keys("ASIATEMP", "tempsecret", c.token), now.Add(2*time.Minute), time.Minute); codeOf(err) != InvalidSignature {
		t.Fatalf("skew beyond the given limit: %v", err)
	}
}

func TestSkewMessages(t *testing.T) {
	now := time.Date(2015, 8, 30, 13, 6, 0, 0, time.UTC)
	err := checkSkew(suiteTime, now, 0)
	want := "Signature expired: 20150830T123600Z is now earlier than 20150830T130100Z (20150830T130600Z - 5 min.)"
	if e := (*Error)(nil); !errors.As(err, &e) || e.Code != InvalidSignature || e.Message != want {
		t.Fatalf("err = %v, want message %q", err, want)
	}
	err = checkSkew(now, suiteTime, 0)
	want = "Signature not yet current: 20150830T130600Z is still later than 20150830T124100Z (20150830T123600Z + 5 min.)"
	if e := (*Error)(nil); !errors.As(err, &e) || e.Message != want {
		t.Fatalf("err = %v, want message %q", err, want)
	}
	if err := checkSkew(suiteTime, suiteTime.Add(5*time.Minute), 0); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
}

// TestScopeChecks: service and region restrictions, and the Date header alternative.
func TestScopeChecks(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	c := sdkCases[0]
	r := sdkSign(t, c, "AK", "S", now)
	look := tokenLookup("AK", "S", "")
	if _, err := VerifyRequest(r, []byte(c.body), Options{Lookup: look, Now: now, Service: "execute-api", Region: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyRequest(r, []byte(c.body), Options{Lookup: look, Now: now, Service: "cognito-idp"}); codeOf(err) != InvalidSignature {
		t.Fatalf("wrong service: %v", err)
	}
	if _, err := VerifyRequest(r, []byte(c.body), Options{Lookup: look, Now: now, Region: "us-east-1"}); codeOf(err) != InvalidSignature {
		t.Fatalf("wrong region: %v", err)
	}
	lookupFails := func(string, string) (string, error) { return "", errors.New("store down") }
	_, err := VerifyRequest(r, []byte(c.body), Options{Lookup: lookupFails, Now: now})
	if err == nil || codeOf(err) != "" || !strings.Contains(err.Error(), "store down") {
		t.Fatalf("lookup failure should pass through as a plain error: %v", err)
	}

	// Date header instead of X-Amz-Date: sign by hand with the same canonical rules.
	d := httptest.NewRequest("GET", "http://example.amazonaws.com/", nil)
	d.Header.Set("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
	creq := "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\ndate;host\n" + emptySHA256
	sig := hmacSHA256(SigningKey(suiteSecret, "20150830", "us-east-1", "service"),
		[]byte(StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", creq)))
	d.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=date;host,Signature="+hex.EncodeToString(sig))
	if _, err := Verify(d, nil, keys(suiteKey, suiteSecret, ""), suiteTime, 0); err != nil {
		t.Fatalf("Date header: %v", err)
	}
}

// TestNormalizedPathCandidate: botocore and JS v3 sign "/a//b/./c/../d" as "/a/b/d".
func TestNormalizedPathCandidate(t *testing.T) {
	r := httptest.NewRequest("GET", "http://h.example/a//b/./c/../d?z=1", nil)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	if got := canonicalURIs(r, false); len(got) != 2 || got[0] != "/a//b/./c/../d" || got[1] != "/a/b/d" {
		t.Fatalf("candidates = %q", got)
	}
	creq := "GET\n/a/b/d\nz=1\nhost:h.example\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + emptySHA256
	sig := hmacSHA256(SigningKey(suiteSecret, "20150830", "us-east-1", "service"),
		[]byte(StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", creq)))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="+hex.EncodeToString(sig))
	if _, err := Verify(r, nil, keys(suiteKey, suiteSecret, ""), suiteTime, 0); err != nil {
		t.Fatalf("normalized path: %v", err)
	}
	// S3 mode never normalizes.
	if _, err := VerifyRequest(r, nil, Options{Lookup: tokenLookup(suiteKey, suiteSecret, ""), Now: suiteTime, SingleEncodePath: true}); codeOf(err) != InvalidSignature {
		t.Fatalf("S3 mode accepted a normalized path: %v", err)
	}
}

func TestCanonicalPieces(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/", "/"}, {"/a b", "/a%20b"}, {"/a%20b", "/a%2520b"}, {"/~-._", "/~-._"}, {"/ሴ", "/%E1%88%B4"},
	} {
		if got := uriEncode(c.in, true); got != c.want {
			t.Errorf("uriEncode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"b=2&a=1", []string{"a=1&b=2"}},
		{"a=2&a=1&a=10", []string{"a=1&a=10&a=2"}},
		{"flag&x=a+b&y=%7e", []string{"flag=&x=a%20b&y=~"}},
		// ":" sorts after "9" decoded but "%3A" before it encoded.
		{"a9=1&a:=2", []string{"a%3A=2&a9=1", "a9=1&a%3A=2"}},
	} {
		got, err := canonicalQueries(c.in)
		if err != nil || strings.Join(got, " | ") != strings.Join(c.want, " | ") {
			t.Errorf("canonicalQueries(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := canonicalQueries("a=%zz"); codeOf(err) != InvalidSignature {
		t.Errorf("bad escape: %v", err)
	}
	if got := collapseSpaces("  a   b  c "); got != "a b c" {
		t.Errorf("collapseSpaces = %q", got)
	}
	for _, c := range []struct{ in, want string }{
		{"/", "/"}, {"//", "/"}, {"/a/", "/a/"}, {"/a/../..", "/"}, {"/./a/./", "/a/"}, {"a/b", "a/b"},
	} {
		if got := normalizePath(c.in); got != c.want {
			t.Errorf("normalizePath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	good := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig
	for _, v := range []string{
		good,
		strings.ReplaceAll(good, ", ", ","),
		"AWS4-HMAC-SHA256 Signature=" + sig + ",SignedHeaders=host;x-amz-date ,  Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
	} {
		a, err := ParseAuthorization(v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if a.AccessKeyID != "AKIDEXAMPLE" || a.Date != "20150830" || a.Region != "us-east-1" || a.Service != "service" ||
			a.SignedHeaders != "host;x-amz-date" || len(a.Headers) != 2 || hex.EncodeToString(a.Signature) != sig {
			t.Errorf("%q parsed as %+v", v, a)
		}
	}
	for _, v := range []string{
		"",
		"Bearer abc",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host",
		strings.Replace(good, "aws4_request", "aws5_request", 1),
		strings.Replace(good, "/20150830/", "/2015083/", 1),
		strings.Replace(good, "/20150830/", "/20151330/", 1),
		strings.Replace(good, "AKIDEXAMPLE/", "", 1),
		strings.Replace(good, "host;x-amz-date", "Host;x-amz-date", 1),
		strings.Replace(good, "host;x-amz-date", "host;;x-amz-date", 1),
		strings.Replace(good, sig, sig[:62], 1),
		strings.Replace(good, sig, "zz"+sig[2:], 1),
		good + ", Signature=" + sig,
		strings.Replace(good, "Signature=", "Signature", 1),
	} {
		if _, err := ParseAuthorization(v); codeOf(err) != IncompleteSignature {
			t.Errorf("%q: err = %v, want IncompleteSignature", v, err)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=,Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,=,Credential==")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, v string) {
		a, err := ParseAuthorization(v)
		if err != nil {
			if codeOf(err) != IncompleteSignature {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if len(a.Signature) != 32 || len(a.Headers) == 0 || a.AccessKeyID == "" || len(a.Date) != 8 {
			t.Fatalf("accepted an incomplete header: %+v", a)
		}
		if strings.Count(a.Scope(), "/") != 3 {
			t.Fatalf("scope %q", a.Scope())
		}
	})
}

// fuzzRequest builds the request FuzzVerify checks: the headers of signed (an SDK-signed
// admin call), with the fuzzed values replacing them where non-empty.
func fuzzRequest(signed http.Header, authz, amzDate, date, path, query, body, token string) *http.Request {
	req := httptest.NewRequest("POST", "http://127.0.0.1:18229/", strings.NewReader(body))
	for k, v := range signed {
		req.Header[k] = v
	}
	req.RequestURI = path
	req.URL.RawQuery = query
	for k, v := range map[string]string{"Authorization": authz, "X-Amz-Date": amzDate, "Date": date, "X-Amz-Security-Token": token} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	return req
}

// TestFuzzSeedVerifies keeps FuzzVerify honest: its first seed is a valid request, so the
// fuzzer starts on the accepting path.
func TestFuzzSeedVerifies(t *testing.T) {
	r := sdkSign(t, sdkCases[0], suiteKey, suiteSecret, suiteTime)
	req := fuzzRequest(r.Header, r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), "", "/", "", sdkCases[0].body, "")
	if _, err := Verify(req, []byte(sdkCases[0].body), keys(suiteKey, suiteSecret, ""), suiteTime, 0); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	r := sdkSign(f, sdkCases[0], suiteKey, suiteSecret, suiteTime)
	f.Add(r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), "", "/", "", sdkCases[0].body, "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host;date,Signature=00",
		"", "Sun, 30 Aug 2015 12:36:00 GMT", "/a//../b%zz", "a=%&b", "", "tok")
	f.Add("", "", "", "/", "", "", "")
	f.Fuzz(func(t *testing.T, authz, amzDate, date, path, query, body, token string) {
		req := fuzzRequest(r.Header, authz, amzDate, date, path, query, body, token)
		res, err := Verify(req, []byte(body), keys(suiteKey, suiteSecret, ""), suiteTime, 0)
		if err != nil {
			if codeOf(err) == "" {
				t.Fatalf("refusal is not a *sigv4.Error: %v", err)
			}
			return
		}
		if res.AccessKeyID != suiteKey {
			t.Fatalf("verified for %q", res.AccessKeyID)
		}
	})
}

// BenchmarkVerify measures one admin-call verification.
func BenchmarkVerify(b *testing.B) {
	c := sdkCases[0]
	r := sdkSign(b, c, suiteKey, suiteSecret, suiteTime)
	body := []byte(c.body)
	for b.Loop() {
		if _, err := Verify(r, body, keys(suiteKey, suiteSecret, ""), suiteTime, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSignedHeadersRequired covers the headers a signature must cover: the one carrying the
// signing time always, and MustSign's whenever present. A header added after signing does
// not change the signature, so only this check stops a captured AdminGetUser signed with
// SignedHeaders=host;x-amz-date from being replayed as AdminDisableUser.
func TestSignedHeadersRequired(t *testing.T) {
	const akid, secret = "AKIDADMIN", "admin-secret"
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	lookup := func(string, string) (string, error) { return secret, nil }
	mustSign := []string{"X-Amz-Target", "Content-Type"}
	base := sdkCase{method: "POST", url: "http://127.0.0.1:9229/", body: `{"UserPoolId":"us-east-1_abc","Username":"alice"}`}

	// signWithout signs the request without the named headers, then adds them, as a replayer would.
	signWithout := func(add map[string]string) *http.Request {
		r := sdkSign(t, base, akid, secret, at)
		if !strings.Contains(r.Header.Get("Authorization"), ";x-amz-date,") {
			t.Fatalf("the SDK's signed headers end otherwise: %s", r.Header.Get("Authorization"))
		}
		for k, v := range add {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, tc := range []struct {
		name     string
		req      func() *http.Request
		mustSign []string
		want     string // "" means verified
	}{
		{name: "the SDK signs target and content type", mustSign: mustSign, req: func() *http.Request {
			c := base
			c.headers = map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser"}
			return sdkSign(t, c, akid, secret, at)
		}},
		{name: "unsigned target accepted without MustSign", req: func() *http.Request {
			return signWithout(map[string]string{"X-Amz-Target": "AWSCognitoIdentityProviderService.AdminDisableUser"})
		}},
		{name: "unsigned target refused", mustSign: mustSign, req: func() *http.Request {
			return signWithout(map[string]string{"X-Amz-Target": "AWSCognitoIdentityProviderService.AdminDisableUser"})
		}, want: "There were headers present in the request which were not signed: x-amz-target"},
		{name: "unsigned content type refused", mustSign: mustSign, req: func() *http.Request {
			return signWithout(map[string]string{"Content-Type": "application/x-amz-json-1.1"})
		}, want: "There were headers present in the request which were not signed: content-type"},
		{name: "lower-case header key still found", mustSign: mustSign, req: func() *http.Request {
			r := signWithout(nil)
			r.Header["x-amz-target"] = []string{"AWSCognitoIdentityProviderService.AdminDisableUser"}
			return r
		}, want: "There were headers present in the request which were not signed: x-amz-target"},
		{name: "absent MustSign header is not required", mustSign: mustSign, req: func() *http.Request { return signWithout(nil) }},
		{name: "unsigned x-amz-date refused", req: func() *http.Request {
			r := signWithout(nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-date,", ",", 1))
			return r
		}, want: "There were headers present in the request which were not signed: x-amz-date"},
		{name: "unsigned Date refused", req: func() *http.Request {
			r := signWithout(nil)
			r.Header.Del("X-Amz-Date")
			r.Header.Set("Date", at.Format(http.TimeFormat))
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-date,", ",", 1))
			return r
		}, want: "There were headers present in the request which were not signed: date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyRequest(tc.req(), []byte(base.body), Options{Lookup: lookup, Now: at, MustSign: tc.mustSign})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyRequest: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != InvalidSignature || e.Message != tc.want {
				t.Fatalf("VerifyRequest = %v, want InvalidSignatureException %q", err, tc.want)
			}
		})
	}
}

// TestScopeRegionAndService: the credential scope must name the server's region and service.
func TestScopeRegionAndService(t *testing.T) {
	const akid, secret = "AKIDADMIN", "admin-secret"
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	c := sdkCase{method: "POST", url: "http://127.0.0.1:9229/", body: `{}`,
		headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools"}}
	r := sdkSign(t, c, akid, secret, at) // scoped to eu-west-1/execute-api
	lookup := func(string, string) (string, error) { return secret, nil }
	for _, tc := range []struct {
		name, region, service, want string
	}{
		{"matching scope", "eu-west-1", "execute-api", ""},
		{"other region", "us-east-1", "execute-api", "Credential should be scoped to a valid region, not 'eu-west-1'."},
		{"other service", "eu-west-1", "cognito-idp", "Credential should be scoped to correct service: 'cognito-idp'."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyRequest(r, []byte(c.body), Options{Lookup: lookup, Now: at, Region: tc.region, Service: tc.service})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyRequest: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != InvalidSignature || e.Message != tc.want {
				t.Fatalf("VerifyRequest = %v, want InvalidSignatureException %q", err, tc.want)
			}
		})
	}
}
