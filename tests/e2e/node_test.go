package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestNodeCognitoIdentityJS runs tests/node/cognito_identity_js.mjs: the unmodified
// amazon-cognito-identity-js signs in with SRP against hostsim and aws-jwt-verify verifies the
// tokens. The server runs on the real clock because identity-js signs its TIMESTAMP with it.
func TestNodeCognitoIdentityJS(t *testing.T) {
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	for _, pkg := range []string{"amazon-cognito-identity-js", "aws-jwt-verify"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("node_modules/%s is missing: run `npm ci` at the repository root (make test does)", pkg)
		}
	}

	s := startSim(t, simOptions{Clock: realClock{}})
	ep := s.Endpoint
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.UsernameAttributes = []types.UsernameAttributeType{"email"}
	}, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	})
	const email, password = "node.user@example.com", "Node-Passw0rd"
	u := call(ep.Admin().AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(email),
		MessageAction: "SUPPRESS", UserAttributes: []types.AttributeType{attr("email_verified", "true"), attr("name", "Node User")}})).must(t)
	ok(t, f.adminSetPassword(email, password, true))
	internal := aws.ToString(u.User.Username)

	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, filepath.Join("tests", "node", "cognito_identity_js.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"POOLGATE_ENDPOINT="+ep.URL, "POOL_ID="+f.pool, "CLIENT_ID="+f.client, "USERNAME="+email, "PASSWORD="+password)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	t.Logf("node output: %s", stdout.Bytes())
	if stderr.Len() > 0 {
		t.Logf("node stderr: %s", stderr.Bytes())
	}
	var out struct {
		Error  string `json:"error"`
		SignIn struct {
			CognitoUsername string `json:"cognitoUsername"`
			HasRefreshToken bool   `json:"hasRefreshToken"`
		} `json:"signIn"`
		IDToken struct {
			Sub, Iss, Aud, TokenUse string
			Email                   string `json:"email"`
			EmailVerified           any    `json:"email_verified"`
		} `json:"idToken"`
		AccessToken struct {
			ClientID string `json:"client_id"`
			Username string `json:"username"`
			Scope    string `json:"scope"`
		} `json:"accessToken"`
		TamperedIDTokenRejected bool              `json:"tamperedIdTokenRejected"`
		Attributes              map[string]string `json:"attributes"`
		Refresh                 struct {
			OK               bool `json:"ok"`
			KeptRefreshToken bool `json:"keptRefreshToken"`
		} `json:"refresh"`
		WrongPassword struct{ Code, Message string } `json:"wrongPassword"`
		SignOut       struct {
			RefreshAfter any `json:"refreshAfter"`
			GetUserAfter any `json:"getUserAfter"`
		} `json:"signOut"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		t.Fatalf("node printed no JSON result (exit: %v): %v", runErr, err)
	}
	if runErr != nil || out.Error != "" {
		t.Fatalf("node script failed (%v): %s", runErr, out.Error)
	}

	if out.SignIn.CognitoUsername != internal || !out.SignIn.HasRefreshToken {
		t.Errorf("sign-in: cognito:username %q (want %q), refresh token %v", out.SignIn.CognitoUsername, internal, out.SignIn.HasRefreshToken)
	}
	if out.IDToken.Iss != ep.IssuerBase+"/"+f.pool || out.IDToken.Aud != f.client || out.IDToken.Email != email || out.IDToken.EmailVerified != true || out.IDToken.Sub != internal {
		t.Errorf("id token verified by aws-jwt-verify: %+v", out.IDToken)
	}
	if out.AccessToken.ClientID != f.client || out.AccessToken.Username != internal || out.AccessToken.Scope != "aws.cognito.signin.user.admin" {
		t.Errorf("access token verified by aws-jwt-verify: %+v", out.AccessToken)
	}
	if !out.TamperedIDTokenRejected {
		t.Errorf("aws-jwt-verify accepted a tampered id token")
	}
	if out.Attributes["email"] != email || out.Attributes["name"] != "Node User" || out.Attributes["sub"] != internal {
		t.Errorf("getUserAttributes = %v", out.Attributes)
	}
	if !out.Refresh.OK || !out.Refresh.KeptRefreshToken {
		t.Errorf("refreshSession = %+v", out.Refresh)
	}
	if out.WrongPassword.Code != "NotAuthorizedException" || out.WrongPassword.Message != "Incorrect username or password." {
		t.Errorf("wrong password: %+v, want NotAuthorizedException \"Incorrect username or password.\"", out.WrongPassword)
	}
	if out.SignOut.RefreshAfter != "NotAuthorizedException" || out.SignOut.GetUserAfter != "NotAuthorizedException" {
		t.Errorf("after signOut (RevokeToken): refresh %v, GetUser %v; want NotAuthorizedException for both", out.SignOut.RefreshAfter, out.SignOut.GetUserAfter)
	}
}
