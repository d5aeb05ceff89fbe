// Command poolgate-dev runs poolgate's Worker locally under wrangler dev (workerd), with the
// same ADDR, DATA, CONFIG and POOLGATE_* settings as `make run`: the store persisted in DATA/wrangler,
// generated secrets shared with `make run` in DATA/secrets.json, and messages (codes,
// temporary passwords) appended to DATA/outbox.jsonl by a local webhook receiver.
// `make dev` builds the Worker and starts it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
	"github.com/poolgate/poolgate/internal/trigger"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if err := run(os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "poolgate-dev:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string) error {
	fset := flag.NewFlagSet("poolgate-dev", flag.ContinueOnError)
	addr := fset.String("addr", envOr(getenv, "ADDR", "127.0.0.1:8787"), "listen address (env ADDR)")
	data := fset.String("data", envOr(getenv, "DATA", ".poolgate"), "data directory: the store (Durable Objects) in DATA/wrangler, outbox.jsonl, secrets.json (env DATA)")
	config := fset.String("config", getenv("CONFIG"), "declarative configuration file (env CONFIG); none applies hostsim/default-config.json")
	verbose := fset.Bool("v", false, "print every line wrangler prints")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	root, err := edgelocal.FindRoot(".")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	sec, fromEnv, err := resolveSecrets(*data, getenv)
	if err != nil {
		return err
	}
	configName := *config
	if configName == "" {
		configName = filepath.Join(root, "hostsim", "default-config.json")
	}
	cfg, err := os.ReadFile(configName)
	if err != nil {
		return err
	}
	persist, err := filepath.Abs(filepath.Join(*data, "wrangler"))
	if err != nil {
		return err
	}
	outbox, err := filepath.Abs(filepath.Join(*data, "outbox.jsonl"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	begin := time.Now()
	// Trigger requests are signed with POOLGATE_TRIGGER_SECRET, or else with the secret the
	// Worker derives from the master key, as make run's (printed below for the adapter).
	triggerSecret, vars := getenv("POOLGATE_TRIGGER_SECRET"), map[string]string{}
	if triggerSecret != "" {
		vars["POOLGATE_TRIGGER_SECRET"] = triggerSecret
	} else {
		triggerSecret = trigger.DeriveSecret(sec.MasterKey)
	}
	w, err := edgelocal.Start(ctx, edgelocal.Options{
		Vars:                 vars,
		Root:                 root,
		Addr:                 *addr,
		PersistDir:           persist,
		Region:               getenv("POOLGATE_REGION"),
		IssuerBase:           getenv("POOLGATE_ISSUER_BASE"),
		AdminAccessKeyID:     sec.AdminAccessKeyID,
		AdminSecretAccessKey: sec.AdminSecretAccessKey,
		MasterKey:            sec.MasterKey,
		PoolgateConfig:       cfg,
		Outbox:               outbox,
		Logf: func(format string, args ...any) {
			line := fmt.Sprintf(format, args...)
			// wrangler logs every request at info level; -v shows them.
			if *verbose || !strings.HasPrefix(line, "wrangler: [wrangler:info]") {
				log.Print(line)
			}
		},
	})
	if err != nil {
		return err
	}
	defer w.Close()
	keys := "from the environment"
	if !fromEnv {
		keys = "generated once, kept in " + filepath.Join(*data, secretsFileName)
	}
	region := getenv("POOLGATE_REGION")
	if region == "" {
		region = "us-east-1"
	}
	fmt.Printf("poolgate (Worker, wrangler dev) is running\n")
	fmt.Printf("  endpoint:      %s\n", w.URL())
	fmt.Printf("  issuer base:   %s\n", w.IssuerBase())
	fmt.Printf("  region:        %s\n", region)
	fmt.Printf("  admin key:     AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s (%s)\n", sec.AdminAccessKeyID, sec.AdminSecretAccessKey, keys)
	fmt.Printf("  data dir:      %s (the store in %s, messages with codes in %s)\n", *data, persist, outbox)
	fmt.Printf("  config:        %s (applied on the first request, once per config text)\n", configName)
	fmt.Printf("  triggers:      requests signed with POOLGATE_TRIGGER_SECRET=%s\n", triggerSecret)
	fmt.Printf("  started in:    %v\n", time.Since(begin).Round(time.Millisecond))
	fmt.Printf("  try:           aws cognito-idp list-user-pools --max-results 10 --endpoint-url %s --region %s\n", w.URL(), region)
	<-ctx.Done()
	log.Printf("poolgate-dev: shutting down")
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// secretsFileName is the file `make run` (hostsim) keeps generated secrets in; make dev reads
// and writes the same file, so both accept the same admin key pair on the same DATA.
const secretsFileName = "secrets.json"

// secrets is the format of DATA/secrets.json (hostsim's).
type secrets struct {
	AdminAccessKeyID     string `json:"adminAccessKeyId,omitempty"`
	AdminSecretAccessKey string `json:"adminSecretAccessKey,omitempty"`
	MasterKey            []byte `json:"masterKey,omitempty"`
}

// resolveSecrets takes the admin key pair and the master key from the environment, else from
// DATA/secrets.json, else generates and saves them. fromEnv reports an admin pair from the
// environment.
func resolveSecrets(data string, getenv func(string) string) (s secrets, fromEnv bool, err error) {
	s.AdminAccessKeyID, s.AdminSecretAccessKey = getenv("POOLGATE_ADMIN_ACCESS_KEY_ID"), getenv("POOLGATE_ADMIN_SECRET_ACCESS_KEY")
	if (s.AdminAccessKeyID == "") != (s.AdminSecretAccessKey == "") {
		return s, false, errors.New("set both POOLGATE_ADMIN_ACCESS_KEY_ID and POOLGATE_ADMIN_SECRET_ACCESS_KEY, or neither")
	}
	fromEnv = s.AdminAccessKeyID != ""
	if k := getenv("POOLGATE_MASTER_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(key) != 32 {
			return s, fromEnv, errors.New("POOLGATE_MASTER_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")
		}
		s.MasterKey = key
	}
	if fromEnv && s.MasterKey != nil {
		return s, fromEnv, nil
	}
	path := filepath.Join(data, secretsFileName)
	var saved secrets
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return s, fromEnv, err
	default:
		if err := json.Unmarshal(b, &saved); err != nil {
			return s, fromEnv, fmt.Errorf("%s: %w", path, err)
		}
	}
	dirty := false
	if !fromEnv {
		if saved.AdminAccessKeyID == "" || saved.AdminSecretAccessKey == "" {
			raw := make([]byte, 40)
			if _, err := rand.Read(raw); err != nil {
				return s, fromEnv, err
			}
			saved.AdminAccessKeyID = "AKIA" + base32.StdEncoding.EncodeToString(raw[:10])
			saved.AdminSecretAccessKey = base64.StdEncoding.EncodeToString(raw[10:])
			dirty = true
		}
		s.AdminAccessKeyID, s.AdminSecretAccessKey = saved.AdminAccessKeyID, saved.AdminSecretAccessKey
	}
	if s.MasterKey == nil {
		switch len(saved.MasterKey) {
		case 32:
		case 0:
			saved.MasterKey = make([]byte, 32)
			if _, err := rand.Read(saved.MasterKey); err != nil {
				return s, fromEnv, err
			}
			dirty = true
		default:
			return s, fromEnv, fmt.Errorf("%s: master key is %d bytes, want 32", path, len(saved.MasterKey))
		}
		s.MasterKey = saved.MasterKey
	}
	if dirty {
		out, err := json.MarshalIndent(saved, "", "  ")
		if err != nil {
			return s, fromEnv, err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
			return s, fromEnv, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return s, fromEnv, err
		}
	}
	return s, fromEnv, nil
}
