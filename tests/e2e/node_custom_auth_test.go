package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestNodeCognitoIdentityJSCustomAuth runs tests/node/cognito_identity_js_custom.mjs: the
// unmodified amazon-cognito-identity-js signs in with CUSTOM_AUTH (customChallenge →
// sendCustomChallengeAnswer, a wrong answer then the right one; then with SRP first through
// authenticateUser) against the guest under
// hostsim, whose pool's Define/Create/Verify functions are Lambda-style handlers behind the
// Node adapter.
func TestNodeCognitoIdentityJSCustomAuth(t *testing.T) {
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "amazon-cognito-identity-js", "package.json")); err != nil {
		t.Fatalf("node_modules/amazon-cognito-identity-js is missing: run `npm ci` at the repository root (make test does)")
	}
	a := startAdapter(t, "http://127.0.0.1:1/unused")
	ep := startSim(t, simOptions{Config: triggerConfig(t, a), Clock: realClock{}}).Endpoint
	f := newFixture(t, ep, withTriggers(&types.LambdaConfigType{DefineAuthChallenge: aws.String(fnArn("define-auth")),
		CreateAuthChallenge: aws.String(fnArn("create-auth")), VerifyAuthChallengeResponse: aws.String(fnArn("verify-auth"))}),
		func(in *cip.CreateUserPoolClientInput) {
			in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
		})
	f.createUser(t, "node-custom", "Node-Passw0rd")

	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, filepath.Join("tests", "node", "cognito_identity_js_custom.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "POOLGATE_ENDPOINT="+ep.URL, "POOL_ID="+f.pool, "CLIENT_ID="+f.client,
		"USERNAME=node-custom", "PASSWORD=Node-Passw0rd", "ANSWER=42")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, runErr := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	last := lines[len(lines)-1]
	t.Logf("node output: %s", last)
	if stderr.Len() > 0 {
		t.Logf("node stderr: %s", stderr.String())
	}
	var out struct {
		Error      string              `json:"error"`
		Challenges []map[string]string `json:"challenges"`
		Username   string              `json:"username"`
		TokenUse   string              `json:"tokenUse"`
		Valid      bool                `json:"valid"`
		SRP        map[string]string   `json:"srpChallenge"`
		SRPValid   bool                `json:"srpValid"`
	}
	if err := json.Unmarshal([]byte(last), &out); err != nil {
		t.Fatalf("node printed no JSON result (exit: %v): %v", runErr, err)
	}
	if runErr != nil || out.Error != "" {
		t.Fatalf("node script failed (%v): %s", runErr, out.Error)
	}
	if len(out.Challenges) != 2 || out.Challenges[0]["hint"] != "what is six times seven?" || out.Challenges[0]["answer"] != "" {
		t.Fatalf("customChallenge parameters %v", out.Challenges)
	}
	if out.Username != "node-custom" || out.TokenUse != "id" || !out.Valid {
		t.Fatalf("session %+v", out)
	}
	if out.SRP["hint"] != "what is six times seven?" || !out.SRPValid {
		t.Fatalf("CUSTOM_AUTH with SRP: challenge %v, session valid %v", out.SRP, out.SRPValid)
	}
}
