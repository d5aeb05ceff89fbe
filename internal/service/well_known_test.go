package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// TestDiscoveryNamesManagedLogin: the discovery document names the OAuth endpoints on the
// managed-login origin (the issuer base unless set), S256 only.
func TestDiscoveryNamesManagedLogin(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"", "http://issuer.test"},
		{"https://auth.example.com/", "https://auth.example.com"},
	} {
		svc, err := New(Config{IssuerBase: "http://issuer.test", ManagedLoginBase: tc.base, MasterKey: bytes.Repeat([]byte{1}, 32),
			AdminAccessKeyID: "AKIA", AdminSecretAccessKey: "secret", Store: memstore.New(time.Now),
			Crypto: hostcrypto.Pure{}})
		if err != nil {
			t.Fatal(err)
		}
		var pool string
		for _, a := range svc.userPools.Actions() {
			if a.Name == "CreateUserPool" {
				out, err := a.Handle(context.Background(), []byte(`{"PoolName":"p"}`))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(out)
				var o struct{ UserPool struct{ Id string } }
				json.Unmarshal(b, &o)
				pool = o.UserPool.Id
			}
		}
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, httptest.NewRequest("GET", "/"+pool+"/.well-known/openid-configuration", nil))
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != http.StatusOK {
			t.Fatalf("discovery: %d %s", w.Code, w.Body.String())
		}
		for key, path := range map[string]string{"authorization_endpoint": "/oauth2/authorize", "token_endpoint": "/oauth2/token",
			"userinfo_endpoint": "/oauth2/userInfo", "revocation_endpoint": "/oauth2/revoke"} {
			if doc[key] != tc.want+path {
				t.Errorf("%s = %v, want %s", key, doc[key], tc.want+path)
			}
		}
		if doc["issuer"] != "http://issuer.test/"+pool || !slices.Equal(stringList(doc["code_challenge_methods_supported"]), []string{"S256"}) ||
			!slices.Contains(stringList(doc["grant_types_supported"]), "client_credentials") ||
			!slices.Contains(stringList(doc["token_endpoint_auth_methods_supported"]), "client_secret_basic") {
			t.Errorf("discovery: %v", doc)
		}
		// The endpoints are served: a bare token request is an OAuth error, not the JSON API's.
		w = httptest.NewRecorder()
		svc.ServeHTTP(w, httptest.NewRequest("POST", "/oauth2/token", nil))
		if w.Code != http.StatusBadRequest || !bytes.Contains(w.Body.Bytes(), []byte(`"error":"invalid_request"`)) {
			t.Errorf("POST /oauth2/token: %d %s", w.Code, w.Body.String())
		}
	}
}

func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}
