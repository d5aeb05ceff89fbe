package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

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
		o.AdminAccessKeyID != "" || o.MasterKey != nil || o.PureCrypto || o.Instances != 0 || o.InstanceMemoryLimit != 0 ||
		o.HTTPSAddr != "127.0.0.1:8443" || o.TLSDir != filepath.Join(".poolgate", "tls") || !o.FileBackedCode || s.compileOnly {
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
	s, err := parse([]string{"-addr", ":9000", "-module", "m.wasm", "-pure-crypto", "-instances", "3", "-instance-memory", "96"}, env(map[string]string{
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
	if o.Addr != ":9000" || o.DataDir != dir || o.ModulePath != "m.wasm" || !o.PureCrypto || o.Instances != 3 || o.InstanceMemoryLimit != 96<<20 ||
		o.Region != "eu-west-1" || o.IssuerBase != "https://auth.example.com" ||
		o.AdminAccessKeyID != "AKIDEXAMPLE" || o.AdminSecretAccessKey != "wJalrXUtnFEMI" || !bytes.Equal(o.MasterKey, key) {
		t.Fatalf("parsed %+v", o)
	}
	if string(o.Config) != `{"UserPools":[]}` || s.configName != cfg || !s.keysFromEnv {
		t.Fatalf("config %q from %q", o.Config, s.configName)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
	}{{[]string{"-cache", "build/cache"}, nil}, {nil, map[string]string{"CACHE": "build/cache"}}} {
		s, err := parse(c.args, env(c.env))
		if err != nil || s.opts.CompilationCacheDir != "build/cache" {
			t.Fatalf("args %q env %v: cache %q, %v", c.args, c.env, s.opts.CompilationCacheDir, err)
		}
	}
}

// TestCompileOnly: -compile-only fills the cache and exits; a start on that cache then finds
// the module there and adds nothing to it.
func TestCompileOnly(t *testing.T) {
	wasm := os.Getenv("POOLGATE_WASM")
	if wasm == "" {
		wasm = filepath.Join(t.TempDir(), "poolgate.wasm")
		if err := hostsim.BuildModule(context.Background(), "", wasm); err != nil {
			t.Fatal(err)
		}
	}
	cache := t.TempDir()
	var out strings.Builder
	if err := run([]string{"-compile-only", "-module", wasm, "-cache", cache, "-data", t.TempDir()}, env(nil), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "compiled "+wasm+" into "+cache) {
		t.Fatalf("output %q", out.String())
	}
	entries := func() []string {
		var names []string
		filepath.WalkDir(cache, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, path)
			}
			return err
		})
		return names
	}
	compiled := entries()
	if len(compiled) != 1 {
		t.Fatalf("cache after -compile-only: %v", compiled)
	}
	s, err := parse([]string{"-module", wasm, "-cache", cache, "-data", t.TempDir(), "-addr", "127.0.0.1:0", "-https-addr", "off"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	s.opts.Logf = t.Logf
	srv, err := hostsim.Start(context.Background(), s.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if got := entries(); len(got) != 1 || got[0] != compiled[0] {
		t.Fatalf("cache after a start on it: %v, want %v", got, compiled)
	}
}

func TestParseHTTPSAddr(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"HTTPS_ADDR": "127.0.0.1:9443"}, "127.0.0.1:9443"},
		{[]string{"-https-addr", "[::1]:0"}, map[string]string{"HTTPS_ADDR": "127.0.0.1:9443"}, "[::1]:0"},
		{nil, map[string]string{"HTTPS_ADDR": "off"}, ""},
		{[]string{"-https-addr", "off"}, nil, ""},
	} {
		s, err := parse(c.args, env(c.env))
		if err != nil {
			t.Fatal(err)
		}
		if s.opts.HTTPSAddr != c.want {
			t.Errorf("args %q env %v: HTTPSAddr %q, want %q", c.args, c.env, s.opts.HTTPSAddr, c.want)
		}
	}
}

// TestBannerNamesHTTPSAndTrust: with HTTPS on, the banner prints the endpoint and how to
// trust the CA, by absolute path; with HTTPS off it prints neither.
func TestBannerNamesHTTPSAndTrust(t *testing.T) {
	wasm := os.Getenv("POOLGATE_WASM") // make test sets it; otherwise build the module here
	if wasm == "" {
		wasm = filepath.Join(t.TempDir(), "poolgate.wasm")
		if err := hostsim.BuildModule(context.Background(), "", wasm); err != nil {
			t.Fatal(err)
		}
	}
	for _, httpsAddr := range []string{"127.0.0.1:0", "off"} {
		dir := t.TempDir()
		s, err := parse([]string{"-addr", "127.0.0.1:0", "-https-addr", httpsAddr, "-module", wasm, "-data", dir}, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		s.opts.Logf = t.Logf
		srv, err := hostsim.Start(context.Background(), s.opts)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		printBanner(&out, s, srv, time.Second)
		srv.Close()
		ca := filepath.Join(dir, "tls", hostsim.CAFileName)
		has := strings.Contains(out.String(), srv.HTTPSURL()) && srv.HTTPSURL() != "" &&
			strings.Contains(out.String(), "NODE_EXTRA_CA_CERTS="+ca) &&
			strings.Contains(out.String(), "update-ca-certificates")
		if has != (httpsAddr != "off") {
			t.Errorf("https %s: banner\n%s", httpsAddr, out.String())
		}
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

// TestSetHostGC: GOGC defaults to hostGOGC; a GOGC in the environment is left to the runtime.
func TestSetHostGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	setHostGC(env(nil))
	if got := debug.SetGCPercent(100); got != hostGOGC {
		t.Fatalf("GOGC %d after the default, want %d", got, hostGOGC)
	}
	setHostGC(env(map[string]string{"GOGC": "200"}))
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC %d with GOGC set in the environment, want the runtime's 100 untouched", got)
	}
}
