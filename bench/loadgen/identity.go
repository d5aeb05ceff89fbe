package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/poolgate/poolgate/bench/internal/harness"
)

// identityClient is a cognito-identity client of the SDK with no retries: unsigned, as the
// SDKs' credential providers call GetId and GetCredentialsForIdentity, or signed with the
// admin pair.
func identityClient(url string, admin bool, hc *http.Client) *ci.Client {
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if admin {
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}, nil
		})
	}
	return ci.New(ci.Options{Region: harness.Region, BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1, HTTPClient: hc})
}

// vendGuest runs GetId and GetCredentialsForIdentity for a guest of pool, as the SDKs'
// credential providers do, and returns the credentials.
func vendGuest(ctx context.Context, cl *ci.Client, pool string) (aws.Credentials, error) {
	id, err := cl.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(pool)})
	if err != nil {
		return aws.Credentials{}, err
	}
	if id.IdentityId == nil {
		return aws.Credentials{}, errors.New("GetId: no IdentityId")
	}
	out, err := cl.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	if err != nil {
		return aws.Credentials{}, err
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretKey == nil || c.SessionToken == nil {
		return aws.Credentials{}, errors.New("GetCredentialsForIdentity: no credentials")
	}
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretKey, SessionToken: *c.SessionToken}, nil
}

// identity measures identity pools. Vending: a guest's GetId + GetCredentialsForIdentity (one
// iteration is both calls) on every configured poolgate (its identity pool comes from
// harness.Config) and on moto (an identity pool created through its API; cognito-local does
// not implement cognito-identity). Using the credentials: a GET signed with them (SDK SigV4
// signer) through poolgate's sigv4 route to the origin, against the same signed GET sent to
// the origin directly.
func (g *gen) identity(ctx context.Context) error {
	if g.st.IdentityN == 0 {
		return nil
	}
	type vendor struct {
		sys  *system
		pool string
	}
	var vendors []vendor
	var signers []*system
	creds := map[string]aws.Credentials{}
	for _, s := range g.systems {
		switch {
		case s.configured():
			c, err := vendGuest(ctx, identityClient(s.url, false, newHTTPClient()), harness.IdentityPoolID)
			if err != nil {
				return fmt.Errorf("%s: guest credentials: %w", s.name, err)
			}
			if status, body := harness.SignedGet(ctx, newHTTPClient(), s.url+harness.SignedPath, c); status != http.StatusOK {
				return fmt.Errorf("%s: signed GET through the sigv4 route: %d %s", s.name, status, body)
			}
			creds[s.name] = c
			vendors, signers = append(vendors, vendor{s, harness.IdentityPoolID}), append(signers, s)
		case s.kind == kindMoto:
			out, err := identityClient(s.url, true, newHTTPClient()).CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
				IdentityPoolName: aws.String("loadgen"), AllowUnauthenticatedIdentities: true})
			if err != nil {
				return fmt.Errorf("%s: CreateIdentityPool: %w", s.name, err)
			}
			vendors = append(vendors, vendor{s, *out.IdentityPoolId})
		}
	}
	if len(vendors) == 0 {
		return nil
	}
	signed := func(url string, c aws.Credentials) func(*http.Client) func(context.Context, int) error {
		return func(hc *http.Client) func(context.Context, int) error {
			return func(ctx context.Context, _ int) error {
				if status, body := harness.SignedGet(ctx, hc, url, c); status != http.StatusOK {
					return fmt.Errorf("signed GET %s: %d %s", url, status, body)
				}
				return nil
			}
		}
	}
	for _, c := range g.st.Clients {
		var ts []*target
		for _, v := range vendors {
			url, pool := v.sys.url, v.pool
			ts = append(ts, g.addTarget(groupIdentity, opVend, c, v.sys.name, "", v.sys.cpuTime, func(hc *http.Client) func(context.Context, int) error {
				cl := identityClient(url, false, hc)
				return func(ctx context.Context, _ int) error { _, err := vendGuest(ctx, cl, pool); return err }
			}))
		}
		if err := g.interleave(ctx, g.st.IdentityN, c, ts); err != nil {
			return err
		}
		if len(signers) == 0 {
			continue
		}
		g.addDirect()
		// The origin ignores the signature; the client signs the same way, so the difference
		// is what the route adds: verification, the policy and the forwarding.
		ts = []*target{g.addTarget(groupIdentity, opSigned, c, string(kindDirect), "", nil,
			signed(g.origin.URL()+harness.OriginSignedPath, creds[signers[0].name]))}
		for _, s := range signers {
			ts = append(ts, g.addTarget(groupIdentity, opSigned, c, s.name, string(kindDirect), s.cpuTime, signed(s.url+harness.SignedPath, creds[s.name])))
		}
		if err := g.interleave(ctx, g.st.IdentityN, c, ts); err != nil {
			return err
		}
	}
	return nil
}
