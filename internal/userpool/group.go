package userpool

import (
	"context"
	"errors"
	"github.com/poolgate/poolgate/internal/listing"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// GroupSettings are the members of a group a caller sets.
type GroupSettings struct {
	Description string `json:"Description,omitempty"`
	RoleArn     string `json:"RoleArn,omitempty"`
	Precedence  *int64 `json:"Precedence,omitempty"`
}

// CreateGroupInput is the CreateGroup request.
type CreateGroupInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	GroupName  string `json:"GroupName" aws:"required"`
	GroupSettings
}

// GroupOutput is the response of CreateGroup, GetGroup and UpdateGroup.
type GroupOutput struct {
	Group *Group `json:"Group"`
}

// GroupRef names a group (GetGroup, DeleteGroup).
type GroupRef struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	GroupName  string `json:"GroupName" aws:"required"`
}

// UpdateGroupInput is the UpdateGroup request; members it omits keep their value.
type UpdateGroupInput struct {
	UserPoolId  string  `json:"UserPoolId" aws:"required"`
	GroupName   string  `json:"GroupName" aws:"required"`
	Description *string `json:"Description,omitempty"`
	RoleArn     *string `json:"RoleArn,omitempty"`
	Precedence  *int64  `json:"Precedence,omitempty"`
}

// ListGroupsInput is the ListGroups request.
type ListGroupsInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Limit      *int   `json:"Limit,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

// ListGroupsOutput is the response of ListGroups and AdminListGroupsForUser.
type ListGroupsOutput struct {
	Groups    []Group `json:"Groups"`
	NextToken string  `json:"NextToken,omitempty"`
}

// GroupMembershipInput is the AdminAddUserToGroup / AdminRemoveUserFromGroup request.
type GroupMembershipInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
	GroupName  string `json:"GroupName" aws:"required"`
}

// AdminListGroupsForUserInput is the AdminListGroupsForUser request.
type AdminListGroupsForUserInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
	Limit      *int   `json:"Limit,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

// ListUsersInGroupInput is the ListUsersInGroup request.
type ListUsersInGroupInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	GroupName  string `json:"GroupName" aws:"required"`
	Limit      *int   `json:"Limit,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

// ListUsersInGroupOutput is the ListUsersInGroup response.
type ListUsersInGroupOutput struct {
	Users     []UserType `json:"Users"`
	NextToken string     `json:"NextToken,omitempty"`
}

var (
	groupNameRE = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`)
	roleArnRE   = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)
)

func checkGroupName(name string) error {
	if !groupNameRE.MatchString(name) {
		return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+", name)
	}
	return nil
}

// checkGroupSettings validates the caller-set members of a group.
func checkGroupSettings(g *GroupSettings) error {
	if utf8.RuneCountInString(g.Description) > 2048 {
		return awsjson.InvalidParameter("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if g.RoleArn != "" && (len(g.RoleArn) < 20 || len(g.RoleArn) > 2048 || !roleArnRE.MatchString(g.RoleArn)) {
		return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?", g.RoleArn)
	}
	if g.Precedence != nil && (*g.Precedence < 0 || *g.Precedence > 1<<31-1) {
		return awsjson.InvalidParameter("1 validation error detected: Value '%d' at 'precedence' failed to satisfy constraint: Member must have value between 0 and 2147483647", *g.Precedence)
	}
	return nil
}

func (s *Service) createGroup(ctx context.Context, in *CreateGroupInput) (*GroupOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	g, err := s.newGroup(ctx, p, in.GroupName, &in.GroupSettings)
	if err != nil {
		return nil, err
	}
	return &GroupOutput{Group: g}, nil
}

// newGroup creates group name in p (GroupExistsException when it exists).
func (s *Service) newGroup(ctx context.Context, p *Pool, name string, set *GroupSettings) (*Group, error) {
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	if err := checkGroupSettings(set); err != nil {
		return nil, err
	}
	if _, err := s.getGroup(ctx, p.Id, name); err == nil {
		return nil, awsjson.New(awsjson.ErrGroupExists, "A group with the name %s already exists.", name)
	} else if !isNotFound(err) {
		return nil, err
	}
	now := awsjson.Epoch(s.now())
	g := &Group{GroupName: name, UserPoolId: p.Id, Description: set.Description, RoleArn: set.RoleArn,
		Precedence: set.Precedence, CreationDate: now, LastModifiedDate: now}
	if err := s.putGroup(ctx, g); err != nil {
		return nil, err
	}
	return g, nil
}

func (s *Service) getGroupAction(ctx context.Context, in *GroupRef) (*GroupOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	g, err := s.getGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, err
	}
	return &GroupOutput{Group: g}, nil
}

func (s *Service) updateGroup(ctx context.Context, in *UpdateGroupInput) (*GroupOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	g, err := s.getGroup(ctx, in.UserPoolId, in.GroupName)
	if err != nil {
		return nil, err
	}
	set := GroupSettings{Description: g.Description, RoleArn: g.RoleArn, Precedence: g.Precedence}
	if in.Description != nil {
		set.Description = *in.Description
	}
	if in.RoleArn != nil {
		set.RoleArn = *in.RoleArn
	}
	if in.Precedence != nil {
		set.Precedence = in.Precedence
	}
	if err := checkGroupSettings(&set); err != nil {
		return nil, err
	}
	g.Description, g.RoleArn, g.Precedence = set.Description, set.RoleArn, set.Precedence
	g.LastModifiedDate = awsjson.Epoch(s.now())
	if err := s.putGroup(ctx, g); err != nil {
		return nil, err
	}
	return &GroupOutput{Group: g}, nil
}

func (s *Service) listGroups(ctx context.Context, in *ListGroupsInput) (*ListGroupsOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit, err := listLimit("limit", in.Limit)
	if err != nil {
		return nil, err
	}
	prefix := groupKey(p.Id, "")
	groups, next, err := listing.Page(ctx, s.pager(), "ListGroups/"+p.Id, prefix, in.NextToken, limit,
		func(key string) (Group, bool, error) {
			var g Group
			if err := s.getJSON(ctx, key, &g); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return g, false, nil
				}
				return g, false, err
			}
			return g, true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListGroupsOutput{Groups: groups, NextToken: next}, nil
}

func (s *Service) deleteGroup(ctx context.Context, in *GroupRef) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if _, err := s.getGroup(ctx, p.Id, in.GroupName); err != nil {
		return nil, err
	}
	prefix := memberKey(p.Id, in.GroupName, "")
	keys, err := s.listKeys(ctx, prefix)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		ukey := strings.TrimPrefix(k, prefix)
		member, err := s.d.Store.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// A group whose name extends this one ("a" and "a/b") shares the key prefix; the
		// key's value (the member's username) tells whose key it is.
		if usernameKey(p, string(member)) != ukey {
			continue
		}
		if err := s.d.Store.Delete(ctx, k); err != nil {
			return nil, err
		}
		u, err := s.getUser(ctx, p, ukey)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if i := slices.Index(u.Groups, in.GroupName); i >= 0 {
			u.Groups = slices.Delete(u.Groups, i, i+1)
			if err := s.putUser(ctx, p, u, u); err != nil {
				return nil, err
			}
		}
	}
	if err := s.d.Store.Delete(ctx, groupKey(p.Id, in.GroupName)); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// adminUser resolves the Username of an admin call (a username, alias or sub) in pool id.
func (s *Service) adminUser(ctx context.Context, poolID, username string) (*Pool, *User, error) {
	p, err := s.getPool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.findUser(ctx, p, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, awsjson.UserNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

func (s *Service) adminAddUserToGroup(ctx context.Context, in *GroupMembershipInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	if _, err := s.getGroup(ctx, p.Id, in.GroupName); err != nil {
		return nil, err
	}
	if err := s.addToGroup(ctx, p, u, in.GroupName); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// addToGroup records u as a member of group (the user record first, then the membership
// key that ListUsersInGroup walks; readers check the two agree).
func (s *Service) addToGroup(ctx context.Context, p *Pool, u *User, group string) error {
	if !contains(u.Groups, group) {
		u.Groups = append(u.Groups, group)
		if err := s.putUser(ctx, p, u, u); err != nil {
			return err
		}
	}
	return s.d.Store.Put(ctx, memberKey(p.Id, group, usernameKey(p, u.Username)), []byte(u.Username), store.PutOptions{})
}

func (s *Service) adminRemoveUserFromGroup(ctx context.Context, in *GroupMembershipInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	if _, err := s.getGroup(ctx, p.Id, in.GroupName); err != nil {
		return nil, err
	}
	if err := s.d.Store.Delete(ctx, memberKey(p.Id, in.GroupName, usernameKey(p, u.Username))); err != nil {
		return nil, err
	}
	if i := slices.Index(u.Groups, in.GroupName); i >= 0 {
		u.Groups = slices.Delete(u.Groups, i, i+1)
		if err := s.putUser(ctx, p, u, u); err != nil {
			return nil, err
		}
	}
	return &struct{}{}, nil
}

func (s *Service) adminListGroupsForUser(ctx context.Context, in *AdminListGroupsForUserInput) (*ListGroupsOutput, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	limit, err := listLimit("limit", in.Limit)
	if err != nil {
		return nil, err
	}
	names := slices.Clone(u.Groups)
	sort.Strings(names)
	groups := make([]Group, 0, len(names))
	for _, name := range names {
		g, err := s.getGroup(ctx, p.Id, name)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		groups = append(groups, *g)
	}
	page, next, err := listing.Slice(s.pager(), "AdminListGroupsForUser/"+p.Id+"/"+u.Sub, in.NextToken, limit, groups,
		func(g Group) string { return g.GroupName })
	if err != nil {
		return nil, err
	}
	return &ListGroupsOutput{Groups: page, NextToken: next}, nil
}

func (s *Service) listUsersInGroup(ctx context.Context, in *ListUsersInGroupInput) (*ListUsersInGroupOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if _, err := s.getGroup(ctx, p.Id, in.GroupName); err != nil {
		return nil, err
	}
	limit, err := listLimit("limit", in.Limit)
	if err != nil {
		return nil, err
	}
	prefix := memberKey(p.Id, in.GroupName, "")
	users, next, err := listing.Page(ctx, s.pager(), "ListUsersInGroup/"+p.Id+"/"+in.GroupName, prefix, in.NextToken, limit,
		func(key string) (UserType, bool, error) {
			u, err := s.getUser(ctx, p, strings.TrimPrefix(key, prefix))
			if errors.Is(err, store.ErrNotFound) {
				return UserType{}, false, nil
			}
			if err != nil {
				return UserType{}, false, err
			}
			// A group whose name extends this one ("a" and "a/b") shares the key prefix, and a
			// membership key may outlive its removal: the user record decides.
			if !contains(u.Groups, in.GroupName) {
				return UserType{}, false, nil
			}
			return userType(u, nil), true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListUsersInGroupOutput{Users: users, NextToken: next}, nil
}
