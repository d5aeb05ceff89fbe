package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// A user pool has at most one prefix domain (Domain "myapp", served on AWS at
// myapp.auth.<region>.amazoncognito.com) and one custom domain (a full host name with an
// ACM certificate). A domain name has exactly one owner across all pools: its record
// dom/<domain> lives in the global shard beside the pool records, and the commit that
// creates it (only if absent) also writes the pool's Domain or CustomDomain, so of racing
// creations exactly one wins and the pool never names a domain it does not own.

// CustomDomainConfig is a custom domain's certificate (wire CustomDomainConfigType).
type CustomDomainConfig struct {
	CertificateArn string `json:"CertificateArn" aws:"required"`
}

// CreateUserPoolDomainInput is the CreateUserPoolDomain request.
type CreateUserPoolDomainInput struct {
	Domain              string              `json:"Domain" aws:"required"`
	UserPoolId          string              `json:"UserPoolId" aws:"required"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion *int                `json:"ManagedLoginVersion,omitempty"`
}

// UserPoolDomainOutput is the response of CreateUserPoolDomain and UpdateUserPoolDomain.
type UserPoolDomainOutput struct {
	CloudFrontDomain    string `json:"CloudFrontDomain,omitempty"`
	ManagedLoginVersion int    `json:"ManagedLoginVersion"`
}

// UpdateUserPoolDomainInput is the UpdateUserPoolDomain request.
type UpdateUserPoolDomainInput struct {
	Domain              string              `json:"Domain" aws:"required"`
	UserPoolId          string              `json:"UserPoolId" aws:"required"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion *int                `json:"ManagedLoginVersion,omitempty"`
}

// DeleteUserPoolDomainInput is the DeleteUserPoolDomain request.
type DeleteUserPoolDomainInput struct {
	Domain     string `json:"Domain" aws:"required"`
	UserPoolId string `json:"UserPoolId" aws:"required"`
}

// DescribeUserPoolDomainInput is the DescribeUserPoolDomain request.
type DescribeUserPoolDomainInput struct {
	Domain string `json:"Domain" aws:"required"`
}

// DescribeUserPoolDomainOutput is the DescribeUserPoolDomain response. Cognito answers an
// unknown domain with an empty DomainDescription, not an error.
type DescribeUserPoolDomainOutput struct {
	DomainDescription *DomainDescription `json:"DomainDescription"`
}

// DomainDescription is wire DomainDescriptionType.
type DomainDescription struct {
	UserPoolId             string              `json:"UserPoolId,omitempty"`
	AWSAccountId           string              `json:"AWSAccountId,omitempty"`
	Domain                 string              `json:"Domain,omitempty"`
	S3Bucket               string              `json:"S3Bucket,omitempty"`
	CloudFrontDistribution string              `json:"CloudFrontDistribution,omitempty"`
	Version                string              `json:"Version,omitempty"`
	Status                 string              `json:"Status,omitempty"`
	CustomDomainConfig     *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion    int                 `json:"ManagedLoginVersion,omitempty"`
}

// storedDomain is the record dom/<domain>.
type storedDomain struct {
	UserPoolId          string              `json:"UserPoolId"`
	Domain              string              `json:"Domain"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion int                 `json:"ManagedLoginVersion"`
	Version             string              `json:"Version"`
}

func (d *storedDomain) custom() bool { return d.CustomDomainConfig != nil }

func domainKey(domain string) string { return "dom/" + domain }

// domainTimeLayout is the form of a domain's Version: the time of its last change, as
// Cognito's look (e.g. "20190128175402").
const domainTimeLayout = "20060102150405"

// reservedPrefixWords may not appear in a prefix domain (Cognito's rule).
var reservedPrefixWords = []string{"aws", "amazon", "cognito"}

// checkDomainName applies what the member shape cannot: a prefix is one label without
// Cognito's reserved words, a custom domain is a host name of two labels or more.
func checkDomainName(domain string, custom bool) error {
	if !custom {
		if strings.Contains(domain, ".") {
			return awsjson.InvalidParameter(`1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`)
		}
		for _, w := range reservedPrefixWords {
			if strings.Contains(domain, w) {
				return awsjson.InvalidParameter("Domain cannot contain reserved word: %s", w)
			}
		}
		return nil
	}
	if !strings.Contains(domain, ".") {
		return awsjson.InvalidParameter("The custom domain %s must be a fully qualified domain name.", domain)
	}
	return nil
}

// checkManagedLoginVersion accepts 1 (classic hosted UI) and 2 (managed login; not on the
// Lite feature plan); absent means 1.
func checkManagedLoginVersion(p *Pool, v *int) (int, error) {
	if v == nil {
		return 1, nil
	}
	switch *v {
	case 1:
		return 1, nil
	case 2:
		if p.UserPoolTier == "LITE" {
			return 0, awsjson.New(awsjson.ErrFeatureUnavailableInTier, "Managed login is not available in the LITE feature plan of user pool %s.", p.Id)
		}
		return 2, nil
	}
	return 0, awsjson.InvalidParameter("ManagedLoginVersion must be 1 or 2.")
}

// cloudFrontDomain is the name a custom domain's DNS alias points at. poolgate serves the
// pages itself, so the name is only Cognito-shaped: stable per domain, never a real
// distribution.
func cloudFrontDomain(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return "d" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:13]) + ".cloudfront.net"
}

func (s *Service) createUserPoolDomain(ctx context.Context, in *CreateUserPoolDomainInput) (*UserPoolDomainOutput, error) {
	d, err := s.newDomain(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &UserPoolDomainOutput{ManagedLoginVersion: d.ManagedLoginVersion}
	if d.custom() {
		out.CloudFrontDomain = cloudFrontDomain(d.Domain)
	}
	return out, nil
}

// newDomain gives pool in.UserPoolId the domain in.Domain: one commit creates the domain's
// record (only if no pool owns the name) and names it in the pool record.
func (s *Service) newDomain(ctx context.Context, in *CreateUserPoolDomainInput) (*storedDomain, error) {
	custom := in.CustomDomainConfig != nil
	if err := checkDomainName(in.Domain, custom); err != nil {
		return nil, err
	}
	var d *storedDomain
	err := s.atomically(ctx, globalShard, func(ts *Service) error {
		p, err := ts.getPool(ctx, in.UserPoolId)
		if err != nil {
			return err
		}
		version, err := checkManagedLoginVersion(p, in.ManagedLoginVersion)
		if err != nil {
			return err
		}
		have, err := ts.getDomain(ctx, in.Domain)
		if err != nil {
			return err
		}
		if have != nil {
			if have.UserPoolId != p.Id {
				return awsjson.InvalidParameter("Domain already associated with another user pool.")
			}
			return awsjson.InvalidParameter("Domain %s already exists for user pool %s.", in.Domain, p.Id)
		}
		if (custom && p.CustomDomain != "") || (!custom && p.Domain != "") {
			return awsjson.InvalidParameter("User pool already has a domain configured.")
		}
		d = &storedDomain{UserPoolId: p.Id, Domain: in.Domain, ManagedLoginVersion: version,
			Version: ts.now().UTC().Format(domainTimeLayout)}
		if custom {
			cfg := *in.CustomDomainConfig
			d.CustomDomainConfig = &cfg
			p.CustomDomain = in.Domain
		} else {
			p.Domain = in.Domain
		}
		if err := ts.putJSON(ctx, domainKey(in.Domain), d); err != nil {
			return err
		}
		return ts.putPool(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// getDomain returns the record of domain, or nil when no pool owns it.
func (s *Service) getDomain(ctx context.Context, domain string) (*storedDomain, error) {
	var d storedDomain
	if err := s.getJSON(ctx, domainKey(domain), &d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return &d, nil
}

// poolDomain returns pool's record of domain, or Cognito's answer for a domain the pool
// does not have.
func (s *Service) poolDomain(ctx context.Context, pool, domain string) (*storedDomain, error) {
	d, err := s.getDomain(ctx, domain)
	if err != nil {
		return nil, err
	}
	if d == nil || d.UserPoolId != pool {
		return nil, awsjson.InvalidParameter("No such domain or user pool exists.")
	}
	return d, nil
}

func (s *Service) describeUserPoolDomain(ctx context.Context, in *DescribeUserPoolDomainInput) (*DescribeUserPoolDomainOutput, error) {
	d, err := s.getDomain(ctx, in.Domain)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return &DescribeUserPoolDomainOutput{DomainDescription: &DomainDescription{}}, nil
	}
	return &DescribeUserPoolDomainOutput{DomainDescription: &DomainDescription{
		UserPoolId:             d.UserPoolId,
		AWSAccountId:           s.d.AccountID,
		Domain:                 d.Domain,
		S3Bucket:               "aws-cognito-prod-" + poolRegion(d.UserPoolId, s.d.Region) + "-assets",
		CloudFrontDistribution: cloudFrontDomain(d.Domain),
		Version:                d.Version,
		Status:                 "ACTIVE",
		CustomDomainConfig:     d.CustomDomainConfig,
		ManagedLoginVersion:    d.ManagedLoginVersion,
	}}, nil
}

func (s *Service) updateUserPoolDomain(ctx context.Context, in *UpdateUserPoolDomainInput) (*UserPoolDomainOutput, error) {
	var d *storedDomain
	err := s.atomically(ctx, globalShard, func(ts *Service) error {
		p, err := ts.getPool(ctx, in.UserPoolId)
		if err != nil {
			return err
		}
		if d, err = ts.poolDomain(ctx, p.Id, in.Domain); err != nil {
			return err
		}
		if in.CustomDomainConfig != nil {
			if !d.custom() {
				return awsjson.InvalidParameter("CustomDomainConfig can only be updated for a custom domain.")
			}
			cfg := *in.CustomDomainConfig
			d.CustomDomainConfig = &cfg
		}
		if in.ManagedLoginVersion != nil {
			if d.ManagedLoginVersion, err = checkManagedLoginVersion(p, in.ManagedLoginVersion); err != nil {
				return err
			}
		}
		d.Version = ts.now().UTC().Format(domainTimeLayout)
		return ts.putJSON(ctx, domainKey(d.Domain), d)
	})
	if err != nil {
		return nil, err
	}
	out := &UserPoolDomainOutput{ManagedLoginVersion: d.ManagedLoginVersion}
	if d.custom() {
		out.CloudFrontDomain = cloudFrontDomain(d.Domain)
	}
	return out, nil
}

func (s *Service) deleteUserPoolDomain(ctx context.Context, in *DeleteUserPoolDomainInput) (*struct{}, error) {
	err := s.atomically(ctx, globalShard, func(ts *Service) error {
		p, err := ts.getPool(ctx, in.UserPoolId)
		if err != nil {
			return err
		}
		d, err := ts.poolDomain(ctx, p.Id, in.Domain)
		if err != nil {
			return err
		}
		return ts.dropDomain(ctx, p, d.Domain)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// dropDomain removes domain's record and its name from p, inside a transaction on the
// global shard that has read both.
func (s *Service) dropDomain(ctx context.Context, p *Pool, domain string) error {
	if p.Domain == domain {
		p.Domain = ""
	}
	if p.CustomDomain == domain {
		p.CustomDomain = ""
	}
	if err := s.d.Store.Delete(ctx, domainKey(domain)); err != nil {
		return err
	}
	return s.putPool(ctx, p)
}

// releaseDomains frees the domains of pool id (DeleteUserPool): each record still owned by
// the pool is deleted with the pool record's mention of it.
func (s *Service) releaseDomains(ctx context.Context, id string) error {
	return s.atomically(ctx, globalShard, func(ts *Service) error {
		p, err := ts.getPool(ctx, id)
		if err != nil {
			return err
		}
		for _, name := range []string{p.Domain, p.CustomDomain} {
			if name == "" {
				continue
			}
			d, err := ts.getDomain(ctx, name)
			if err != nil {
				return err
			}
			if d != nil && d.UserPoolId == p.Id {
				if err := ts.dropDomain(ctx, p, name); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
