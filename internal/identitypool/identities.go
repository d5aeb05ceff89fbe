package identitypool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/poolgate/poolgate/internal/listing"
	"slices"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// pager pages through the store for the list actions (internal/listing).
func (s *Service) pager() listing.Pager {
	return listing.Pager{Store: s.d.Store, Seal: s.d.Seal, Now: s.now, Purpose: "identitypool/page/"}
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// describe renders an identity for the wire.
func describe(id *identity) IdentityDescription {
	d := IdentityDescription{
		IdentityId:       id.IdentityId,
		CreationDate:     awsjson.Epoch(id.Created),
		LastModifiedDate: awsjson.Epoch(id.Modified),
	}
	for p := range id.Logins {
		d.Logins = append(d.Logins, p)
	}
	slices.Sort(d.Logins)
	return d
}

// ListIdentitiesInput is the input of ListIdentities.
type ListIdentitiesInput struct {
	IdentityPoolId string `json:"IdentityPoolId" aws:"required"`
	MaxResults     *int   `json:"MaxResults" aws:"required"`
	NextToken      string `json:"NextToken,omitempty"`
	// HideDisabled is accepted; poolgate never disables identities, so it changes nothing.
	HideDisabled bool `json:"HideDisabled,omitempty"`
}

// ListIdentitiesOutput is the output of ListIdentities.
type ListIdentitiesOutput struct {
	IdentityPoolId string                `json:"IdentityPoolId"`
	Identities     []IdentityDescription `json:"Identities"`
	NextToken      string                `json:"NextToken,omitempty"`
}

func (s *Service) listIdentities(ctx context.Context, in *ListIdentitiesInput) (*ListIdentitiesOutput, error) {
	limit, err := maxResults(in.MaxResults, "maxResults")
	if err != nil {
		return nil, err
	}
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	prefix := memberPrefix(p.IdentityPoolId)
	items, next, err := listing.Page(ctx, s.pager(), "ListIdentities/"+p.IdentityPoolId, prefix, in.NextToken, limit,
		func(key string) (IdentityDescription, bool, error) {
			id, err := s.getIdentity(ctx, strings.TrimPrefix(key, prefix), false)
			var ae *awsjson.Error
			if errors.As(err, &ae) {
				return IdentityDescription{}, false, nil // deleted or merged meanwhile
			}
			if err != nil {
				return IdentityDescription{}, false, err
			}
			return describe(id), true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListIdentitiesOutput{IdentityPoolId: p.IdentityPoolId, Identities: items, NextToken: next}, nil
}

// DescribeIdentityInput is the input of DescribeIdentity.
type DescribeIdentityInput struct {
	IdentityId string `json:"IdentityId" aws:"required"`
}

func (s *Service) describeIdentity(ctx context.Context, in *DescribeIdentityInput) (*IdentityDescription, error) {
	id, err := s.getIdentity(ctx, in.IdentityId, false)
	if err != nil {
		return nil, err
	}
	d := describe(id)
	return &d, nil
}

// DeleteIdentitiesInput is the input of DeleteIdentities.
type DeleteIdentitiesInput struct {
	IdentityIdsToDelete []string `json:"IdentityIdsToDelete" aws:"required"`
}

// UnprocessedIdentityId is an identity DeleteIdentities could not delete.
type UnprocessedIdentityId struct {
	IdentityId string `json:"IdentityId"`
	ErrorCode  string `json:"ErrorCode"` // AccessDenied | InternalServerError
}

// DeleteIdentitiesOutput is the output of DeleteIdentities.
type DeleteIdentitiesOutput struct {
	UnprocessedIdentityIds []UnprocessedIdentityId `json:"UnprocessedIdentityIds"`
}

func (s *Service) deleteIdentities(ctx context.Context, in *DeleteIdentitiesInput) (*DeleteIdentitiesOutput, error) {
	if n := len(in.IdentityIdsToDelete); n < 1 || n > maxListResults {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'identityIdsToDelete' failed to satisfy constraint: Member must have length between 1 and %d", maxListResults)
	}
	for _, id := range in.IdentityIdsToDelete {
		if !validIdentityID(id) {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'identityIdsToDelete' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+", clip(id))
		}
	}
	out := &DeleteIdentitiesOutput{UnprocessedIdentityIds: []UnprocessedIdentityId{}}
	for _, id := range in.IdentityIdsToDelete {
		if err := s.deleteIdentity(ctx, id); err != nil {
			s.d.Logf("identitypool: deleting identity %s: %v", id, err)
			out.UnprocessedIdentityIds = append(out.UnprocessedIdentityIds, UnprocessedIdentityId{id, "InternalServerError"})
		}
	}
	return out, nil
}

// deleteIdentity removes an identity, its login index entries and its pool membership, in one
// transaction. A missing identity is not an error.
func (s *Service) deleteIdentity(ctx context.Context, id string) error {
	return s.atomically(ctx, func(ts *Service) error { return ts.deleteIdentityOnce(ctx, id) })
}

func (s *Service) deleteIdentityOnce(ctx context.Context, id string) error {
	var rec identity
	err := s.getJSON(ctx, identityKey(id), &rec)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for provider, user := range rec.Logins {
		if err := s.unindexLogin(ctx, rec.IdentityPoolId, provider, user, id); err != nil {
			return err
		}
	}
	if err := s.d.Store.Delete(ctx, memberKey(rec.IdentityPoolId, id)); err != nil {
		return err
	}
	return s.d.Store.Delete(ctx, identityKey(id))
}

// unindexLogin deletes a login's index entry if it still points at owner.
func (s *Service) unindexLogin(ctx context.Context, pool, provider, user, owner string) error {
	k := loginKey(pool, provider, user)
	cur, err := s.d.Store.Get(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if string(cur) != owner {
		return nil
	}
	return s.d.Store.Delete(ctx, k)
}

// LookupDeveloperIdentityInput is the input of LookupDeveloperIdentity.
type LookupDeveloperIdentityInput struct {
	IdentityPoolId          string `json:"IdentityPoolId" aws:"required"`
	IdentityId              string `json:"IdentityId,omitempty"`
	DeveloperUserIdentifier string `json:"DeveloperUserIdentifier,omitempty"`
	MaxResults              *int   `json:"MaxResults,omitempty"`
	NextToken               string `json:"NextToken,omitempty"`
}

// LookupDeveloperIdentityOutput is the output of LookupDeveloperIdentity.
type LookupDeveloperIdentityOutput struct {
	IdentityId                  string   `json:"IdentityId"`
	DeveloperUserIdentifierList []string `json:"DeveloperUserIdentifierList"`
	NextToken                   string   `json:"NextToken,omitempty"`
}

func (s *Service) lookupDeveloperIdentity(ctx context.Context, in *LookupDeveloperIdentityInput) (*LookupDeveloperIdentityOutput, error) {
	if in.MaxResults != nil {
		if _, err := maxResults(in.MaxResults, "maxResults"); err != nil {
			return nil, err
		}
	}
	if in.NextToken != "" {
		return nil, awsjson.InvalidParameter("Invalid pagination token.") // every answer fits one page
	}
	p, err := s.getPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	if p.DeveloperProviderName == "" {
		return nil, awsjson.ResourceNotFound("IdentityPool '%s' has no developer provider.", p.IdentityPoolId)
	}
	if in.IdentityId == "" && in.DeveloperUserIdentifier == "" {
		return nil, awsjson.InvalidParameter("Either IdentityId or DeveloperUserIdentifier is required.")
	}
	id := in.IdentityId
	if in.DeveloperUserIdentifier != "" {
		owner, err := s.loginOwner(ctx, p.IdentityPoolId, p.DeveloperProviderName, in.DeveloperUserIdentifier)
		if err != nil {
			return nil, err
		}
		if owner == "" {
			return nil, awsjson.ResourceNotFound("Developer user identifier '%s' not found.", clip(in.DeveloperUserIdentifier))
		}
		if id != "" && id != owner {
			return nil, conflict("Developer user identifier '%s' belongs to another identity.", clip(in.DeveloperUserIdentifier))
		}
		id = owner
	}
	rec, err := s.getIdentity(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if rec.IdentityPoolId != p.IdentityPoolId {
		return nil, identityNotFound(id)
	}
	user, ok := rec.Logins[p.DeveloperProviderName]
	if !ok {
		return nil, awsjson.ResourceNotFound("Identity '%s' has no developer user identifier.", id)
	}
	return &LookupDeveloperIdentityOutput{IdentityId: rec.IdentityId, DeveloperUserIdentifierList: []string{user}}, nil
}

// loginOwner returns the identity a login is linked to, "" when none.
func (s *Service) loginOwner(ctx context.Context, pool, provider, user string) (string, error) {
	b, err := s.d.Store.Get(ctx, loginKey(pool, provider, user))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(b), nil
}
