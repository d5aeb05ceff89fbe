package identitypool

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Linking logins to identities (spec §7.4). Each linked login has an index entry
// il/<pool>/<digest(provider, user)> naming its identity. A login that is linked to another
// identity than the one being resolved merges the two: the surviving identity (the owner)
// takes every login, and the other becomes a forwarding record. Each resolution is one
// transaction (atomically): the index entries it found free are created only if still free,
// the records it read are written only if unchanged, so two first sign-ins of one login at
// the same moment make one identity, and the loser of the race finds it on its retry.

// newIdentity creates an identity in pool p with the given linkable logins, inside the
// caller's transaction.
func (s *Service) newIdentity(ctx context.Context, p *storedPool, logins []*login) (*identity, error) {
	u, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	id := &identity{
		IdentityId: regionOf(p.IdentityPoolId) + ":" + u, IdentityPoolId: p.IdentityPoolId,
		Logins: map[string]string{}, Created: now, Modified: now,
	}
	for _, l := range logins {
		if l.linkable() {
			id.Logins[l.Provider] = l.UserID
		}
	}
	id.Authenticated = len(id.Logins) > 0
	// Read first: the record is then created only if the id is still free.
	if _, err := s.d.Store.Get(ctx, identityKey(id.IdentityId)); err == nil {
		return nil, fmt.Errorf("identitypool: identity id %s drawn twice", id.IdentityId)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err := s.putJSON(ctx, identityKey(id.IdentityId), id); err != nil {
		return nil, err
	}
	if err := s.d.Store.Put(ctx, memberKey(p.IdentityPoolId, id.IdentityId), []byte{}, putNoTTL); err != nil {
		return nil, err
	}
	for provider, user := range id.Logins {
		if err := s.d.Store.Put(ctx, loginKey(p.IdentityPoolId, provider, user), []byte(id.IdentityId), putNoTTL); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// resolveMode says who is asking resolveIdentity.
type resolveMode int

const (
	// byLogins: GetId; the logins alone pick (or create) the identity.
	byLogins resolveMode = iota
	// byCaller: a public call naming an identity; an authenticated identity needs one of
	// the logins to be linked to it already (or an OpenID token for it).
	byCaller
	// byAdmin: a developer-identity call; the named identity needs no proof.
	byAdmin
)

// resolveIdentity returns the identity the logins belong to, linking logins that are new
// and merging identities that the logins show to be one person's. named is the identity a
// call names (nil for GetId). It is one transaction: named is read again inside it.
func (s *Service) resolveIdentity(ctx context.Context, p *storedPool, named *identity, logins []*login, mode resolveMode) (*identity, error) {
	var out *identity
	err := s.atomically(ctx, func(ts *Service) error {
		// The pool is read here too, so a concurrent DeleteIdentityPool conflicts.
		if _, err := ts.getPool(ctx, p.IdentityPoolId); err != nil {
			return err
		}
		var cur *identity
		if named != nil {
			var err error
			if cur, err = ts.getIdentity(ctx, named.IdentityId, true); err != nil {
				return err
			}
		}
		var err error
		out, err = ts.resolveOnce(ctx, p, cur, logins, mode)
		return err
	})
	return out, err
}

// resolveOnce is one attempt of resolveIdentity, inside its transaction.
func (s *Service) resolveOnce(ctx context.Context, p *storedPool, named *identity, logins []*login, mode resolveMode) (*identity, error) {
	records := map[string]*identity{}
	if named != nil {
		records[named.IdentityId] = named
	}
	load := func(id string) (*identity, error) {
		if rec, ok := records[id]; ok {
			return rec, nil
		}
		rec, err := s.getIdentity(ctx, id, true)
		if err != nil {
			return nil, err
		}
		if rec.IdentityPoolId != p.IdentityPoolId {
			return nil, identityNotFound(id)
		}
		records[rec.IdentityId] = rec
		return rec, nil
	}

	// Who holds each login now; OpenID tokens name their identity directly.
	var owners []*identity
	var fresh []*login // linkable logins linked to nobody
	proven := false
	for _, l := range logins {
		var ownerID string
		if l.Kind == kindOpenID {
			ownerID = l.UserID
		} else {
			var err error
			if ownerID, err = s.loginOwner(ctx, p.IdentityPoolId, l.Provider, l.UserID); err != nil {
				return nil, err
			}
		}
		var owner *identity
		if ownerID != "" {
			rec, err := load(ownerID)
			switch {
			case err == nil && (l.Kind == kindOpenID || rec.Logins[l.Provider] == l.UserID):
				owner = rec
			case err == nil, errors.Is(err, awsjson.ErrResourceNotFound):
				// A stale index entry (the identity was deleted or the login unlinked).
				if l.Kind == kindOpenID {
					return nil, loginsDontMatch()
				}
			default:
				return nil, err
			}
		}
		if owner == nil {
			fresh = append(fresh, l)
			continue
		}
		if named != nil && owner.IdentityId == named.IdentityId {
			proven = true
		}
		if !slices.ContainsFunc(owners, func(o *identity) bool { return o.IdentityId == owner.IdentityId }) {
			owners = append(owners, owner)
		}
	}

	var primary *identity
	switch {
	case named == nil:
		if len(owners) > 0 {
			primary = oldest(owners)
		}
	case mode == byCaller && named.Authenticated && !proven:
		return nil, loginsDontMatch()
	case mode == byCaller && !named.Authenticated && len(owners) > 0:
		// A guest signing in with a login that already has an identity: the guest
		// identity merges into that one [est: Cognito keeps the authenticated identity].
		primary = oldest(owners)
	default:
		primary = named
	}
	if primary == nil {
		return s.newIdentity(ctx, p, fresh)
	}

	// Everything that merges into primary, and the check that no provider ends up with two
	// different users on one identity.
	var merged []*identity
	if named != nil && named.IdentityId != primary.IdentityId {
		merged = append(merged, named)
	}
	for _, o := range owners {
		if o.IdentityId != primary.IdentityId && !slices.ContainsFunc(merged, func(m *identity) bool { return m.IdentityId == o.IdentityId }) {
			merged = append(merged, o)
		}
	}
	combined := maps.Clone(primary.Logins)
	add := func(provider, user string) error {
		if cur, ok := combined[provider]; ok && cur != user {
			return conflict("Identity '%s' already has a different login for provider %s.", primary.IdentityId, provider)
		}
		combined[provider] = user
		return nil
	}
	for _, m := range merged {
		for provider, user := range m.Logins {
			if err := add(provider, user); err != nil {
				return nil, err
			}
		}
	}
	for _, l := range fresh {
		if l.linkable() {
			if err := add(l.Provider, l.UserID); err != nil {
				return nil, err
			}
		}
	}
	if len(merged) == 0 && maps.Equal(combined, primary.Logins) {
		return primary, nil
	}

	// Writes: the survivor first, then the index, then the forwarding records.
	now := s.now()
	primary.Logins = combined
	primary.Authenticated = primary.Authenticated || len(combined) > 0 ||
		slices.ContainsFunc(merged, func(m *identity) bool { return m.Authenticated })
	primary.Modified = now
	if err := s.putJSON(ctx, identityKey(primary.IdentityId), primary); err != nil {
		return nil, err
	}
	for provider, user := range combined {
		if err := s.d.Store.Put(ctx, loginKey(p.IdentityPoolId, provider, user), []byte(primary.IdentityId), putNoTTL); err != nil {
			return nil, err
		}
	}
	for _, m := range merged {
		fwd := &identity{IdentityId: m.IdentityId, IdentityPoolId: m.IdentityPoolId, Created: m.Created, Modified: now, MergedInto: primary.IdentityId}
		if err := s.putJSON(ctx, identityKey(m.IdentityId), fwd); err != nil {
			return nil, err
		}
		if err := s.d.Store.Delete(ctx, memberKey(m.IdentityPoolId, m.IdentityId)); err != nil {
			return nil, err
		}
	}
	return primary, nil
}

// oldest returns the identity created first (ties by id), so that merges are deterministic.
func oldest(ids []*identity) *identity {
	best := ids[0]
	for _, id := range ids[1:] {
		if id.Created.Before(best.Created) || id.Created.Equal(best.Created) && id.IdentityId < best.IdentityId {
			best = id
		}
	}
	return best
}
