package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Store layout (all keys are prefixed by their record kind):
//
//	up/<pool>                       pool record
//	upc/<pool>/<client>             app client (secret sealed)
//	cl/<client>                     client id → pool id (public calls name only the client)
//	uu/<pool>/<usernameKey>         user record (secrets sealed)
//	ux/<pool>/<attr>/<valueKey>     index: sub, email, phone_number, preferred_username → username key
//	ug/<pool>/<group>               group
//	ugm/<pool>/<group>/<usernameKey> group membership (value: canonical username)
//	rv/<pool>/<originJTI>           revoked refresh-token family (TTL = refresh validity)
//
// Workers KV has no transactions: records are written before their index keys and readers
// check that an index key still points at a record that agrees (see findUser).

const (
	sealPurposeUser   = "userpool/user-secrets"
	sealPurposeClient = "userpool/client-secret"
)

func poolKey(pool string) string           { return "up/" + pool }
func clientKey(pool, client string) string { return "upc/" + pool + "/" + client }
func clientIndexKey(client string) string  { return "cl/" + client }
func userKey(pool, ukey string) string     { return "uu/" + pool + "/" + ukey }
func indexKey(pool, attr, v string) string { return "ux/" + pool + "/" + attr + "/" + v }
func groupKey(pool, group string) string   { return "ug/" + pool + "/" + group }
func memberKey(pool, group, ukey string) string {
	return "ugm/" + pool + "/" + group + "/" + ukey
}
func revokedKey(pool, originJTI string) string { return "rv/" + pool + "/" + originJTI }

// usernameKey is the key form of a username: lower-cased when the pool is case insensitive.
func usernameKey(p *Pool, username string) string {
	if p.CaseSensitive() {
		return username
	}
	return strings.ToLower(username)
}

// indexValue normalizes an indexed attribute value: emails are matched case-insensitively.
func indexValue(attr, v string) string {
	if attr == "email" {
		return strings.ToLower(v)
	}
	return v
}

func (s *Service) getJSON(ctx context.Context, key string, v any) error {
	b, err := s.d.Store.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("userpool: corrupt record %s: %w", key, err)
	}
	return nil
}

func (s *Service) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.d.Store.Put(ctx, key, b, store.PutOptions{})
}

// getPool returns pool id, or ResourceNotFoundException.
func (s *Service) getPool(ctx context.Context, id string) (*Pool, error) {
	var p Pool
	if err := s.getJSON(ctx, poolKey(id), &p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsjson.ResourceNotFound("User pool %s does not exist.", id)
		}
		return nil, err
	}
	return &p, nil
}

func (s *Service) putPool(ctx context.Context, p *Pool) error {
	return s.putJSON(ctx, poolKey(p.Id), p)
}

// storedClient is a Client with its secret sealed.
type storedClient struct {
	Client
	SealedSecret []byte `json:"SealedSecret,omitempty"`
}

// getClient returns client id of pool, or ResourceNotFoundException.
func (s *Service) getClient(ctx context.Context, pool, id string) (*Client, error) {
	var sc storedClient
	if err := s.getJSON(ctx, clientKey(pool, id), &sc); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsjson.ResourceNotFound("User pool client %s does not exist.", id)
		}
		return nil, err
	}
	c := sc.Client
	if len(sc.SealedSecret) > 0 {
		secret, err := s.d.AtRest.Open(sealPurposeClient, sc.SealedSecret, s.now())
		if err != nil {
			return nil, fmt.Errorf("userpool: client %s secret: %w", id, err)
		}
		c.ClientSecret = string(secret)
	}
	return &c, nil
}

// clientByID resolves a bare ClientId (public calls) to its pool and client.
// An unknown client is ResourceNotFoundException, as Cognito answers.
func (s *Service) clientByID(ctx context.Context, id string) (*Pool, *Client, error) {
	poolID, err := s.d.Store.Get(ctx, clientIndexKey(id))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, awsjson.ResourceNotFound("User pool client %s does not exist.", id)
		}
		return nil, nil, err
	}
	p, err := s.getPool(ctx, string(poolID))
	if err != nil {
		return nil, nil, err
	}
	c, err := s.getClient(ctx, p.Id, id)
	if err != nil {
		return nil, nil, err
	}
	return p, c, nil
}

func (s *Service) putClient(ctx context.Context, c *Client) error {
	sc := storedClient{Client: *c}
	sc.ClientSecret = ""
	if c.ClientSecret != "" {
		sealed, err := s.d.AtRest.Seal(sealPurposeClient, []byte(c.ClientSecret), zeroTime)
		if err != nil {
			return err
		}
		sc.SealedSecret = sealed
	}
	if err := s.putJSON(ctx, clientKey(c.UserPoolId, c.ClientId), &sc); err != nil {
		return err
	}
	return s.d.Store.Put(ctx, clientIndexKey(c.ClientId), []byte(c.UserPoolId), store.PutOptions{})
}

func (s *Service) deleteClient(ctx context.Context, pool, id string) error {
	if err := s.d.Store.Delete(ctx, clientKey(pool, id)); err != nil {
		return err
	}
	return s.d.Store.Delete(ctx, clientIndexKey(id))
}

// storedUser is a User with its secrets sealed.
type storedUser struct {
	User
	Sealed []byte `json:"sealed,omitempty"`
}

// getUser returns the user whose canonical username (or its key form) is username,
// or store.ErrNotFound.
func (s *Service) getUser(ctx context.Context, p *Pool, username string) (*User, error) {
	var su storedUser
	if err := s.getJSON(ctx, userKey(p.Id, usernameKey(p, username)), &su); err != nil {
		return nil, err
	}
	u := su.User
	if len(su.Sealed) > 0 {
		plain, err := s.d.AtRest.Open(sealPurposeUser+"/"+p.Id+"/"+u.Sub, su.Sealed, s.now())
		if err != nil {
			return nil, fmt.Errorf("userpool: user %s secrets: %w", u.Username, err)
		}
		if err := json.Unmarshal(plain, &u.Secrets); err != nil {
			return nil, fmt.Errorf("userpool: user %s secrets: %w", u.Username, err)
		}
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	return &u, nil
}

// indexedAttrs are the attributes that can name a user at sign-in in pool p,
// besides the username itself.
func indexedAttrs(p *Pool) []string {
	attrs := []string{"sub"}
	for _, a := range []string{"email", "phone_number", "preferred_username"} {
		if p.UsesUsernameAttribute(a) || p.UsesAlias(a) {
			attrs = append(attrs, a)
		}
	}
	return attrs
}

// indexable reports whether u's value of attr may name u: sub always; an attribute used as
// the username always; an alias only once verified (preferred_username needs no verification).
func indexable(p *Pool, u *User, attr string) bool {
	v := u.Attr(attr)
	if v == "" {
		return false
	}
	switch {
	case attr == "sub", p.UsesUsernameAttribute(attr), attr == "preferred_username":
		return true
	default:
		return u.Attributes[attr+"_verified"] == "true"
	}
}

// findUser resolves what a caller typed (username, alias, or sub) to a user, or store.ErrNotFound.
func (s *Service) findUser(ctx context.Context, p *Pool, name string) (*User, error) {
	if name == "" {
		return nil, store.ErrNotFound
	}
	u, err := s.getUser(ctx, p, name)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	for _, attr := range indexedAttrs(p) {
		ref, err := s.d.Store.Get(ctx, indexKey(p.Id, attr, indexValue(attr, name)))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		u, err := s.getUser(ctx, p, string(ref))
		if errors.Is(err, store.ErrNotFound) {
			continue // stale index key
		}
		if err != nil {
			return nil, err
		}
		if indexable(p, u, attr) && indexValue(attr, u.Attr(attr)) == indexValue(attr, name) {
			return u, nil
		}
	}
	return nil, store.ErrNotFound
}

// indexOwner returns the username key that owns attr=value in pool p, or "" when free.
// Stale index keys (whose user no longer agrees) count as free.
func (s *Service) indexOwner(ctx context.Context, p *Pool, attr, value string) (string, error) {
	ref, err := s.d.Store.Get(ctx, indexKey(p.Id, attr, indexValue(attr, value)))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	u, err := s.getUser(ctx, p, string(ref))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !indexable(p, u, attr) || indexValue(attr, u.Attr(attr)) != indexValue(attr, value) {
		return "", nil
	}
	return usernameKey(p, u.Username), nil
}

// putUser writes u and brings its index keys in line with prev (nil for a new user).
// Uniqueness checks (UsernameExists, AliasExists) are the caller's job, before calling.
func (s *Service) putUser(ctx context.Context, p *Pool, u *User, prev *User) error {
	u.Modified = s.now()
	su := storedUser{User: *u}
	plain, err := json.Marshal(&u.Secrets)
	if err != nil {
		return err
	}
	su.Sealed, err = s.d.AtRest.Seal(sealPurposeUser+"/"+p.Id+"/"+u.Sub, plain, zeroTime)
	if err != nil {
		return err
	}
	ukey := usernameKey(p, u.Username)
	if err := s.putJSON(ctx, userKey(p.Id, ukey), &su); err != nil {
		return err
	}
	for _, attr := range indexedAttrs(p) {
		var old, cur string
		if prev != nil && indexable(p, prev, attr) {
			old = indexValue(attr, prev.Attr(attr))
		}
		if indexable(p, u, attr) {
			cur = indexValue(attr, u.Attr(attr))
		}
		if old != "" && old != cur {
			// Only remove the key if it still points at this user.
			if ref, err := s.d.Store.Get(ctx, indexKey(p.Id, attr, old)); err == nil && string(ref) == ukey {
				if err := s.d.Store.Delete(ctx, indexKey(p.Id, attr, old)); err != nil {
					return err
				}
			}
		}
		if cur != "" && cur != old {
			if err := s.d.Store.Put(ctx, indexKey(p.Id, attr, cur), []byte(ukey), store.PutOptions{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteUser removes u, its index keys and its group memberships.
func (s *Service) deleteUser(ctx context.Context, p *Pool, u *User) error {
	ukey := usernameKey(p, u.Username)
	for _, g := range u.Groups {
		if err := s.d.Store.Delete(ctx, memberKey(p.Id, g, ukey)); err != nil {
			return err
		}
	}
	for _, attr := range indexedAttrs(p) {
		if !indexable(p, u, attr) {
			continue
		}
		k := indexKey(p.Id, attr, indexValue(attr, u.Attr(attr)))
		if ref, err := s.d.Store.Get(ctx, k); err == nil && string(ref) == ukey {
			if err := s.d.Store.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return s.d.Store.Delete(ctx, userKey(p.Id, ukey))
}

// getGroup returns a group, or ResourceNotFoundException.
func (s *Service) getGroup(ctx context.Context, pool, name string) (*Group, error) {
	var g Group
	if err := s.getJSON(ctx, groupKey(pool, name), &g); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsjson.ResourceNotFound("Group not found.")
		}
		return nil, err
	}
	return &g, nil
}

func (s *Service) putGroup(ctx context.Context, g *Group) error {
	return s.putJSON(ctx, groupKey(g.UserPoolId, g.GroupName), g)
}

// listKeys returns every key under prefix (callers page at the wire level).
func (s *Service) listKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	cursor := ""
	for {
		page, err := s.d.Store.List(ctx, prefix, cursor, 1000)
		if err != nil {
			return nil, err
		}
		keys = append(keys, page.Keys...)
		if page.Cursor == "" {
			return keys, nil
		}
		cursor = page.Cursor
	}
}
