package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
)

const (
	cfgPool          = "us-east-1_E2eRestrt"
	cfgPublicClient  = "e2erestartpublicclient0001"
	cfgSecretClient  = "e2erestartsecretclient0001"
	defaultPool      = "us-east-1_Poolgate1"
	defaultClient    = "poolgatelocalwebclient0001"
	defaultGroupName = "admins"
)

// restartConfig is hostsim's default configuration (what `make run` applies) plus a pool of our
// own with a public client, a secret client and a group. sessionMinutes varies the public
// client so a re-apply has something to update.
func restartConfig(t *testing.T, sessionMinutes int) []byte {
	t.Helper()
	var cfg map[string][]map[string]any
	ok(t, json.Unmarshal(hostsim.DefaultConfig, &cfg))
	cfg["UserPools"] = append(cfg["UserPools"], map[string]any{
		"Id": cfgPool, "PoolName": "e2e-restart", "AutoVerifiedAttributes": []string{"email"},
		"Clients": []map[string]any{
			{"ClientId": cfgPublicClient, "ClientName": "public", "AuthSessionValidity": sessionMinutes,
				"ExplicitAuthFlows": []string{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}},
			{"ClientId": cfgSecretClient, "ClientName": "backend", "GenerateSecret": true,
				"ExplicitAuthFlows": []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}},
		},
		"Groups": []map[string]any{{"GroupName": "staff", "Description": "Staff", "Precedence": 3}},
	})
	b, err := json.Marshal(cfg)
	ok(t, err)
	return b
}

func jwksKids(t testing.TB, ep *Endpoint, pool string) []string {
	t.Helper()
	set := fetchJWKS(t, ep, pool)
	var kids []string
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		kids = append(kids, k.KeyID())
	}
	slices.Sort(kids)
	return kids
}

// TestRestartKeepsData: the declarative config is applied at start and re-applied idempotently;
// pools, clients (and secrets), users, groups and signing keys survive a restart on the same
// data directory, and tokens issued before it stay valid after it.
func TestRestartKeepsData(t *testing.T) {
	clock := newFakeClock(fakeStart)
	rec := new(message.Recorder)
	s := startSim(t, simOptions{DataDir: t.TempDir(), Config: restartConfig(t, 3), Clock: clock, Sender: rec})
	t.Logf("applied at first start: %s", s.srv.Applied())
	if !strings.Contains(s.srv.Applied(), "created") {
		t.Errorf("Applied() = %q, want a summary of what was created", s.srv.Applied())
	}
	ep := s.Endpoint
	admin := ep.Admin()

	// The default configuration's pool works for a newcomer: sign up, confirm, sign in with SRP.
	def := &fixture{ep: ep, pool: defaultPool, client: defaultClient}
	call(ep.Public().SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(defaultClient), Username: aws.String("newcomer@example.com"),
		Password: aws.String("Newcomer-Passw0rd")})).must(t)
	code := lastMessage(t, ep, "newcomer@example.com", message.KindSignUp).Code
	_, err := ep.Public().ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(defaultClient), Username: aws.String("newcomer@example.com"), ConfirmationCode: aws.String(code)})
	ok(t, err)
	call(def.srpSignIn(t, "newcomer@example.com", "Newcomer-Passw0rd")).must(t)
	call(admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: aws.String(defaultPool), GroupName: aws.String(defaultGroupName)})).must(t)

	// Our config pool: two clients with the given ids, a generated secret, a group.
	secret := aws.ToString(call(admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(cfgPool), ClientId: aws.String(cfgSecretClient)})).must(t).UserPoolClient.ClientSecret)
	if !secretRe.MatchString(secret) {
		t.Errorf("config client with GenerateSecret: secret %q", secret)
	}

	// State created through the API.
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.Schema = []types.SchemaAttributeType{{Name: aws.String("tier"), AttributeDataType: "String", Mutable: aws.Bool(true)}}
	}, nil)
	f.createUser(t, "rob", "Passw0rd-rob", attr("email", "rob@example.com"), attr("custom:tier", "silver"))
	call(admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(f.pool), GroupName: aws.String("crew")})).must(t)
	_, err = admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(f.pool), Username: aws.String("rob"), GroupName: aws.String("crew")})
	ok(t, err)
	tok := f.tokens(t, "rob", "Passw0rd-rob")
	_, idKid := verifyToken(t, ep, f.pool, aws.ToString(tok.IdToken), "id", f.client)
	kids := jwksKids(t, ep, f.pool)
	defKids := jwksKids(t, ep, defaultPool)

	clock.Advance(t, time.Minute)
	s.Restart(t)
	ep = s.Endpoint
	admin = ep.Admin()
	t.Logf("applied after restart: %s", s.srv.Applied())
	if strings.Contains(s.srv.Applied(), "1 created") || strings.Contains(s.srv.Applied(), "2 created") {
		t.Errorf("re-applying the same config created records again: %s", s.srv.Applied())
	}

	// Config: same clients, same secret, nothing duplicated.
	got := aws.ToString(call(admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(cfgPool), ClientId: aws.String(cfgSecretClient)})).must(t).UserPoolClient.ClientSecret)
	if got != secret {
		t.Errorf("the generated secret changed across a restart: %q → %q", secret, got)
	}
	lc := call(admin.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(cfgPool), MaxResults: aws.Int32(60)})).must(t)
	if len(lc.UserPoolClients) != 2 {
		t.Errorf("config pool has %d clients after re-apply, want 2", len(lc.UserPoolClients))
	}
	lg := call(admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: aws.String(cfgPool)})).must(t)
	if len(lg.Groups) != 1 || aws.ToString(lg.Groups[0].GroupName) != "staff" {
		t.Errorf("config pool groups after re-apply: %+v", lg.Groups)
	}

	// API state survived.
	call(admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)})).must(t)
	g := f.adminGetUser(t, "rob")
	if m := attrMap(g.UserAttributes); m["custom:tier"] != "silver" || m["email"] != "rob@example.com" || g.UserStatus != "CONFIRMED" {
		t.Errorf("rob after restart: %s %v", g.UserStatus, m)
	}
	ug := call(admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("rob")})).must(t)
	if len(ug.Groups) != 1 {
		t.Errorf("rob's groups after restart: %d", len(ug.Groups))
	}
	if k := jwksKids(t, ep, f.pool); !slices.Equal(k, kids) {
		t.Errorf("JWKS kids changed across a restart: %v → %v", kids, k)
	}
	if k := jwksKids(t, ep, defaultPool); !slices.Equal(k, defKids) {
		t.Errorf("default pool JWKS kids changed across a restart: %v → %v", defKids, k)
	}

	// Tokens from before the restart: the access token is accepted, the refresh token works and
	// the new ID token is signed with the same key.
	call(ep.Public().GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})).must(t)
	ref := call(ep.Public().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tok.RefreshToken)}})).must(t)
	if _, kid := verifyToken(t, ep, f.pool, aws.ToString(ref.AuthenticationResult.IdToken), "id", f.client); kid != idKid {
		t.Errorf("ID token kid after restart %q, before %q", kid, idKid)
	}
	// Passwords (sealed verifiers) still check.
	call(f.srpSignIn(t, "rob", "Passw0rd-rob")).must(t)
	call(def.srpSignIn(t, "newcomer@example.com", "Newcomer-Passw0rd")).must(t)

	// A changed setting in the config updates the client on the next start, and only that.
	s.opts.Config = restartConfig(t, 7)
	s.Restart(t)
	ep = s.Endpoint
	t.Logf("applied after a config change: %s", s.srv.Applied())
	pc := call(ep.Admin().DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(cfgPool), ClientId: aws.String(cfgPublicClient)})).must(t).UserPoolClient
	if aws.ToInt32(pc.AuthSessionValidity) != 7 {
		t.Errorf("AuthSessionValidity after the config changed to 7: %d", aws.ToInt32(pc.AuthSessionValidity))
	}
	sc := call(ep.Admin().DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(cfgPool), ClientId: aws.String(cfgSecretClient)})).must(t).UserPoolClient
	if aws.ToString(sc.ClientSecret) != secret {
		t.Errorf("the secret client's secret changed when another client was updated")
	}
	if !strings.Contains(s.srv.Applied(), "1 updated") {
		t.Errorf("Applied() after changing one client = %q, want 1 updated", s.srv.Applied())
	}
}
