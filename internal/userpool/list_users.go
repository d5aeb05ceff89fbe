package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

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
}

func userType(u *User, only []string) UserType {
	return UserType{
		Username:             u.Username,
		Attributes:           wireAttributes(u, only),
		UserCreateDate:       awsjson.Epoch(u.Created),
		UserLastModifiedDate: awsjson.Epoch(u.Modified),
		Enabled:              u.Enabled,
		UserStatus:           u.Status,
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
	users, next, err := listPage(ctx, s, "ListUsers/"+p.Id, prefix, in.PaginationToken, limit,
		func(key string) (UserType, bool, error) {
			u, err := s.getUser(ctx, p, strings.TrimPrefix(key, prefix))
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

// Listings page through the store in key order. A page token seals where the previous page
// stopped: the store cursor of the batch that held its last item (store cursors are opaque
// and only resume at batch boundaries) and that item's key. It is bound to one listing
// (scope), so a token from one pool or action is refused by another.
type pageToken struct {
	Cursor string `json:"c,omitempty"`
	After  string `json:"a"`
}

const (
	listBatch       = 200
	sealPurposePage = "userpool/page/"
)

func (s *Service) sealPageToken(scope string, t pageToken) (string, error) {
	plain, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(sealPurposePage+scope, plain, zeroTime)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

func (s *Service) openPageToken(scope, token string) (pageToken, error) {
	var t pageToken
	if token == "" {
		return t, nil
	}
	bad := awsjson.InvalidParameter("Invalid pagination token.")
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return t, bad
	}
	plain, err := s.d.Seal.Open(sealPurposePage+scope, sealed, s.now())
	if err != nil {
		return t, bad
	}
	if err := json.Unmarshal(plain, &t); err != nil || t.After == "" {
		return t, bad
	}
	return t, nil
}

// listPage returns up to limit items for the keys under prefix, in key order, resuming after
// token. load turns a key into an item and says whether it belongs in the listing. The next
// token is empty when no further item matches.
func listPage[T any](ctx context.Context, s *Service, scope, prefix, token string, limit int,
	load func(key string) (T, bool, error)) ([]T, string, error) {
	tok, err := s.openPageToken(scope, token)
	if err != nil {
		return nil, "", err
	}
	items := make([]T, 0, min(limit, listBatch))
	cursor := tok.Cursor
	var lastKey, lastCursor string
	for {
		page, err := s.d.Store.List(ctx, prefix, cursor, listBatch)
		if err != nil {
			if token != "" {
				return nil, "", awsjson.InvalidParameter("Invalid pagination token.")
			}
			return nil, "", err
		}
		for _, k := range page.Keys {
			if tok.After != "" && k <= tok.After {
				continue
			}
			item, ok, err := load(k)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				continue
			}
			if len(items) == limit {
				// A further item exists: hand out a token for it.
				next, err := s.sealPageToken(scope, pageToken{Cursor: lastCursor, After: lastKey})
				return items, next, err
			}
			items = append(items, item)
			lastKey, lastCursor = k, cursor
		}
		if page.Cursor == "" {
			return items, "", nil
		}
		cursor = page.Cursor
	}
}

// slicePage pages through items already in memory, sorted by key, with the same tokens as listPage.
func slicePage[T any](s *Service, scope, token string, limit int, items []T, key func(T) string) ([]T, string, error) {
	tok, err := s.openPageToken(scope, token)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, min(limit, len(items)))
	for _, it := range items {
		k := key(it)
		if tok.After != "" && k <= tok.After {
			continue
		}
		if len(out) == limit {
			next, err := s.sealPageToken(scope, pageToken{After: key(out[len(out)-1])})
			return out, next, err
		}
		out = append(out, it)
	}
	return out, "", nil
}
