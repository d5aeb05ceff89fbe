package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/srp"
)

// signedRaw builds a POST of body to action signed with SigV4 at time at.
func signedRaw(t testing.TB, ep *Endpoint, action string, body []byte, akid, secret string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "cognito-idp", ep.Region, at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// badInputFixture is a pool, a public client, a secret client and a confirmed user.
type badInputFixture struct {
	*fixture
	secretClient *fixture
	tokens       map[string]string // "access", "id", "refresh"
}

func newBadInputFixture(t *testing.T, ep *Endpoint) *badInputFixture {
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "eve", "Passw0rd-eve", attr("email", "eve@example.com"))
	sc := newClient(t, ep, f.pool, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	res := f.tokens(t, "eve", "Passw0rd-eve")
	return &badInputFixture{
		fixture:      f,
		secretClient: &fixture{ep: ep, pool: f.pool, client: aws.ToString(sc.ClientId), secret: aws.ToString(sc.ClientSecret)},
		tokens:       map[string]string{"access": aws.ToString(res.AccessToken), "id": aws.ToString(res.IdToken), "refresh": aws.ToString(res.RefreshToken)},
	}
}

// scnBadInputs: every bad input is a Cognito-shaped 400 (never a 5xx): malformed JSON, wrong
// types, missing required members, unknown X-Amz-Target, a body over 1 MiB, bad base64, SRP_A
// that is 0 mod N, forged or expired sealed blobs, wrong SECRET_HASH, tampered JWTs.
func scnBadInputs(t *testing.T, ep *Endpoint) {
	f := newBadInputFixture(t, ep)
	srpA := func() string {
		cl, err := srp.NewClient(hostcryptoPure, randReader)
		ok(t, err)
		return cl.AHex()
	}
	initiate := func(params map[string]any) map[string]any {
		return map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": f.client, "AuthParameters": params}
	}
	// A real PASSWORD_VERIFIER challenge and a real NEW_PASSWORD_REQUIRED Session to forge from.
	ch, err := f.srpStart(t, "eve")
	ok(t, err)
	call(ep.Admin().AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("newbie"),
		TemporaryPassword: aws.String("Temp-Passw0rd"), MessageAction: "SUPPRESS"})).must(t)
	np := call(f.passwordAuth("newbie", "Temp-Passw0rd")).must(t)
	session := aws.ToString(np.Session)
	verifier := func(block, sig string) map[string]any {
		return map[string]any{"ChallengeName": "PASSWORD_VERIFIER", "ClientId": f.client, "ChallengeResponses": map[string]any{
			"USERNAME": "eve", "PASSWORD_CLAIM_SECRET_BLOCK": block, "TIMESTAMP": srp.FormatTimestamp(ep.Now()), "PASSWORD_CLAIM_SIGNATURE": sig}}
	}
	newPassword := func(session string) map[string]any {
		return map[string]any{"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": f.client, "Session": session,
			"ChallengeResponses": map[string]any{"USERNAME": "newbie", "NEW_PASSWORD": "New-Passw0rd"}}
	}
	refresh := func(tok string) map[string]any {
		return map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client, "AuthParameters": map[string]any{"REFRESH_TOKEN": tok}}
	}
	access := f.tokens["access"]
	parts := strings.Split(access, ".")
	payload := claims(t, access)
	payload["username"] = "someone-else"
	forgedPayload, _ := json.Marshal(payload)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"x"}`))
	idKid := jwtHeader(t, f.tokens["id"])["kid"].(string)
	swappedHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"` + idKid + `"}`))
	hsHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"` + jwtHeader(t, access)["kid"].(string) + `"}`))
	sigOfRandom := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256))
	bigBody := append([]byte(`{"ClientId":"`+f.client+`","AuthFlow":"USER_SRP_AUTH","ClientMetadata":{"pad":"`), bytes.Repeat([]byte("a"), 1<<20+10)...)
	bigBody = append(bigBody, `"}}`...)

	type rawCase struct {
		name   string
		action string
		body   []byte
		types  []string // acceptable __type values; empty = any
		check  func(t *testing.T, r rawResponse)
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	cases := []rawCase{
		// Decoding.
		{"malformed JSON", "InitiateAuth", []byte(`{"ClientId":`), []string{"SerializationException"}, nil},
		{"trailing garbage", "InitiateAuth", []byte(`{"ClientId":"x","AuthFlow":"USER_SRP_AUTH"} xyz`), []string{"SerializationException"}, nil},
		{"JSON array body", "InitiateAuth", []byte(`[]`), []string{"SerializationException"}, nil},
		{"JSON string body", "InitiateAuth", []byte(`"InitiateAuth"`), []string{"SerializationException"}, nil},
		{"not JSON at all", "InitiateAuth", []byte("AuthFlow=USER_SRP_AUTH"), []string{"SerializationException"}, nil},
		{"wrong type: number for string", "InitiateAuth", []byte(`{"ClientId":5,"AuthFlow":"USER_SRP_AUTH"}`), []string{"SerializationException"}, nil},
		{"wrong type: string for map", "InitiateAuth", []byte(`{"ClientId":"` + f.client + `","AuthFlow":"USER_SRP_AUTH","AuthParameters":"USERNAME=eve"}`), []string{"SerializationException"}, nil},
		{"wrong type: number in map", "InitiateAuth", []byte(`{"ClientId":"` + f.client + `","AuthFlow":"USER_SRP_AUTH","AuthParameters":{"USERNAME":5}}`), []string{"SerializationException"}, nil},
		{"wrong type: object for list", "SignUp", []byte(`{"ClientId":"` + f.client + `","Username":"u","Password":"Passw0rd-u","UserAttributes":{"email":"u@example.com"}}`), []string{"SerializationException"}, nil},
		{"deeply nested JSON", "InitiateAuth", append(append([]byte(`{"ClientMetadata":`), bytes.Repeat([]byte("["), 20000)...), bytes.Repeat([]byte("]"), 20000)...), []string{"SerializationException"}, nil},
		{"missing required ClientId", "InitiateAuth", []byte(`{"AuthFlow":"USER_SRP_AUTH"}`), []string{"InvalidParameterException"}, func(t *testing.T, r rawResponse) {
			if !bytes.Contains(r.Body, []byte("clientId")) {
				t.Errorf("missing ClientId: message does not name clientId: %s", r.Body)
			}
		}},
		{"required member null", "InitiateAuth", []byte(`{"AuthFlow":"USER_SRP_AUTH","ClientId":null}`), []string{"InvalidParameterException"}, nil},
		{"empty body", "InitiateAuth", nil, []string{"InvalidParameterException"}, nil},
		{"missing required AccessToken", "GetUser", []byte(`{}`), []string{"InvalidParameterException"}, nil},
		{"body over 1 MiB", "InitiateAuth", bigBody, nil, nil},
		// Routing.
		{"unknown X-Amz-Target", "NoSuchAction", []byte(`{}`), []string{"UnknownOperationException"}, nil},
		{"no X-Amz-Target", "", []byte(`{}`), nil, nil},
		// Auth inputs.
		{"SRP_A = 0", "InitiateAuth", js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": "0"})), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"SRP_A = N", "InitiateAuth", js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": srpN.Text(16)})), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"SRP_A = 3N", "InitiateAuth", js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": new(big.Int).Mul(srpN, big.NewInt(3)).Text(16)})), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"SRP_A not hex", "InitiateAuth", js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": "not-hex"})), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"SRP_A too long", "InitiateAuth", js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": strings.Repeat("f", 5000)})), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"no SRP_A", "InitiateAuth", js(initiate(map[string]any{"USERNAME": "eve"})), []string{"InvalidParameterException", "NotAuthorizedException"}, nil},
		{"SECRET_BLOCK not base64", "RespondToAuthChallenge", js(verifier("!!!not base64!!!", "AAAA")), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"SECRET_BLOCK forged", "RespondToAuthChallenge", js(verifier(tamper(ch.params["SECRET_BLOCK"]), base64.StdEncoding.EncodeToString(make([]byte, 32)))), []string{"NotAuthorizedException"}, nil},
		{"SECRET_BLOCK truncated", "RespondToAuthChallenge", js(verifier(ch.params["SECRET_BLOCK"][:20], base64.StdEncoding.EncodeToString(make([]byte, 32)))), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"SECRET_BLOCK random bytes", "RespondToAuthChallenge", js(verifier(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 300)), "AAAA")), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"PASSWORD_CLAIM_SIGNATURE not base64", "RespondToAuthChallenge", js(verifier(ch.params["SECRET_BLOCK"], "***")), []string{"NotAuthorizedException", "InvalidParameterException"}, nil},
		{"Session forged", "RespondToAuthChallenge", js(newPassword(tamper(session))), []string{"NotAuthorizedException"}, nil},
		{"Session not base64", "RespondToAuthChallenge", js(newPassword("%%%")), []string{"InvalidParameterException"}, nil}, // shorter than the model's 20
		{"Session is a SECRET_BLOCK", "RespondToAuthChallenge", js(newPassword(ch.params["SECRET_BLOCK"])), []string{"NotAuthorizedException"}, nil},
		{"refresh token forged", "InitiateAuth", js(refresh(tamper(f.tokens["refresh"]))), []string{"NotAuthorizedException"}, nil},
		{"refresh token garbage", "InitiateAuth", js(refresh("***")), []string{"NotAuthorizedException"}, nil},
		{"refresh token is an access token", "InitiateAuth", js(refresh(access)), []string{"NotAuthorizedException"}, nil},
		{"refresh token is a Session", "InitiateAuth", js(refresh(session)), []string{"NotAuthorizedException"}, nil},
		{"GetTokensFromRefreshToken forged", "GetTokensFromRefreshToken", js(map[string]any{"ClientId": f.client, "RefreshToken": tamper(f.tokens["refresh"])}), []string{"NotAuthorizedException"}, nil},
		{"RevokeToken garbage", "RevokeToken", js(map[string]any{"ClientId": f.client, "Token": "garbage"}), nil, nil},
		{"wrong SECRET_HASH", "InitiateAuth", js(map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": f.secretClient.client,
			"AuthParameters": map[string]any{"USERNAME": "eve", "PASSWORD": "Passw0rd-eve", "SECRET_HASH": secretHash("wrong", "eve", f.secretClient.client)}}),
			[]string{"NotAuthorizedException"}, nil},
		{"SECRET_HASH not base64", "SignUp", js(map[string]any{"ClientId": f.secretClient.client, "Username": "eve2", "Password": "Passw0rd-eve2", "SecretHash": "%%%"}),
			[]string{"InvalidParameterException"}, nil}, // outside the model's [\w+=/]+
		// Tampered JWTs.
		{"JWT payload tampered", "GetUser", js(map[string]any{"AccessToken": parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2]}), []string{"NotAuthorizedException"}, nil},
		{"JWT signature removed", "GetUser", js(map[string]any{"AccessToken": parts[0] + "." + parts[1] + "."}), []string{"NotAuthorizedException"}, nil},
		{"JWT signature random", "GetUser", js(map[string]any{"AccessToken": parts[0] + "." + parts[1] + "." + sigOfRandom}), []string{"NotAuthorizedException"}, nil},
		{"JWT alg none", "GetUser", js(map[string]any{"AccessToken": noneHeader + "." + parts[1] + "."}), []string{"NotAuthorizedException"}, nil},
		{"JWT alg HS256", "GetUser", js(map[string]any{"AccessToken": hsHeader + "." + parts[1] + "." + parts[2]}), []string{"NotAuthorizedException"}, nil},
		{"JWT kid swapped to the id key", "GetUser", js(map[string]any{"AccessToken": swappedHeader + "." + parts[1] + "." + parts[2]}), []string{"NotAuthorizedException"}, nil},
		{"JWT bad base64", "GetUser", js(map[string]any{"AccessToken": "%%%.%%%.%%%"}), []string{"InvalidParameterException"}, nil}, // outside the model's [A-Za-z0-9-_=.]+
		{"JWT two parts", "GetUser", js(map[string]any{"AccessToken": parts[0] + "." + parts[1]}), []string{"NotAuthorizedException"}, nil},
		{"ID token as access token", "GlobalSignOut", js(map[string]any{"AccessToken": f.tokens["id"]}), []string{"NotAuthorizedException"}, nil},
		{"tampered JWT at ChangePassword", "ChangePassword", js(map[string]any{"AccessToken": parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2],
			"PreviousPassword": "Passw0rd-eve", "ProposedPassword": "Passw0rd-new"}), []string{"NotAuthorizedException"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rawCall(t, ep, c.action, c.body)
			wantRawError(t, r, c.types...)
			if c.check != nil {
				c.check(t, r)
			}
		})
	}

	// Expired sealed blobs: a Session past AuthSessionValidity, a SECRET_BLOCK past 5 minutes.
	t.Run("expired Session and SECRET_BLOCK", func(t *testing.T) {
		ch2, err := f.srpStart(t, "eve")
		ok(t, err)
		np2 := call(f.passwordAuth("newbie", "Temp-Passw0rd")).must(t)
		ep.Advance(t, 6*time.Minute)
		wantRawError(t, rawJSON(t, ep, "RespondToAuthChallenge", newPassword(aws.ToString(np2.Session))), "NotAuthorizedException")
		stamp := srp.FormatTimestamp(ep.Now())
		sig, err := ch2.client.Signature(srp.PoolName(f.pool), "eve", "Passw0rd-eve", ch2.params["SALT"], ch2.params["SRP_B"], ch2.block, stamp)
		ok(t, err)
		wantRawError(t, rawJSON(t, ep, "RespondToAuthChallenge", map[string]any{"ChallengeName": "PASSWORD_VERIFIER", "ClientId": f.client,
			"ChallengeResponses": map[string]any{"USERNAME": "eve", "PASSWORD_CLAIM_SECRET_BLOCK": ch2.params["SECRET_BLOCK"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SIGNATURE": sig}}),
			"NotAuthorizedException")
	})

	// Signed requests: the signature is checked before the body; a malformed Authorization
	// header is IncompleteSignature; signatures on public operations are ignored.
	t.Run("signed admin call with a malformed body", func(t *testing.T) {
		r := doRaw(t, signedRaw(t, ep, "ListUserPools", []byte(`{"MaxResults":`), ep.AdminKeyID, ep.AdminKey, ep.Now()))
		wantRawError(t, r, "SerializationException")
	})
	t.Run("signed admin call with a wrong type", func(t *testing.T) {
		r := doRaw(t, signedRaw(t, ep, "ListUserPools", []byte(`{"MaxResults":"ten"}`), ep.AdminKeyID, ep.AdminKey, ep.Now()))
		wantRawError(t, r, "SerializationException")
	})
	t.Run("signed admin call with MaxResults out of range", func(t *testing.T) {
		r := doRaw(t, signedRaw(t, ep, "ListUserPools", []byte(`{"MaxResults":0}`), ep.AdminKeyID, ep.AdminKey, ep.Now()))
		wantRawError(t, r, "InvalidParameterException")
		r = doRaw(t, signedRaw(t, ep, "ListUserPools", []byte(`{"MaxResults":1e400}`), ep.AdminKeyID, ep.AdminKey, ep.Now()))
		wantRawError(t, r)
	})
	t.Run("unsigned admin call with a malformed body", func(t *testing.T) {
		wantRawError(t, rawCall(t, ep, "ListUserPools", []byte(`{"MaxResults":`)), "MissingAuthenticationTokenException")
	})
	t.Run("body changed after signing", func(t *testing.T) {
		req := signedRaw(t, ep, "ListUserPools", []byte(`{"MaxResults":1}`), ep.AdminKeyID, ep.AdminKey, ep.Now())
		req.Body = io.NopCloser(strings.NewReader(`{"MaxResults":2}`))
		wantRawError(t, doRaw(t, req), "InvalidSignatureException")
	})
	t.Run("malformed Authorization header", func(t *testing.T) {
		req := signedRaw(t, ep, "ListUserPools", []byte(`{"MaxResults":1}`), ep.AdminKeyID, ep.AdminKey, ep.Now())
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 nonsense")
		wantRawError(t, doRaw(t, req), "IncompleteSignatureException")
	})
	t.Run("signature on a public operation is ignored", func(t *testing.T) {
		body := js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": srpA()}))
		r := doRaw(t, signedRaw(t, ep, "InitiateAuth", body, ep.AdminKeyID, "wrong-secret", ep.Now()))
		if m := rawOK(t, r); m["ChallengeName"] != "PASSWORD_VERIFIER" {
			t.Errorf("signed InitiateAuth: %v", m)
		}
	})

	// Tolerated inputs: JSON null map values, unknown members, any path.
	t.Run("null map value and unknown members are tolerated", func(t *testing.T) {
		body := map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": f.client, "Bogus": 1, "ClientMetadata": map[string]any{},
			"AuthParameters": map[string]any{"USERNAME": "eve", "SRP_A": srpA(), "DEVICE_KEY": nil}}
		if m := rawOK(t, rawJSON(t, ep, "InitiateAuth", body)); m["ChallengeName"] != "PASSWORD_VERIFIER" {
			t.Errorf("InitiateAuth with DEVICE_KEY null: %v", m)
		}
	})
	t.Run("any path", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/some/prefix/", bytes.NewReader(js(initiate(map[string]any{"USERNAME": "eve", "SRP_A": srpA()}))))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
		rawOK(t, doRaw(t, req))
	})
	// Far over the limit (hostsim stops reading at 8 MiB): still the same Cognito-shaped 400,
	// with the CORS headers a browser needs to read it.
	t.Run("body over 8 MiB", func(t *testing.T) {
		body := append([]byte(`{"ClientId":"x","AuthFlow":"USER_SRP_AUTH","ClientMetadata":{"p":"`), bytes.Repeat([]byte("a"), 9<<20)...)
		body = append(body, `"}}`...)
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
		req.Header.Set("Origin", "http://app.example")
		r := doRaw(t, req)
		if r.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("no Access-Control-Allow-Origin on the error (a browser cannot read it)")
		}
		if r.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("no x-amzn-RequestId on the error")
		}
		wantRawError(t, r, "SerializationException")
	})
	t.Run("wrong method", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, ep.URL+"/", bytes.NewReader([]byte(`{}`)))
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
		wantRawError(t, doRaw(t, req))
	})
}

// scnWireShape: spec §1.3/1.4 headers and shapes, CORS, and the server clock in Date.
func scnWireShape(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "wally", "Passw0rd-wally")

	r := rawJSON(t, ep, "InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": f.client,
		"AuthParameters": map[string]any{"USERNAME": "wally", "PASSWORD": "Passw0rd-wally"}})
	m := rawOK(t, r)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type %q", ct)
	}
	if id := r.Header.Get("X-Amzn-Requestid"); !uuidRe.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q, want a UUID v4", id)
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || date.Sub(ep.Now()).Abs() > time.Second {
		t.Errorf("Date %q, want the server clock %v (%v)", r.Header.Get("Date"), ep.Now().UTC().Format(http.TimeFormat), err)
	}
	if cp, isMap := m["ChallengeParameters"].(map[string]any); !isMap || len(cp) != 0 {
		t.Errorf("success: ChallengeParameters = %#v, want {}", m["ChallengeParameters"])
	}
	ar, _ := m["AuthenticationResult"].(map[string]any)
	if _, isNum := ar["ExpiresIn"].(float64); !isNum || ar["TokenType"] != "Bearer" {
		t.Errorf("AuthenticationResult = %v", ar)
	}
	access, _ := ar["AccessToken"].(string)

	// Empty outputs are {}.
	r = rawJSON(t, ep, "GlobalSignOut", map[string]any{"AccessToken": access})
	rawOK(t, r)
	if s := strings.TrimSpace(string(r.Body)); s != "{}" {
		t.Errorf("GlobalSignOut body %q, want {}", s)
	}

	// Errors carry a request id and the exposed headers.
	r = rawJSON(t, ep, "InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": f.client,
		"AuthParameters": map[string]any{"USERNAME": "wally", "PASSWORD": "wrong"}})
	wantRawError(t, r, "NotAuthorizedException")
	if r.Header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("error without x-amzn-RequestId")
	}
	if !strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Expose-Headers")), "x-amzn-errortype") {
		t.Errorf("Access-Control-Expose-Headers %q lacks x-amzn-ErrorType", r.Header.Get("Access-Control-Expose-Headers"))
	}

	// Timestamps are JSON numbers of epoch seconds (signed DescribeUserPool).
	r = doRaw(t, signedRaw(t, ep, "DescribeUserPool", []byte(`{"UserPoolId":"`+f.pool+`"}`), ep.AdminKeyID, ep.AdminKey, ep.Now()))
	up, _ := rawOK(t, r)["UserPool"].(map[string]any)
	if _, isNum := up["CreationDate"].(float64); !isNum {
		t.Errorf("UserPool.CreationDate = %#v, want a JSON number", up["CreationDate"])
	}

	// CORS preflight.
	req, _ := http.NewRequest(http.MethodOptions, ep.URL+"/", nil)
	req.Header.Set("Origin", "http://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent,cache-control")
	r = doRaw(t, req)
	if r.Status < 200 || r.Status > 299 {
		t.Errorf("CORS preflight: status %d", r.Status)
	}
	if o := r.Header.Get("Access-Control-Allow-Origin"); o != "*" && o != "http://app.example" {
		t.Errorf("preflight Access-Control-Allow-Origin %q", o)
	}
	if h := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "x-amz-target") && h != "*" {
		t.Errorf("preflight Access-Control-Allow-Headers %q lacks x-amz-target", h)
	}
	if !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight Access-Control-Allow-Methods %q", r.Header.Get("Access-Control-Allow-Methods"))
	}
}

func jwtHeader(t testing.TB, raw string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	var h map[string]any
	ok(t, json.Unmarshal(b, &h))
	return h
}

// publicActions are the issue's actions that are not SigV4-signed (spec §1.5).
var publicActions = map[string]bool{
	"SignUp": true, "ConfirmSignUp": true, "ResendConfirmationCode": true, "InitiateAuth": true,
	"RespondToAuthChallenge": true, "GetTokensFromRefreshToken": true, "RevokeToken": true, "GlobalSignOut": true,
	"GetUser": true, "UpdateUserAttributes": true, "DeleteUserAttributes": true, "GetUserAttributeVerificationCode": true,
	"VerifyUserAttribute": true, "ChangePassword": true, "ForgotPassword": true, "ConfirmForgotPassword": true, "DeleteUser": true,
	"AssociateSoftwareToken": true, "VerifySoftwareToken": true, "SetUserMFAPreference": true, "SetUserSettings": true,
}

// scnEveryActionBadBodies sweeps every action of the issue with bodies that are empty, all null,
// all empty strings, all of the wrong JSON type, and well-typed garbage: no answer may be a 5xx,
// and every error must be Cognito-shaped. Admin actions are signed, so the bodies reach the
// handlers.
func scnEveryActionBadBodies(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	// Members of the issue's inputs by JSON type.
	strs := []string{"UserPoolId", "ClientId", "Username", "AccessToken", "GroupName", "PoolName", "ClientName", "Password",
		"ProposedPassword", "PreviousPassword", "ConfirmationCode", "Code", "AttributeName", "AuthFlow", "ChallengeName",
		"RefreshToken", "Token", "Session", "Filter", "SecretHash", "ClientSecret", "TemporaryPassword", "MessageAction",
		"PaginationToken", "NextToken", "Description", "RoleArn", "MfaConfiguration", "DeletionProtection",
		"PreventUserExistenceErrors", "DeviceKey", "UserCode", "FriendlyDeviceName"}
	ints := []string{"MaxResults", "Limit", "Precedence", "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "AuthSessionValidity"}
	lists := []string{"UserAttributes", "UserAttributeNames", "AttributesToGet", "ExplicitAuthFlows", "Schema", "AutoVerifiedAttributes",
		"AliasAttributes", "UsernameAttributes", "ReadAttributes", "WriteAttributes", "DesiredDeliveryMediums", "ValidationData", "MFAOptions"}
	maps := []string{"AuthParameters", "ChallengeResponses", "ClientMetadata", "Policies", "TokenValidityUnits", "UsernameConfiguration",
		"AdminCreateUserConfig", "RefreshTokenRotation", "UserPoolTags", "SoftwareTokenMfaConfiguration", "SmsMfaConfiguration",
		"EmailMfaConfiguration", "SMSMfaSettings", "SoftwareTokenMfaSettings", "EmailMfaSettings"}
	bools := []string{"Permanent", "GenerateSecret", "EnableTokenRevocation", "ForceAliasCreation"}
	body := func(str, num, list, mp, b func(string) any) map[string]any {
		m := map[string]any{}
		for _, k := range strs {
			m[k] = str(k)
		}
		for _, k := range ints {
			m[k] = num(k)
		}
		for _, k := range lists {
			m[k] = list(k)
		}
		for _, k := range maps {
			m[k] = mp(k)
		}
		for _, k := range bools {
			m[k] = b(k)
		}
		return m
	}
	null := func(string) any { return nil }
	f.createUser(t, "sweeper", "Passw0rd-sweeper", attr("email", "sweeper@example.com"))
	call(ep.Admin().CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(f.pool), GroupName: aws.String("sweepers")})).must(t)
	garbage := map[string]string{"UserPoolId": f.pool, "ClientId": f.client, "Username": "sweeper", "GroupName": "sweepers", "AccessToken": "a.b.c",
		"AuthFlow": "USER_SRP_AUTH", "ChallengeName": "PASSWORD_VERIFIER", "MessageAction": "SUPPRESS", "Filter": `nonsense`}
	bodies := map[string]map[string]any{
		"all null": body(null, null, null, null, null),
		"all empty": body(func(string) any { return "" }, func(string) any { return 0 }, func(string) any { return []any{} },
			func(string) any { return map[string]any{} }, func(string) any { return false }),
		"all wrong types": body(func(string) any { return []any{[]any{}} }, func(string) any { return "ten" }, func(string) any { return map[string]any{"a": 1} },
			func(string) any { return []any{1} }, func(string) any { return "yes" }),
		"typed garbage": body(func(k string) any {
			if v, ok := garbage[k]; ok {
				return v
			}
			return "garbage-" + k
		}, func(string) any { return 999999 }, func(k string) any {
			if k == "UserAttributes" || k == "ValidationData" {
				return []any{map[string]any{"Name": "custom:nope", "Value": strings.Repeat("v", 3000)}}
			}
			if k == "Schema" {
				return []any{map[string]any{"Name": strings.Repeat("n", 100), "AttributeDataType": "Nope"}}
			}
			return []any{"garbage"}
		}, func(k string) any {
			switch k {
			case "Policies":
				return map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": -1, "TemporaryPasswordValidityDays": 100000}}
			case "TokenValidityUnits":
				return map[string]any{"AccessToken": "weeks", "IdToken": "", "RefreshToken": "seconds"}
			case "UsernameConfiguration":
				return map[string]any{"CaseSensitive": false}
			case "AdminCreateUserConfig":
				return map[string]any{"AllowAdminCreateUserOnly": true, "UnusedAccountValidityDays": -5}
			case "RefreshTokenRotation":
				return map[string]any{"Feature": "MAYBE", "RetryGracePeriodSeconds": -1}
			}
			return map[string]any{"USERNAME": "sweeper", "SRP_A": "0", "PASSWORD": "x", "REFRESH_TOKEN": "x",
				"PASSWORD_CLAIM_SECRET_BLOCK": "x", "TIMESTAMP": "x", "PASSWORD_CLAIM_SIGNATURE": "x", "NEW_PASSWORD": "x", "SECRET_HASH": "x"}
		}, func(string) any { return true }),
	}
	// The deletes last: with typed garbage they delete the sweep's own records.
	last := []string{"AdminDeleteUser", "DeleteGroup", "DeleteUserPoolClient", "DeleteUserPool"}
	actions := slices.DeleteFunc(slices.Concat(issueActions, mfaActions), func(a string) bool { return slices.Contains(last, a) })
	actions = append(actions, last...)
	for _, action := range actions {
		for _, bname := range []string{"{}", "all null", "all empty", "all wrong types", "typed garbage"} {
			var raw []byte
			if bname == "{}" {
				raw = []byte(`{}`)
			} else {
				raw, _ = json.Marshal(bodies[bname])
			}
			var r rawResponse
			if publicActions[action] {
				r = rawCall(t, ep, action, raw)
			} else {
				r = doRaw(t, signedRaw(t, ep, action, raw, ep.AdminKeyID, ep.AdminKey, ep.Now()))
			}
			if r.Status >= 500 {
				t.Errorf("%s with %s: status %d: %.300s", action, bname, r.Status, r.Body)
				continue
			}
			if r.Status >= 400 {
				t.Run(action+" "+bname, func(t *testing.T) { wantRawError(t, r) })
			} else if bname != "typed garbage" {
				t.Errorf("%s with %s: status %d, want a 400: %.300s", action, bname, r.Status, r.Body)
			}
		}
	}
}
