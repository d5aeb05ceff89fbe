package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNodeIdentityS3 runs tests/node/identity_s3.mjs: the unmodified @aws-sdk/credential-providers
// fromCognitoIdentityPool vends guest and user credentials from hostsim, and @aws-sdk/client-s3
// uses them against the sigv4 gateway route in front of a test origin. The server runs on the
// real clock because the SDK signs with it.
func TestNodeIdentityS3(t *testing.T) {
	root := repoRoot()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	for _, pkg := range []string{"@aws-sdk/credential-providers", "@aws-sdk/client-s3"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("node_modules/%s is missing: run `npm ci` at the repository root (make test does)", pkg)
		}
	}
	o := newTestOrigin(t)
	s := startSim(t, simOptions{Clock: realClock{}, Config: identityConfig(o.srv.URL)})
	runNodeIdentityS3(t, s.Endpoint, o)
}

// runNodeIdentityS3 runs the script against ep (configured with identityConfig for origin o,
// on the real clock) and judges what it printed.
func runNodeIdentityS3(t *testing.T, ep *Endpoint, o *testOrigin) {
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: %v", err)
	}
	tok := idUser(t, ep, idUserPool, idClient, "node-user")

	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, filepath.Join("tests", "node", "identity_s3.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "POOLGATE_ENDPOINT="+ep.URL, "REGION="+ep.Region, "IDENTITY_POOL_ID="+idOpenPool,
		"LOGIN_KEY="+amplifyKey(ep, idUserPool), "ID_TOKEN="+tok, "BUCKET="+idBucket)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	t.Logf("node output: %s", stdout.Bytes())
	if stderr.Len() > 0 {
		t.Logf("node stderr: %s", stderr.Bytes())
	}
	type outcome struct {
		OK      bool   `json:"ok"`
		Status  int    `json:"status"`
		Body    string `json:"body"`
		Name    string `json:"name"`
		Message string `json:"message"`
	}
	var out struct {
		Error string `json:"error"`
		Guest struct {
			IdentityID  string  `json:"identityId"`
			AccessKeyID string  `json:"accessKeyId"`
			HasSecret   bool    `json:"hasSecret"`
			HasToken    bool    `json:"hasToken"`
			Expiration  string  `json:"expiration"`
			ReadPublic  outcome `json:"readPublic"`
			WritePublic outcome `json:"writePublic"`
		} `json:"guest"`
		User struct {
			IdentityID  string  `json:"identityId"`
			AccessKeyID string  `json:"accessKeyId"`
			Put         outcome `json:"put"`
			Get         outcome `json:"get"`
			Delete      outcome `json:"delete"`
			OtherPrefix outcome `json:"otherPrefix"`
		} `json:"user"`
		MixedToken outcome `json:"mixedToken"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		t.Fatalf("node printed no JSON result (exit: %v): %v", runErr, err)
	}
	if runErr != nil || out.Error != "" {
		t.Fatalf("node script failed (%v): %s", runErr, out.Error)
	}
	g := out.Guest
	if !uuidRe.MatchString(strings.TrimPrefix(g.IdentityID, "us-east-1:")) || !strings.HasPrefix(g.AccessKeyID, "ASIA") || !g.HasSecret || !g.HasToken {
		t.Errorf("guest credentials %+v", g)
	}
	if exp, err := time.Parse(time.RFC3339, g.Expiration); err != nil || exp.Sub(time.Now()) < 50*time.Minute || exp.Sub(time.Now()) > 61*time.Minute {
		t.Errorf("guest expiration %q", g.Expiration)
	}
	if !g.ReadPublic.OK || g.ReadPublic.Body != "origin GET /"+idBucket+"/public/readme.txt" {
		t.Errorf("guest read of a public object: %+v", g.ReadPublic)
	}
	if g.WritePublic.OK || g.WritePublic.Name != "AccessDenied" || g.WritePublic.Status != 403 {
		t.Errorf("guest write: %+v, want AccessDenied 403", g.WritePublic)
	}
	u := out.User
	if u.IdentityID == "" || u.IdentityID == g.IdentityID {
		t.Errorf("user identity %q (guest %q)", u.IdentityID, g.IdentityID)
	}
	if !u.Put.OK || !u.Get.OK || !u.Delete.OK {
		t.Errorf("user's own prefix: put %+v get %+v delete %+v", u.Put, u.Get, u.Delete)
	}
	if u.Get.Body != "origin GET /"+idBucket+"/"+u.IdentityID+"/from-node.txt" {
		t.Errorf("user's GetObject body %q", u.Get.Body)
	}
	put := o.last(t)
	if put.Method != "DELETE" || put.Header.Get("X-Poolgate-Identity-Id") != u.IdentityID || put.Header.Get("X-Poolgate-Username") != "node-user" {
		t.Errorf("origin's last request %s %s %v", put.Method, put.Path, put.Header)
	}
	if u.OtherPrefix.OK || u.OtherPrefix.Name != "AccessDenied" {
		t.Errorf("another identity's prefix: %+v, want AccessDenied", u.OtherPrefix)
	}
	if out.MixedToken.OK || out.MixedToken.Status != 403 {
		t.Errorf("key with another identity's session token: %+v, want a 403", out.MixedToken)
	}
}
