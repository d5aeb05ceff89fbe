package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// TestNodeCognitoIdentityJSMfa runs tests/node/cognito_identity_js_mfa.mjs: the unmodified
// amazon-cognito-identity-js sets up a software token, signs in with it (totpRequired,
// sendMFACode), signs in with an SMS code the test relays from the server's outbox
// (mfaRequired), and sets a token up during sign-in in a pool with MFA ON (mfaSetup). The
// server runs on the real clock: identity-js signs SRP TIMESTAMPs and the script computes TOTP
// codes with it.
func TestNodeCognitoIdentityJSMfa(t *testing.T) {
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "amazon-cognito-identity-js", "package.json")); err != nil {
		t.Fatalf("node_modules/amazon-cognito-identity-js is missing: run `npm ci` at the repository root (make test does)")
	}
	s := startSim(t, simOptions{Clock: realClock{}})
	ep := s.Endpoint
	admin := ep.Admin()
	srpOnly := func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	}
	const password, phone = "Node-Passw0rd", "+12065550147"

	f := newFixture(t, ep, nil, srpOnly)
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OPTIONAL",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		SmsMfaConfiguration:           &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Your code is {####}")}})).must(t)
	f.createUser(t, "node-mfa", password, attr("phone_number", phone), attr("phone_number_verified", "true"))

	g := newFixture(t, ep, nil, srpOnly)
	call(admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(g.pool), MfaConfiguration: "ON",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})).must(t)
	g.createUser(t, "node-setup", password)

	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, filepath.Join("tests", "node", "cognito_identity_js_mfa.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "POOLGATE_ENDPOINT="+ep.URL, "PASSWORD="+password, "PHONE="+phone,
		"POOL_ID="+f.pool, "CLIENT_ID="+f.client, "USERNAME=node-mfa",
		"SETUP_POOL_ID="+g.pool, "SETUP_CLIENT_ID="+g.client, "SETUP_USERNAME=node-setup")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Relay codes: a line "CODE? <destination>" is answered with the newest sign-in code sent
	// there; the last line is the result.
	var last string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if dest, ok := strings.CutPrefix(line, "CODE? "); ok {
			m, found := findMessage(ep, dest, "Authentication")
			code := ""
			if found {
				code = m.Code
			}
			fmt.Fprintln(stdin, code)
			continue
		}
		last = line
	}
	stdin.Close()
	io.Copy(io.Discard, stdout)
	runErr := cmd.Wait()
	t.Logf("node output: %s", last)
	if stderr.Len() > 0 {
		t.Logf("node stderr: %s", stderr.String())
	}
	var out struct {
		Error          string `json:"error"`
		AfterTotpSetup struct {
			Preferred string   `json:"preferred"`
			List      []string `json:"list"`
		} `json:"afterTotpSetup"`
		TotpChallenge  map[string]string         `json:"totpChallenge"`
		WrongTotp      string                    `json:"wrongTotp"`
		TotpSignIn     struct{ Username string } `json:"totpSignIn"`
		SmsChallenge   map[string]string         `json:"smsChallenge"`
		SmsSignIn      bool                      `json:"smsSignIn"`
		SetupChallenge map[string]string         `json:"setupChallenge"`
		SetupSignIn    struct{ Username string } `json:"setupSignIn"`
	}
	if err := json.Unmarshal([]byte(last), &out); err != nil {
		t.Fatalf("node printed no JSON result (exit: %v): %v", runErr, err)
	}
	if runErr != nil || out.Error != "" {
		t.Fatalf("node script failed (%v): %s", runErr, out.Error)
	}
	if out.AfterTotpSetup.Preferred != "SOFTWARE_TOKEN_MFA" || strings.Join(out.AfterTotpSetup.List, ",") != "SOFTWARE_TOKEN_MFA" {
		t.Errorf("getUserData after the token was set up: %+v", out.AfterTotpSetup)
	}
	if out.TotpChallenge["USER_ID_FOR_SRP"] != "node-mfa" || out.TotpChallenge["FRIENDLY_DEVICE_NAME"] != "node device" {
		t.Errorf("totpRequired parameters: %v", out.TotpChallenge)
	}
	if out.WrongTotp != "CodeMismatchException" {
		t.Errorf("a wrong TOTP code: %q, want CodeMismatchException", out.WrongTotp)
	}
	if out.TotpSignIn.Username != "node-mfa" || !out.SmsSignIn || out.SetupSignIn.Username != "node-setup" {
		t.Errorf("sign-ins: TOTP %+v, SMS %v, MFA_SETUP %+v", out.TotpSignIn, out.SmsSignIn, out.SetupSignIn)
	}
	if out.SmsChallenge["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" || out.SmsChallenge["CODE_DELIVERY_DESTINATION"] != "+*******0147" {
		t.Errorf("mfaRequired parameters: %v", out.SmsChallenge)
	}
	if out.SetupChallenge["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		t.Errorf("mfaSetup parameters: %v", out.SetupChallenge)
	}
}
