package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/srp"
)

var (
	ctx        = context.Background()
	poolIDRe   = regexp.MustCompile(`^us-east-1_[0-9A-Za-z]{9}$`)
	clientIDRe = regexp.MustCompile(`^[0-9a-z]{26}$`)
	secretRe   = regexp.MustCompile(`^[0-9a-z]{51}$`)
	uuidRe     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// allFlows is the client setting most scenarios use.
var allFlows = []types.ExplicitAuthFlowsType{
	"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
}

// ---- errors ----------------------------------------------------------------------------------

// wantErr asserts err is a Cognito-shaped API error with HTTP status 400, the given code and,
// when msg is not empty, exactly that message.
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got a non-API error: %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("%s: want message %q, got %q", code, msg, ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("%s: want HTTP 400, got %d", code, re.HTTPStatusCode())
	}
}

// wantErrIn is wantErr for a choice of codes the protocol leaves open.
func wantErrIn(t testing.TB, err error, codes ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want one of %v, got success", codes)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want one of %v, got a non-API error: %v", codes, err)
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			var re *awshttp.ResponseError
			if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusBadRequest {
				t.Fatalf("%s: want HTTP 400, got %d", c, re.HTTPStatusCode())
			}
			return
		}
	}
	t.Fatalf("want one of %v, got %s: %s", codes, ae.ErrorCode(), ae.ErrorMessage())
}

// result carries a call's value and error until must checks it: call(c.Op(ctx, in)).must(t).
type result[T any] struct {
	v   T
	err error
}

func call[T any](v T, err error) result[T] { return result[T]{v, err} }

// must fails the test when the call failed and returns its value otherwise.
func (r result[T]) must(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// ---- setup -------------------------------------------------------------------------------------

var uniq int

// name returns a unique name with prefix (pool names, usernames).
func name(prefix string) string {
	uniq++
	return fmt.Sprintf("%s%d", prefix, uniq)
}

// newPool creates a pool; mod adjusts the input.
func newPool(t testing.TB, ep *Endpoint, mod func(*cip.CreateUserPoolInput)) *types.UserPoolType {
	t.Helper()
	in := &cip.CreateUserPoolInput{
		PoolName: aws.String(name("pool")),
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true,
		}},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{"email"},
	}
	if mod != nil {
		mod(in)
	}
	out := call(ep.Admin().CreateUserPool(ctx, in)).must(t)
	if out.UserPool == nil || !poolIDRe.MatchString(aws.ToString(out.UserPool.Id)) {
		t.Fatalf("CreateUserPool: pool id %q does not look like us-east-1_ + 9 alphanumerics", aws.ToString(out.UserPool.Id))
	}
	return out.UserPool
}

// newClient creates an app client allowing every flow; mod adjusts the input.
func newClient(t testing.TB, ep *Endpoint, poolID string, mod func(*cip.CreateUserPoolClientInput)) *types.UserPoolClientType {
	t.Helper()
	in := &cip.CreateUserPoolClientInput{
		UserPoolId:        aws.String(poolID),
		ClientName:        aws.String(name("client")),
		ExplicitAuthFlows: allFlows,
	}
	if mod != nil {
		mod(in)
	}
	out := call(ep.Admin().CreateUserPoolClient(ctx, in)).must(t)
	if !clientIDRe.MatchString(aws.ToString(out.UserPoolClient.ClientId)) {
		t.Fatalf("CreateUserPoolClient: client id %q is not 26 lower-case alphanumerics", aws.ToString(out.UserPoolClient.ClientId))
	}
	return out.UserPoolClient
}

// fixture is a pool, a client and the endpoint, the unit most scenarios start from.
type fixture struct {
	ep     *Endpoint
	pool   string
	client string
	secret string // client secret, "" for public clients
}

func newFixture(t testing.TB, ep *Endpoint, poolMod func(*cip.CreateUserPoolInput), clientMod func(*cip.CreateUserPoolClientInput)) *fixture {
	t.Helper()
	p := newPool(t, ep, poolMod)
	c := newClient(t, ep, aws.ToString(p.Id), clientMod)
	return &fixture{ep: ep, pool: aws.ToString(p.Id), client: aws.ToString(c.ClientId), secret: aws.ToString(c.ClientSecret)}
}

func attr(n, v string) types.AttributeType {
	return types.AttributeType{Name: aws.String(n), Value: aws.String(v)}
}

// createUser makes a CONFIRMED user with a permanent password through the admin API
// (no invitation message).
func (f *fixture) createUser(t testing.TB, username, password string, attrs ...types.AttributeType) *types.UserType {
	t.Helper()
	out := call(f.ep.Admin().AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(f.pool), Username: aws.String(username),
		UserAttributes: attrs, MessageAction: "SUPPRESS",
	})).must(t)
	ok(t, f.adminSetPassword(username, password, true))
	return out.User
}

func (f *fixture) adminSetPassword(username, password string, permanent bool) error {
	_, err := f.ep.Admin().AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(f.pool), Username: aws.String(username), Password: aws.String(password), Permanent: permanent,
	})
	return err
}

func (f *fixture) adminGetUser(t testing.TB, username string) *cip.AdminGetUserOutput {
	t.Helper()
	return call(f.ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(username)})).must(t)
}

// ---- sign-in -------------------------------------------------------------------------------------

// secretHash is spec §4, computed here independently of the server's code.
func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// withSecretHash adds SECRET_HASH to params when the client has a secret.
func (f *fixture) withSecretHash(params map[string]string, username string) map[string]string {
	if f.secret != "" {
		params["SECRET_HASH"] = secretHash(f.secret, username, f.client)
	}
	return params
}

// passwordAuth signs in with USER_PASSWORD_AUTH.
func (f *fixture) passwordAuth(username, password string) (*cip.InitiateAuthOutput, error) {
	return f.ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: f.withSecretHash(map[string]string{"USERNAME": username, "PASSWORD": password}, username),
	})
}

// tokens signs in with USER_PASSWORD_AUTH and returns the tokens, failing the test otherwise.
func (f *fixture) tokens(t testing.TB, username, password string) *types.AuthenticationResultType {
	t.Helper()
	out := call(f.passwordAuth(username, password)).must(t)
	if out.AuthenticationResult == nil {
		t.Fatalf("InitiateAuth USER_PASSWORD_AUTH for %s: no AuthenticationResult (challenge %q)", username, out.ChallengeName)
	}
	return out.AuthenticationResult
}

// srpChallenge is the server's PASSWORD_VERIFIER challenge and the client half that answers it.
type srpChallenge struct {
	client *srp.Client
	params map[string]string
	block  []byte // decoded SECRET_BLOCK
	out    *cip.InitiateAuthOutput
}

// srpStart is step 1 of spec §3.4, with poolgate's own SRP client half.
func (f *fixture) srpStart(t testing.TB, username string) (*srpChallenge, error) {
	t.Helper()
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		t.Fatalf("srp.NewClient: %v", err)
	}
	out, err := f.ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: "USER_SRP_AUTH", ClientId: aws.String(f.client),
		AuthParameters: f.withSecretHash(map[string]string{"USERNAME": username, "SRP_A": cl.AHex()}, username),
	})
	if err != nil {
		return nil, err
	}
	if out.ChallengeName != "PASSWORD_VERIFIER" {
		t.Fatalf("USER_SRP_AUTH: want challenge PASSWORD_VERIFIER, got %q", out.ChallengeName)
	}
	p := out.ChallengeParameters
	for _, k := range []string{"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"} {
		if p[k] == "" {
			t.Fatalf("PASSWORD_VERIFIER: ChallengeParameters lack %s: %v", k, p)
		}
	}
	if out.Session != nil {
		t.Errorf("PASSWORD_VERIFIER: want no Session (spec §3.4), got one")
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		t.Fatalf("SECRET_BLOCK is not standard base64: %v", err)
	}
	return &srpChallenge{client: cl, params: p, block: block, out: out}, nil
}

// respond is step 4 of spec §3.4: the PASSWORD_CLAIM_SIGNATURE over the given TIMESTAMP.
func (f *fixture) srpRespond(t testing.TB, ch *srpChallenge, password, timestamp string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	userID := ch.params["USER_ID_FOR_SRP"]
	sig, err := ch.client.Signature(srp.PoolName(f.pool), userID, password, ch.params["SALT"], ch.params["SRP_B"], ch.block, timestamp)
	if err != nil {
		t.Fatalf("srp client signature: %v", err)
	}
	return f.ep.Public().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName: "PASSWORD_VERIFIER", ClientId: aws.String(f.client),
		ChallengeResponses: f.withSecretHash(map[string]string{
			"USERNAME":                    userID,
			"PASSWORD_CLAIM_SECRET_BLOCK": ch.params["SECRET_BLOCK"],
			"TIMESTAMP":                   timestamp,
			"PASSWORD_CLAIM_SIGNATURE":    sig,
		}, userID),
	})
}

// srpSignIn runs the whole SRP exchange at the server's current time.
func (f *fixture) srpSignIn(t testing.TB, username, password string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	ch, err := f.srpStart(t, username)
	if err != nil {
		return nil, err
	}
	return f.srpRespond(t, ch, password, srp.FormatTimestamp(f.ep.Now()))
}

// ---- tokens -----------------------------------------------------------------------------------

// claims decodes a JWT's payload without verifying it (numbers stay json.Number).
func claims(t testing.TB, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload is not base64url without padding: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return m
}

// fetchJWKS GETs /<pool>/.well-known/jwks.json.
func fetchJWKS(t testing.TB, ep *Endpoint, poolID string) jwk.Set {
	t.Helper()
	status, _, body := httpGet(t, ep.URL+"/"+poolID+"/.well-known/jwks.json")
	if status != 200 {
		t.Fatalf("GET jwks.json: status %d: %s", status, body)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		t.Fatalf("jwks.json does not parse as a JWK set: %v\n%s", err, body)
	}
	return set
}

// verifyToken verifies raw with jwx against the pool's JWKS: signature (kid lookup, RS256),
// iss, exp/iat at the server's clock, aud for ID tokens; returns the claims and the kid.
func verifyToken(t testing.TB, ep *Endpoint, poolID, raw, use, clientID string) (map[string]any, string) {
	t.Helper()
	set := fetchJWKS(t, ep, poolID)
	msg, err := jws.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("%s token: jws.Parse: %v", use, err)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if h.Algorithm().String() != "RS256" || h.KeyID() == "" {
		t.Fatalf("%s token header: alg %q kid %q, want RS256 and a kid", use, h.Algorithm(), h.KeyID())
	}
	if h.Type() != "" {
		t.Errorf("%s token header has typ %q; spec §5.1 says no typ", use, h.Type())
	}
	opts := []jwt.ParseOption{
		jwt.WithKeySet(set), jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(ep.Now)),
		jwt.WithIssuer(ep.IssuerBase + "/" + poolID),
	}
	if use == "id" {
		opts = append(opts, jwt.WithAudience(clientID))
	}
	if _, err := jwt.Parse([]byte(raw), opts...); err != nil {
		t.Fatalf("%s token does not verify with jwx against the JWKS: %v", use, err)
	}
	c := claims(t, raw)
	if c["token_use"] != use {
		t.Fatalf("token_use = %v, want %s", c["token_use"], use)
	}
	return c, h.KeyID()
}

func num(t testing.TB, c map[string]any, k string) int64 {
	t.Helper()
	n, ok := c[k].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %#v, want a JSON number", k, c[k])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s = %s, want an integer: %v", k, n, err)
	}
	return v
}

// ---- messages ------------------------------------------------------------------------------------

// lastMessage returns the newest message to destination (any of kinds), failing if none.
func lastMessage(t testing.TB, ep *Endpoint, destination string, kinds ...string) message.Message {
	t.Helper()
	m, found := findMessage(ep, destination, kinds...)
	if !found {
		t.Fatalf("no %v message to %s was sent", kinds, destination)
	}
	return m
}

func findMessage(ep *Endpoint, destination string, kinds ...string) (message.Message, bool) {
	msgs := ep.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Destination != destination {
			continue
		}
		for _, k := range kinds {
			if m.Kind == k {
				return m, true
			}
		}
	}
	return message.Message{}, false
}

func countMessages(ep *Endpoint, destination string) int {
	n := 0
	for _, m := range ep.Messages() {
		if m.Destination == destination {
			n++
		}
	}
	return n
}

// ---- raw HTTP ------------------------------------------------------------------------------------

func httpGet(t testing.TB, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, b
}

// rawResponse is an API answer read by raw net/http.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// rawCall POSTs body to the API with X-Amz-Target AWSCognitoIdentityProviderService.<action>
// (action "" → no X-Amz-Target header).
func rawCall(t testing.TB, ep *Endpoint, action string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if action != "" {
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	}
	return doRaw(t, req)
}

func doRaw(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// rawJSON is rawCall with a JSON-encoded body.
func rawJSON(t testing.TB, ep *Endpoint, action string, body any) rawResponse {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return rawCall(t, ep, action, b)
}

// wantRawError asserts a Cognito-shaped error (spec §1.4): status 400, a JSON body with __type
// and message, and the x-amzn-ErrorType header naming the same type. types lists the
// acceptable __type values (any when empty). It returns the type.
func wantRawError(t testing.TB, r rawResponse, types ...string) string {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("status %d (server fault) for a client error; body: %.300s", r.Status, r.Body)
	}
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body: %.300s", r.Status, r.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("error body is not a JSON object: %v: %.300s", err, r.Body)
	}
	typ, _ := body["__type"].(string)
	if i := strings.LastIndex(typ, "#"); i >= 0 {
		typ = typ[i+1:]
	}
	if typ == "" {
		t.Fatalf("error body has no __type: %s", r.Body)
	}
	if m, _ := body["message"].(string); m == "" {
		t.Fatalf("error body has no message: %s", r.Body)
	}
	h := r.Header.Get("X-Amzn-Errortype")
	if i := strings.Index(h, ":"); i >= 0 {
		h = h[:i]
	}
	if h != typ {
		t.Fatalf("x-amzn-ErrorType %q does not name the body's __type %q", r.Header.Get("X-Amzn-Errortype"), typ)
	}
	if len(types) > 0 {
		for _, want := range types {
			if typ == want {
				return typ
			}
		}
		t.Fatalf("__type %s (%s), want one of %v", typ, body["message"], types)
	}
	return typ
}

// rawOK asserts a 200 JSON answer and decodes it.
func rawOK(t testing.TB, r rawResponse) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %.500s", r.Status, r.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %.300s", err, r.Body)
	}
	return m
}

// epochNear reports whether t is within a second of want (SDK timestamps are float seconds).
func epochNear(got *time.Time, want time.Time) bool {
	if got == nil {
		return false
	}
	d := got.Sub(want)
	return d > -time.Second && d < time.Second
}

// ---- small utilities -------------------------------------------------------------------------

var (
	hostcryptoPure = hostcrypto.Pure{}
	randReader     = rand.Reader
)

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not standard base64: %q: %v", s, err)
	}
	return b
}

// tamper flips one bit in the middle of an opaque token, keeping its alphabet when it is base64
// (so the server sees a well-formed but forged blob).
func tamper(s string) string {
	if s == "" {
		return "x"
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 {
		b[len(b)/2] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil && len(b) > 0 {
		b[len(b)/2] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	r := []byte(s)
	i := len(r) / 2
	if r[i] == 'A' {
		r[i] = 'B'
	} else {
		r[i] = 'A'
	}
	return string(r)
}
