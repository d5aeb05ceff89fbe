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
//	rtu/<pool>/<refreshID>          a rotated refresh token's first exchange (created once)
//	srpu/<pool>/<sha256 of block>   a spent SRP SECRET_BLOCK (created once)
//	oac/<pool>/<code id>            a redeemed OAuth authorization code (created once; hosted.go)
//	lk/<pool>/<sha256 of name key>  lockout count of a sign-in name, known or not (lockout.go)
//	lk/<pool>/m<sub>                lockout count of a user's wrong second factors (mfa_challenge.go)
//	mfau/<pool>/s<sha256 of nonce>  a spent MFA challenge Session (created once; mfa_session.go)
//	mfau/<pool>/t<sha256 of sub, step> a used TOTP time step of a user (created once)
//	upx/decoy-key                   the decoy secret (created once)
//	dom/<domain>                    a user-pool domain (prefix or custom): its one owner (domain.go)
//	urs/<pool>/<identifier>         resource server (resource_server.go)
//	uip/<pool>/<provider name>      identity provider (secrets sealed; identity_provider.go)
//	uii/<pool>/<idp identifier>     index: IdpIdentifier → provider name
//	ufl/<pool>/<len:provider:subject> a provider subject linked to a native user (federated.go)
//	sar/<pool>/<sha256 of assertion ID> a SAML assertion accepted once (internal/federation)
//	uic/<pool>/<client id or ALL>   classic hosted UI customization: CSS and logo (ui_customization.go)
//	mlb/<pool>/<branding id>        managed login branding style (managed_login_branding.go)
//	mlc/<pool>/<client id>          index: app client → its branding style id (one per client)
//	uij/<pool>/<job id>             user import job: status, counts, cursor (import_job.go)
//	uib/<pool>/<job id>/<upload>/<n> a batch of an uploaded import CSV's rows (import_upload.go)
//
// A username key, group name or attribute value goes into a key as it is when the key has room
// for it, and as its fixed-size digest form (store.FitPart) when it would make the key longer
// than store.MaxKeyLen: an attribute value of 2048 characters, a membership of a group and a
// username of 128 3-byte characters each (793 bytes spelled out), a group of 128 4-byte characters
// declared in a configuration (whose check counts runes, not UTF-16 units). So no admitted name
// makes a key too long, and a part that fitted keeps the form it had (store.FitPart argues why
// no two parts share a form). Two exceptions: an attribute value shaped like a digest form,
// and a group name in a membership key longer than leaves room for a digested username (see
// memberPrefix: more than 406 bytes, which no name of 128 UTF-16 units reaches). A key may
// therefore not spell its names: whoever lists keys reads the names from the values (the user
// record's Username, a membership's username), never from the key.
//
// Everything but up/, cl/, dom/ and upx/ is in the pool's shard (store.Shard). A user record and its
// index keys are written in one transaction (txn.go): an index key is created only if free, or
// replaced only if stale and unchanged since it was read. Readers still check that an index key
// points at a record that agrees (see findUser): a key can outlive its user only in data
// written before the store was atomic.

const (
	sealPurposeUser   = "userpool/user-secrets"
	sealPurposeClient = "userpool/client-secret"
)

// IsConfigRecord reports whether key holds a pool's record, an app client's or the client
// index: records only the admin API changes, never written with a TTL, that most requests
// read. A host may keep them for a while between requests (the Worker's per-isolate cache,
// edge/internal/isocache); the service's own cache (recordCache) needs no such licence.
func IsConfigRecord(key string) bool {
	return strings.HasPrefix(key, "up/") || strings.HasPrefix(key, "upc/") || strings.HasPrefix(key, "cl/")
}

func poolKey(pool string) string           { return "up/" + pool }
func clientKey(pool, client string) string { return "upc/" + pool + "/" + client }
func clientIndexKey(client string) string  { return "cl/" + client }

// userKey is the key of the user whose username key is ukey ("" gives the prefix of them all).
func userKey(pool, ukey string) string { return fitLast("uu/"+pool+"/", ukey) }

// indexKey is the key of the index entry attr = v (v as indexValue normalizes it).
func indexKey(pool, attr, v string) string { return fitLast("ux/"+pool+"/"+attr+"/", v) }

// groupKey is the key of a group record ("" gives the prefix of them all).
func groupKey(pool, group string) string { return fitLast("ug/"+pool+"/", group) }

// memberPrefix is the prefix of group's membership keys. The group's part depends on the group
// alone, so all its members' keys share the prefix: it is kept as it is only if it leaves
// room for a digested username key after it. A group whose name extends this one ("a" and
// "a/b") shares the prefix; a membership key is group's only if memberKey gives it again from
// the username it holds.
func memberPrefix(pool, group string) string {
	head := "ugm/" + pool + "/"
	return head + store.FitPart(group, store.MaxKeyLen-len(head)-len("/")-store.DigestPartLen) + "/"
}

// memberKey is the key that says the user whose username key is ukey is in group.
func memberKey(pool, group, ukey string) string { return fitLast(memberPrefix(pool, group), ukey) }

// fitLast appends a key's last part to the rest of the key, digested if it does not fit.
func fitLast(head, part string) string { return head + store.FitPart(part, store.MaxKeyLen-len(head)) }

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

// getListed reads the record under a key a listing returned into v; a key deleted since the
// listing read it is (false, nil), so the listing skips it.
func (s *Service) getListed(ctx context.Context, key string, v any) (bool, error) {
	if err := s.getJSON(ctx, key, v); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func (s *Service) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.d.Store.Put(ctx, key, b, store.PutOptions{})
}

// getPool returns pool id, or ResourceNotFoundException.
// The record is decoded once per instance while it is unchanged (recordCache); the caller
// owns the Pool it gets and may modify it.
func (s *Service) getPool(ctx context.Context, id string) (*Pool, error) {
	return s.readPool(ctx, id, s.cache.pools.decode)
}

// poolView is getPool for a caller that only reads the pool: the record it returns is shared
// (recordCache.view) and must not be modified.
func (s *Service) poolView(ctx context.Context, id string) (*Pool, error) {
	return s.readPool(ctx, id, s.cache.pools.view)
}

// readPool reads pool id's record and decodes it through the cache with decode (a private
// copy or a shared view).
func (s *Service) readPool(ctx context.Context, id string, decode func(string, []byte, func([]byte) (*Pool, error)) (*Pool, error)) (*Pool, error) {
	key := poolKey(id)
	b, err := s.cache.pools.read(ctx, s.d.Store, key)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsjson.ResourceNotFound("User pool %s does not exist.", id)
		}
		return nil, err
	}
	return decode(key, b, func(b []byte) (*Pool, error) {
		var p Pool
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("userpool: corrupt record %s: %w", key, err)
		}
		return &p, nil
	})
}

// createPoolRecord writes a new pool only if its id is free (store.ErrConflict otherwise).
func (s *Service) createPoolRecord(ctx context.Context, p *Pool) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.d.Store.Commit(ctx, []store.Op{store.Create(poolKey(p.Id), b, 0)})
}

// putPool writes p inside a transaction on the global shard that has read it (getPool).
func (s *Service) putPool(ctx context.Context, p *Pool) error {
	if !s.inTxn() {
		return fmt.Errorf("userpool: putPool of %s outside a transaction", p.Id)
	}
	return s.putJSON(ctx, poolKey(p.Id), p)
}

// storedClient is a Client with its secret sealed.
type storedClient struct {
	Client
	SealedSecret []byte `json:"SealedSecret,omitempty"`
}

// getClient returns client id of pool, or ResourceNotFoundException.
// Like getPool's, the record (its secret opened) is decoded once while it is unchanged, and
// the caller owns the Client it gets.
func (s *Service) getClient(ctx context.Context, pool, id string) (*Client, error) {
	return s.readClient(ctx, pool, id, s.cache.clients.decode)
}

// clientView is getClient for a caller that only reads the client: the record it returns is
// shared (recordCache.view) and must not be modified.
func (s *Service) clientView(ctx context.Context, pool, id string) (*Client, error) {
	return s.readClient(ctx, pool, id, s.cache.clients.view)
}

// readClient reads client id of pool and decodes it through the cache with decode (a private
// copy or a shared view).
func (s *Service) readClient(ctx context.Context, pool, id string, decode func(string, []byte, func([]byte) (*Client, error)) (*Client, error)) (*Client, error) {
	key := clientKey(pool, id)
	b, err := s.cache.clients.read(ctx, s.d.Store, key)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, awsjson.ResourceNotFound("User pool client %s does not exist.", id)
		}
		return nil, err
	}
	return decode(key, b, func(b []byte) (*Client, error) {
		var sc storedClient
		if err := json.Unmarshal(b, &sc); err != nil {
			return nil, fmt.Errorf("userpool: corrupt record %s: %w", key, err)
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
	})
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

// claimClientID makes client id belong to pool: it creates the index key cl/<id>, or finds
// it already pointing at pool. An id held by another pool is store.ErrConflict.
func (s *Service) claimClientID(ctx context.Context, id, pool string) error {
	err := s.d.Store.Commit(ctx, []store.Op{store.Create(clientIndexKey(id), []byte(pool), 0)})
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	owner, err := s.d.Store.Get(ctx, clientIndexKey(id))
	if err != nil {
		return err
	}
	if string(owner) != pool {
		return store.ErrConflict
	}
	return nil
}

// putClient writes c's record (the index key is claimClientID's). Inside a transaction that
// read it, the write is conditioned on the record being as read.
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
	return s.putJSON(ctx, clientKey(c.UserPoolId, c.ClientId), &sc)
}

// deleteClient removes the record first, then its index key (clientByID finds no record for
// an index key left behind, and claimClientID lets only its pool reuse it).
func (s *Service) deleteClient(ctx context.Context, pool, id string) error {
	if err := s.d.Store.Delete(ctx, clientKey(pool, id)); err != nil {
		return err
	}
	s.cache.clients.forget(clientKey(pool, id))
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
	return s.userAt(ctx, p, userKey(p.Id, usernameKey(p, username)))
}

// userView is userAt without the user's secrets (Secrets empty), for a caller that only
// reads the user (GetUser): the record it returns is shared with every other view of the
// same stored bytes (recordCache.view) and must not be modified.
func (s *Service) userView(ctx context.Context, p *Pool, key string) (*User, error) {
	b, err := s.d.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.cache.users.view(key, b, func(b []byte) (*User, error) {
		var su storedUser
		if err := decodeStoredUser(b, &su); err != nil {
			return nil, fmt.Errorf("userpool: corrupt record %s: %w", key, err)
		}
		u := su.User
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
		return &u, nil
	})
}

// userAt returns the user record stored at key (a userKey), or store.ErrNotFound.
func (s *Service) userAt(ctx context.Context, p *Pool, key string) (*User, error) {
	b, err := s.d.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var su storedUser
	if err := decodeStoredUser(b, &su); err != nil {
		return nil, fmt.Errorf("userpool: corrupt record %s: %w", key, err)
	}
	u := su.User
	if len(su.Sealed) > 0 {
		plain, err := s.d.AtRest.Open(sealPurposeUser+"/"+p.Id+"/"+u.Sub, su.Sealed, s.now())
		if err != nil {
			return nil, fmt.Errorf("userpool: user %s secrets: %w", u.Username, err)
		}
		if err := decodeUserSecrets(plain, &u.Secrets); err != nil {
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
// A federated user (federated.go) is named by its sub only: it never signs in with a
// password, and its provider's email must not take a native user's sign-in name
// [est: Cognito lets federated and native users share an email].
func indexable(p *Pool, u *User, attr string) bool {
	v := u.Attr(attr)
	if v == "" {
		return false
	}
	switch {
	case u.Status == StatusExternalProvider:
		return attr == "sub"
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

// reload reads u again by its username, inside a transaction: the state the transaction
// decides on. A user deleted meanwhile (or replaced by a new one of the same name) is
// UserNotFoundException.
func (s *Service) reload(ctx context.Context, p *Pool, u *User) (*User, error) {
	cur, err := s.getUser(ctx, p, u.Username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cur.Sub != u.Sub) {
		return nil, awsjson.UserNotFound()
	}
	return cur, err
}

// findUserEvenly is findUser for sign-in: it reads the username key and every index key the
// name could be, whether or not an earlier read found the user, so a known name and an unknown
// one cost the same reads (a name found through an alias costs one more: its user's record).
func (s *Service) findUserEvenly(ctx context.Context, p *Pool, name string) (*User, error) {
	if name == "" {
		return nil, store.ErrNotFound
	}
	direct, err := s.getUser(ctx, p, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	attrs := indexedAttrs(p)
	refs := make([]string, len(attrs))
	for i, attr := range attrs {
		ref, err := s.d.Store.Get(ctx, indexKey(p.Id, attr, indexValue(attr, name)))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		refs[i] = string(ref)
	}
	if direct != nil {
		return direct, nil
	}
	for i, attr := range attrs {
		if refs[i] == "" {
			continue
		}
		u, err := s.getUser(ctx, p, refs[i])
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

// putUser writes u and brings its index keys in line with prev (nil for a new user). It runs
// inside a transaction (Service.atomically) on the pool's shard, so the record and its index
// keys are written together or not at all: a new record is created only if its key was read as
// absent, an index key only if it is still as read (absent, or stale: pointing at a user that
// no longer holds the value, which ensureUnique/indexOwner checked). Uniqueness checks
// (UsernameExists, AliasExists) are the caller's job, in the same transaction, before calling.
func (s *Service) putUser(ctx context.Context, p *Pool, u *User, prev *User) error {
	if !s.inTxn() {
		return fmt.Errorf("userpool: putUser of %s outside a transaction", u.Username)
	}
	u.Modified = s.now()
	su := storedUser{User: *u}
	plain, err := encodeUserSecrets(&u.Secrets)
	if err != nil {
		return err
	}
	su.Sealed, err = s.d.AtRest.Seal(sealPurposeUser+"/"+p.Id+"/"+u.Sub, plain, zeroTime)
	if err != nil {
		return err
	}
	ukey := usernameKey(p, u.Username)
	if prev == nil {
		// A new user: its record must not exist (the read makes the write a create).
		if _, err := s.d.Store.Get(ctx, userKey(p.Id, ukey)); err == nil {
			return awsjson.UsernameExists("User already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	rec, err := encodeStoredUser(&su)
	if err != nil {
		return err
	}
	if err := s.d.Store.Put(ctx, userKey(p.Id, ukey), rec, store.PutOptions{}); err != nil {
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
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if cur != "" && cur != old {
			// Read first, so the write is conditioned on the key being as the uniqueness
			// check saw it.
			k := indexKey(p.Id, attr, cur)
			if _, err := s.d.Store.Get(ctx, k); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err := s.d.Store.Put(ctx, k, []byte(ukey), store.PutOptions{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteUser removes u with its index keys and lockout record in one commit, then its group
// memberships (there may be more than one commit can hold). A membership key that outlives its
// user is ignored by readers (ListUsersInGroup checks the user record) and is removed here
// only while the username is still free.
// With sub set, only the user with that sub is deleted (a self-service delete must not hit a
// new user who took the name meanwhile).
func (s *Service) deleteUser(ctx context.Context, p *Pool, name, sub string) error {
	var groups []string
	var ukey string
	err := s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.findUser(ctx, p, name)
		if errors.Is(err, store.ErrNotFound) || (err == nil && sub != "" && u.Sub != sub) {
			return awsjson.UserNotFound()
		}
		if err != nil {
			return err
		}
		ukey = usernameKey(p, u.Username)
		groups = u.Groups
		for _, attr := range indexedAttrs(p) {
			if !indexable(p, u, attr) {
				continue
			}
			k := indexKey(p.Id, attr, indexValue(attr, u.Attr(attr)))
			if ref, err := ts.d.Store.Get(ctx, k); err == nil && string(ref) == ukey {
				if err := ts.d.Store.Delete(ctx, k); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := ts.d.Store.Delete(ctx, lockKey(p, u.Username)); err != nil {
			return err
		}
		return ts.d.Store.Delete(ctx, userKey(p.Id, ukey))
	})
	if err != nil {
		return err
	}
	for len(groups) > 0 {
		n := min(len(groups), store.MaxCommitOps-1)
		ops := []store.Op{store.Check(userKey(p.Id, ukey), store.NoVersion)}
		for _, g := range groups[:n] {
			ops = append(ops, store.Remove(memberKey(p.Id, g, ukey)))
		}
		groups = groups[n:]
		if err := s.d.Store.Commit(ctx, ops); errors.Is(err, store.ErrConflict) {
			return nil // the name was taken again: its new owner's memberships stay
		} else if err != nil {
			return err
		}
	}
	return nil
}

// storedGroup is a group as stored: Deleting marks a DeleteGroup under way (its members are
// being removed); such a group is gone for every other call.
type storedGroup struct {
	Group
	Deleting bool `json:"deleting,omitempty"`
}

// loadGroup reads a group record as stored, or store.ErrNotFound.
func (s *Service) loadGroup(ctx context.Context, pool, name string) (*storedGroup, error) {
	var g storedGroup
	if err := s.getJSON(ctx, groupKey(pool, name), &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// getGroup returns a group, or ResourceNotFoundException (a group being deleted included).
func (s *Service) getGroup(ctx context.Context, pool, name string) (*Group, error) {
	g, err := s.loadGroup(ctx, pool, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && g.Deleting) {
		return nil, awsjson.ResourceNotFound("Group not found.")
	}
	if err != nil {
		return nil, err
	}
	return &g.Group, nil
}

// putGroup writes a group inside a transaction that has read it (getGroup/loadGroup), so the
// write is conditioned on the group being as read: absent for a new one.
func (s *Service) putGroup(ctx context.Context, g *storedGroup) error {
	if !s.inTxn() {
		return fmt.Errorf("userpool: putGroup of %s outside a transaction", g.GroupName)
	}
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
