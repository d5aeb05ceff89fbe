package identitypool_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// The identity-pool tests run the whole service natively (service.New behind httptest) and
// drive it with the AWS SDK Go v2, as a real app would.

const (
	adminKeyID  = "AKIAIDENTITYPOOLTEST"
	adminSecret = "identity/pool/test/admin/secret/key/000"
	region      = "us-east-1"
	account     = "123456789012"

	userPool   = "us-east-1_IdTest1"
	userPool2  = "us-east-1_IdTest2"
	clientID   = "idtestclient1"
	clientID2  = "idtestclient2" // a client of userPool the identity pools do not accept
	otherPool  = "idtestother1"  // the client of userPool2
	password   = "Passw0rd!"
	guestPool  = "us-east-1:11111111-1111-4111-8111-111111111111" // guests allowed, Token Deny not set
	closedPool = "us-east-1:22222222-2222-4222-8222-222222222222" // no guests; Token mapping, Deny
	rulesPool  = "us-east-1:33333333-3333-4333-8333-333333333333" // Rules mapping on groups
	devPool    = "us-east-1:44444444-4444-4444-8444-444444444444" // developer provider
	devName    = "login.poolgate.test"

	authRole   = "arn:aws:iam::123456789012:role/Auth"
	guestRole  = "arn:aws:iam::123456789012:role/Guest"
	editorRole = "arn:aws:iam::123456789012:role/Editor"
	viewerRole = "arn:aws:iam::123456789012:role/Viewer"
)

var masterKey = bytes.Repeat([]byte{0x42}, 32)

const testConfig = `{
  "UserPools": [
    {"Id": "us-east-1_IdTest1", "PoolName": "idtest",
     "Clients": [
       {"ClientId": "idtestclient1", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
       {"ClientId": "idtestclient2", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}],
     "Groups": [
       {"GroupName": "editors", "RoleArn": "arn:aws:iam::123456789012:role/Editor", "Precedence": 1},
       {"GroupName": "viewers", "RoleArn": "arn:aws:iam::123456789012:role/Viewer", "Precedence": 2},
       {"GroupName": "plain"}]},
    {"Id": "us-east-1_IdTest2", "PoolName": "idtest2",
     "Clients": [{"ClientId": "idtestother1", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}]}
  ],
  "Roles": [
    {"Arn": "arn:aws:iam::123456789012:role/Auth", "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::files/${cognito-identity.amazonaws.com:sub}/*"}]}},
    {"Arn": "arn:aws:iam::123456789012:role/Guest", "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/public/*"}]}},
    {"Arn": "arn:aws:iam::123456789012:role/Editor", "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::files/*"}]}},
    {"Arn": "arn:aws:iam::123456789012:role/Viewer", "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/*"}]}}
  ],
  "IdentityPools": [
    {"IdentityPoolId": "us-east-1:11111111-1111-4111-8111-111111111111", "IdentityPoolName": "guests",
     "AllowUnauthenticatedIdentities": true,
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_IdTest1", "ClientId": "idtestclient1", "ServerSideTokenCheck": true}],
     "Roles": {"authenticated": "arn:aws:iam::123456789012:role/Auth", "unauthenticated": "arn:aws:iam::123456789012:role/Guest"}},
    {"IdentityPoolId": "us-east-1:22222222-2222-4222-8222-222222222222", "IdentityPoolName": "closed",
     "AllowUnauthenticatedIdentities": false,
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_IdTest1", "ClientId": "idtestclient1"}],
     "Roles": {"authenticated": "arn:aws:iam::123456789012:role/Auth"},
     "RoleMappings": {"cognito-idp.us-east-1.amazonaws.com/us-east-1_IdTest1:idtestclient1": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}},
    {"IdentityPoolId": "us-east-1:33333333-3333-4333-8333-333333333333", "IdentityPoolName": "rules",
     "AllowUnauthenticatedIdentities": false,
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_IdTest1", "ClientId": "idtestclient1"}],
     "Roles": {"authenticated": "arn:aws:iam::123456789012:role/Auth"},
     "RoleMappings": {"cognito-idp.us-east-1.amazonaws.com/us-east-1_IdTest1:idtestclient1": {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
       "RulesConfiguration": {"Rules": [
         {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "editors", "RoleARN": "arn:aws:iam::123456789012:role/Editor"},
         {"Claim": "cognito:groups", "MatchType": "Equals", "Value": "viewers", "RoleARN": "arn:aws:iam::123456789012:role/Viewer"}]}}}},
    {"IdentityPoolId": "us-east-1:44444444-4444-4444-8444-444444444444", "IdentityPoolName": "developer",
     "AllowUnauthenticatedIdentities": false, "DeveloperProviderName": "login.poolgate.test",
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_IdTest1", "ClientId": "idtestclient1"}],
     "Roles": {"authenticated": "arn:aws:iam::123456789012:role/Auth"}}
  ]
}`

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// env is one running service.
type env struct {
	t        testing.TB
	clock    *fakeClock
	srv      *httptest.Server
	svc      *service.Service
	store    *memstore.Store
	issuer   string // IssuerBase
	admin    *cip.Client
	idAdmin  *ci.Client
	idPublic *ci.Client
}

type envOptions struct {
	config    string
	transport http.RoundTripper
	// store wraps the service's memstore (nil: the memstore itself).
	store func(store.Store) store.Store
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.config == "" {
		o.config = testConfig
	}
	e := &env{t: t, clock: &fakeClock{t: time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)}}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL
	e.store = memstore.New(e.clock.Now)
	var st store.Store = e.store
	if o.store != nil {
		st = o.store(st)
	}
	svc, err := service.New(service.Config{
		Region: region, IssuerBase: e.issuer, AccountID: account,
		AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret, MasterKey: masterKey,
		Store: st, Now: e.clock.Now, Crypto: hostcrypto.Pure{},
		Rand: &lockedReader{r: rand.NewChaCha8([32]byte{9})}, Transport: o.transport,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	mux.Handle("/", svc)
	if _, err := svc.ApplyConfig(context.Background(), []byte(o.config)); err != nil {
		t.Fatalf("ApplyConfig: %v", err)
	}
	adminCreds := aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}
	signer := clockSigner{inner: v4.NewSigner(), now: e.clock.Now}
	e.admin = cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(e.srv.URL), RetryMaxAttempts: 1,
		Credentials: staticCreds(adminCreds), HTTPSignerV4: signer})
	e.idAdmin = ci.New(ci.Options{Region: region, BaseEndpoint: aws.String(e.srv.URL), RetryMaxAttempts: 1,
		Credentials: staticCreds(adminCreds), HTTPSignerV4: signer})
	e.idPublic = ci.New(ci.Options{Region: region, BaseEndpoint: aws.String(e.srv.URL), RetryMaxAttempts: 1,
		Credentials: aws.AnonymousCredentials{}})
	return e
}

func staticCreds(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

// clockSigner is the SDK's signer with the signing time from the test clock.
type clockSigner struct {
	inner *v4.Signer
	now   func() time.Time
}

func (s clockSigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.inner.SignHTTP(ctx, c, r, payloadHash, service, region, s.now(), optFns...)
}

var ctx = context.Background()

// user creates a confirmed user of pool in the given groups and returns its ID token.
func (e *env) user(pool, client, name string, groups ...string) string {
	e.t.Helper()
	if _, err := e.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(pool), Username: aws.String(name), MessageAction: ciptypes.MessageActionTypeSuppress,
	}); err != nil {
		e.t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := e.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(pool), Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		e.t.Fatalf("AdminSetUserPassword: %v", err)
	}
	for _, g := range groups {
		if _, err := e.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(pool), Username: aws.String(name), GroupName: aws.String(g),
		}); err != nil {
			e.t.Fatalf("AdminAddUserToGroup: %v", err)
		}
	}
	return e.signIn(pool, client, name)
}

// signIn returns a fresh ID token.
func (e *env) signIn(pool, client, name string) string {
	e.t.Helper()
	out, err := e.admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(pool), ClientId: aws.String(client), AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
	})
	if err != nil {
		// The second client only allows USER_PASSWORD_AUTH.
		pub := cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(e.srv.URL), RetryMaxAttempts: 1, Credentials: aws.AnonymousCredentials{}})
		o2, err2 := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: aws.String(client), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
		})
		if err2 != nil {
			e.t.Fatalf("sign-in: %v / %v", err, err2)
		}
		return *o2.AuthenticationResult.IdToken
	}
	return *out.AuthenticationResult.IdToken
}

// canonical and amplify are the two Logins key forms of a user pool.
func canonical(pool string) string { return "cognito-idp.us-east-1.amazonaws.com/" + pool }
func (e *env) amplify(pool string) string {
	return strings.TrimPrefix(e.issuer, "http://") + "/" + pool
}

// wantAPIError fails unless err is an API error with the given code (and message part).
func wantAPIError(t testing.TB, err error, code, msgPart string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msgPart) {
		t.Fatalf("error %s: %s, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msgPart)
	}
}
