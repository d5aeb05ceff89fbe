package userpool

import (
	"context"
	"errors"
	"github.com/poolgate/poolgate/internal/listing"
	"slices"
	"sort"
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

func checkGroupName(name string) error {
	if !validGroupName(name) {
		return awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+", name)
	}
	return nil
}

// checkGroupSettings validates the caller-set members of a group.
func checkGroupSettings(g *GroupSettings) error {
	if utf8.RuneCountInString(g.Description) > 2048 {
		return awsjson.InvalidParameter("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if g.RoleArn != "" && (len(g.RoleArn) < 20 || len(g.RoleArn) > 2048 || !validRoleArn(g.RoleArn)) {
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
	now := awsjson.Epoch(s.now())
	g := &Group{GroupName: name, UserPoolId: p.Id, Description: set.Description, RoleArn: set.RoleArn,
		Precedence: set.Precedence, CreationDate: now, LastModifiedDate: now}
	// Created only if absent when committed: of racing creations exactly one wins.
	err := s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.loadGroup(ctx, p.Id, name); err == nil {
			return awsjson.New(awsjson.ErrGroupExists, "A group with the name %s already exists.", name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return ts.putGroup(ctx, &storedGroup{Group: *g})
	})
	if err != nil {
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
	var g *Group
	err := s.atomically(ctx, poolShard(in.UserPoolId), func(ts *Service) error {
		var err error
		if g, err = ts.getGroup(ctx, in.UserPoolId, in.GroupName); err != nil {
			return err
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
			return err
		}
		g.Description, g.RoleArn, g.Precedence = set.Description, set.RoleArn, set.Precedence
		g.LastModifiedDate = awsjson.Epoch(ts.now())
		return ts.putGroup(ctx, &storedGroup{Group: *g})
	})
	if err != nil {
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
			var g storedGroup
			if ok, err := s.getListed(ctx, key, &g); !ok || err != nil {
				return g.Group, false, err
			}
			return g.Group, !g.Deleting, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListGroupsOutput{Groups: groups, NextToken: next}, nil
}

// deleteGroup marks the group deleting (from then on it is gone for every other call, so no
// member can be added), removes each membership (user record and membership key together),
// and deletes the record last: a deletion that fails part way can be run again.
func (s *Service) deleteGroup(ctx context.Context, in *GroupRef) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	shard := poolShard(p.Id)
	mark := func(ts *Service) error {
		g, err := ts.loadGroup(ctx, p.Id, in.GroupName)
		if errors.Is(err, store.ErrNotFound) {
			return awsjson.ResourceNotFound("Group not found.")
		}
		if err != nil || g.Deleting {
			return err
		}
		g.Deleting = true
		return ts.putGroup(ctx, g)
	}
	if err := s.atomically(ctx, shard, mark); err != nil {
		return nil, err
	}
	keys, err := s.listKeys(ctx, memberPrefix(p.Id, in.GroupName))
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		err := s.atomically(ctx, shard, func(ts *Service) error {
			member, err := ts.d.Store.Get(ctx, k)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			// The key may hold the username digested; its value (the member's username)
			// names the member. A group whose name extends this one ("a" and "a/b") shares
			// the key prefix: the key is this group's only if the value gives it again.
			ukey := usernameKey(p, string(member))
			if memberKey(p.Id, in.GroupName, ukey) != k {
				return nil
			}
			if err := ts.d.Store.Delete(ctx, k); err != nil {
				return err
			}
			u, err := ts.getUser(ctx, p, ukey)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			i := slices.Index(u.Groups, in.GroupName)
			if i < 0 {
				return nil
			}
			prev := cloneUser(u)
			u.Groups = slices.Delete(u.Groups, i, i+1)
			return ts.putUser(ctx, p, u, prev)
		})
		if err != nil {
			return nil, err
		}
	}
	err = s.atomically(ctx, shard, func(ts *Service) error {
		if _, err := ts.loadGroup(ctx, p.Id, in.GroupName); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return ts.d.Store.Delete(ctx, groupKey(p.Id, in.GroupName))
	})
	if err != nil {
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
	return s.changeMembership(ctx, in, true)
}

func (s *Service) adminRemoveUserFromGroup(ctx context.Context, in *GroupMembershipInput) (*struct{}, error) {
	return s.changeMembership(ctx, in, false)
}

// changeMembership adds the user to the group (add) or removes it, in one transaction: the
// user record's Groups and the membership key that ListUsersInGroup walks change together, and
// only while the group exists (a concurrent DeleteGroup conflicts).
func (s *Service) changeMembership(ctx context.Context, in *GroupMembershipInput, add bool) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.findUser(ctx, p, in.Username)
		if errors.Is(err, store.ErrNotFound) {
			return awsjson.UserNotFound()
		}
		if err != nil {
			return err
		}
		if _, err := ts.getGroup(ctx, p.Id, in.GroupName); err != nil {
			return err
		}
		if add {
			return ts.addToGroup(ctx, p, u, in.GroupName)
		}
		mk := memberKey(p.Id, in.GroupName, usernameKey(p, u.Username))
		if err := ts.d.Store.Delete(ctx, mk); err != nil {
			return err
		}
		if i := slices.Index(u.Groups, in.GroupName); i >= 0 {
			prev := cloneUser(u)
			u.Groups = slices.Delete(u.Groups, i, i+1)
			return ts.putUser(ctx, p, u, prev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// addToGroup records u as a member of group, inside the caller's transaction: the user record
// and the membership key are written together.
func (s *Service) addToGroup(ctx context.Context, p *Pool, u *User, group string) error {
	if !contains(u.Groups, group) {
		prev := cloneUser(u)
		u.Groups = append(u.Groups, group)
		if err := s.putUser(ctx, p, u, prev); err != nil {
			return err
		}
	}
	return s.d.Store.Put(ctx, memberKey(p.Id, group, usernameKey(p, u.Username)), []byte(u.Username), store.PutOptions{})
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
	prefix := memberPrefix(p.Id, in.GroupName)
	users, next, err := listing.Page(ctx, s.pager(), "ListUsersInGroup/"+p.Id+"/"+in.GroupName, prefix, in.NextToken, limit,
		func(key string) (UserType, bool, error) {
			// The key may hold the username digested; its value (the member's username) names
			// the member. A group whose name extends this one ("a" and "a/b") shares the key
			// prefix: the key is this group's only if the value gives it again.
			member, err := s.d.Store.Get(ctx, key)
			if errors.Is(err, store.ErrNotFound) {
				return UserType{}, false, nil
			}
			if err != nil {
				return UserType{}, false, err
			}
			ukey := usernameKey(p, string(member))
			if memberKey(p.Id, in.GroupName, ukey) != key {
				return UserType{}, false, nil
			}
			u, err := s.getUser(ctx, p, ukey)
			if errors.Is(err, store.ErrNotFound) {
				return UserType{}, false, nil
			}
			if err != nil {
				return UserType{}, false, err
			}
			// A membership key may outlive its removal (or its user): the user record decides.
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
