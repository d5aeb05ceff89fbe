package workerd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// runInside runs edge's test binary inside workerd with args and returns its output; the
// binary's exit code must be 0.
func runInside(t *testing.T, args ...string) string {
	t.Helper()
	w, _ := startWorker(t, t.TempDir(), edgelocal.Options{Config: filepath.Join(root, "tests", "workerd", "wrangler.test.toml")})
	body, _ := json.Marshal(map[string][]string{"args": args})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.URL()+"/", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Code   int    `json:"code"`
		Output string `json:"output"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("test Worker answered %s: %v", resp.Status, err)
	}
	t.Logf("edge tests in workerd (%v):\n%s", args, out.Output)
	if out.Code != 0 {
		t.Fatalf("edge tests in workerd exited with code %d", out.Code)
	}
	return out.Output
}

// wantPassed fails unless each named test ran and passed (none skipped).
func wantPassed(t *testing.T, output string, names ...string) {
	t.Helper()
	for _, n := range names {
		if !regexp.MustCompile(`(?m)^--- PASS: ` + regexp.QuoteMeta(n) + ` `).MatchString(output) {
			t.Errorf("%s did not pass inside workerd", n)
		}
	}
	if regexp.MustCompile(`(?m)^--- SKIP: `).MatchString(output) {
		t.Errorf("a runtime test skipped inside workerd: the bridge or a binding is missing")
	}
}

// TestEdgeInsideWorkerd runs edge's tests in the runtime: the store conformance suite on the
// Durable Objects (with goroutines racing on one key, listings across shards, the migration's
// import and seal), the copy of a KV namespace by concurrent migrators, the KV reader, and the
// hostcrypto conformance suite on the WebCrypto/BigInt provider, and the per-isolate record
// cache in front of the Durable Objects (warm GetUser reads, a client change seen at once).
func TestEdgeInsideWorkerd(t *testing.T) {
	out := runInside(t, "-test.v", "-test.timeout=4m")
	wantPassed(t, out, "TestDOConformance", "TestListShard", "TestDOListAcrossShards", "TestDORaces",
		"TestDOImportAndSeal", "TestDOErrors", "TestMigrateConcurrent", "TestMigrateKeepsNewerWrites",
		"TestKVMissingIsNotFound", "TestKVListExpirations", "TestKVRejectsBadKeysBeforeJS", "TestKVRetriesCrossRequestRefusal",
		"TestCryptoConformance", "TestModExpAgreesWithMathBig", "TestEMSAPKCS1", "TestRSASignBadJWKRefused",
		"TestECDSADigestMethodsRefuse", "TestVerifyRSARemembersAcceptances", "TestIsolateRecordCache")
}
