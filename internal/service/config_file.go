package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/poolgate/poolgate/internal/gateway"
	"github.com/poolgate/poolgate/internal/identitypool"
	"github.com/poolgate/poolgate/internal/trigger"
	"github.com/poolgate/poolgate/internal/userpool"
)

// File is poolgate's declarative configuration file. Each section is owned by its domain;
// unknown top-level members are an error so that typos do not pass silently.
type File struct {
	UserPools []userpool.PoolSpec `json:"UserPools"`
	// Functions map Lambda ARNs to where poolgate runs them (internal/trigger): a Url, or on
	// the Worker a service binding. Present (even empty), they replace the stored table.
	Functions []trigger.Function `json:"Functions"`
	// Routes, when present (even empty), replace the gateway's route table (gateway.RouteSpec).
	Routes []gateway.RouteSpec `json:"Routes"`
	// Roles, OpenIDConnectProviders and IdentityPools (identity.go).
	identitypool.ConfigSpec
}

// ParseFile decodes a configuration file.
func ParseFile(b []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("service: config file: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("service: config file: trailing data after the JSON object")
	}
	return &f, nil
}

// Applied summarizes what ApplyConfig did.
type Applied struct {
	UserPools *userpool.Applied
	Routes    *gateway.Applied      // nil when the file has no Routes section
	Identity  *identitypool.Applied // nil when the file declares no roles, providers or identity pools
}

// String is a human-readable summary for start-up logs.
func (a *Applied) String() string {
	if a == nil || a.UserPools == nil {
		return "nothing to apply"
	}
	out := a.UserPools.String()
	if a.Routes != nil {
		out += "; " + a.Routes.String()
	}
	if a.Identity != nil {
		out += "; " + a.Identity.String()
	}
	return out
}

// ApplyConfig applies a declarative configuration file idempotently.
func (s *Service) ApplyConfig(ctx context.Context, file []byte) (*Applied, error) {
	f, err := ParseFile(file)
	if err != nil {
		return nil, err
	}
	up, err := s.userPools.Apply(ctx, userpool.ConfigSpec{UserPools: f.UserPools, Functions: f.Functions})
	if err != nil {
		return nil, err
	}
	var identity *identitypool.Applied
	if !f.ConfigSpec.Empty() {
		if identity, err = s.identityPools.Apply(ctx, f.ConfigSpec); err != nil {
			return nil, err
		}
	}
	var routes *gateway.Applied
	if f.Routes != nil {
		if routes, err = s.gw.Apply(ctx, f.Routes); err != nil {
			return nil, err
		}
	}
	if err := s.recordAppChoice(ctx, file, f); err != nil {
		return nil, err
	}
	return &Applied{UserPools: up, Routes: routes, Identity: identity}, nil
}
