package workerd_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// TestCrashRestartsAndRetries: when the Go instance dies (os.Exit, or a panic no one
// recovers) while serving a request, the glue starts a fresh instance; a read caught in flight
// is retried on it and succeeds, a write is answered with a Cognito-shaped 500 and is not
// replayed; the stored data is untouched.
func TestCrashRestartsAndRetries(t *testing.T) {
	w, _ := startWorker(t, t.TempDir(), edgelocal.Options{TestCrash: true})
	admin, public := clients(w)
	f := newFixture(t, admin)
	tokens := f.signIn(t, public)

	// wantInstances checks how many Go instances the isolate started, and that the last one
	// is live (or, with live false, that none is: the next request starts one).
	wantInstances := func(n int, live bool) {
		t.Helper()
		g, err := w.Glue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if g.Instances != n || (g.Live != nil) != live || (live && *g.Live != n) {
			t.Fatalf("glue: %d instances started, live %v; want %d, live %v", g.Instances, g.Live, n, live)
		}
	}
	wantInstances(1, true)

	for i, how := range []string{"exit", "panic"} {
		if err := w.Crash(ctx, 1, how); err != nil {
			t.Fatal(err)
		}
		// GetUser only reads: the glue replays it on a fresh instance.
		out, err := public.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken})
		if err != nil {
			t.Fatalf("GetUser caught by a crash (%s): %v", how, err)
		}
		if aws.ToString(out.Username) != f.user {
			t.Fatalf("GetUser after the crash: %+v", out)
		}
		wantInstances(2+i, true)
	}

	// A write caught by the crash is not replayed: the client sees InternalErrorException
	// (the SDKs retry it themselves) and nothing was written.
	if err := w.Crash(ctx, 1, "exit"); err != nil {
		t.Fatal(err)
	}
	_, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("zed"), MessageAction: "SUPPRESS"})
	wantAPIError(t, err, "InternalErrorException", http.StatusInternalServerError, "stopped")
	wantInstances(3, false) // the next request starts a fresh instance
	_, err = admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("zed")})
	wantAPIError(t, err, "UserNotFoundException", http.StatusBadRequest)
	wantInstances(4, true)

	// Everything written before the crashes is still there.
	f.signIn(t, public)
	if _, err := public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)}}); err != nil {
		t.Fatalf("refresh after the crashes: %v", err)
	}
}
