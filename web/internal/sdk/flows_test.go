package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/message"
)

const password = "Corr3ctHorse"

func TestSignUpConfirmAndSRPSignIn(t *testing.T) {
	e := newEnv(t)
	storage := NewMemoryStorage()
	c := e.client(storage)
	ctx := context.Background()

	res, err := c.SignUp(ctx, "ada@example.com", password, map[string]string{"email": "ada@example.com", "name": "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if res.UserConfirmed || res.UserSub == "" || res.CodeDelivery == nil || res.CodeDelivery.DeliveryMedium != "EMAIL" ||
		!strings.Contains(res.CodeDelivery.Destination, "***") {
		t.Fatalf("sign-up result %+v (delivery %+v)", res, res.CodeDelivery)
	}
	_, err = c.SignIn(ctx, "ada@example.com", password)
	wantCode(t, err, "UserNotConfirmedException")

	err = c.ConfirmSignUp(ctx, "ada@example.com", "000000")
	if e.code("ada@example.com", message.KindSignUp) == "000000" {
		t.Skip("the random code happened to be 000000")
	}
	wantCode(t, err, "CodeMismatchException")
	if err := c.ConfirmSignUp(ctx, "ada@example.com", e.code("ada@example.com", message.KindSignUp)); err != nil {
		t.Fatal(err)
	}

	e.resetCalls()
	out, err := c.SignIn(ctx, "ADA@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.targets(); !slices.Equal(got, []string{"InitiateAuth", "RespondToAuthChallenge"}) {
		t.Fatalf("calls %v", got)
	}
	s := out.Session
	if s == nil || out.Challenge != nil {
		t.Fatalf("result %+v", out)
	}
	if s.IDClaims["email"] != "ada@example.com" || s.IDClaims["token_use"] != "id" || s.IDClaims["sub"] != res.UserSub ||
		s.Username != res.UserSub || s.AccessClaims["client_id"] != testClient {
		t.Fatalf("claims id %v access %v username %q", s.IDClaims, s.AccessClaims, s.Username)
	}
	if want := e.clock.Now().Add(5 * time.Minute); !s.Expires.Equal(want) {
		t.Fatalf("expires %v, want %v", s.Expires, want)
	}
	raw, ok := storage.Get(c.sessionKey())
	if !ok || !strings.Contains(raw, s.RefreshToken) {
		t.Fatalf("stored session %q", raw)
	}

	// A page reload: a new client over the same storage is signed in without a call.
	e.resetCalls()
	again, err := e.client(storage).Session(ctx, false)
	if err != nil || again.AccessToken != s.AccessToken || len(e.targets()) != 0 {
		t.Fatalf("resumed session %v, %v, calls %v", again, err, e.targets())
	}
}

func TestWrongPasswordAndUnknownUser(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	e.signedUp(c, "bob@example.com", password)
	ctx := context.Background()
	_, err := c.SignIn(ctx, "bob@example.com", "Wr0ngPassword")
	if ce := wantCode(t, err, "NotAuthorizedException"); ce.Message != "Incorrect username or password." || ce.Status != 400 {
		t.Fatalf("%+v", ce)
	}
	_, err = c.SignIn(ctx, "nobody@example.com", password)
	wantCode(t, err, "NotAuthorizedException")
	_, err = c.Session(ctx, false)
	wantCode(t, err, CodeUnauthenticated)
	_, err = c.SignIn(ctx, "", password)
	wantCode(t, err, CodeInvalidParam)
}

func TestSessionRefreshesBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	storage := NewMemoryStorage()
	c := e.client(storage)
	e.signedUp(c, "cy@example.com", password)
	ctx := context.Background()
	first, err := c.SignIn(ctx, "cy@example.com", password)
	if err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(2*time.Minute + 59*time.Second) // 2 min 1 s left: outside the 2-minute margin
	e.resetCalls()
	s, err := c.Session(ctx, false)
	if err != nil || s.AccessToken != first.Session.AccessToken || len(e.targets()) != 0 {
		t.Fatalf("session %v, %v, calls %v", s, err, e.targets())
	}

	e.clock.Advance(2 * time.Second) // inside the margin: refresh
	s, err = c.Session(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.targets(); !slices.Equal(got, []string{"GetTokensFromRefreshToken"}) {
		t.Fatalf("calls %v", got)
	}
	if s.AccessToken == first.Session.AccessToken || s.RefreshToken != first.Session.RefreshToken ||
		!s.Expires.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("refreshed session %+v", s)
	}
	if s.IDClaims["origin_jti"] != first.Session.IDClaims["origin_jti"] {
		t.Fatalf("origin_jti changed across refresh")
	}

	// Forced refresh, with concurrent callers sharing one call.
	e.resetCalls()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Session(ctx, true); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(e.targets()); n < 1 || n > 4 {
		t.Fatalf("%d refresh calls", n)
	}
}

func TestConcurrentRefreshIsShared(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	e.signedUp(c, "dee@example.com", password)
	ctx := context.Background()
	if _, err := c.SignIn(ctx, "dee@example.com", password); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(4 * time.Minute)
	e.resetCalls()
	// Hold the transport until every caller is waiting, so the refreshes overlap.
	gate := make(chan struct{})
	c.cfg.Transport = gated{Transport: e, gate: gate}
	var wg sync.WaitGroup
	tokens := make([]string, 5)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := c.Session(ctx, false)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = s.AccessToken
		}()
	}
	time.AfterFunc(0, func() { close(gate) }) // released once the goroutines have run up to the gate or the wait
	wg.Wait()
	if got := e.targets(); len(got) != 1 {
		t.Fatalf("calls %v, want one refresh", got)
	}
	for _, tok := range tokens[1:] {
		if tok != tokens[0] {
			t.Fatal("callers got different tokens")
		}
	}
}

type gated struct {
	Transport
	gate chan struct{}
}

func (g gated) Call(ctx context.Context, target string, body []byte) (*Response, error) {
	<-g.gate
	return g.Transport.Call(ctx, target, body)
}

func TestSignOutRevokesTheRefreshToken(t *testing.T) {
	e := newEnv(t)
	storage := NewMemoryStorage()
	c := e.client(storage)
	e.signedUp(c, "eve@example.com", password)
	ctx := context.Background()
	if _, err := c.SignIn(ctx, "eve@example.com", password); err != nil {
		t.Fatal(err)
	}
	stolen, _ := storage.Get(c.sessionKey())

	e.resetCalls()
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := e.targets(); !slices.Equal(got, []string{"RevokeToken"}) {
		t.Fatalf("calls %v", got)
	}
	if len(storage.Keys()) != 0 {
		t.Fatalf("storage after sign-out: %v", storage.Keys())
	}
	_, err := c.Session(ctx, false)
	wantCode(t, err, CodeUnauthenticated)

	// A copy of the session taken before sign-out can neither refresh nor call GetUser.
	copyStore := NewMemoryStorage()
	copyStore.Set(c.sessionKey(), stolen)
	thief := e.client(copyStore)
	_, err = thief.GetUser(ctx)
	wantCode(t, err, "NotAuthorizedException")
	_, err = thief.Session(ctx, true)
	wantCode(t, err, "NotAuthorizedException")
	if len(copyStore.Keys()) != 0 {
		t.Fatal("a refused refresh must forget the session")
	}
	// Signing out with no session is a no-op.
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
}

func TestGlobalSignOut(t *testing.T) {
	e := newEnv(t)
	laptop, phone := e.client(nil), e.client(nil)
	e.signedUp(laptop, "fay@example.com", password)
	ctx := context.Background()
	for _, c := range []*Client{laptop, phone} {
		if _, err := c.SignIn(ctx, "fay@example.com", password); err != nil {
			t.Fatal(err)
		}
	}
	e.resetCalls()
	if err := laptop.SignOut(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := e.targets(); !slices.Equal(got, []string{"GlobalSignOut"}) {
		t.Fatalf("calls %v", got)
	}
	e.clock.Advance(time.Second) // GlobalSignOut revokes tokens issued before it
	_, err := phone.GetUser(ctx)
	wantCode(t, err, "NotAuthorizedException")
}

func TestNewPasswordRequired(t *testing.T) {
	e := newEnv(t)
	e.admin("AdminCreateUser", `{"UserPoolId":"`+testPool+`","Username":"gus@example.com","TemporaryPassword":"Temp0rary1","MessageAction":"SUPPRESS",
		"UserAttributes":[{"Name":"email","Value":"gus@example.com"},{"Name":"email_verified","Value":"true"}]}`)
	c := e.client(nil)
	ctx := context.Background()

	_, err := c.CompleteNewPassword(ctx, "N3wPassword", nil)
	wantCode(t, err, CodeNoChallenge)

	out, err := c.SignIn(ctx, "gus@example.com", "Temp0rary1")
	if err != nil {
		t.Fatal(err)
	}
	if out.Session != nil || out.Challenge == nil || out.Challenge.Name != "NEW_PASSWORD_REQUIRED" ||
		out.Challenge.UserAttributes["email"] != "gus@example.com" {
		t.Fatalf("result %+v challenge %+v", out, out.Challenge)
	}
	_, err = c.CompleteNewPassword(ctx, "short1A", nil)
	wantCode(t, err, "InvalidPasswordException")

	out, err = c.CompleteNewPassword(ctx, "N3wPassword", map[string]string{"name": "Gus"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Session == nil || out.Session.IDClaims["name"] != "Gus" {
		t.Fatalf("result %+v", out)
	}
	if _, err := e.client(nil).SignIn(ctx, "gus@example.com", "N3wPassword"); err != nil {
		t.Fatal(err)
	}
}

func TestForgotPassword(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	e.signedUp(c, "hal@example.com", password)
	ctx := context.Background()
	d, err := c.ForgotPassword(ctx, "hal@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if d == nil || d.DeliveryMedium != "EMAIL" {
		t.Fatalf("delivery %+v", d)
	}
	code := e.code("hal@example.com", message.KindForgotPassword)
	err = c.ConfirmForgotPassword(ctx, "hal@example.com", code, "weak12")
	wantCode(t, err, "InvalidPasswordException")
	if err := c.ConfirmForgotPassword(ctx, "hal@example.com", code, "Brand3New1"); err != nil {
		t.Fatal(err)
	}
	_, err = c.SignIn(ctx, "hal@example.com", password)
	wantCode(t, err, "NotAuthorizedException")
	if _, err := c.SignIn(ctx, "hal@example.com", "Brand3New1"); err != nil {
		t.Fatal(err)
	}
	// Resending the sign-up code to a confirmed user is refused by the server.
	_, err = c.ResendCode(ctx, "hal@example.com")
	if err == nil {
		t.Fatal("ResendCode for a confirmed user succeeded")
	}
}

func TestResendCode(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	ctx := context.Background()
	if _, err := c.SignUp(ctx, "ida@example.com", password, map[string]string{"email": "ida@example.com"}); err != nil {
		t.Fatal(err)
	}
	d, err := c.ResendCode(ctx, "ida@example.com")
	if err != nil || d == nil || d.AttributeName != "email" {
		t.Fatalf("resend %+v, %v", d, err)
	}
	if err := c.ConfirmSignUp(ctx, "ida@example.com", e.code("ida@example.com", message.KindResendCode)); err != nil {
		t.Fatal(err)
	}
	_, err = c.SignUp(ctx, "ida@example.com", password, map[string]string{"email": "ida@example.com"})
	wantCode(t, err, "UsernameExistsException")
	_, err = c.SignUp(ctx, "jo@example.com", "nocaps1234", map[string]string{"email": "jo@example.com"})
	wantCode(t, err, "InvalidPasswordException")
}

func TestProfileAndPassword(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	e.signedUp(c, "kim@example.com", password)
	e.admin("AdminAddUserToGroup", `{"UserPoolId":"`+testPool+`","Username":"kim@example.com","GroupName":"readers"}`)
	ctx := context.Background()

	_, err := c.GetUser(ctx)
	wantCode(t, err, CodeUnauthenticated)

	out, err := c.SignIn(ctx, "kim@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if g := out.Session.Groups(); !slices.Equal(g, []string{"readers"}) {
		t.Fatalf("groups %v", g)
	}
	if _, err := c.UpdateAttributes(ctx, map[string]string{"name": "Kim K"}); err != nil {
		t.Fatal(err)
	}
	u, err := c.GetUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.Attributes["name"] != "Kim K" || u.Attributes["email"] != "kim@example.com" || u.Username != out.Session.Username {
		t.Fatalf("user %+v", u)
	}
	_, err = c.UpdateAttributes(ctx, nil)
	wantCode(t, err, CodeInvalidParam)

	err = c.ChangePassword(ctx, "Wr0ngPassword", "An0therOne")
	wantCode(t, err, "NotAuthorizedException")
	if err := c.ChangePassword(ctx, password, "An0therOne"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client(nil).SignIn(ctx, "kim@example.com", "An0therOne"); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptStorageIsForgotten(t *testing.T) {
	e := newEnv(t)
	for _, raw := range []string{"not json", `{"idToken":"a.b.c","accessToken":"x"}`, `{}`, `null`} {
		s := NewMemoryStorage()
		c := e.client(s)
		s.Set(c.sessionKey(), raw)
		_, err := c.Session(context.Background(), false)
		wantCode(t, err, CodeUnauthenticated)
		if len(s.Keys()) != 0 {
			t.Fatalf("%q: storage keeps %v", raw, s.Keys())
		}
	}
}

func TestClockOffsetMovesSRPTimestampAndExpiry(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now()
	c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: e, Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	e.signedUp(c, "lee@example.com", password)
	ctx := context.Background()
	if _, err := c.SignIn(ctx, "lee@example.com", password); err != nil {
		t.Fatal(err)
	}
	// The server's clock moves 10 minutes; the client's does not: its TIMESTAMP is refused.
	e.clock.Advance(10 * time.Minute)
	_, err = c.SignIn(ctx, "lee@example.com", password)
	wantCode(t, err, "NotAuthorizedException")
	// With the offset the client agrees with the server again, and sees its tokens expired.
	c.SetClockOffset(10 * time.Minute)
	e.resetCalls()
	if _, err := c.Session(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := e.targets(); !slices.Equal(got, []string{"GetTokensFromRefreshToken"}) {
		t.Fatalf("calls %v", got)
	}
	if _, err := c.SignIn(ctx, "lee@example.com", password); err != nil {
		t.Fatal(err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	e := newEnv(t)
	for _, cfg := range []Config{
		{UserPoolID: "nounderscore", ClientID: testClient, Transport: e},
		{UserPoolID: testPool, ClientID: "", Transport: e},
		{UserPoolID: testPool, ClientID: testClient},
		{UserPoolID: testPool, ClientID: testClient, Transport: e, IdentityPoolID: "nocolon"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestIdentityPoolNotConfigured(t *testing.T) {
	e := newEnv(t)
	c := e.client(nil)
	_, err := c.GuestCredentials(context.Background())
	wantCode(t, err, CodeNoIdentityPool)
	_, err = c.Credentials(context.Background())
	wantCode(t, err, CodeNoIdentityPool)
}

type failingTransport struct{}

func (failingTransport) Call(context.Context, string, []byte) (*Response, error) {
	return nil, errors.New("connection refused")
}

func TestNetworkError(t *testing.T) {
	c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: failingTransport{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SignIn(context.Background(), "a@example.com", password)
	if e := wantCode(t, err, CodeNetwork); !strings.Contains(e.Message, "connection refused") {
		t.Fatal(e.Message)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ForgotPassword(ctx, "a@example.com"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
}

// canned answers every call with one response.
type canned Response

func (c canned) Call(context.Context, string, []byte) (*Response, error) {
	r := Response(c)
	return &r, nil
}

func TestBadServerAnswers(t *testing.T) {
	for name, resp := range map[string]Response{
		"not json":           {Status: 200, Body: []byte("<html>")},
		"no challenge":       {Status: 200, Body: []byte(`{"ChallengeParameters":{}}`)},
		"verifier no params": {Status: 200, Body: []byte(`{"ChallengeName":"PASSWORD_VERIFIER","ChallengeParameters":{}}`)},
		"bad secret block":   {Status: 200, Body: []byte(`{"ChallengeName":"PASSWORD_VERIFIER","ChallengeParameters":{"USER_ID_FOR_SRP":"u","SRP_B":"02","SALT":"01","SECRET_BLOCK":"!!"}}`)},
		"zero B":             {Status: 200, Body: []byte(`{"ChallengeName":"PASSWORD_VERIFIER","ChallengeParameters":{"USER_ID_FOR_SRP":"u","SRP_B":"0","SALT":"01","SECRET_BLOCK":"AA=="}}`)},
		"bad tokens":         {Status: 200, Body: []byte(`{"AuthenticationResult":{"IdToken":"x","AccessToken":"y"}}`)},
		"bad new password":   {Status: 200, Body: []byte(`{"ChallengeName":"NEW_PASSWORD_REQUIRED","Session":"s","ChallengeParameters":{"requiredAttributes":"[oops"}}`)},
		"bad mfa choice":     {Status: 200, Body: []byte(`{"ChallengeName":"SELECT_MFA_TYPE","Session":"s","ChallengeParameters":{"MFAS_CAN_CHOOSE":"[oops"}}`)},
		"mfa no session":     {Status: 200, Body: []byte(`{"ChallengeName":"SOFTWARE_TOKEN_MFA","ChallengeParameters":{}}`)},
	} {
		c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: canned(resp)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SignIn(context.Background(), "a@example.com", password)
		wantCode(t, err, CodeBadResponse)
		_ = name
	}
	c, _ := New(Config{UserPoolID: testPool, ClientID: testClient,
		Transport: canned{Status: 200, Body: []byte(`{"ChallengeName":"CUSTOM_CHALLENGE","Session":"s","ChallengeParameters":{}}`)}})
	_, err := c.SignIn(context.Background(), "a@example.com", password)
	wantCode(t, err, CodeUnsupported)
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		resp      Response
		code, msg string
	}{
		{Response{Status: 400, Body: []byte(`{"__type":"NotAuthorizedException","message":"Incorrect username or password."}`)}, "NotAuthorizedException", "Incorrect username or password."},
		{Response{Status: 400, Body: []byte(`{"__type":"com.amazonaws.cognitoidentityprovider#UserNotFoundException","Message":"User does not exist."}`)}, "UserNotFoundException", "User does not exist."},
		{Response{Status: 400, Body: []byte(`{"code":"LimitExceededException","message":"slow down"}`)}, "LimitExceededException", "slow down"},
		{Response{Status: 400, ErrorType: "ExpiredCodeException:", Body: []byte(`{}`)}, "ExpiredCodeException", "The server answered with HTTP status 400."},
		{Response{Status: 502, Body: []byte(`Bad gateway`)}, "InternalErrorException", "The server answered with HTTP status 502."},
		{Response{Status: 404, Body: nil}, "UnknownError", "The server answered with HTTP status 404."},
	} {
		e := ParseError(&tc.resp)
		if e.Code != tc.code || e.Message != tc.msg || e.Status != tc.resp.Status {
			t.Errorf("%s: got %+v, want %s %q", tc.resp.Body, e, tc.code, tc.msg)
		}
	}
}

func TestDecodeClaims(t *testing.T) {
	claims, err := DecodeClaims("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMiLCJleHAiOjE3MDAwMDAwMDB9.sig")
	if err != nil || claims["sub"] != "abc" {
		t.Fatalf("%v %v", claims, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!.c", "a.bnVsbA.c" /* null */, "a.WzFd.c" /* [1] */} {
		if _, err := DecodeClaims(bad); err == nil {
			t.Errorf("DecodeClaims(%q) succeeded", bad)
		}
	}
}

// FuzzDecodeClaims holds DecodeClaims to the reading it replaced (internal/jose's Parse, then
// encoding/json on the payload): every token that reading accepts it accepts with the same
// claims, and whatever it accepts, encoding/json reads as it does.
func FuzzDecodeClaims(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMiLCJleHAiOjE3MDAwMDAwMDB9.sig")
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.")
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJhIjpbMSx7ImIiOjIuNWUzfV19.") // {"a":[1,{"b":2.5e3}]}
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxLCJhIjoyfQ.")           // a member twice
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxZTk5OX0.")              // {"a":1e999}
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxf.")                    // non-canonical trailing bits
	f.Add("eyJhbGciOjF9.e30.")                                  // alg not a string
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		claims, err := DecodeClaims(s)
		if err == nil && claims == nil {
			t.Fatal("nil claims without an error")
		}
		var want map[string]any
		wantErr := errors.New("jose.Parse refuses the token")
		if _, jerr := jose.Parse(s); jerr == nil {
			payload, _ := jose.Decode(strings.Split(s, ".")[1])
			wantErr = json.Unmarshal(payload, &want)
		} else if err == nil {
			// jose is stricter (registered claims' types, crit, kid); encoding/json must
			// still read the payload as DecodeClaims did.
			payload, derr := jose.Decode(strings.Split(s, ".")[1])
			if derr != nil {
				t.Fatalf("DecodeClaims accepted %q, whose payload does not decode: %v", s, derr)
			}
			wantErr = json.Unmarshal(payload, &want)
			if wantErr != nil {
				t.Fatalf("DecodeClaims accepted %q, encoding/json refuses its payload: %v", s, wantErr)
			}
		}
		if wantErr == nil && (err != nil || !reflect.DeepEqual(claims, want)) {
			t.Fatalf("DecodeClaims(%q) = %v, %v; want %v", s, claims, err, want)
		}
	})
}

func FuzzParseError(f *testing.F) {
	f.Add(400, "NotAuthorizedException:", []byte(`{"__type":"a#B","message":"m"}`))
	f.Add(500, "", []byte(`nope`))
	f.Add(400, "", []byte(`{"code":7}`))
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		e := ParseError(&Response{Status: status, ErrorType: header, Body: body})
		if e.Code == "" || e.Message == "" || strings.Contains(e.Code, "#") {
			t.Fatalf("%+v", e)
		}
	})
}

func FuzzStoredSession(f *testing.F) {
	f.Add(`{"idToken":"eyJhbGciOiJSUzI1NiJ9.e30.","accessToken":"eyJhbGciOiJSUzI1NiJ9.e30.","refreshToken":"r","clockDrift":3}`)
	f.Add(`{"idToken":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.","accessToken":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9."}`)
	f.Fuzz(func(t *testing.T, raw string) {
		s := NewMemoryStorage()
		c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: failingTransport{}, Storage: s})
		if err != nil {
			t.Fatal(err)
		}
		s.Set(c.sessionKey(), raw)
		sess, err := c.Session(context.Background(), false)
		if err == nil && (sess == nil || sess.IDToken == "") {
			t.Fatal("a session without tokens")
		}
		if sess != nil {
			if _, err := json.Marshal(sess); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// identityConfig adds an identity pool that allows guests to testConfig.
var identityConfig = strings.TrimSuffix(strings.TrimSpace(testConfig), "}") + `,
  "Roles": [
    {"Arn": "arn:aws:iam::000000000000:role/guest", "Policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}},
    {"Arn": "arn:aws:iam::000000000000:role/user", "Policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}
  ],
  "IdentityPools": [{
    "IdentityPoolId": "` + testIdentity + `", "IdentityPoolName": "web", "AllowUnauthenticatedIdentities": true,
    "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/` + testPool + `", "ClientId": "` + testClient + `"}],
    "Roles": {"authenticated": "arn:aws:iam::000000000000:role/user", "unauthenticated": "arn:aws:iam::000000000000:role/guest"}
  }]
}`

func TestGuestCredentialsThenLinkedSignIn(t *testing.T) {
	e := newEnv(t, identityConfig)
	storage := NewMemoryStorage()
	c, err := New(Config{UserPoolID: testPool, ClientID: testClient, IdentityPoolID: testIdentity, Transport: e, Storage: storage, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	_, err = c.Credentials(ctx)
	wantCode(t, err, CodeUnauthenticated)

	e.resetCalls()
	guest, err := c.GuestCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.targets(); !slices.Equal(got, []string{"GetId", "GetCredentialsForIdentity"}) {
		t.Fatalf("calls %v", got)
	}
	if !strings.HasPrefix(guest.AccessKeyID, "ASIA") || guest.SecretKey == "" || guest.Authenticated ||
		!strings.HasPrefix(guest.IdentityID, "us-east-1:") || !guest.Expiration.After(e.clock.Now()) {
		t.Fatalf("guest credentials %+v", guest)
	}
	e.resetCalls()
	again, err := c.GuestCredentials(ctx)
	if err != nil || again.AccessKeyID != guest.AccessKeyID || len(e.targets()) != 0 {
		t.Fatalf("cached guest credentials %+v, %v, calls %v", again, err, e.targets())
	}

	e.signedUp(c, "ivy@example.com", password)
	if _, err := c.SignIn(ctx, "ivy@example.com", password); err != nil {
		t.Fatal(err)
	}
	e.resetCalls()
	user, err := c.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if user.IdentityID != guest.IdentityID || !user.Authenticated || user.AccessKeyID == guest.AccessKeyID {
		t.Fatalf("signed-in credentials %+v (guest %s)", user, guest.IdentityID)
	}
	if got := e.targets(); !slices.Equal(got, []string{"GetCredentialsForIdentity"}) {
		t.Fatalf("linking calls %v", got)
	}

	// After sign-out the identity belongs to the login: a new guest gets a new identity.
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	next, err := c.GuestCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next.IdentityID == guest.IdentityID {
		t.Fatal("a guest after sign-out reused the signed-in identity")
	}
}
