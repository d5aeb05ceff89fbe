package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// The sign-in app (web/) is configured by the server it is served from: GET /poolgate-app.json
// names the endpoint, the app's user pool and public app client, the identity pool, and the
// pool's sign-up rules (which DescribeUserPool, an admin call, would otherwise hide).
//
// Which pool and client: the first user pool of the applied configuration file and its first
// app client without a secret; the identity pool is the file's first. ApplyConfig records that
// choice in the store (every instance serves the same answer); the rules are read live.

const (
	appConfigPath = "/poolgate-app.json"
	appConfigKey  = "app/config"
	// appConfigTTL bounds how long an instance serves a cached answer after the pool changes.
	appConfigTTL = 30 * time.Second
)

// appChoice is what ApplyConfig records.
type appChoice struct {
	UserPoolId     string `json:"UserPoolId"`
	ClientId       string `json:"ClientId"`
	IdentityPoolId string `json:"IdentityPoolId,omitempty"`
}

// AppConfig is the body of GET /poolgate-app.json.
type AppConfig struct {
	Endpoint               string   `json:"endpoint"`
	Region                 string   `json:"region"`
	UserPoolId             string   `json:"userPoolId"`
	UserPoolName           string   `json:"userPoolName"`
	ClientId               string   `json:"clientId"`
	IdentityPoolId         string   `json:"identityPoolId,omitempty"`
	UsernameAttributes     []string `json:"usernameAttributes"`
	AliasAttributes        []string `json:"aliasAttributes"`
	AutoVerifiedAttributes []string `json:"autoVerifiedAttributes"`
	SignUpEnabled          bool     `json:"signUpEnabled"`
	MfaConfiguration       string   `json:"mfaConfiguration"`
	// MfaTypes are the second factors the pool offers, as the SDK names them ("TOTP", "SMS",
	// "EMAIL"; none when MFA is OFF): the profile page offers these.
	MfaTypes []string `json:"mfaTypes"`
	// RememberDevices is the pool's DeviceConfiguration as the app acts on it: "off" (none:
	// no devices), "always" (every signed-in browser is remembered), "prompt" (the user is
	// asked: DeviceOnlyRememberedOnUserPrompt). DevicesSkipMfa: a remembered browser skips the
	// second factor (ChallengeRequiredOnNewDevice).
	RememberDevices string          `json:"rememberDevices"`
	DevicesSkipMfa  bool            `json:"devicesSkipMfa"`
	PasswordPolicy  AppPasswordRule `json:"passwordPolicy"`
	// Attributes are the ones the sign-up form asks for: the required ones, then the optional
	// name (when the schema has it).
	Attributes []AppAttribute `json:"attributes"`
}

// AppPasswordRule is the pool's password policy, as the sign-up form shows it.
type AppPasswordRule struct {
	MinimumLength    int  `json:"minimumLength"`
	RequireUppercase bool `json:"requireUppercase"`
	RequireLowercase bool `json:"requireLowercase"`
	RequireNumbers   bool `json:"requireNumbers"`
	RequireSymbols   bool `json:"requireSymbols"`
}

// AppAttribute is one sign-up attribute.
type AppAttribute struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	Mutable  bool   `json:"mutable"`
	DataType string `json:"dataType"`
}

// appCache is an instance's cached answer (safe to lose: it is rebuilt from the store).
type appCache struct {
	mu      sync.Mutex
	cfg     *AppConfig
	expires time.Time
}

// recordAppChoice stores the app's pool, client and identity pool from a configuration file.
// A file without a user pool with a public client leaves the previous choice alone.
func (s *Service) recordAppChoice(ctx context.Context, raw []byte, f *File) error {
	var choice appChoice
	for _, p := range f.UserPools {
		for _, c := range p.Clients {
			if c.ClientSecret == "" && !c.GenerateSecret {
				choice.UserPoolId, choice.ClientId = p.Id, c.ClientId
				break
			}
		}
		if choice.ClientId != "" {
			break
		}
	}
	if choice.ClientId == "" {
		return nil
	}
	// The identity-pool section belongs to its own domain; only its first id matters here.
	var ids struct {
		IdentityPools []struct {
			IdentityPoolId string `json:"IdentityPoolId"`
		} `json:"IdentityPools"`
	}
	if err := json.Unmarshal(raw, &ids); err == nil && len(ids.IdentityPools) > 0 {
		choice.IdentityPoolId = ids.IdentityPools[0].IdentityPoolId
	}
	b, err := json.Marshal(choice)
	if err != nil {
		return fmt.Errorf("service: app config: %w", err)
	}
	if err := s.cfg.Store.Put(ctx, appConfigKey, b, store.PutOptions{}); err != nil {
		return fmt.Errorf("service: app config: %w", err)
	}
	s.app.mu.Lock()
	s.app.cfg = nil
	s.app.mu.Unlock()
	return nil
}

// serveAppConfig answers GET /poolgate-app.json.
func (s *Service) serveAppConfig(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.appConfig(r.Context())
	if err != nil {
		var e *awsjson.Error
		if !errors.As(err, &e) {
			s.cfg.Logf("app config: %v", err)
			e = awsjson.Internal("The app configuration could not be read.")
		}
		writeJSONError(w, e)
		return
	}
	out := *cfg
	out.Endpoint = s.endpointFor(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(&out)
}

// endpointFor is the API's URL as the caller reached it: the issuer base when the caller used
// its host, else the request's own host (the API answers on every path of this server).
func (s *Service) endpointFor(r *http.Request) string {
	if u, err := url.Parse(s.cfg.IssuerBase); err == nil && strings.EqualFold(u.Host, r.Host) {
		return s.cfg.IssuerBase
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Service) appConfig(ctx context.Context) (*AppConfig, error) {
	now := s.cfg.Now()
	s.app.mu.Lock()
	if s.app.cfg != nil && now.Before(s.app.expires) {
		cfg := s.app.cfg
		s.app.mu.Unlock()
		return cfg, nil
	}
	s.app.mu.Unlock()

	raw, err := s.cfg.Store.Get(ctx, appConfigKey)
	if errors.Is(err, store.ErrNotFound) {
		e := awsjson.ResourceNotFound("No app is configured: apply a configuration file with a user pool and an app client without a secret.")
		e.Status = http.StatusNotFound
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	var choice appChoice
	if err := json.Unmarshal(raw, &choice); err != nil {
		return nil, fmt.Errorf("service: app config record: %w", err)
	}
	pool, err := s.describe(ctx, "DescribeUserPool", map[string]string{"UserPoolId": choice.UserPoolId})
	if err != nil {
		return nil, err
	}
	p, ok := pool.(*userpool.DescribeUserPoolOutput)
	if !ok || p.UserPool == nil {
		return nil, fmt.Errorf("service: DescribeUserPool answered %T", pool)
	}
	client, err := s.describe(ctx, "DescribeUserPoolClient", map[string]string{"UserPoolId": choice.UserPoolId, "ClientId": choice.ClientId})
	if err != nil {
		return nil, err
	}
	if c, ok := client.(*userpool.UserPoolClientOutput); !ok || c.UserPoolClient == nil {
		return nil, fmt.Errorf("service: DescribeUserPoolClient answered %T", client)
	}
	cfg := appConfigOf(&p.UserPool.Pool, choice, s.cfg.Region)
	s.app.mu.Lock()
	s.app.cfg, s.app.expires = cfg, now.Add(appConfigTTL)
	s.app.mu.Unlock()
	return cfg, nil
}

// describe runs a management action in-process (the server reading its own records).
func (s *Service) describe(ctx context.Context, action string, in any) (any, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	for _, a := range s.userPools.Actions() {
		if a.Name == action {
			return a.Handle(ctx, body)
		}
	}
	return nil, fmt.Errorf("service: no action %s", action)
}

func appConfigOf(p *userpool.Pool, choice appChoice, region string) *AppConfig {
	cfg := &AppConfig{
		Region:                 region,
		UserPoolId:             p.Id,
		UserPoolName:           p.Name,
		ClientId:               choice.ClientId,
		IdentityPoolId:         choice.IdentityPoolId,
		UsernameAttributes:     nonNil(p.UsernameAttributes),
		AliasAttributes:        nonNil(p.AliasAttributes),
		AutoVerifiedAttributes: nonNil(p.AutoVerifiedAttributes),
		SignUpEnabled:          p.AdminCreateUserConfig == nil || !p.AdminCreateUserConfig.AllowAdminCreateUserOnly,
		MfaConfiguration:       p.MfaConfiguration,
		PasswordPolicy:         AppPasswordRule{MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true},
		Attributes:             []AppAttribute{},
	}
	if region, _, ok := strings.Cut(p.Id, "_"); ok {
		cfg.Region = region
	}
	if cfg.MfaConfiguration == "" {
		cfg.MfaConfiguration = "OFF"
	}
	cfg.MfaTypes = appMfaTypes(p)
	cfg.RememberDevices = "off"
	if d := p.DeviceConfiguration; d != nil {
		cfg.RememberDevices, cfg.DevicesSkipMfa = "always", d.ChallengeRequiredOnNewDevice
		if d.DeviceOnlyRememberedOnUserPrompt {
			cfg.RememberDevices = "prompt"
		}
	}
	if p.Policies != nil && p.Policies.PasswordPolicy != nil {
		pp := p.Policies.PasswordPolicy
		cfg.PasswordPolicy = AppPasswordRule{
			MinimumLength: pp.MinimumLength, RequireUppercase: pp.RequireUppercase, RequireLowercase: pp.RequireLowercase,
			RequireNumbers: pp.RequireNumbers, RequireSymbols: pp.RequireSymbols,
		}
	}
	var optional []AppAttribute
	for _, a := range p.SchemaAttributes {
		if a.DeveloperOnlyAttribute || a.Name == "sub" {
			continue
		}
		attr := AppAttribute{Name: a.Name, Required: a.Required, Mutable: a.Mutable, DataType: a.AttributeDataType}
		switch {
		case a.Required:
			cfg.Attributes = append(cfg.Attributes, attr)
		case a.Name == "name" && a.Mutable:
			optional = append(optional, attr)
		}
	}
	// A pool whose username is the email needs the email even when the schema does not say so.
	for _, ua := range cfg.UsernameAttributes {
		if !slices.ContainsFunc(cfg.Attributes, func(a AppAttribute) bool { return a.Name == ua }) {
			cfg.Attributes = append([]AppAttribute{{Name: ua, Required: true, Mutable: true, DataType: "String"}}, cfg.Attributes...)
		}
	}
	cfg.Attributes = append(cfg.Attributes, optional...)
	return cfg
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// appMfaTypes lists the factors p offers, in the order userpool lists them (MFAS_CAN_CHOOSE):
// SMS, TOTP, email; none when MFA is OFF.
func appMfaTypes(p *userpool.Pool) []string {
	types := []string{}
	if p.MfaConfiguration != "ON" && p.MfaConfiguration != "OPTIONAL" {
		return types
	}
	if p.SmsMfaConfiguration != nil {
		types = append(types, "SMS")
	}
	if p.SoftwareTokenMfaConfiguration != nil && p.SoftwareTokenMfaConfiguration.Enabled {
		types = append(types, "TOTP")
	}
	if p.EmailMfaConfiguration != nil {
		types = append(types, "EMAIL")
	}
	return types
}
