package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/hostsim"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseDefaults(t *testing.T) {
	s, err := parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	o := s.opts
	if o.Addr != "127.0.0.1:8787" || o.DataDir != ".poolgate" || o.ModulePath != "build/poolgate.wasm" ||
		o.CompilationCacheDir != filepath.Join(".poolgate", "cache") || o.Region != "" || o.IssuerBase != "" ||
		o.AdminAccessKeyID != "" || o.MasterKey != nil || o.PureCrypto {
		t.Fatalf("defaults: %+v", o)
	}
	if !bytes.Equal(o.Config, hostsim.DefaultConfig) || s.configName != "embedded default" || s.keysFromEnv {
		t.Fatalf("default config %q, keys from env %v", s.configName, s.keysFromEnv)
	}
}

func TestParseFlagsAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pools.json")
	os.WriteFile(cfg, []byte(`{"UserPools":[]}`), 0o600)
	key := bytes.Repeat([]byte{9}, 32)
	s, err := parse([]string{"-addr", ":9000", "-module", "m.wasm", "-pure-crypto", "-instances", "3"}, env(map[string]string{
		"DATA":                             dir,
		"CONFIG":                           cfg,
		"POOLGATE_REGION":                  "eu-west-1",
		"POOLGATE_ISSUER_BASE":             "https://auth.example.com",
		"POOLGATE_ADMIN_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"POOLGATE_ADMIN_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
		"POOLGATE_MASTER_KEY":              base64.StdEncoding.EncodeToString(key),
	}))
	if err != nil {
		t.Fatal(err)
	}
	o := s.opts
	if o.Addr != ":9000" || o.DataDir != dir || o.ModulePath != "m.wasm" || !o.PureCrypto || o.Instances != 3 ||
		o.Region != "eu-west-1" || o.IssuerBase != "https://auth.example.com" ||
		o.AdminAccessKeyID != "AKIDEXAMPLE" || o.AdminSecretAccessKey != "wJalrXUtnFEMI" || !bytes.Equal(o.MasterKey, key) {
		t.Fatalf("parsed %+v", o)
	}
	if string(o.Config) != `{"UserPools":[]}` || s.configName != cfg || !s.keysFromEnv {
		t.Fatalf("config %q from %q", o.Config, s.configName)
	}
}

func TestParseErrors(t *testing.T) {
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"half a key pair":     {nil, map[string]string{"POOLGATE_ADMIN_ACCESS_KEY_ID": "AKID"}},
		"short master key":    {nil, map[string]string{"POOLGATE_MASTER_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}},
		"master key not b64":  {nil, map[string]string{"POOLGATE_MASTER_KEY": "%%%"}},
		"missing config file": {[]string{"-config", "/nonexistent/pools.json"}, nil},
		"unknown flag":        {[]string{"-nope"}, nil},
		"stray argument":      {[]string{"serve"}, nil},
	} {
		if _, err := parse(c.args, env(c.env)); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "wJalr") {
			t.Errorf("%s: error leaks a secret: %v", name, err)
		}
	}
}
