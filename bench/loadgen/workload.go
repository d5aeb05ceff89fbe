package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/bench/internal/harness"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/srp"
)

// The admin key pair loadgen signs admin calls with and gives the servers it starts; a server
// given with -systems name=URL must accept it (-admin-key, -admin-secret).
var (
	adminKey    = "AKIDLOADGEN000000000"
	adminSecret = "loadgen-secret-key-not-for-production"
)

const (
	password = "Loadgen-Passw0rd!"
	// defaultSignInUsers is how many confirmed users the sign-in operations cycle through
	// unless -signin-users says otherwise (and what reports before that flag used).
	defaultSignInUsers = 20
)

// The operations loadgen measures. SRP is the full round trip (InitiateAuth USER_SRP_AUTH +
// RespondToAuthChallenge PASSWORD_VERIFIER, the client half's math included).
const (
	opSignUp      = "SignUp"
	opConfirm     = "AdminConfirmSignUp"
	opPassword    = "InitiateAuthPassword"
	opSRP         = "SRP"
	opGetUser     = "GetUser"
	defaultOps    = opSignUp + "," + opConfirm + "," + opPassword + "," + opSRP + "," + opGetUser + "," + opTOTP + "," + opDeviceSRP
	populateConns = 8
)

// runner drives one system through the AWS SDK Go v2: one pool, one app client.
type runner struct {
	sys      *system
	api      *cip.Client
	tr       *http.Transport
	poolID   string
	clientID string
	prefix   string
	signIn   int // confirmed users the sign-in operations cycle through
	seq      atomic.Int64
	created  atomic.Int64 // users that exist in the pool

	mu       sync.Mutex
	users    []string // confirmed users ready for sign-in
	pending  []string // signed up, not yet confirmed
	accessTk []string
	mfa      *mfaPool    // the pool TOTPSignIn is measured in (mfa.go), made on first use
	dev      *devicePool // the pool DeviceSRPSignIn is measured in (devices.go), made on first use
}

// newAPI is a Cognito client with no retries (every error counts) and its own connections.
func newAPI(url string) (*cip.Client, *http.Transport) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 2 * time.Second}
	return cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, nil
		}),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 60 * time.Second, Transport: tr},
	}), tr
}

// newRunner creates the pool and app client every measurement on sys uses; the sign-in
// operations will cycle through signIn confirmed users.
func newRunner(ctx context.Context, sys *system, signIn int) (*runner, error) {
	api, tr := newAPI(sys.url)
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("loadgen")})
	if err != nil {
		return nil, fmt.Errorf("%s: CreateUserPool: %w", sys.name, err)
	}
	client, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("loadgen"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: CreateUserPoolClient: %w", sys.name, err)
	}
	var p [4]byte
	rand.Read(p[:])
	return &runner{sys: sys, api: api, tr: tr, poolID: *pool.UserPool.Id, clientID: *client.UserPoolClient.ClientId,
		prefix: "u" + hex.EncodeToString(p[:]), signIn: signIn}, nil
}

// sample is one timed run of n requests of one operation.
type sample struct {
	N        int           `json:"n"`
	Clients  int           `json:"clients"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50_ns"`
	P95      time.Duration `json:"p95_ns"`
	P99      time.Duration `json:"p99_ns"`
	Errors   int           `json:"errors"`
	FirstErr string        `json:"first_error,omitempty"`
	// CPUPerReq is the server process's CPU time per request (user + system); -1 when the
	// server is not a process loadgen started.
	CPUPerReq time.Duration `json:"cpu_per_req_ns"`
}

// measure runs warm untimed requests, then n timed requests of op over conc workers.
// Operations that need users (sign-in, GetUser, confirmation) prepare them first, untimed.
func (r *runner) measure(ctx context.Context, op string, n, warm, conc int) (sample, error) {
	// Connections left idle while other systems were measured may be closing on the server's
	// side (Node's keep-alive timeout is 5 s); a POST on one fails instead of being retried.
	r.tr.CloseIdleConnections()
	if err := r.prepare(ctx, op, n+warm); err != nil {
		return sample{}, fmt.Errorf("%s: preparing %s: %w", r.sys.name, op, err)
	}
	do := func(ctx context.Context, i int) error { return r.do(ctx, op, i) }
	if warm > 0 {
		harness.Run(ctx, warm, conc, do)
	}
	return timed(ctx, n, conc, r.sys.cpuTime, do), nil
}

// timed issues n requests (do) from conc clients and summarises them; cpu, when not nil, is
// the server's CPU time, read before and after.
func timed(ctx context.Context, n, conc int, cpu func() (time.Duration, bool), do func(context.Context, int) error) sample {
	var cpu0 time.Duration
	cpuOK := cpu != nil
	if cpuOK {
		cpu0, cpuOK = cpu()
	}
	res := harness.Run(ctx, n, conc, do)
	s := sample{N: n, Clients: conc, RPS: res.RPS(), P50: harness.Pct(res.Lat, 50), P95: harness.Pct(res.Lat, 95), P99: harness.Pct(res.Lat, 99),
		Errors: res.Errors, CPUPerReq: -1}
	if res.FirstErr != nil {
		s.FirstErr = res.FirstErr.Error()
	}
	if cpuOK {
		if cpu1, ok := cpu(); ok {
			s.CPUPerReq = (cpu1 - cpu0) / time.Duration(n)
		}
	}
	return s
}

func (r *runner) newName() string {
	return fmt.Sprintf("%s-%d", r.prefix, r.seq.Add(1))
}

func (r *runner) signUp(ctx context.Context) (string, error) {
	name := r.newName()
	_, err := r.api.SignUp(ctx, &cip.SignUpInput{ClientId: &r.clientID, Username: &name, Password: aws.String(password)})
	if err == nil {
		r.created.Add(1)
	}
	return name, err
}

// signUpRetry is signUp for untimed setup: a server that drops a connection under load gets
// two more tries, each with a new username (the first may have been created).
func (r *runner) signUpRetry(ctx context.Context) (name string, err error) {
	for try := 0; try < 3; try++ {
		if name, err = r.signUp(ctx); err == nil {
			return name, nil
		}
	}
	return "", err
}

func (r *runner) prepare(ctx context.Context, op string, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch op {
	case opConfirm:
		if k := n - len(r.pending); k > 0 {
			names, err := r.signUpMany(ctx, k)
			if err != nil {
				return err
			}
			r.pending = append(r.pending, names...)
		}
	case opPassword, opSRP, opGetUser:
		for len(r.users) < r.signIn {
			name := r.newName()
			if _, err := r.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &r.poolID, Username: &name, MessageAction: types.MessageActionTypeSuppress}); err != nil {
				return err
			}
			r.created.Add(1)
			if _, err := r.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &r.poolID, Username: &name, Password: aws.String(password), Permanent: true}); err != nil {
				return err
			}
			r.users = append(r.users, name)
		}
		if op == opGetUser && len(r.accessTk) == 0 {
			for _, u := range r.users {
				out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &r.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
					AuthParameters: map[string]string{"USERNAME": u, "PASSWORD": password}})
				if err != nil {
					return err
				}
				r.accessTk = append(r.accessTk, *out.AuthenticationResult.AccessToken)
			}
		}
	case opTOTP:
		return r.prepareTOTP(ctx, n)
	case opDeviceSRP:
		return r.prepareDeviceSRP(ctx, n)
	case opSignUp:
	default:
		return fmt.Errorf("unknown operation %q", op)
	}
	return nil
}

func (r *runner) do(ctx context.Context, op string, i int) error {
	switch op {
	case opSignUp:
		_, err := r.signUp(ctx)
		return err
	case opConfirm:
		r.mu.Lock()
		name := r.pending[0]
		r.pending = r.pending[1:]
		r.mu.Unlock()
		_, err := r.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: &r.poolID, Username: &name})
		return err
	case opPassword:
		u := r.users[i%len(r.users)]
		out, err := r.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &r.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": u, "PASSWORD": password}})
		if err == nil && (out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil) {
			return fmt.Errorf("InitiateAuth: no tokens")
		}
		return err
	case opSRP:
		return r.srpSignIn(ctx, r.users[i%len(r.users)])
	case opTOTP:
		return r.totpSignIn(ctx)
	case opDeviceSRP:
		return r.deviceSignIn(ctx, i)
	case opGetUser:
		tk := r.accessTk[i%len(r.accessTk)]
		_, err := r.api.GetUser(ctx, &cip.GetUserInput{AccessToken: &tk})
		return err
	}
	return fmt.Errorf("unknown operation %q", op)
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
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return fmt.Errorf("SRP: SECRET_BLOCK: %w", err)
	}
	ts := srp.FormatTimestamp(time.Now())
	sig, err := cl.Signature(srp.PoolName(r.poolID), p["USER_ID_FOR_SRP"], password, p["SALT"], p["SRP_B"], block, ts)
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
	if res.AuthenticationResult == nil || res.AuthenticationResult.AccessToken == nil {
		return fmt.Errorf("SRP: no tokens")
	}
	return nil
}

// signUpMany signs up k users from populateConns workers and returns their names.
func (r *runner) signUpMany(ctx context.Context, k int) ([]string, error) {
	return makeMany(k, func() (string, error) { return r.signUpRetry(ctx) })
}

// makeMany calls create k times from populateConns workers and returns the results in order,
// or the first error (after which the workers take no more).
func makeMany[T any](k int, create func() (T, error)) ([]T, error) {
	out := make([]T, k)
	var next atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < populateConns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first.Load() == nil {
				i := int(next.Add(1)) - 1
				if i >= k {
					return
				}
				v, err := create()
				if err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				out[i] = v
			}
		}()
	}
	wg.Wait()
	if e, ok := first.Load().(error); ok {
		return nil, e
	}
	return out, nil
}

// populate signs up users from populateConns workers until the pool holds target users.
// It stops at the first error.
func (r *runner) populate(ctx context.Context, target int) error {
	remaining := int64(target) - r.created.Load()
	var claimed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < populateConns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first.Load() == nil && claimed.Add(1) <= remaining {
				if _, err := r.signUpRetry(ctx); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e, ok := first.Load().(error); ok {
		return fmt.Errorf("%s: populating: %w", r.sys.name, e)
	}
	return nil
}
