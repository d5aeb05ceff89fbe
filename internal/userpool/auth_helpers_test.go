package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/secrethash"
	"github.com/poolgate/poolgate/internal/srp"
)

// Helpers for the auth_*_test.go files.

const testPassword = "Passw0rd!"

// authSetup is one pool with one app client.
type authSetup struct {
	*testEnv
	pool, client, secret string
}

// newAuthSetup creates a pool (email auto-verified, plus poolIn) and a client (plus clientIn).
func newAuthSetup(t testing.TB, poolIn, clientIn map[string]any) *authSetup {
	env := newTestEnv(t)
	in := map[string]any{"AutoVerifiedAttributes": []string{"email"}}
	for k, v := range poolIn {
		in[k] = v
	}
	pool := env.createPool(in)
	client, secret := env.createClient(pool, clientIn)
	return &authSetup{testEnv: env, pool: pool, client: client, secret: secret}
}

// hash is the SECRET_HASH of name for the setup's client ("" for clients without a secret).
func (a *authSetup) hash(name string) string {
	if a.secret == "" {
		return ""
	}
	return secrethash.Compute(a.secret, name, a.client)
}

// signUp registers username with an email and returns the SignUp output.
func (a *authSetup) signUp(username, email string) map[string]any {
	a.t.Helper()
	body := map[string]any{"ClientId": a.client, "Username": username, "Password": testPassword,
		"UserAttributes": []map[string]any{{"Name": "email", "Value": email}}}
	if h := a.hash(username); h != "" {
		body["SecretHash"] = h
	}
	return a.call("SignUp", body)
}

// signUpConfirmed signs username up and confirms it with the code from the recorder.
// It returns the internal username.
func (a *authSetup) signUpConfirmed(username, email string) string {
	a.t.Helper()
	out := a.signUp(username, email)
	sub, _ := out["UserSub"].(string)
	internal := a.user(a.pool, sub).Username
	body := map[string]any{"ClientId": a.client, "Username": username,
		"ConfirmationCode": a.lastCode(internal, message.KindSignUp)}
	if h := a.hash(username); h != "" {
		body["SecretHash"] = h
	}
	a.call("ConfirmSignUp", body)
	return internal
}

// srpStart runs InitiateAuth USER_SRP_AUTH and returns the client half and the challenge.
func (a *authSetup) srpStart(username string) (*srp.Client, int, map[string]any) {
	a.t.Helper()
	cl, err := srp.NewClient(hostcrypto.Pure{}, a.svc.d.Rand)
	if err != nil {
		a.t.Fatal(err)
	}
	params := map[string]any{"USERNAME": username, "SRP_A": cl.AHex()}
	if h := a.hash(username); h != "" {
		params["SECRET_HASH"] = h
	}
	status, out := a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_SRP_AUTH", "ClientId": a.client,
		"AuthParameters": params, "ClientMetadata": map[string]any{}})
	return cl, status, out
}

// srpAnswer computes the PASSWORD_VERIFIER answer for password as identity-js does.
func (a *authSetup) srpAnswer(cl *srp.Client, challenge map[string]any, password string, ts time.Time) map[string]any {
	a.t.Helper()
	cp := paramsOf(challenge["ChallengeParameters"])
	block, err := base64.StdEncoding.DecodeString(cp["SECRET_BLOCK"])
	if err != nil {
		a.t.Fatal(err)
	}
	timestamp := srp.FormatTimestamp(ts)
	sig, err := cl.Signature(srp.PoolName(a.pool), cp["USER_ID_FOR_SRP"], password, cp["SALT"], cp["SRP_B"], block, timestamp)
	if err != nil {
		a.t.Fatal(err)
	}
	resp := map[string]any{
		"USERNAME":                    cp["USER_ID_FOR_SRP"],
		"PASSWORD_CLAIM_SECRET_BLOCK": cp["SECRET_BLOCK"],
		"TIMESTAMP":                   timestamp,
		"PASSWORD_CLAIM_SIGNATURE":    sig,
	}
	if h := a.hash(cp["USER_ID_FOR_SRP"]); h != "" {
		resp["SECRET_HASH"] = h
	}
	return resp
}

// respond sends RespondToAuthChallenge.
func (a *authSetup) respond(challenge string, resp map[string]any, session string) (int, map[string]any) {
	a.t.Helper()
	body := map[string]any{"ChallengeName": challenge, "ClientId": a.client, "ChallengeResponses": resp,
		"ClientMetadata": map[string]any{}}
	if session != "" {
		body["Session"] = session
	}
	return a.dispatch("RespondToAuthChallenge", body)
}

// srpLogin signs in with SRP and returns the final answer.
func (a *authSetup) srpLogin(username, password string) (int, map[string]any) {
	a.t.Helper()
	cl, status, out := a.srpStart(username)
	if status != http.StatusOK {
		return status, out
	}
	return a.respond("PASSWORD_VERIFIER", a.srpAnswer(cl, out, password, a.clock.Now()), "")
}

// passwordLogin signs in with USER_PASSWORD_AUTH.
func (a *authSetup) passwordLogin(username, password string) (int, map[string]any) {
	a.t.Helper()
	params := map[string]any{"USERNAME": username, "PASSWORD": password}
	if h := a.hash(username); h != "" {
		params["SECRET_HASH"] = h
	}
	return a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters": params})
}

// tokens extracts the AuthenticationResult of a successful sign-in.
func (a *authSetup) tokens(status int, out map[string]any) (access, id, refresh string) {
	a.t.Helper()
	if status != http.StatusOK {
		a.t.Fatalf("sign-in: status %d: %v", status, out)
	}
	res, ok := out["AuthenticationResult"].(map[string]any)
	if !ok {
		a.t.Fatalf("sign-in: no AuthenticationResult: %v", out)
	}
	access, _ = res["AccessToken"].(string)
	id, _ = res["IdToken"].(string)
	refresh, _ = res["RefreshToken"].(string)
	return access, id, refresh
}

// verify checks a token's signature with the pool's keys and returns its claims.
func (a *authSetup) verify(raw string) map[string]any {
	a.t.Helper()
	claims, err := a.keys.Verify(context.Background(), a.pool, raw)
	if err != nil {
		a.t.Fatalf("verify token: %v", err)
	}
	return claims.Raw
}

// errOf returns the __type and message of an error answer (failing on success or 5xx).
func (a *authSetup) errOf(status int, out map[string]any) (string, string) {
	a.t.Helper()
	if status < 400 || status >= 500 {
		a.t.Fatalf("status %d (want 4xx): %v", status, out)
	}
	typ, _ := out["__type"].(string)
	msg, _ := out["message"].(string)
	return typ, msg
}

// wantAnswer fails unless (status, out) is the error typ (and msg, when not empty).
func (a *authSetup) wantAnswer(status int, out map[string]any, typ, msg string) {
	a.t.Helper()
	gotTyp, gotMsg := a.errOf(status, out)
	if gotTyp != typ || (msg != "" && gotMsg != msg) {
		a.t.Fatalf("got %s %q, want %s %q", gotTyp, gotMsg, typ, msg)
	}
}

func paramsOf(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// num reads a JSON number claim.
func jsonInt64(t testing.TB, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func looksLikeUUID(s string) bool {
	if len(s) != 36 || strings.Count(s, "-") != 4 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdef", r) {
				return false
			}
		}
	}
	return true
}

// want returns a check that an answer is the error typ (and msg, when not empty), shaped to
// take a dispatch result directly: a.want(typ, msg)(a.passwordLogin(...)).
func (a *authSetup) want(typ, msg string) func(int, map[string]any) {
	return func(status int, out map[string]any) {
		a.t.Helper()
		a.wantAnswer(status, out, typ, msg)
	}
}

// lock reads the lockout record of a user of the setup's pool (by username, alias or sub).
func (a *authSetup) lock(name string) lockState {
	a.t.Helper()
	p, err := a.svc.getPool(context.Background(), a.pool)
	if err != nil {
		a.t.Fatal(err)
	}
	st, _, err := a.svc.loadLock(context.Background(), lockKey(p, a.user(a.pool, name).Username))
	if err != nil {
		a.t.Fatal(err)
	}
	return st
}
