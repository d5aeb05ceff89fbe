package hostsim

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html":        "<!doctype html><title>app</title>",
		"app.js":            "console.log(1)",
		"poolgate-sdk.wasm": "\x00asm",
		"sub/inner.css":     "body{}",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := newAssets(dir)
	for _, tc := range []struct {
		method, path, target string
		served               bool
		body, ctype          string
	}{
		{"GET", "/", "", true, "<!doctype html>", "text/html"},
		{"GET", "/index.html", "", true, "<!doctype html>", "text/html"},
		{"HEAD", "/", "", true, "", "text/html"},
		{"GET", "/app.js", "", true, "console.log(1)", "text/javascript"},
		{"GET", "/poolgate-sdk.wasm", "", true, "\x00asm", "application/wasm"},
		{"GET", "/sub/inner.css", "", true, "body{}", "text/css"},
		{"GET", "/sub", "", false, "", ""},              // a directory
		{"GET", "/missing.js", "", false, "", ""},       // no such file: the guest answers
		{"GET", "/../../etc/passwd", "", false, "", ""}, // cleaned to /etc/passwd: not in dir
		{"POST", "/", "AWSCognitoIdentityProviderService.SignUp", false, "", ""},
		{"GET", "/", "AWSCognitoIdentityProviderService.GetUser", false, "", ""},
		{"GET", "/us-east-1_X/.well-known/jwks.json", "", false, "", ""},
		{"GET", "/poolgate-app.json", "", false, "", ""},
	} {
		r := httptest.NewRequest(tc.method, "http://127.0.0.1:8787"+tc.path, nil)
		r.URL.Path = tc.path // keep dot segments as a raw client could send them
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		w := httptest.NewRecorder()
		served := a.serve(w, r)
		if served != tc.served {
			t.Errorf("%s %s: served %v", tc.method, tc.path, served)
			continue
		}
		if !served {
			continue
		}
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), tc.body) || !strings.HasPrefix(w.Header().Get("Content-Type"), tc.ctype) {
			t.Errorf("%s %s: %d %q %q", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		if strings.HasSuffix(tc.ctype, "html") && !strings.Contains(w.Header().Get("Content-Security-Policy"), "wasm-unsafe-eval") {
			t.Errorf("%s: no CSP", tc.path)
		}
	}
	var none *assets
	if none.serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) || newAssets("") != nil {
		t.Fatal("no assets directory must serve nothing")
	}
}
