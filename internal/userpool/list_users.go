package userpool

import (
	"context"
	"github.com/poolgate/poolgate/internal/listing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// UserType is a user as ListUsers, ListUsersInGroup and AdminCreateUser return it
// (spec §2.3: note "Attributes", not "UserAttributes").
type UserType struct {
	Username             string            `json:"Username"`
	Attributes           []AttributeType   `json:"Attributes"`
	UserCreateDate       awsjson.EpochTime `json:"UserCreateDate"`
	UserLastModifiedDate awsjson.EpochTime `json:"UserLastModifiedDate"`
	Enabled              bool              `json:"Enabled"`
	UserStatus           string            `json:"UserStatus"`
	MFAOptions           []MFAOptionType   `json:"MFAOptions,omitempty"`
}

func userType(u *User, only []string) UserType {
	return UserType{
		Username:             u.Username,
		Attributes:           wireAttributes(u, only),
		UserCreateDate:       awsjson.Epoch(u.Created),
		UserLastModifiedDate: awsjson.Epoch(u.Modified),
		Enabled:              u.Enabled,
		UserStatus:           u.Status,
		MFAOptions:           legacyMfaOptions(u),
	}
}

// ListUsersInput is the ListUsers request.
type ListUsersInput struct {
	UserPoolId      string   `json:"UserPoolId" aws:"required"`
	AttributesToGet []string `json:"AttributesToGet,omitempty"`
	Filter          string   `json:"Filter,omitempty"`
	Limit           *int     `json:"Limit,omitempty"`
	PaginationToken string   `json:"PaginationToken,omitempty"`
}

// ListUsersOutput is the ListUsers response.
type ListUsersOutput struct {
	Users           []UserType `json:"Users"`
	PaginationToken string     `json:"PaginationToken,omitempty"`
}

// listLimit checks a Limit/MaxResults member (1–60; absent → 60).
func listLimit(member string, limit *int) (int, error) {
	if limit == nil {
		return 60, nil
	}
	if err := checkRange(member, *limit, 0, 60); err != nil {
		return 0, err
	}
	if *limit == 0 {
		return 60, nil
	}
	return *limit, nil
}

func (s *Service) listUsers(ctx context.Context, in *ListUsersInput) (*ListUsersOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit, err := listLimit("limit", in.Limit)
	if err != nil {
		return nil, err
	}
	f, err := parseFilter(in.Filter)
	if err != nil {
		return nil, err
	}
	for _, name := range in.AttributesToGet {
		if _, ok := p.Schema(name); !ok {
			return nil, awsjson.InvalidParameter("One or more requested attributes do not exist.")
		}
	}
	prefix := userKey(p.Id, "")
	users, next, err := listing.Page(ctx, s.pager(), "ListUsers/"+p.Id, prefix, in.PaginationToken, limit,
		func(key string) (UserType, bool, error) {
			u, err := s.userAt(ctx, p, key) // the key may hold the username digested
			if err != nil {
				if isNotFound(err) {
					return UserType{}, false, nil
				}
				return UserType{}, false, err
			}
			if !f.match(u) {
				return UserType{}, false, nil
			}
			return userType(u, in.AttributesToGet), true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListUsersOutput{Users: users, PaginationToken: next}, nil
}

// pager pages through the store for the list actions (internal/listing).
func (s *Service) pager() listing.Pager {
	return listing.Pager{Store: s.d.Store, Seal: s.d.Seal, Now: s.now, Purpose: "userpool/page/"}
}
