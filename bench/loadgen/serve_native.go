package main

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/poolgate/poolgate/internal/federation/samlxml"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/native/boltstore"
	"github.com/poolgate/poolgate/internal/service"
)

// loadgen re-executes itself as the native server when serveEnv is set, so that server is a
// process of its own whose RSS and CPU time can be read like every other system's.
const (
	serveEnv     = "POOLGATE_LOADGEN_SERVE"
	serveAddrEnv = "POOLGATE_LOADGEN_ADDR"
	serveDataEnv = "POOLGATE_LOADGEN_DATA"
	// serveConfigEnv names poolgate's declarative configuration file, applied at start (as
	// hostsim's -config does); empty for none.
	serveConfigEnv = "POOLGATE_LOADGEN_CONFIG"
)

// serveNative runs poolgate's service compiled natively (no wasm) on a bbolt store, the same
// store hostsim uses, with the configuration file applied, until SIGTERM.
func serveNative(getenv func(string) string) error {
	addr, dir := getenv(serveAddrEnv), getenv(serveDataEnv)
	if addr == "" || dir == "" {
		return errors.New("loadgen: native server needs " + serveAddrEnv + " and " + serveDataEnv)
	}
	master, err := base64.StdEncoding.DecodeString(getenv("POOLGATE_MASTER_KEY"))
	if err != nil || len(master) != 32 {
		return errors.New("loadgen: native server needs POOLGATE_MASTER_KEY (base64 of 32 bytes)")
	}
	st, err := boltstore.Open(filepath.Join(dir, "poolgate.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := service.New(service.Config{
		IssuerBase:           "http://" + addr,
		AdminAccessKeyID:     getenv("POOLGATE_ADMIN_ACCESS_KEY_ID"),
		AdminSecretAccessKey: getenv("POOLGATE_ADMIN_SECRET_ACCESS_KEY"),
		MasterKey:            master, Store: st, Crypto: hostcrypto.Pure{}, Transport: http.DefaultTransport,
		SAML: samlxml.Engine{},
	})
	if err != nil {
		return err
	}
	if path := getenv(serveConfigEnv); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := svc.ApplyConfig(context.Background(), b); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: svc}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() { <-sig; hs.Close() }()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
