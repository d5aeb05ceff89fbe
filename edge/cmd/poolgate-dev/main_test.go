package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestSecretsGeneratedOnceAndShared: without the environment, secrets are generated into
// DATA/secrets.json (hostsim's format, mode 0600) and read back on the next start.
func TestSecretsGeneratedOnceAndShared(t *testing.T) {
	dir := t.TempDir()
	first, fromEnv, err := resolveSecrets(dir, env(nil))
	if err != nil || fromEnv {
		t.Fatalf("resolveSecrets: %v, fromEnv %v", err, fromEnv)
	}
	if !strings.HasPrefix(first.AdminAccessKeyID, "AKIA") || len(first.AdminAccessKeyID) != 20 ||
		len(first.AdminSecretAccessKey) != 40 || len(first.MasterKey) != 32 {
		t.Fatalf("generated secrets are malformed: %+v", first)
	}
	path := filepath.Join(dir, secretsFileName)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", path, err, info.Mode().Perm())
	}
	var onDisk map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"adminAccessKeyId", "adminSecretAccessKey", "masterKey"} {
		if _, ok := onDisk[k]; !ok {
			t.Errorf("%s lacks %s (hostsim's format)", path, k)
		}
	}
	again, _, err := resolveSecrets(dir, env(nil))
	if err != nil || again.AdminAccessKeyID != first.AdminAccessKeyID || again.AdminSecretAccessKey != first.AdminSecretAccessKey ||
		string(again.MasterKey) != string(first.MasterKey) {
		t.Fatalf("second start: %+v, %v; want the saved secrets", again, err)
	}
}

func TestSecretsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	mk := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	s, fromEnv, err := resolveSecrets(dir, env(map[string]string{
		"POOLGATE_ADMIN_ACCESS_KEY_ID": "AKIAFROMENV", "POOLGATE_ADMIN_SECRET_ACCESS_KEY": "s", "POOLGATE_MASTER_KEY": mk}))
	if err != nil || !fromEnv || s.AdminAccessKeyID != "AKIAFROMENV" || string(s.MasterKey) != strings.Repeat("k", 32) {
		t.Fatalf("resolveSecrets: %+v, %v, %v", s, fromEnv, err)
	}
	if _, err := os.Stat(filepath.Join(dir, secretsFileName)); !os.IsNotExist(err) {
		t.Errorf("secrets from the environment were written to disk (%v)", err)
	}
	for name, e := range map[string]map[string]string{
		"half a key pair":       {"POOLGATE_ADMIN_ACCESS_KEY_ID": "AKIA"},
		"short master key":      {"POOLGATE_MASTER_KEY": "c2hvcnQ="},
		"master key not base64": {"POOLGATE_MASTER_KEY": "!!"},
	} {
		if _, _, err := resolveSecrets(dir, env(e)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
