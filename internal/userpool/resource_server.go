package userpool

import (
	"context"
	"errors"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/listing"
	"github.com/poolgate/poolgate/internal/store"
)

// A resource server names an API and its custom scopes; app clients allow them as
// "<Identifier>/<ScopeName>" in AllowedOAuthScopes, and access tokens will carry them.

// ResourceServerScope is one custom scope (wire ResourceServerScopeType).
type ResourceServerScope struct {
	ScopeName        string `json:"ScopeName" aws:"required"`
	ScopeDescription string `json:"ScopeDescription" aws:"required"`
}

// ResourceServer is a resource server as stored and on the wire (ResourceServerType).
type ResourceServer struct {
	UserPoolId string                `json:"UserPoolId"`
	Identifier string                `json:"Identifier"`
	Name       string                `json:"Name"`
	Scopes     []ResourceServerScope `json:"Scopes"`
}

// ResourceServerInput is the CreateResourceServer and UpdateResourceServer request (Update
// replaces the name and the whole list of scopes).
type ResourceServerInput struct {
	UserPoolId string                `json:"UserPoolId" aws:"required"`
	Identifier string                `json:"Identifier" aws:"required"`
	Name       string                `json:"Name" aws:"required" validate:"ResourceServer.Name"`
	Scopes     []ResourceServerScope `json:"Scopes,omitempty"`
}

// ResourceServerRef names a resource server (Describe, Delete).
type ResourceServerRef struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Identifier string `json:"Identifier" aws:"required"`
}

// ResourceServerOutput is the response of Create, Describe and UpdateResourceServer.
type ResourceServerOutput struct {
	ResourceServer *ResourceServer `json:"ResourceServer"`
}

// ListResourceServersInput is the ListResourceServers request.
type ListResourceServersInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	MaxResults *int   `json:"MaxResults,omitempty" validate:"ListResourceServers.MaxResults"`
	NextToken  string `json:"NextToken,omitempty"`
}

// ListResourceServersOutput is the ListResourceServers response.
type ListResourceServersOutput struct {
	ResourceServers []ResourceServer `json:"ResourceServers"`
	NextToken       string           `json:"NextToken,omitempty"`
}

func resourceServerKey(pool, identifier string) string { return "urs/" + pool + "/" + identifier }

// resourceServerNotFound is Cognito's answer for an identifier the pool does not have.
func resourceServerNotFound(pool, identifier string) error {
	return awsjson.ResourceNotFound("Resource server %s does not exist in user pool %s.", identifier, pool)
}

// newResourceServer checks in against Cognito's rules the member shapes leave open: scope
// names are unique within the server.
func newResourceServer(pool string, in *ResourceServerInput) (*ResourceServer, error) {
	rs := &ResourceServer{UserPoolId: pool, Identifier: in.Identifier, Name: in.Name, Scopes: []ResourceServerScope{}}
	seen := map[string]bool{}
	for _, sc := range in.Scopes {
		if seen[sc.ScopeName] {
			return nil, awsjson.InvalidParameter("Duplicate scope name %s in resource server %s.", sc.ScopeName, in.Identifier)
		}
		seen[sc.ScopeName] = true
		rs.Scopes = append(rs.Scopes, sc)
	}
	return rs, nil
}

// getResourceServer returns a resource server, or store.ErrNotFound.
func (s *Service) getResourceServer(ctx context.Context, pool, identifier string) (*ResourceServer, error) {
	var rs ResourceServer
	if err := s.getJSON(ctx, resourceServerKey(pool, identifier), &rs); err != nil {
		return nil, err
	}
	if rs.Scopes == nil {
		rs.Scopes = []ResourceServerScope{}
	}
	return &rs, nil
}

// HasScope reports whether rs defines scope name.
func (rs *ResourceServer) HasScope(name string) bool {
	for _, sc := range rs.Scopes {
		if sc.ScopeName == name {
			return true
		}
	}
	return false
}

func (s *Service) createResourceServer(ctx context.Context, in *ResourceServerInput) (*ResourceServerOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	rs, err := s.putNewResourceServer(ctx, p, in)
	if err != nil {
		return nil, err
	}
	return &ResourceServerOutput{ResourceServer: rs}, nil
}

// putNewResourceServer creates a resource server only if its identifier is free in p.
func (s *Service) putNewResourceServer(ctx context.Context, p *Pool, in *ResourceServerInput) (*ResourceServer, error) {
	rs, err := newResourceServer(p.Id, in)
	if err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.getResourceServer(ctx, p.Id, in.Identifier); err == nil {
			return awsjson.InvalidParameter("%s already exists in user pool %s.", in.Identifier, p.Id)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return ts.putJSON(ctx, resourceServerKey(p.Id, rs.Identifier), rs)
	})
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (s *Service) describeResourceServer(ctx context.Context, in *ResourceServerRef) (*ResourceServerOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	rs, err := s.getResourceServer(ctx, in.UserPoolId, in.Identifier)
	if errors.Is(err, store.ErrNotFound) {
		return nil, resourceServerNotFound(in.UserPoolId, in.Identifier)
	}
	if err != nil {
		return nil, err
	}
	return &ResourceServerOutput{ResourceServer: rs}, nil
}

func (s *Service) updateResourceServer(ctx context.Context, in *ResourceServerInput) (*ResourceServerOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	rs, err := newResourceServer(p.Id, in)
	if err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.getResourceServer(ctx, p.Id, in.Identifier); errors.Is(err, store.ErrNotFound) {
			return resourceServerNotFound(p.Id, in.Identifier)
		} else if err != nil {
			return err
		}
		return ts.putJSON(ctx, resourceServerKey(p.Id, rs.Identifier), rs)
	})
	if err != nil {
		return nil, err
	}
	return &ResourceServerOutput{ResourceServer: rs}, nil
}

func (s *Service) deleteResourceServer(ctx context.Context, in *ResourceServerRef) (*struct{}, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	err := s.atomically(ctx, poolShard(in.UserPoolId), func(ts *Service) error {
		if _, err := ts.getResourceServer(ctx, in.UserPoolId, in.Identifier); errors.Is(err, store.ErrNotFound) {
			return resourceServerNotFound(in.UserPoolId, in.Identifier)
		} else if err != nil {
			return err
		}
		return ts.d.Store.Delete(ctx, resourceServerKey(in.UserPoolId, in.Identifier))
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (s *Service) listResourceServers(ctx context.Context, in *ListResourceServersInput) (*ListResourceServersOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit := 50
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	prefix := resourceServerKey(p.Id, "")
	servers, next, err := listing.Page(ctx, s.pager(), "ListResourceServers/"+p.Id, prefix, in.NextToken, limit,
		func(key string) (ResourceServer, bool, error) {
			rs, err := s.getResourceServer(ctx, p.Id, strings.TrimPrefix(key, prefix))
			if errors.Is(err, store.ErrNotFound) {
				return ResourceServer{}, false, nil
			}
			if err != nil {
				return ResourceServer{}, false, err
			}
			return *rs, true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListResourceServersOutput{ResourceServers: servers, NextToken: next}, nil
}
