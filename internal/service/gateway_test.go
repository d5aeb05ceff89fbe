package service

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

func newGatewayTestService(t *testing.T) *Service {
	t.Helper()
	now := func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }
	s, err := New(Config{IssuerBase: "http://poolgate.test", AdminAccessKeyID: "AKIATEST", AdminSecretAccessKey: "secret",
		MasterKey: bytes.Repeat([]byte{1}, 32), Store: memstore.New(now), Now: now, Crypto: hostcrypto.Pure{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConfigRoutes: the Routes section is decoded strictly, checked, applied after the user
// pools it names, and served in front of the API.
func TestConfigRoutes(t *testing.T) {
	s := newGatewayTestService(t)
	ctx := context.Background()
	file := `{"UserPools": [{"Id": "us-east-1_Routes1", "Clients": [{"ClientId": "routesclient1"}]}],
	  "Routes": [{"Name": "api", "PathPrefix": "/api", "Origin": "http://127.0.0.1:1",
	    "Jwt": {"Issuers": [{"UserPoolId": "us-east-1_Routes1"}], "TokenUse": "access"}}]}`
	a, err := s.ApplyConfig(ctx, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if a.Routes == nil || len(a.Routes.Routes) != 1 || !strings.Contains(a.String(), "routes: 1") {
		t.Fatalf("applied %+v: %s", a.Routes, a)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", nil))
	if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("routed request: %d %v", w.Code, w.Header())
	}
	// A file without Routes leaves them as they are; an empty list clears them.
	if _, err := s.ApplyConfig(ctx, []byte(`{"UserPools": []}`)); err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("routes dropped by a file without a Routes section: %d", w.Code)
	}
	if _, err := s.ApplyConfig(ctx, []byte(`{"Routes": []}`)); err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/x", nil))
	if w.Code == http.StatusUnauthorized {
		t.Fatal("an empty Routes section did not clear the routes")
	}

	for name, bad := range map[string]string{
		"typo":         `{"Routes": [{"PathPrefix": "/a", "Origin": "http://o", "Jwt": {"Issuers": [{"Issuer": "https://i"}], "TokenUse": "access", "Scope": ["x"]}}]}`,
		"missing pool": `{"Routes": [{"PathPrefix": "/a", "Origin": "http://o", "Jwt": {"Issuers": [{"UserPoolId": "us-east-1_Nope"}]}}]}`,
		"alg none":     `{"Routes": [{"PathPrefix": "/a", "Origin": "http://o", "Jwt": {"Issuers": [{"Issuer": "https://i", "Algorithms": ["none"]}]}}]}`,
	} {
		if _, err := s.ApplyConfig(ctx, []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
