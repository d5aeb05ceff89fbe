package workerd_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// kvEra is what testdata/kv-era holds: records.json, every KV record of a deployment from
// before the Durable Objects (the Worker at commit 899ac3b, which kept everything in KV, after
// newFixture, a group "admins" with the user in it, and a sign-in; this package's master key),
// in `wrangler kv bulk put` form; account.json, the fixture's names and the pool's JWKS then.
type kvEra struct {
	Pool, Client, User, Password, JWKS string
}

// seedKVEra writes the KV-era records into the local KV namespace of wrangler.toml's
// POOLGATE_KV binding (its local id is the binding's name) under persist.
func seedKVEra(t *testing.T, persist string) kvEra {
	t.Helper()
	dir := filepath.Join(root, "tests", "workerd", "testdata", "kv-era")
	var era kvEra
	b, err := os.ReadFile(filepath.Join(dir, "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &era); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(root, "node_modules", "wrangler", "wrangler-dist", "cli.js"),
		"kv", "bulk", "put", filepath.Join(dir, "records.json"), "--namespace-id", "POOLGATE_KV", "--local", "--persist-to", persist)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CI=1", "WRANGLER_SEND_METRICS=false", "WRANGLER_SEND_ERROR_REPORTS=false", "NO_UPDATE_NOTIFIER=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wrangler kv bulk put: %v\n%s", err, out)
	}
	return era
}

// TestMigrateFromKV: a deployment upgraded from the KV-only layout keeps its users. The
// Worker starts on a store with only the KV-era records; its first requests (several at
// once) copy them into the Durable Objects; the user signs in with the old password, the
// signing keys are the old ones, the group membership is there. A change made afterwards
// survives a restart: the copy runs once and never overwrites what was written since.
func TestMigrateFromKV(t *testing.T) {
	persist := t.TempDir()
	era := seedKVEra(t, persist)
	w, logs := startWorker(t, persist, edgelocal.Options{})
	admin, public := clients(w)
	f := fixture{pool: era.Pool, client: era.Client, user: era.User, password: era.Password}

	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.signIn(t, public)
		}()
	}
	wg.Wait()
	if !logs.contains("the copy of the records from KV is complete") {
		t.Errorf("the Worker did not log the end of the copy")
	}
	if got := jwks(t, w, f.pool); got != era.JWKS {
		t.Errorf("JWKS after the copy:\n %s\nwant the KV-era keys\n %s", got, era.JWKS)
	}
	groups, err := admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(f.user)})
	if err != nil || len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "admins" {
		t.Fatalf("AdminListGroupsForUser after the copy: %+v, %v", groups, err)
	}
	st, err := w.Stats(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.KV.Lists == 0 || st.KV.Gets < 9 {
		t.Errorf("the copy read KV %d times (%d lists), want every record", st.KV.Gets, st.KV.Lists)
	}

	// A change after the copy; KV still holds the old password's verifier.
	newPassword := "Passw0rd-after-the-upgrade"
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.pool), Username: aws.String(f.user),
		Password: aws.String(newPassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	w2, _ := startWorker(t, persist, edgelocal.Options{})
	admin, public = clients(w2)
	_, err = public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": f.user, "PASSWORD": f.password}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	f.password = newPassword
	f.signIn(t, public)
	st, err = w2.Stats(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.KV.Gets != 0 || st.KV.Lists != 0 {
		t.Errorf("after the copy a new instance read KV %d times (%d lists), want none", st.KV.Gets, st.KV.Lists)
	}
}
