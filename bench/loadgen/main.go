// Command loadgen drives a Cognito endpoint with the real AWS SDK Go v2 and reports
// requests per second and latency percentiles per operation.
//
// It can start the server itself, so that one run compares hosts side by side on the same
// machine: -target hostsim (the wasm module under wazero), -target native (the same service
// compiled natively, no wasm), or -target url with -endpoint (any Cognito-compatible server,
// e.g. cognito-local or moto).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/hostsim/boltstore"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/srp"
)

const (
	adminKey    = "AKIDLOADGEN000000000"
	adminSecret = "loadgen-secret-key-not-for-production"
)

func main() {
	target := flag.String("target", "hostsim", "hostsim | native | url")
	endpoint := flag.String("endpoint", "", "base URL when -target url")
	module := flag.String("module", "build/poolgate.wasm", "wasm module for -target hostsim")
	ops := flag.String("ops", "SignUp,AdminConfirmSignUp,InitiateAuthPassword,SRP,GetUser", "operations to measure, comma-separated")
	n := flag.Int("n", 200, "requests per operation")
	clients := flag.String("clients", "1,8", "concurrency levels, comma-separated")
	nativeCrypto := flag.Bool("native-crypto", true, "hostsim: give the guest host-native crypto primitives")
	flag.Parse()

	ctx := context.Background()
	url, stop, err := start(ctx, *target, *endpoint, *module, *nativeCrypto)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	defer stop()

	r, err := newRunner(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	fmt.Printf("| target | op | clients | n | req/s | p50 ms | p95 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|---|---|\n")
	failed := false
	for _, c := range strings.Split(*clients, ",") {
		var conc int
		fmt.Sscan(c, &conc)
		for _, op := range strings.Split(*ops, ",") {
			res, err := r.measure(ctx, op, *n, conc)
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadgen:", op, err)
				os.Exit(1)
			}
			fmt.Printf("| %s | %s | %d | %d | %.1f | %.2f | %.2f | %.2f | %d |\n", *target, op, conc, *n,
				res.rps, ms(res.p50), ms(res.p95), ms(res.p99), res.errors)
			if res.errors > 0 {
				failed = true
				fmt.Fprintln(os.Stderr, "loadgen: first error:", res.firstErr)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// start brings up the server to measure and returns its base URL.
func start(ctx context.Context, target, endpoint, module string, nativeCrypto bool) (string, func(), error) {
	dir, err := os.MkdirTemp("", "poolgate-loadgen-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	master := make([]byte, 32)
	rand.Read(master)
	switch target {
	case "url":
		if endpoint == "" {
			return "", nil, fmt.Errorf("-target url needs -endpoint")
		}
		return strings.TrimRight(endpoint, "/"), cleanup, nil
	case "hostsim":
		srv, err := hostsim.Start(ctx, hostsim.Options{
			ModulePath: module, DataDir: dir,
			AdminAccessKeyID: adminKey, AdminSecretAccessKey: adminSecret, MasterKey: master,
			PureCrypto: !nativeCrypto,
		})
		if err != nil {
			return "", nil, err
		}
		return srv.URL(), func() { srv.Close(); cleanup() }, nil
	case "native":
		st, err := boltstore.Open(dir+"/poolgate.db", nil)
		if err != nil {
			return "", nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		url := "http://" + ln.Addr().String()
		svc, err := service.New(service.Config{
			IssuerBase: url, AdminAccessKeyID: adminKey, AdminSecretAccessKey: adminSecret,
			MasterKey: master, Store: st, Crypto: hostcrypto.Pure{},
		})
		if err != nil {
			return "", nil, err
		}
		hs := &http.Server{Handler: svc}
		go hs.Serve(ln)
		return url, func() { hs.Close(); st.Close(); cleanup() }, nil
	}
	return "", nil, fmt.Errorf("unknown -target %q", target)
}

type runner struct {
	api      *cip.Client
	poolID   string
	clientID string
	password string
	seq      atomic.Int64
	prefix   string

	mu       sync.Mutex
	users    []string // confirmed users ready for sign-in
	pending  []string // signed up, not yet confirmed
	accessTk []string
}

func newRunner(ctx context.Context, url string) (*runner, error) {
	api := cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, nil
		}),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	})
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("loadgen")})
	if err != nil {
		return nil, fmt.Errorf("CreateUserPool: %w", err)
	}
	client, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("loadgen"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
	})
	if err != nil {
		return nil, fmt.Errorf("CreateUserPoolClient: %w", err)
	}
	var p [4]byte
	rand.Read(p[:])
	return &runner{api: api, poolID: *pool.UserPool.Id, clientID: *client.UserPoolClient.ClientId,
		password: "Loadgen-Passw0rd!", prefix: "u" + hex.EncodeToString(p[:])}, nil
}

type result struct {
	rps           float64
	p50, p95, p99 time.Duration
	errors        int
	firstErr      error
}

// measure runs op n times over conc workers. Operations that need users (sign-in, GetUser)
// prepare them first, outside the timed section.
func (r *runner) measure(ctx context.Context, op string, n, conc int) (result, error) {
	if err := r.prepare(ctx, op, n); err != nil {
		return result{}, err
	}
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				s := time.Now()
				err := r.do(ctx, op, i)
				lat[i] = time.Since(s)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	total := time.Since(t0)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	res := result{rps: float64(n) / total.Seconds(), p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), errors: int(errs.Load())}
	if e, ok := firstErr.Load().(error); ok {
		res.firstErr = e
	}
	return res, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i]
}

func (r *runner) newName() string {
	return fmt.Sprintf("%s-%d", r.prefix, r.seq.Add(1))
}

func (r *runner) prepare(ctx context.Context, op string, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch op {
	case "AdminConfirmSignUp":
		for len(r.pending) < n {
			name := r.newName()
			if _, err := r.api.SignUp(ctx, &cip.SignUpInput{ClientId: &r.clientID, Username: &name, Password: &r.password}); err != nil {
				return err
			}
			r.pending = append(r.pending, name)
		}
	case "InitiateAuthPassword", "SRP", "GetUser":
		for len(r.users) < 20 {
			name := r.newName()
			if _, err := r.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &r.poolID, Username: &name, MessageAction: types.MessageActionTypeSuppress}); err != nil {
				return err
			}
			if _, err := r.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &r.poolID, Username: &name, Password: &r.password, Permanent: true}); err != nil {
				return err
			}
			r.users = append(r.users, name)
		}
		if op == "GetUser" && len(r.accessTk) == 0 {
			for _, u := range r.users {
				out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &r.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": u, "PASSWORD": r.password}})
				if err != nil {
					return err
				}
				r.accessTk = append(r.accessTk, *out.AuthenticationResult.AccessToken)
			}
		}
	}
	return nil
}

func (r *runner) do(ctx context.Context, op string, i int) error {
	switch op {
	case "SignUp":
		name := r.newName()
		_, err := r.api.SignUp(ctx, &cip.SignUpInput{ClientId: &r.clientID, Username: &name, Password: &r.password})
		return err
	case "AdminConfirmSignUp":
		r.mu.Lock()
		name := r.pending[0]
		r.pending = r.pending[1:]
		r.mu.Unlock()
		_, err := r.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &r.poolID, Username: &name})
		return err
	case "InitiateAuthPassword":
		u := r.users[i%len(r.users)]
		_, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &r.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": u, "PASSWORD": r.password}})
		return err
	case "SRP":
		return r.srpSignIn(ctx, r.users[i%len(r.users)])
	case "GetUser":
		tk := r.accessTk[i%len(r.accessTk)]
		_, err := r.api.GetUser(ctx, &cip.GetUserInput{AccessToken: &tk})
		return err
	}
	return fmt.Errorf("unknown op %q", op)
}

// srpSignIn is the full SRP round trip; the client half (two 3072-bit exponentiations,
// native Go) is part of the measured time.
func (r *runner) srpSignIn(ctx context.Context, username string) error {
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		return err
	}
	out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &r.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": cl.AHex()}})
	if err != nil {
		return err
	}
	p := out.ChallengeParameters
	block, err := decodeB64(p["SECRET_BLOCK"])
	if err != nil {
		return err
	}
	ts := srp.FormatTimestamp(time.Now())
	sig, err := cl.Signature(srp.PoolName(r.poolID), p["USER_ID_FOR_SRP"], r.password, p["SALT"], p["SRP_B"], block, ts)
	if err != nil {
		return err
	}
	res, err := r.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &r.clientID,
		ChallengeName: types.ChallengeNameTypePasswordVerifier,
		ChallengeResponses: map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}})
	if err != nil {
		return err
	}
	if res.AuthenticationResult == nil {
		return fmt.Errorf("SRP: no tokens")
	}
	return nil
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
