package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/poolgate/poolgate/bench/internal/harness"
)

const (
	groupOAuth = "oauth"

	opCodeFlow          = "authorize → login → token (code + PKCE)"
	opClientCredentials = "client_credentials token"
)

// oauth measures managed login on every configured poolgate: a sign-in through the pages with
// the authorization code flow and PKCE (one iteration is the four requests a browser and an
// OIDC library make: GET /oauth2/authorize, GET /login, POST /login, POST /oauth2/token), and
// client_credentials tokens of a confidential client. Neither peer serves these endpoints
// (cognito-local has no /oauth2 routes; moto's cognito-idp has no hosted UI), so the figures
// compare poolgate's hosts with each other.
func (g *gen) oauth(ctx context.Context) error {
	if g.st.OAuthN == 0 {
		return nil
	}
	users := map[string]string{}
	var systems []*system
	for _, s := range g.systems {
		if !s.configured() {
			continue
		}
		user, err := harness.CreateUser(ctx, s.url, adminKey, adminSecret)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if _, err := harness.CodeFlow(ctx, newHTTPClient(), s.url, user); err != nil {
			return fmt.Errorf("%s: the code flow: %w", s.name, err)
		}
		users[s.name] = user
		systems = append(systems, s)
	}
	if len(systems) == 0 {
		return nil
	}
	for _, c := range g.st.GatewayClients {
		for _, op := range []string{opCodeFlow, opClientCredentials} {
			var ts []*target
			for _, s := range systems {
				url, user := s.url, users[s.name]
				ts = append(ts, g.addTarget(groupOAuth, op, c, s.name, "", s.cpuTime, func(hc *http.Client) func(context.Context, int) error {
					if op == opCodeFlow {
						return func(ctx context.Context, _ int) error { _, err := harness.CodeFlow(ctx, hc, url, user); return err }
					}
					return func(ctx context.Context, _ int) error { _, err := harness.ClientCredentials(ctx, hc, url); return err }
				}))
			}
			if err := g.interleave(ctx, g.st.OAuthN, c, ts); err != nil {
				return err
			}
		}
	}
	return nil
}
