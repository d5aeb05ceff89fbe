package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

const appTestConfig = `{"UserPools": [
  {"Id": "us-east-1_Secretive1", "Clients": [{"ClientId": "secretclient", "GenerateSecret": true}]},
  {"Id": "eu-west-1_AppPool1", "PoolName": "app",
   "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
   "Policies": {"PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": true, "RequireLowercase": false, "RequireNumbers": true, "RequireSymbols": false}},
   "Schema": [{"Name": "name", "AttributeDataType": "String", "Mutable": true},
              {"Name": "custom:team", "AttributeDataType": "String", "Mutable": true, "Required": false}],
   "Clients": [{"ClientId": "withsecret", "ClientSecret": "s3cr3ts3cr3ts3cr3ts3cr3tXY"}, {"ClientId": "publicwebclient"}, {"ClientId": "secondpublic"}]}
]}`

func newAppTestService(t *testing.T) *Service {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := New(Config{
		IssuerBase: "http://127.0.0.1:8787", AdminAccessKeyID: "AKID", AdminSecretAccessKey: "secret",
		MasterKey: bytes.Repeat([]byte{1}, 32), Store: memstore.New(func() time.Time { return now }),
		Now: func() time.Time { return now }, Crypto: hostcrypto.Pure{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func getAppConfig(t *testing.T, s *Service, host string) (int, AppConfig, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://"+host+"/poolgate-app.json", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var cfg AppConfig
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &cfg); err != nil {
			t.Fatal(err)
		}
	}
	return w.Code, cfg, w.Body.String()
}

func TestAppConfig(t *testing.T) {
	s := newAppTestService(t)
	ctx := context.Background()

	code, _, body := getAppConfig(t, s, "127.0.0.1:8787")
	if code != http.StatusNotFound || !strings.Contains(body, "ResourceNotFoundException") {
		t.Fatalf("before any config: %d %s", code, body)
	}

	if _, err := s.ApplyConfig(ctx, []byte(appTestConfig)); err != nil {
		t.Fatal(err)
	}
	code, cfg, body := getAppConfig(t, s, "127.0.0.1:8787")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	// The first pool has only a secret client: the app uses the second pool's first public client.
	if cfg.UserPoolId != "eu-west-1_AppPool1" || cfg.ClientId != "publicwebclient" || cfg.Region != "eu-west-1" ||
		cfg.UserPoolName != "app" || cfg.Endpoint != "http://127.0.0.1:8787" || cfg.IdentityPoolId != "" {
		t.Fatalf("%+v", cfg)
	}
	if cfg.PasswordPolicy != (AppPasswordRule{MinimumLength: 10, RequireUppercase: true, RequireNumbers: true}) {
		t.Fatalf("policy %+v", cfg.PasswordPolicy)
	}
	var names []string
	for _, a := range cfg.Attributes {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "email,name" || !cfg.Attributes[0].Required || cfg.Attributes[1].Required {
		t.Fatalf("attributes %+v", cfg.Attributes)
	}
	if !cfg.SignUpEnabled || cfg.MfaConfiguration != "OFF" || strings.Join(cfg.UsernameAttributes, ",") != "email" ||
		cfg.MfaTypes == nil || len(cfg.MfaTypes) != 0 || cfg.RememberDevices != "off" || cfg.DevicesSkipMfa {
		t.Fatalf("%+v", cfg)
	}
	if strings.Contains(body, "s3cr3t") {
		t.Fatal("the app config leaks a client secret")
	}

	// Reached under another host name, the endpoint is that host.
	if _, cfg, _ := getAppConfig(t, s, "localhost:8787"); cfg.Endpoint != "http://localhost:8787" {
		t.Fatalf("endpoint %q", cfg.Endpoint)
	}

	// Applying a changed file is seen at once (the cache is dropped).
	changed := strings.Replace(appTestConfig, `"MinimumLength": 10`, `"MinimumLength": 12`, 1)
	if _, err := s.ApplyConfig(ctx, []byte(changed)); err != nil {
		t.Fatal(err)
	}
	if _, cfg, _ := getAppConfig(t, s, "127.0.0.1:8787"); cfg.PasswordPolicy.MinimumLength != 12 {
		t.Fatalf("policy after re-apply %+v", cfg.PasswordPolicy)
	}

	// The factors a pool with MFA offers, as the SDK names them.
	withMfa := strings.Replace(changed, `"Id": "eu-west-1_AppPool1",`, `"Id": "eu-west-1_AppPool1", "MfaConfiguration": "OPTIONAL",
		"SoftwareTokenMfaConfiguration": {"Enabled": true}, "EmailMfaConfiguration": {"Message": "{####}", "Subject": "Code"},`, 1)
	if _, err := s.ApplyConfig(ctx, []byte(withMfa)); err != nil {
		t.Fatal(err)
	}
	if _, cfg, _ := getAppConfig(t, s, "127.0.0.1:8787"); cfg.MfaConfiguration != "OPTIONAL" || strings.Join(cfg.MfaTypes, ",") != "TOTP,EMAIL" {
		t.Fatalf("MFA after re-apply: %q %q", cfg.MfaConfiguration, cfg.MfaTypes)
	}

	// Remembered devices: which switch, as the app reads it.
	for _, c := range []struct {
		config, want string
		skips        bool
	}{
		{`{"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": true}`, "prompt", true},
		{`{"ChallengeRequiredOnNewDevice": false, "DeviceOnlyRememberedOnUserPrompt": false}`, "always", false},
	} {
		withDevices := strings.Replace(withMfa, `"MfaConfiguration": "OPTIONAL",`, `"MfaConfiguration": "OPTIONAL", "DeviceConfiguration": `+c.config+`,`, 1)
		if _, err := s.ApplyConfig(ctx, []byte(withDevices)); err != nil {
			t.Fatal(err)
		}
		if _, cfg, _ := getAppConfig(t, s, "127.0.0.1:8787"); cfg.RememberDevices != c.want || cfg.DevicesSkipMfa != c.skips {
			t.Fatalf("%s: rememberDevices %q, devicesSkipMfa %v", c.config, cfg.RememberDevices, cfg.DevicesSkipMfa)
		}
	}

	// A file with no public client keeps the previous choice.
	if _, err := s.ApplyConfig(ctx, []byte(`{"UserPools": [{"Id": "us-east-1_Secretive1", "Clients": [{"ClientId": "secretclient", "GenerateSecret": true}]}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, cfg, _ := getAppConfig(t, s, "127.0.0.1:8787"); cfg.ClientId != "publicwebclient" {
		t.Fatalf("client after a file without public clients: %q", cfg.ClientId)
	}
}

func TestAppConfigNamesTheIdentityPool(t *testing.T) {
	s := newAppTestService(t)
	ctx := context.Background()
	if _, err := s.ApplyConfig(ctx, []byte(appTestConfig)); err != nil {
		t.Fatal(err)
	}
	raw := []byte(`{"UserPools": [], "IdentityPools": [{"IdentityPoolId": "eu-west-1:0f0e0d0c-1111-2222-3333-444455556666"}, {"IdentityPoolId": "eu-west-1:other"}]}`)
	f, err := ParseFile([]byte(appTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.recordAppChoice(ctx, raw, f); err != nil {
		t.Fatal(err)
	}
	if _, cfg, _ := getAppConfig(t, s, "127.0.0.1:8787"); cfg.IdentityPoolId != "eu-west-1:0f0e0d0c-1111-2222-3333-444455556666" {
		t.Fatalf("identity pool %q", cfg.IdentityPoolId)
	}
}
