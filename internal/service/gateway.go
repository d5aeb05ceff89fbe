package service

import (
	"context"

	"github.com/poolgate/poolgate/internal/creds"
	"github.com/poolgate/poolgate/internal/gateway"
)

// apiTargets are the X-Amz-Target prefixes of the JSON APIs: such requests always reach the
// API, whatever routes are declared.
var apiTargets = []string{"AWSCognitoIdentityProviderService.", "AWSCognitoIdentityService."}

// newGateway builds the gateway that serves the configuration's Routes in front of the API.
// Its credential verifier derives from the master key like the identity pools' issuer, so
// it opens their session tokens without a store read.
func (s *Service) newGateway() (*gateway.Gateway, error) {
	v, err := creds.NewVerifier(s.cfg.MasterKey, s.cfg.Now)
	if err != nil {
		return nil, err
	}
	return gateway.New(gateway.Config{
		Store:       s.cfg.Store,
		Crypto:      s.cfg.Crypto,
		Transport:   s.cfg.Transport,
		Now:         s.cfg.Now,
		Logf:        s.cfg.Logf,
		Pools:       gatewayPools{s},
		Credentials: v,
		APITargets:  apiTargets,
		Changed:     s.cfg.GatewayChanged,
	})
}

// gatewayPools gives the gateway poolgate's own user pools: issuers, keys and the state
// revocation checks read.
type gatewayPools struct{ s *Service }

func (p gatewayPools) Issuer(poolID string) string { return p.s.userPools.Issuer(poolID) }

func (p gatewayPools) PoolExists(ctx context.Context, poolID string) (bool, error) {
	return p.s.userPools.PoolExists(ctx, poolID)
}

func (p gatewayPools) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	return p.s.keys.JWKS(ctx, poolID)
}

func (p gatewayPools) UserState(ctx context.Context, poolID, username string) (gateway.UserState, error) {
	st, err := p.s.userPools.TokenUserState(ctx, poolID, username)
	return gateway.UserState(st), err
}

func (p gatewayPools) FamilyRevoked(ctx context.Context, poolID, originJTI string) (bool, error) {
	return p.s.userPools.TokenFamilyRevoked(ctx, poolID, originJTI)
}
