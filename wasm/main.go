//go:build wasip1

// Command wasm is poolgate's server core as a wasip1 reactor module (build/poolgate.wasm),
// run by hostsim under wazero: it wires internal/service to the host's imports through package
// guest. Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/poolgate.wasm ./wasm
package main

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/poolgate/poolgate/internal/federation/samlxml"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/wasm/guest"
)

// main never runs: a c-shared module is initialized by _initialize, which runs init below.
func main() {}

func init() { guest.Register(newApp) }

func newApp(env guest.Env) (guest.App, error) {
	c := env.Config
	svc, err := service.New(service.Config{
		Region:               c.Region,
		IssuerBase:           c.IssuerBase,
		ManagedLoginBase:     c.ManagedLoginBase,
		AccountID:            c.AccountID,
		AdminAccessKeyID:     c.AdminAccessKeyID,
		AdminSecretAccessKey: c.AdminSecretAccessKey,
		MasterKey:            c.MasterKey,
		TriggerSecret:        c.TriggerSecret,
		Store:                env.Store,
		Crypto:               env.Crypto,
		Sender:               env.Sender,
		Now:                  time.Now,    // WASI clock_time_get: the host's (possibly injected) clock
		Rand:                 rand.Reader, // WASI random_get: the host's crypto/rand
		Logf:                 env.Logf,
		ClientAddressHeader:  c.ClientAddressHeader,
		CountryHeader:        c.CountryHeader,
		Transport:            guest.Transport{}, // http_fetch: external JWKS; origins are reached by the host (handoffs)
		SAML:                 samlxml.Engine{},  // crewjam/saml in the guest (the Worker calls its companion instead)
	})
	if err != nil {
		return nil, err
	}
	return app{svc}, nil
}

// app adds Apply to the service's http.Handler.
type app struct{ *service.Service }

func (a app) Apply(ctx context.Context, config []byte) (string, error) {
	applied, err := a.ApplyConfig(ctx, config)
	if err != nil {
		return "", err
	}
	return applied.String(), nil
}
