package hostsim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/build"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/abi"
)

const (
	handoffPool     = "us-east-1_Handoff1"
	handoffClient   = "handoffclient0001"
	handoffIDPool   = "us-east-1:0a0a0a0a-1111-4222-8333-444444444444"
	handoffRole     = "arn:aws:iam::000000000000:role/HandoffGuest"
	handoffPassword = "Handoff-Passw0rd!"
)

// handoffConfig: /blob (any access or ID token of the pool) and /s3 (sigv4, S3 style, the
// open identity pool's guests may put objects into bucket "files") in front of origin.
func handoffConfig(origin string) []byte {
	return fmt.Appendf(nil, `{
  "UserPools": [{"Id": %[1]q, "PoolName": "handoff",
    "Clients": [{"ClientId": %[2]q, "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}]}],
  "Roles": [{"Arn": %[4]q, "Policy": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::files/*"}]}}],
  "IdentityPools": [{"IdentityPoolId": %[3]q, "IdentityPoolName": "handoff", "AllowUnauthenticatedIdentities": true,
    "Roles": {"unauthenticated": %[4]q}}],
  "Routes": [
    {"Name": "blob", "PathPrefix": "/blob", "Origin": %[5]q, "Jwt": {"Issuers": [{"UserPoolId": %[1]q}]}},
    {"Name": "files", "Type": "sigv4", "PathPrefix": "/s3", "StripPrefix": true, "Origin": %[5]q}
  ]
}`, handoffPool, handoffClient, handoffIDPool, handoffRole, origin)
}

// blobOrigin hashes the request body as it arrives and answers with ?reply= bytes of a fixed
// pattern; it records what it saw.
type blobOrigin struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method, path string
	header       http.Header
	length       int64 // bytes of body received
	sha256       string
	contentLen   int64 // the request's Content-Length (-1: chunked)
}

func newBlobOrigin(t *testing.T) *blobOrigin {
	o := &blobOrigin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/blob/duplex" {
			duplexEcho(w, r)
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		o.seen = append(o.seen, seenRequest{r.Method, r.URL.Path, r.Header.Clone(), n, hex.EncodeToString(h.Sum(nil)), r.ContentLength})
		o.mu.Unlock()
		size, _ := strconv.Atoi(r.URL.Query().Get("reply"))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Origin", "blob")
		w.WriteHeader(http.StatusCreated)
		w.Write(pattern(size))
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *blobOrigin) count() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.seen) }

func (o *blobOrigin) last(t *testing.T) seenRequest {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		t.Fatal("nothing reached the origin")
	}
	return o.seen[len(o.seen)-1]
}

// duplexEcho writes back each piece of the request body as it arrives, before reading more.
func duplexEcho(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	rc.EnableFullDuplex()
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// pattern is the origin's reply of n bytes.
func pattern(n int) []byte {
	return bytes.Repeat([]byte("poolgate-handoff"), n/16+1)[:n]
}

// TestHandoff drives the real module's gateway through hostsim: allowed requests come back
// from the guest as handoffs and hostsim streams them to the origin.
func TestHandoff(t *testing.T) {
	ctx := context.Background()
	origin := newBlobOrigin(t)
	s := start(t, Options{ModuleBytes: realGuest.bytes(t), Addr: "127.0.0.1:0", Config: handoffConfig(origin.URL)})
	id, secret := s.AdminCredentials()
	admin := cip.NewFromConfig(aws.Config{
		Region:           s.Region(),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		}),
	}, func(o *cip.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	token := handoffToken(t, admin)

	// A body larger than both maxRequestBytes and abi.MaxFetchBody goes to the origin, and
	// an answer as large comes back, with and without a known length.
	size := max(maxRequestBytes, abi.MaxFetchBody) + 2<<20
	payload := randomBytes(size, 3)
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("LargeBodies/chunked=%v", chunked), func(t *testing.T) {
			var body io.Reader = bytes.NewReader(payload)
			if chunked {
				body = io.MultiReader(body)
			}
			req, err := http.NewRequestWithContext(ctx, "PUT", s.URL()+"/blob/big?reply="+strconv.Itoa(size), body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("X-Poolgate-Sub", "forged")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Origin") != "blob" || !bytes.Equal(got, pattern(size)) {
				t.Fatalf("%d %v, %d bytes back (want %d)", resp.StatusCode, resp.Header, len(got), size)
			}
			seen := origin.last(t)
			if seen.method != "PUT" || seen.path != "/blob/big" || seen.length != int64(size) || seen.sha256 != sha256Hex(payload) {
				t.Fatalf("origin saw %s %s with %d bytes", seen.method, seen.path, seen.length)
			}
			if want := map[bool]int64{false: int64(size), true: -1}[chunked]; seen.contentLen != want {
				t.Fatalf("origin saw Content-Length %d, want %d", seen.contentLen, want)
			}
			if sub := seen.header.Values("X-Poolgate-Sub"); len(sub) != 1 || sub[0] == "forged" || seen.header.Get("Authorization") != "" {
				t.Fatalf("origin saw identity %q and Authorization %q", sub, seen.header.Get("Authorization"))
			}
		})
	}

	// A signed payload: the guest reads the whole body through body_read to check its hash
	// before it lets the request through, and the origin still receives all of it.
	t.Run("SignedPayload", func(t *testing.T) {
		creds := guestCredentials(t, s)
		signed := payload[:maxRequestBytes+(1<<20)]
		resp, body := s3Put(t, s, creds, "files/docs/report.bin", signed, signed)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("signed PUT: %d %s", resp.StatusCode, body)
		}
		seen := origin.last(t)
		if seen.path != "/files/docs/report.bin" || seen.length != int64(len(signed)) || seen.sha256 != sha256Hex(signed) {
			t.Fatalf("origin saw %s with %d bytes", seen.path, seen.length)
		}
		if seen.header.Get("X-Poolgate-Action") != "s3:PutObject" || seen.header.Get("X-Poolgate-Identity-Id") == "" {
			t.Fatalf("origin saw headers %v", seen.header)
		}
		// A body that is not the signed one: the guest's hash check refuses it.
		before := origin.count()
		tampered := bytes.Clone(signed)
		tampered[len(tampered)-1] ^= 1
		resp, body = s3Put(t, s, creds, "files/docs/report.bin", signed, tampered)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") || origin.count() != before {
			t.Fatalf("tampered body: %d %s, origin saw %d requests (before %d)", resp.StatusCode, body, origin.count(), before)
		}
	})

	// The guest hands off a request the host must not send: a header value with a control
	// byte (a server would refuse it while parsing; a handler called directly gets it). The
	// handoff does not decode: a 500 in the Cognito shape, nothing at the origin, and the
	// instance serves on.
	t.Run("MalformedHandoff", func(t *testing.T) {
		before := origin.count()
		r := httptest.NewRequest("GET", "/blob/x", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header["X-Injected"] = []string{"a\x01b"}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusInternalServerError || w.Header().Get("x-amzn-ErrorType") != "InternalErrorException:" ||
			!strings.Contains(w.Body.String(), `"__type":"InternalErrorException"`) {
			t.Fatalf("malformed handoff: %d %v %s", w.Code, w.Header(), w.Body)
		}
		if origin.count() != before {
			t.Fatal("a malformed handoff reached the origin")
		}
		r = httptest.NewRequest("GET", "/blob/x?reply=5", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w = httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusCreated || w.Body.String() != "poolg" {
			t.Fatalf("after a malformed handoff: %d %s", w.Code, w.Body)
		}
	})

	// Refusals are the guest's own answers; the origin sees nothing.
	t.Run("Refused", func(t *testing.T) {
		before := origin.count()
		req, _ := http.NewRequestWithContext(ctx, "PUT", s.URL()+"/blob/x", bytes.NewReader(payload[:1<<20]))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") || origin.count() != before {
			t.Fatalf("no token: %d %v", resp.StatusCode, resp.Header)
		}
	})

	// Full duplex: the client sends the next piece of the body only after the origin's echo
	// of the previous one came back through hostsim, so nothing may wait for the whole body.
	t.Run("FullDuplex", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		pr, pw := io.Pipe()
		req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/blob/duplex", pr)
		req.Header.Set("Authorization", "Bearer "+token)
		type result struct {
			resp *http.Response
			err  error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			done <- result{resp, err}
		}()
		first := []byte("piece 0;")
		if _, err := pw.Write(first); err != nil {
			t.Fatal(err)
		}
		res := <-done
		if res.err != nil {
			t.Fatal(res.err)
		}
		defer res.resp.Body.Close()
		if res.resp.StatusCode != http.StatusOK {
			t.Fatalf("duplex: %d", res.resp.StatusCode)
		}
		piece := first
		for i := 1; ; i++ {
			echo := make([]byte, len(piece))
			if _, err := io.ReadFull(res.resp.Body, echo); err != nil || !bytes.Equal(echo, piece) {
				t.Fatalf("echo of piece %d: %q, %v", i-1, echo, err)
			}
			if i == 5 {
				break
			}
			piece = fmt.Appendf(nil, "piece %d;", i)
			if _, err := pw.Write(piece); err != nil {
				t.Fatal(err)
			}
		}
		pw.Close()
		if rest, err := io.ReadAll(res.resp.Body); err != nil || len(rest) != 0 {
			t.Fatalf("after the last piece: %q, %v", rest, err)
		}
	})

	// An origin that cannot be reached gets the gateway's 502.
	t.Run("OriginDown", func(t *testing.T) {
		origin.Close()
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/blob/x", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("origin down: %d %s", resp.StatusCode, body)
		}
	})
}

// handoffToken creates a user of handoffPool and returns an access token.
func handoffToken(t *testing.T, admin *cip.Client) string {
	t.Helper()
	ctx := context.Background()
	const user = "streamer"
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(handoffPool), Username: aws.String(user),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(handoffPool), Username: aws.String(user),
		Password: aws.String(handoffPassword), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	out, err := admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(handoffPool), ClientId: aws.String(handoffClient),
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": handoffPassword}})
	if err != nil {
		t.Fatalf("AdminInitiateAuth: %v", err)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken)
}

// guestCredentials vends credentials for a new guest identity of handoffIDPool.
func guestCredentials(t *testing.T, s *Server) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	client := ci.New(ci.Options{Region: s.Region(), BaseEndpoint: aws.String(s.URL()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	id, err := client.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(handoffIDPool)})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	out, err := client.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretKey), SessionToken: aws.ToString(c.SessionToken)}
}

// s3Put sends body to /s3/<key> signed as S3's client signs a PUT of signed (the payload
// hash is signed's).
func s3Put(t *testing.T, s *Server, c aws.Credentials, key string, signed, body []byte) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "PUT", s.URL()+"/s3/"+key, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256Hex(signed)
	req.Header.Set("X-Amz-Content-Sha256", hash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), c, req, hash, "s3", s.Region(), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(b)
}

// TestNoGatewayImport: hostsim speaks to the guest's gateway only through the handoff
// contract (internal/handoff), never by importing the gateway itself.
func TestNoGatewayImport(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imports := range [][]string{pkg.Imports, pkg.TestImports} {
		if slices.Contains(imports, "github.com/poolgate/poolgate/internal/gateway") {
			t.Fatal("hostsim imports internal/gateway")
		}
	}
	if !slices.Contains(pkg.Imports, "github.com/poolgate/poolgate/internal/handoff") {
		t.Fatal("hostsim does not use internal/handoff: the test checks nothing")
	}
}
