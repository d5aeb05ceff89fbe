package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/trigger"
)

// The trigger scenarios run Lambda-style handler modules (testdata/triggers) behind the Node
// adapter (tools/lambda-adapter), the way a user runs their own Lambda code against poolgate.

// triggerFunctions are the handler modules the adapter serves, by function name.
var triggerFunctions = map[string]string{
	"pre-signup":          "pre_signup.mjs",
	"post-confirmation":   "post_confirmation.cjs",
	"pre-authentication":  "pre_authentication.mjs",
	"post-authentication": "post_authentication.mjs",
	"malformed":           "malformed.mjs",
	"slow":                "slow.mjs",
	"pre-token-v1":        "pre_token_v1.mjs",
	"pre-token-v2":        "pre_token_v2.cjs",
	"custom-message":      "custom_message.mjs",
	"events":              "events.mjs",
}

// fnArn is the ARN the scenarios' pools name for function name.
func fnArn(name string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + name }

// triggerSecret is what both hosts sign trigger requests with: derived from the test master
// key, as neither host is given one.
var triggerSecret = trigger.DeriveSecret(testMasterKey)

// adapter is a running tools/lambda-adapter.
type adapter struct {
	url  string
	http *http.Client
}

// startAdapter starts the Node adapter on a free port serving triggerFunctions; clockURL is
// what the slow handler POSTs to so that the server's clock moves while it runs.
func startAdapter(t testing.TB, clockURL string) *adapter {
	t.Helper()
	root := repoRoot()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ runs the Lambda adapter): %v", err)
	}
	args := []string{filepath.Join("tools", "lambda-adapter", "adapter.mjs"), "--port", "0"}
	for name, file := range triggerFunctions {
		args = append(args, name+"="+filepath.Join("tests", "e2e", "testdata", "triggers", file))
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "POOLGATE_TRIGGER_SECRET="+triggerSecret, "TRIGGER_TEST_CLOCK_URL="+clockURL)
	cmd.Stderr = opLog{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the Lambda adapter did not start: %v", err)
	}
	const prefix = "poolgate-lambda-adapter listening on "
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		t.Fatalf("the Lambda adapter said %q", line)
	}
	url, _, _ := strings.Cut(rest, " ")
	go io.Copy(io.Discard, stdout)
	return &adapter{url: url, http: &http.Client{Timeout: 10 * time.Second}}
}

// triggerConfig is the configuration file of the trigger scenarios' servers: every function
// at the adapter, and one whose endpoint is closed.
func triggerConfig(t testing.TB, a *adapter) []byte {
	t.Helper()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/gone"
	closed.Close()
	var fns []map[string]string
	for name := range triggerFunctions {
		fns = append(fns, map[string]string{"Arn": fnArn(name), "Url": a.url + "/" + name})
	}
	fns = append(fns, map[string]string{"Arn": fnArn("unreachable"), "Url": closedURL})
	b, err := json.Marshal(map[string]any{"Functions": fns})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// events returns the events the handlers received for pool, oldest first (a signed call of
// the adapter's "events" helper, as poolgate signs its own).
func (a *adapter) events(t testing.TB, pool string) []map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"userPoolId": pool})
	req, _ := http.NewRequest(http.MethodPost, a.url+"/events", bytes.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set(message.HeaderTimestamp, ts)
	req.Header.Set(message.HeaderSignature, message.Sign([]byte(triggerSecret), ts, body))
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("adapter events: %d", resp.StatusCode)
	}
	return out
}

// lastEvent is the newest event of source for pool; it fails the test when there is none.
func (a *adapter) lastEvent(t testing.TB, pool, source string) map[string]any {
	t.Helper()
	evs := a.events(t, pool)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i]["triggerSource"] == source {
			return evs[i]
		}
	}
	t.Fatalf("no %s event for pool %s (have %d events)", source, pool, len(evs))
	return nil
}

// wantEnvelope checks an event's shared members against AWS's documented shape: exactly
// version, triggerSource, region, userPoolId, userName, callerContext{awsSdkVersion,
// clientId}, request and response.
func wantEnvelope(t testing.TB, ev map[string]any, version, source, pool, userName, clientID string) {
	t.Helper()
	want := map[string]any{"version": version, "triggerSource": source, "region": testRegion, "userPoolId": pool,
		"userName": userName, "callerContext": map[string]any{"awsSdkVersion": trigger.SDKVersion, "clientId": clientID}}
	for k, v := range want {
		if fmt.Sprint(ev[k]) != fmt.Sprint(v) {
			t.Errorf("%s: %s = %v, want %v", source, k, ev[k], v)
		}
	}
	if _, ok := ev["request"].(map[string]any); !ok {
		t.Errorf("%s: request %v", source, ev["request"])
	}
	if _, ok := ev["response"].(map[string]any); !ok {
		t.Errorf("%s: response %v", source, ev["response"])
	}
	if len(ev) != 8 {
		t.Errorf("%s: %d members, want 8: %v", source, len(ev), ev)
	}
}

// jsonText is v as compact JSON with sorted keys, for comparing requests whole.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// clockAdvancer serves POST: it moves ep's clock past the trigger timeout (the slow
// handler calls it while poolgate waits for its answer).
func clockAdvancer(t testing.TB, ep func() *Endpoint) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep().Advance(t, trigger.Timeout+time.Second)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestLambdaAdapterRefusesForgeries: the adapter runs no handler for a request without
// poolgate's signature, with another secret's, with a changed body, or with a stale or
// malformed timestamp.
func TestLambdaAdapterRefusesForgeries(t *testing.T) {
	a := startAdapter(t, "http://127.0.0.1:1/unused")
	body := []byte(`{"userPoolId":"us-east-1_Forged"}`)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	for name, c := range map[string]struct {
		ts, sig string
		body    []byte
	}{
		"no signature":   {now, "", body},
		"other secret":   {now, message.Sign([]byte("not-the-secret"), now, body), body},
		"changed body":   {now, message.Sign([]byte(triggerSecret), now, body), []byte(`{"userPoolId":"us-east-1_Other"}`)},
		"stale":          {stale, message.Sign([]byte(triggerSecret), stale, body), body},
		"bad timestamp":  {"1e9", message.Sign([]byte(triggerSecret), "1e9", body), body},
		"truncated hmac": {now, message.Sign([]byte(triggerSecret), now, body)[:40], body},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, a.url+"/events", bytes.NewReader(c.body))
			req.Header.Set(message.HeaderTimestamp, c.ts)
			req.Header.Set(message.HeaderSignature, c.sig)
			resp, err := a.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	if got := a.events(t, "us-east-1_Forged"); len(got) != 0 {
		t.Fatalf("events %v", got)
	}
}
