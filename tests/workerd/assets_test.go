package workerd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// TestStaticAssets: with static assets (the sign-in app), GET of a file is answered from the
// assets while the JSON API (POST / with X-Amz-Target), JWKS and other paths still reach the
// Worker. It uses wrangler.toml's [assets] settings with its own directory.
func TestStaticAssets(t *testing.T) {
	assets := t.TempDir()
	index := []byte("<!doctype html><title>poolgate sign-in</title>\n")
	if err := os.WriteFile(filepath.Join(assets, "index.html"), index, 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "tests", "workerd", "build", "assets.toml")
	toml := fmt.Sprintf("name = \"poolgate-assets\"\nmain = \"../../../edge/worker.mjs\"\ncompatibility_date = \"2026-04-01\"\n"+
		"[[durable_objects.bindings]]\nname = \"POOLGATE_STORE\"\nclass_name = \"PoolgateStore\"\n"+
		"[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"PoolgateStore\"]\n[assets]\ndirectory = %q\nbinding = \"ASSETS\"\nrun_worker_first = true\n", assets)
	if err := edgelocal.WriteIfChanged(config, []byte(toml)); err != nil {
		t.Fatal(err)
	}
	w, _ := startWorker(t, t.TempDir(), edgelocal.Options{Config: config})

	get := func(path string) (int, []byte) {
		resp, err := http.Get(w.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, p := range []string{"/", "/index.html"} {
		if status, body := get(p); status != http.StatusOK || !bytes.Equal(body, index) {
			t.Errorf("GET %s: %d %q, want the asset", p, status, body)
		}
	}
	// The API at / is a POST: it reaches the Worker.
	admin, _ := clients(w)
	if _, err := admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)}); err != nil {
		t.Errorf("ListUserPools through the assets: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, w.URL()+"/", bytes.NewReader([]byte(`{"MaxResults":1}`)))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ListUserPools")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]string
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || e["__type"] == "" {
		t.Errorf("unsigned POST / answered %s %v, want a Cognito error from the Worker", resp.Status, e)
	}
	// A path without an asset reaches the Worker too.
	if status, body := get("/us-east-1_Nope/.well-known/jwks.json"); status != http.StatusNotFound || !bytes.Contains(body, []byte("ResourceNotFoundException")) {
		t.Errorf("JWKS of an unknown pool: %d %s", status, body)
	}
}
