package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/srp"
)

// nodeDevicesScript starts tests/node/cognito_identity_js_devices.mjs in mode with env.
func nodeDevicesScript(t *testing.T, ctx context.Context, mode string, env ...string) *exec.Cmd {
	t.Helper()
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "amazon-cognito-identity-js", "package.json")); err != nil {
		t.Fatalf("node_modules/amazon-cognito-identity-js is missing: run `npm ci` at the repository root (make test does)")
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join("tests", "node", "cognito_identity_js_devices.mjs"), mode)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestNodeDeviceSRPMath checks poolgate's device-SRP server half against
// amazon-cognito-identity-js's own AuthenticationHelper (spec §3.7): the verifier
// generateHashDevice makes is the one internal/srp computes from the same device password,
// and the PASSWORD_CLAIM_SIGNATURE identity-js derives with the device group key as pool name
// verifies on the server; a signature over another TIMESTAMP does not.
func TestNodeDeviceSRPMath(t *testing.T) {
	runCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := nodeDevicesScript(t, runCtx, "math")
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
	defer func() {
		if err := cmd.Wait(); err != nil {
			t.Errorf("node: %v; stderr: %s", err, stderr.String())
		}
	}()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	readLine := func(v any) {
		t.Helper()
		if !sc.Scan() {
			t.Fatalf("node printed nothing; stderr: %s", stderr.String())
		}
		if err := json.Unmarshal(sc.Bytes(), v); err != nil {
			t.Fatalf("node printed %q: %v", sc.Text(), err)
		}
	}
	var dev struct {
		GroupKey, DeviceKey, Password, Salt, Verifier, A, Error string
	}
	readLine(&dev)
	if dev.Error != "" {
		t.Fatalf("node: %s", dev.Error)
	}
	salt, err := hex.DecodeString(dev.Salt)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := hex.DecodeString(dev.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	crypto := hostcrypto.Pure{}
	if ok, err := srp.CheckPassword(crypto, dev.GroupKey, dev.DeviceKey, dev.Password, salt, verifier); err != nil || !ok {
		t.Fatalf("identity-js's device verifier is not internal/srp's for the same password: %v %v", ok, err)
	}
	if srp.CheckVerifier(verifier) != nil {
		t.Fatalf("identity-js's device verifier is refused by CheckVerifier")
	}

	A, err := srp.ValidateA(dev.A)
	if err != nil {
		t.Fatal(err)
	}
	b, B, err := srp.NewServerSession(crypto, rand.Reader, verifier)
	if err != nil {
		t.Fatal(err)
	}
	block := []byte("device-secret-block")
	timestamp := srp.FormatTimestamp(time.Now())
	server := map[string]string{"B": srp.BHex(B), "salt": srp.SaltHex(salt), "block": base64.StdEncoding.EncodeToString(block), "timestamp": timestamp}
	raw, _ := json.Marshal(server)
	fmt.Fprintf(stdin, "%s\n", raw)
	stdin.Close()
	var res struct{ Signature, Error string }
	readLine(&res)
	if res.Error != "" {
		t.Fatalf("node: %s", res.Error)
	}
	ok, err := srp.VerifySignature(crypto, A, B, b, verifier, dev.GroupKey, dev.DeviceKey, block, timestamp, res.Signature)
	if err != nil || !ok {
		t.Fatalf("identity-js's device signature does not verify: %v %v", ok, err)
	}
	if ok, _ := srp.VerifySignature(crypto, A, B, b, verifier, dev.GroupKey, dev.DeviceKey, block, timestamp+" ", res.Signature); ok {
		t.Fatalf("the signature verified over another TIMESTAMP")
	}
}

// TestNodeCognitoIdentityJSDevices runs the script's client mode against hostsim (real clock:
// identity-js signs TIMESTAMPs and TOTP codes with it): remembered devices as identity-js
// uses them, from ConfirmDevice to a sign-in through DEVICE_SRP_AUTH without MFA.
func TestNodeCognitoIdentityJSDevices(t *testing.T) {
	s := startSim(t, simOptions{Clock: realClock{}})
	ep := s.Endpoint
	const password = "Node-Passw0rd"
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.DeviceConfiguration = &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true}
	}, func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	})
	call(ep.Admin().SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.pool), MfaConfiguration: "OPTIONAL",
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})).must(t)
	f.createUser(t, "node-device", password)

	runCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := nodeDevicesScript(t, runCtx, "client", "POOLGATE_ENDPOINT="+ep.URL, "PASSWORD="+password,
		"POOL_ID="+f.pool, "CLIENT_ID="+f.client, "USERNAME=node-device")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, runErr := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	last := lines[len(lines)-1]
	t.Logf("node output: %s", last)
	if stderr.Len() > 0 {
		t.Logf("node stderr: %s", stderr.String())
	}
	type device struct {
		DeviceKey        string
		DeviceAttributes []struct{ Name, Value string }
	}
	var out struct {
		Error                     string `json:"error"`
		UserConfirmationNecessary bool   `json:"userConfirmationNecessary"`
		DeviceKey                 string `json:"deviceKey"`
		DeviceBeforeRemember      struct{ Device device }
		RememberedSignIn          string `json:"rememberedSignIn"`
		RememberedUsername        string `json:"rememberedUsername"`
		Device                    struct{ Device device }
		Devices                   struct{ Devices []device }
		Refreshed                 bool   `json:"refreshed"`
		AfterForget               string `json:"afterForget"`
	}
	if err := json.Unmarshal([]byte(last), &out); err != nil {
		t.Fatalf("node printed no JSON result (exit: %v): %v", runErr, err)
	}
	if runErr != nil || out.Error != "" {
		t.Fatalf("node script failed (%v): %s", runErr, out.Error)
	}
	attr := func(d device, name string) string {
		for _, a := range d.DeviceAttributes {
			if a.Name == name {
				return a.Value
			}
		}
		return ""
	}
	if !out.UserConfirmationNecessary || !strings.HasPrefix(out.DeviceKey, "us-east-1_") {
		t.Errorf("first sign-in: UserConfirmationNecessary %v, device key %q", out.UserConfirmationNecessary, out.DeviceKey)
	}
	if attr(out.DeviceBeforeRemember.Device, "dev:device_remembered_status") != "not_remembered" || attr(out.DeviceBeforeRemember.Device, "device_name") != "nodejs" {
		t.Errorf("getDevice before setDeviceStatusRemembered: %+v", out.DeviceBeforeRemember)
	}
	if out.RememberedSignIn != "success" || out.RememberedUsername != "node-device" {
		t.Errorf("sign-in from the remembered device: %s as %q", out.RememberedSignIn, out.RememberedUsername)
	}
	if out.Device.Device.DeviceKey != out.DeviceKey || attr(out.Device.Device, "dev:device_remembered_status") != "remembered" {
		t.Errorf("getDevice: %+v", out.Device)
	}
	if len(out.Devices.Devices) != 1 || out.Devices.Devices[0].DeviceKey != out.DeviceKey {
		t.Errorf("listDevices: %+v", out.Devices)
	}
	if !out.Refreshed || out.AfterForget != "totpRequired" {
		t.Errorf("refresh with the device: %v; sign-in after forgetDevice: %s", out.Refreshed, out.AfterForget)
	}
}
