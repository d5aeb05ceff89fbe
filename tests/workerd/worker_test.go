package workerd_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

var ctx = context.Background()

// clients returns SDK clients for w: one signing with the admin key pair, one anonymous.
func clients(w *edgelocal.Worker) (admin, public *cip.Client) {
	mk := func(creds aws.CredentialsProvider) *cip.Client {
		return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(w.URL()), Credentials: creds, RetryMaxAttempts: 1})
	}
	admin = mk(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
	}))
	return admin, mk(aws.AnonymousCredentials{})
}

// fixture is a pool, a client allowing every flow, and one confirmed user.
type fixture struct {
	pool, client, user, password string
}

func newFixture(t testing.TB, admin *cip.Client) fixture {
	t.Helper()
	p, err := admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("workerd")})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	pool := aws.ToString(p.UserPool.Id)
	c, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	f := fixture{pool: pool, client: aws.ToString(c.UserPoolClient.ClientId), user: "ada", password: "Passw0rd-ada"}
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(f.user), MessageAction: "SUPPRESS"}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool), Username: aws.String(f.user),
		Password: aws.String(f.password), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	return f
}

func (f fixture) signIn(t testing.TB, public *cip.Client) *types.AuthenticationResultType {
	t.Helper()
	out, err := public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": f.user, "PASSWORD": f.password}})
	if err != nil {
		t.Fatalf("InitiateAuth: %v", err)
	}
	return out.AuthenticationResult
}

func jwks(t testing.TB, w *edgelocal.Worker, pool string) string {
	t.Helper()
	resp, err := http.Get(w.URL() + "/" + pool + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS: %s: %s", resp.Status, b)
	}
	return string(b)
}

// TestRestartKeepsData: data written, the Worker stopped and started again on the same
// persisted store: pools, users, passwords, signing keys and issued tokens are all still good.
func TestRestartKeepsData(t *testing.T) {
	persist := t.TempDir()
	w, _ := startWorker(t, persist, edgelocal.Options{})
	admin, public := clients(w)
	f := newFixture(t, admin)
	tokens := f.signIn(t, public)
	keys := jwks(t, w, f.pool)
	w.Close()

	w2, _ := startWorker(t, persist, edgelocal.Options{})
	admin, public = clients(w2)
	if _, err := admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)}); err != nil {
		t.Fatalf("DescribeUserPool after restart: %v", err)
	}
	u, err := admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(f.user)})
	if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("AdminGetUser after restart: %v, %v", u, err)
	}
	if got := jwks(t, w2, f.pool); got != keys {
		t.Errorf("JWKS changed across the restart:\n before %s\n after  %s", keys, got)
	}
	// A token issued before the restart is still accepted, and so is a refresh token.
	if _, err := public.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken}); err != nil {
		t.Errorf("GetUser with a token from before the restart: %v", err)
	}
	if _, err := public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)}}); err != nil {
		t.Errorf("refresh with a token from before the restart: %v", err)
	}
	f.signIn(t, public) // the password verifier survived
}

// wantAPIError asserts a Cognito-shaped error: the SDK decodes its type, and so its status.
func wantAPIError(t testing.TB, err error, code string, status int, msgHas ...string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	for _, s := range msgHas {
		if !strings.Contains(ae.ErrorMessage(), s) {
			t.Errorf("%s message %q does not mention %q", code, ae.ErrorMessage(), s)
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Errorf("%s: HTTP %d, want %d", code, re.HTTPStatusCode(), status)
	}
}

// TestMisconfigured: a Worker with a secret missing, a bad config text or no store binding
// answers every request with a Cognito-shaped 500 that says what to set, and keeps its one
// instance (no crash loop).
func TestMisconfigured(t *testing.T) {
	noStore := filepath.Join(root, "tests", "workerd", "build", "nostore.toml")
	if err := edgelocal.WriteIfChanged(noStore, []byte("name = \"poolgate-nostore\"\nmain = \"../../../edge/worker.mjs\"\ncompatibility_date = \"2026-04-01\"\n"+
		"[[kv_namespaces]]\nbinding = \"POOLGATE_KV\"\n")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		opts    edgelocal.Options
		mention []string
	}{
		{"no master key", edgelocal.Options{Vars: map[string]string{"POOLGATE_MASTER_KEY": ""}},
			[]string{"POOLGATE_MASTER_KEY", "wrangler secret put POOLGATE_MASTER_KEY"}},
		{"short master key", edgelocal.Options{Vars: map[string]string{"POOLGATE_MASTER_KEY": "c2hvcnQ="}},
			[]string{"POOLGATE_MASTER_KEY", "32 bytes"}},
		{"no admin pair", edgelocal.Options{Vars: map[string]string{"POOLGATE_ADMIN_ACCESS_KEY_ID": "", "POOLGATE_ADMIN_SECRET_ACCESS_KEY": ""}},
			[]string{"POOLGATE_ADMIN_ACCESS_KEY_ID", "POOLGATE_ADMIN_SECRET_ACCESS_KEY"}},
		{"bad config", edgelocal.Options{Vars: map[string]string{"POOLGATE_CONFIG": `{"UserPoolz": []}`}},
			[]string{"POOLGATE_CONFIG", "UserPoolz"}},
		{"no store binding", edgelocal.Options{Config: noStore}, []string{"POOLGATE_STORE", "durable_objects.bindings", "new_sqlite_classes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := startWorker(t, t.TempDir(), tc.opts)
			admin, public := clients(w)
			for i := 0; i < 2; i++ {
				_, err := public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String("c"),
					AuthParameters: map[string]string{"USERNAME": "u", "PASSWORD": "p"}})
				wantAPIError(t, err, "InternalErrorException", http.StatusInternalServerError, tc.mention...)
				_, err = admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
				wantAPIError(t, err, "InternalErrorException", http.StatusInternalServerError, tc.mention...)
			}
			resp, err := http.Get(w.URL() + "/us-east-1_Abc/.well-known/jwks.json")
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]string
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError || body["__type"] != "InternalErrorException" ||
				resp.Header.Get("X-Amzn-Errortype") != "InternalErrorException:" {
				t.Errorf("JWKS of a misconfigured Worker: %s %v", resp.Status, body)
			}
			g, err := w.Glue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if g.Instances != 1 || g.Live == nil {
				t.Errorf("glue after the refused requests: %d instances, live %v; want the one instance kept", g.Instances, g.Live)
			}
		})
	}
}
