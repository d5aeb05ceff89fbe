package userpool

import (
	"context"
	"errors"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// The fuzz targets feed outside input to the parsers of the auth flows (SECRET_BLOCK and the
// PASSWORD_VERIFIER answer, challenge Sessions, refresh tokens, access tokens, usernames).
// Whatever comes in, the answer must be a client error, never a success and never a fault.
// Each seeds with real values, then disables the user: fuzz workers are separate processes
// that rebuild the environment, so single-use markers and revocations of the process that
// made the seeds are not theirs, but a disabled user never signs in.

// wantClientError fails unless err is a 4xx wire error.
func wantClientError(t *testing.T, what string, err error) {
	t.Helper()
	var ae *awsjson.Error
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	if !errors.As(err, &ae) || ae.Status >= 500 {
		t.Fatalf("%s: not a client error: %v", what, err)
	}
}

func FuzzAuthChallengeResponses(f *testing.F) {
	a := newAuthSetup(f, nil, nil)
	a.signUpConfirmed("fuzz", "fuzz@example.com")
	cl, _, ch := a.srpStart("fuzz")
	resp := paramsOf(a.srpAnswer(cl, ch, testPassword, a.clock.Now()))
	a.tokens(a.respond("PASSWORD_VERIFIER", map[string]any{"USERNAME": resp["USERNAME"],
		"PASSWORD_CLAIM_SECRET_BLOCK": resp["PASSWORD_CLAIM_SECRET_BLOCK"], "TIMESTAMP": resp["TIMESTAMP"],
		"PASSWORD_CLAIM_SIGNATURE": resp["PASSWORD_CLAIM_SIGNATURE"]}, ""))
	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "fuzz"})
	f.Add("fuzz", resp["PASSWORD_CLAIM_SECRET_BLOCK"], resp["TIMESTAMP"], resp["PASSWORD_CLAIM_SIGNATURE"], "")
	f.Add("fuzz", "AQID", "Tue Jan 6 09:05:03 UTC 2026", "g9RVaNTkZ1mozYhaTsXua0UPt8S0JPL2xwgfww5xv6M=", "AAAA")
	f.Add("", "", "", "", "")
	f.Add("fuzz", "%%%", "Tue Jan 06 09:05:03 UTC 2026", "x", "not base64")

	ctx := context.Background()
	p, c, err := a.svc.clientByID(ctx, a.client)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, username, block, timestamp, signature, session string) {
		r := map[string]string{"USERNAME": username, "PASSWORD_CLAIM_SECRET_BLOCK": block,
			"TIMESTAMP": timestamp, "PASSWORD_CLAIM_SIGNATURE": signature}
		_, err := a.svc.respond(ctx, p, c, "PASSWORD_VERIFIER", session, r)
		wantClientError(t, "PASSWORD_VERIFIER", err)
		_, err = a.svc.respond(ctx, p, c, "NEW_PASSWORD_REQUIRED", session,
			map[string]string{"USERNAME": username, "NEW_PASSWORD": signature})
		wantClientError(t, "NEW_PASSWORD_REQUIRED", err)
	})
}

func FuzzAuthTokens(f *testing.F) {
	a := newAuthSetup(f, nil, nil)
	a.signUpConfirmed("fuzz", "fuzz@example.com")
	access, id, refresh := a.tokens(a.srpLogin("fuzz", testPassword))
	a.call("RevokeToken", map[string]any{"ClientId": a.client, "Token": refresh})
	a.call("AdminUserGlobalSignOut", map[string]any{"UserPoolId": a.pool, "Username": "fuzz"})
	a.call("AdminDisableUser", map[string]any{"UserPoolId": a.pool, "Username": "fuzz"})
	f.Add(access)
	f.Add(id)
	f.Add(refresh)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLnVzLWVhc3QtMS5hbWF6b25hd3MuY29tL3gifQ.")

	ctx := context.Background()
	p, c, err := a.svc.clientByID(ctx, a.client)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := a.svc.authorizeAccess(ctx, raw)
		wantClientError(t, "access token", err)
		_, _, err = a.svc.checkRefreshToken(ctx, p, c, raw)
		wantClientError(t, "refresh token", err)
		_, err = a.svc.refreshFlow(ctx, p, c, map[string]string{"REFRESH_TOKEN": raw})
		wantClientError(t, "REFRESH_TOKEN_AUTH", err)
		if err := checkUsernameSyntax(raw); err != nil {
			wantClientError(t, "username", err)
		}
	})
}
