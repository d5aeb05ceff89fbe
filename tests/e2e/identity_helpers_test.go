package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
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
)

// Identity-pool scenarios (issue 4) need roles, identity pools and a sigv4 gateway route in the
// configuration, and a test origin behind the route; identityConfig builds the file for an
// origin URL so the same scenarios can run wherever the configuration can be applied.

const (
	idUserPool   = "us-east-1_IdE2E1"
	idClient     = "ide2eclient1"
	idOtherPool  = "us-east-1_IdE2E2"
	idOtherCl    = "ide2eother1"
	idOpenPool   = "us-east-1:0e2e0001-0000-4000-8000-000000000001" // guests allowed
	idRulesPool  = "us-east-1:0e2e0002-0000-4000-8000-000000000002" // Rules mapping on groups
	idTokenPool  = "us-east-1:0e2e0003-0000-4000-8000-000000000003" // Token mapping, Deny
	idAuthRole   = "arn:aws:iam::000000000000:role/E2EAuth"
	idGuestRole  = "arn:aws:iam::000000000000:role/E2EGuest"
	idEditorRole = "arn:aws:iam::000000000000:role/E2EEditor"
	idViewerRole = "arn:aws:iam::000000000000:role/E2EViewer"
	idPassword   = "E2e-Passw0rd!"
	idBucket     = "files"
)

// identityConfig is the configuration file of the identity scenarios: /s3/<bucket>/<key> is a
// sigv4 route (S3 defaults) in front of origin.
func identityConfig(origin string) []byte {
	return fmt.Appendf(nil, `{
  "UserPools": [
    {"Id": %[1]q, "PoolName": "identity-e2e",
     "Clients": [{"ClientId": %[2]q, "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}],
     "Groups": [
       {"GroupName": "editors", "RoleArn": %[6]q, "Precedence": 1},
       {"GroupName": "viewers", "RoleArn": %[7]q, "Precedence": 2}]},
    {"Id": %[8]q, "PoolName": "identity-e2e-other",
     "Clients": [{"ClientId": %[9]q, "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}]}
  ],
  "Roles": [
    {"Arn": %[3]q, "Policy": {"Version": "2012-10-17", "Statement": [
      {"Sid": "OwnPrefix", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
       "Resource": "arn:aws:s3:::files/${cognito-identity.amazonaws.com:sub}/*"},
      {"Sid": "ListOwn", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::files",
       "Condition": {"StringLike": {"s3:prefix": "${cognito-identity.amazonaws.com:sub}/*"}}},
      {"Sid": "Public", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/public/*"}]}},
    {"Arn": %[4]q, "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/public/*"}]}},
    {"Arn": %[6]q, "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::files/*"},
      {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::files/public/*"}]}},
    {"Arn": %[7]q, "Policy": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/*"}]}}
  ],
  "IdentityPools": [
    {"IdentityPoolId": %[10]q, "IdentityPoolName": "open", "AllowUnauthenticatedIdentities": true,
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/%[1]s", "ClientId": %[2]q, "ServerSideTokenCheck": true}],
     "Roles": {"authenticated": %[3]q, "unauthenticated": %[4]q}},
    {"IdentityPoolId": %[11]q, "IdentityPoolName": "rules", "AllowUnauthenticatedIdentities": false,
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/%[1]s", "ClientId": %[2]q}],
     "Roles": {"authenticated": %[3]q},
     "RoleMappings": {"cognito-idp.us-east-1.amazonaws.com/%[1]s:%[2]s": {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
       "RulesConfiguration": {"Rules": [
         {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "editors", "RoleARN": %[6]q},
         {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "viewers", "RoleARN": %[7]q}]}}}},
    {"IdentityPoolId": %[12]q, "IdentityPoolName": "token", "AllowUnauthenticatedIdentities": false,
     "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/%[1]s", "ClientId": %[2]q}],
     "Roles": {"authenticated": %[3]q},
     "RoleMappings": {"cognito-idp.us-east-1.amazonaws.com/%[1]s:%[2]s": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}}
  ],
  "Routes": [
    {"Name": "files", "Type": "sigv4", "PathPrefix": "/s3", "StripPrefix": true, "Origin": %[5]q}
  ]
}`, idUserPool, idClient, idAuthRole, idGuestRole, origin, idEditorRole, idViewerRole, idOtherPool, idOtherCl,
		idOpenPool, idRulesPool, idTokenPool)
}

// testOrigin is the origin behind the gateway route: it records what reaches it.
type testOrigin struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []originRequest
}

type originRequest struct {
	Method, Path string
	Header       http.Header
	Body         string
}

func newTestOrigin(t testing.TB) *testOrigin {
	o := &testOrigin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.got = append(o.got, originRequest{r.Method, r.URL.Path, r.Header.Clone(), string(b)})
		o.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "origin %s %s", r.Method, r.URL.Path)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// last returns the last request the origin saw.
func (o *testOrigin) last(t testing.TB) originRequest {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.got) == 0 {
		t.Fatal("nothing reached the origin")
	}
	return o.got[len(o.got)-1]
}

func (o *testOrigin) count() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.got) }

// Identity returns a cognito-identity client: public calls unsigned, admin calls signed with
// the admin key pair on the server's clock.
func (ep *Endpoint) Identity(admin bool) *ci.Client {
	if ep.calls == nil {
		ep.calls = newCallLog()
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if admin {
		creds = credentials(aws.Credentials{AccessKeyID: ep.AdminKeyID, SecretAccessKey: ep.AdminKey})
	}
	return ci.New(ci.Options{
		Region:           ep.Region,
		BaseEndpoint:     aws.String(ep.URL),
		Credentials:      creds,
		RetryMaxAttempts: 1,
		HTTPClient:       &recordingDoer{inner: ep.httpClient(), log: ep.calls},
		HTTPSignerV4:     clockSigner{inner: v4.NewSigner(), now: ep.Now},
	})
}

// idUser creates a confirmed user of the identity scenarios' pool in groups and returns a
// fresh ID token.
func idUser(t testing.TB, ep *Endpoint, pool, client, username string, groups ...string) string {
	t.Helper()
	admin := ep.Admin()
	call(admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(username),
		MessageAction: ciptypes.MessageActionTypeSuppress})).must(t)
	call(admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool), Username: aws.String(username),
		Password: aws.String(idPassword), Permanent: true})).must(t)
	for _, g := range groups {
		call(admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(pool), Username: aws.String(username),
			GroupName: aws.String(g)})).must(t)
	}
	return idSignIn(t, ep, pool, client, username)
}

func idSignIn(t testing.TB, ep *Endpoint, pool, client, username string) string {
	t.Helper()
	out := call(ep.Admin().AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(pool), ClientId: aws.String(client),
		AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": idPassword}})).must(t)
	return *out.AuthenticationResult.IdToken
}

// canonicalKey and amplifyKey are the two Logins keys of a user pool (spec §7.3).
func canonicalKey(pool string) string { return "cognito-idp.us-east-1.amazonaws.com/" + pool }
func amplifyKey(ep *Endpoint, pool string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ep.IssuerBase, "https://"), "http://") + "/" + pool
}

// vend runs GetId and GetCredentialsForIdentity the way the SDKs' credential providers do.
func vend(t testing.TB, ep *Endpoint, pool string, logins map[string]string) (string, aws.Credentials) {
	t.Helper()
	pub := ep.Identity(false)
	id := call(pub.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})).must(t)
	out := call(pub.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})).must(t)
	if *out.IdentityId != *id.IdentityId {
		t.Fatalf("GetCredentialsForIdentity answered for %s, GetId gave %s", *out.IdentityId, *id.IdentityId)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SecretKey == "" || *c.SessionToken == "" ||
		!epochNear(c.Expiration, ep.Now().Add(time.Hour)) {
		t.Fatalf("credentials %+v (now %v)", c, ep.Now())
	}
	return *id.IdentityId, aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretKey, SessionToken: *c.SessionToken,
		CanExpire: true, Expires: *c.Expiration}
}

// s3Response is what the gateway answered a signed request.
type s3Response struct {
	Status int
	Header http.Header
	Body   string
	Code   string // S3 error code from the XML body, "" on success
}

// s3Do sends method /s3/<bucket>/<key> to the gateway, signed with the SDK's SigV4 signer the
// way its S3 client signs (service s3, path not re-encoded, x-amz-content-sha256 set) at
// signedAt.
func s3Do(t testing.TB, ep *Endpoint, c aws.Credentials, method, key, body string, signedAt time.Time) s3Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, ep.URL+"/s3/"+idBucket+"/"+key, rd)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), c, req, hash, "s3", ep.Region, signedAt); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := s3Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if resp.StatusCode >= 300 {
		var e struct {
			Code string `xml:"Code"`
		}
		if err := xml.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s %s: %d with a non-XML body %q", method, key, resp.StatusCode, b)
		}
		out.Code = e.Code
	}
	return out
}

// wantS3 asserts a gateway answer: status and, for refusals, the S3 error code.
func wantS3(t testing.TB, r s3Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code != code {
		t.Fatalf("gateway answered %d %s (%q), want %d %s", r.Status, r.Code, r.Body, status, code)
	}
}

func tamperToken(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(bytes.Clone(b))
}
