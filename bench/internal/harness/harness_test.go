package harness

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

func TestRun(t *testing.T) {
	boom := errors.New("boom")
	seen := make([]bool, 50)
	r := Run(context.Background(), 50, 4, func(_ context.Context, i int) error {
		seen[i] = true // each index once, so no two workers write the same element
		if i%10 == 3 {
			return boom
		}
		return nil
	})
	for i, s := range seen {
		if !s {
			t.Fatalf("request %d never ran", i)
		}
	}
	if len(r.Lat) != 50 || r.Errors != 5 || !errors.Is(r.FirstErr, boom) || r.Elapsed <= 0 || r.RPS() <= 0 {
		t.Fatalf("Run = %d latencies, %d errors, %v, %v", len(r.Lat), r.Errors, r.FirstErr, r.Elapsed)
	}
	for i := 1; i < len(r.Lat); i++ {
		if r.Lat[i] < r.Lat[i-1] {
			t.Fatal("latencies not sorted")
		}
	}
	if r := Run(context.Background(), 3, 8, func(context.Context, int) error { return nil }); len(r.Lat) != 3 || r.Errors != 0 || r.FirstErr != nil {
		t.Fatalf("more workers than requests: %+v", r)
	}
}

func TestPct(t *testing.T) {
	lat := make([]time.Duration, 200)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	for p, want := range map[int]time.Duration{50: 100 * time.Millisecond, 95: 190 * time.Millisecond, 99: 198 * time.Millisecond, 100: 200 * time.Millisecond} {
		if got := Pct(lat, p); got != want {
			t.Errorf("p%d = %v, want %v", p, got, want)
		}
	}
	if Pct(nil, 50) != 0 || Pct(lat[:1], 99) != time.Millisecond {
		t.Error("Pct of empty or single-element input")
	}
}

func TestTokenIssuer(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tok := enc(`{"alg":"RS256"}`) + "." + enc(`{"iss":"http://127.0.0.1:1/us-east-1_X","sub":"a"}`) + ".sig"
	if iss, err := TokenIssuer(tok); err != nil || iss != "http://127.0.0.1:1/us-east-1_X" {
		t.Fatalf("TokenIssuer = %q, %v", iss, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!.c", "a." + enc(`{"sub":"a"}`) + ".c", "a." + enc(`[1]`) + ".c", "a.b.c.d"} {
		if _, err := TokenIssuer(bad); err == nil {
			t.Errorf("TokenIssuer(%q) accepted", bad)
		}
	}
}

// FuzzTokenIssuer: any text either yields a non-empty issuer or an error, never a panic.
func FuzzTokenIssuer(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln")
	f.Add("a..c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		if iss, err := TokenIssuer(s); err == nil && iss == "" {
			t.Fatal("empty issuer accepted")
		}
	})
}

func TestEmptySHA256(t *testing.T) {
	s := sha256.Sum256(nil)
	if hex.EncodeToString(s[:]) != EmptySHA256 {
		t.Fatal("EmptySHA256 is not the hash of an empty payload")
	}
}

func TestDirSizes(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "a"), []byte(strings.Repeat("x", 10000)), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b"), []byte("hello"), 0o644)
	raw, gz, err := DirSizes(dir)
	if err != nil || raw != 10005 || gz <= 0 || gz >= raw {
		t.Fatalf("DirSizes = %d, %d, %v", raw, gz, err)
	}
	if _, _, err := DirSizes(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing directory accepted")
	}
}

// TestConfigEndToEnd applies Config to poolgate's service (native, in memory) in front of the
// origin and walks every path the benchmarks time: the jwt route (a good token passes, a bad
// one is refused), the verify-only route, guest credentials from the identity pool, and a
// signed GET through the sigv4 route; the same signed GET to the origin directly.
func TestConfigEndToEnd(t *testing.T) {
	ctx := context.Background()
	origin, err := StartOrigin()
	if err != nil {
		t.Fatal(err)
	}
	defer origin.Close()
	const adminID, adminSecret = "AKIDHARNESSTEST00001", "harness-test-secret"
	master := make([]byte, 32)
	svc, err := service.New(service.Config{Region: Region, IssuerBase: "http://harness.test", AdminAccessKeyID: adminID,
		AdminSecretAccessKey: adminSecret, MasterKey: master, Store: memstore.New(time.Now), Crypto: hostcrypto.Pure{},
		Sender: new(message.Recorder), Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyConfig(ctx, Config(origin.URL())); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: svc}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Timeout: 10 * time.Second}

	token, jwks, err := MakeUser(ctx, base, adminID, adminSecret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(jwks, `"keys"`) {
		t.Fatalf("JWKS %q", jwks)
	}
	if iss, err := TokenIssuer(token); err != nil || iss != "http://harness.test/"+PoolID {
		t.Fatalf("issuer %q, %v", iss, err)
	}
	if err := CheckGuard(ctx, hc, base+GuardedPath, token); err != nil {
		t.Fatal(err)
	}
	if s, body := Get(ctx, hc, base+VerifyOnlyPath, token); s != http.StatusUnauthorized {
		t.Fatalf("verify-only route: %d %s", s, body)
	}
	if err := CheckGuard(ctx, hc, base+VerifyOnlyPath, token); err == nil {
		t.Fatal("CheckGuard passed a route that refuses the good token")
	}

	id := ci.New(ci.Options{Region: Region, BaseEndpoint: aws.String(base), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	gid, err := id.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(IdentityPoolID)})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := id.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: gid.IdentityId})
	if err != nil {
		t.Fatal(err)
	}
	c := aws.Credentials{AccessKeyID: *cr.Credentials.AccessKeyId, SecretAccessKey: *cr.Credentials.SecretKey, SessionToken: *cr.Credentials.SessionToken}
	if s, body := SignedGet(ctx, hc, base+SignedPath, c); s != http.StatusOK || body != "ok" {
		t.Fatalf("signed GET through the sigv4 route: %d %s", s, body)
	}
	if s, body := SignedGet(ctx, hc, origin.URL()+OriginSignedPath, c); s != http.StatusOK || body != "ok" {
		t.Fatalf("signed GET to the origin: %d %s", s, body)
	}
	bad := c // the signer caches signing keys by access key id: break the session token instead
	bad.SessionToken = bad.SessionToken[:len(bad.SessionToken)-4] + "AAAA"
	if s, _ := SignedGet(ctx, hc, base+SignedPath, bad); s != http.StatusForbidden {
		t.Fatalf("a request with a broken session token got %d, want 403", s)
	}
	// The OAuth group's two iterations: a sign-in through the pages, and client_credentials.
	user, err := CreateUser(ctx, base, adminID, adminSecret)
	if err != nil {
		t.Fatal(err)
	}
	access, err := CodeFlow(ctx, hc, base, user)
	if err != nil {
		t.Fatal(err)
	}
	if iss, err := TokenIssuer(access); err != nil || iss != "http://harness.test/"+PoolID {
		t.Fatalf("code flow: access token issuer %q, %v", iss, err)
	}
	if _, err := CodeFlow(ctx, hc, base, "nobody-"+RandText(6)); err == nil {
		t.Fatal("the code flow signed in a user who does not exist")
	}
	if _, err := ClientCredentials(ctx, hc, base); err != nil {
		t.Fatal(err)
	}
}
