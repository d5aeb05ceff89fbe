package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	"github.com/poolgate/poolgate/internal/handoff"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// stubOrigin answers every forwarded request with 200 "ok" without a network, so the
// benchmarks measure the gateway alone.
type stubOrigin struct{}

func (stubOrigin) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("ok")),
		ContentLength: 2, Request: r}, nil
}

func benchEnv(b *testing.B, revocation bool) (*env, string) {
	e := newEnv(b)
	gw, err := New(Config{Store: memstore.New(e.clock.Now), Crypto: hostcrypto.Pure{}, Now: e.clock.Now,
		Pools: e.pools, Transport: stubOrigin{}})
	if err != nil {
		b.Fatal(err)
	}
	e.gw, e.h = gw, gw.Handler(http.NotFoundHandler())
	e.apply(RouteSpec{Name: "api", PathPrefix: "/api", Origin: "http://origin.invalid",
		Jwt: &JWTSpec{Issuers: []IssuerSpec{{UserPoolId: testPool}}, TokenUse: "access", ClientIds: []string{"client1"},
			CheckRevocation: revocation}})
	e.pools.setUser(testPool, "alice", UserState{Found: true, Sub: "0f9a2c4e-1111-4222-8333-444455556666", Enabled: true})
	return e, e.poolToken(nil)
}

// BenchmarkVerifyToken is the cost of checking one poolgate access token (RS256-2048, keys
// cached), natively with the pure-Go provider.
func BenchmarkVerifyToken(b *testing.B) {
	e, tok := benchEnv(b, false)
	tbl := e.gw.table(ctx)
	j := tbl.routes[0].jwt
	b.ReportAllocs()
	for b.Loop() {
		if _, ref, err := e.gw.verifyToken(ctx, j, tok); ref != nil || err != nil {
			b.Fatal(ref, err)
		}
	}
}

// BenchmarkGuardedRequest is a whole guarded request through the gateway's handler to a stub
// origin: matching, token checks, header rewriting, forwarding and copying the answer.
func BenchmarkGuardedRequest(b *testing.B) {
	for _, rev := range []bool{false, true} {
		b.Run(fmt.Sprintf("revocation=%v", rev), func(b *testing.B) {
			e, tok := benchEnv(b, rev)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("GET", "/api/items?x=1", nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkSigV4Request is a whole sigv4-route request (signature, session-token opening,
// policy evaluation, forwarding) with a small and a large (~100-statement) role policy.
func BenchmarkSigV4Request(b *testing.B) {
	large := `{"Version":"2012-10-17","Statement":[`
	for i := range 100 {
		large += fmt.Sprintf(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-%d/${cognito-identity.amazonaws.com:sub}/*","Condition":{"StringLike":{"s3:prefix":"p%d/*"}}},`, i, i)
	}
	large += `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/private/${cognito-identity.amazonaws.com:sub}/*"}]}`
	for name, doc := range map[string]string{"small": filesPolicy, "large": large} {
		b.Run(name+"-policy", func(b *testing.B) {
			c := newClock()
			is, err := creds.NewIssuer(bytes.Repeat([]byte{9}, 32), rand.NewChaCha8([32]byte{5}), c.Now)
			if err != nil {
				b.Fatal(err)
			}
			pol, err := policy.Parse([]byte(doc))
			if err != nil {
				b.Fatal(err)
			}
			cr, err := is.Issue(creds.Grant{IdentityID: identityID, IdentityPoolID: "p", RoleArn: "r", Policy: pol})
			if err != nil {
				b.Fatal(err)
			}
			gw, _ := New(Config{Store: memstore.New(c.Now), Crypto: hostcrypto.Pure{}, Now: c.Now, Credentials: is.Verifier(), Transport: stubOrigin{}})
			if _, err := gw.Apply(ctx, []RouteSpec{{Name: "s3", Type: TypeSigV4, PathPrefix: "/s3", Origin: "http://origin.invalid"}}); err != nil {
				b.Fatal(err)
			}
			h := gw.Handler(http.NotFoundHandler())
			// One signed request, replayed (within the skew window): signing is the client's cost.
			r := httptest.NewRequest("GET", "http://gw.test/s3/bucket/private/"+identityID+"/k", nil)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			if err := signer.SignHTTP(ctx, aws.Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretKey, SessionToken: cr.SessionToken},
				r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", c.Now().Add(-time.Second)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r.Clone(ctx))
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkHandoff is a guarded request up to its handoff: matching, token checks, header
// rewriting and the Upstream's JSON, what a guest does before its host sends the request on.
func BenchmarkHandoff(b *testing.B) {
	e, tok := benchEnv(b, false)
	b.ReportAllocs()
	for b.Loop() {
		var out []byte
		r := httptest.NewRequest("GET", "/api/items?x=1", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		r = r.WithContext(WithHandoff(r.Context(), func(u *handoff.Upstream) { out, _ = json.Marshal(u) }))
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if out == nil {
			b.Fatal(w.Code, w.Body)
		}
	}
}
