package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// AdminLinkProviderForUser and AdminDisableProviderForUser: an administrator makes an
// external identity provider's subject sign in as an existing native user (a link key
// ufl/<pool>/<provider>/<subject> that FederatedSignIn follows, and an entry in the native
// user's identities attribute), or undoes that and stops the subject's federated user.

// cognitoSubject is the ProviderAttributeName that names a provider's own user id (OIDC sub,
// SAML NameID, Facebook id, Amazon user_id).
const cognitoSubject = "Cognito_Subject"

// maxLinkedProviders is how many external identities one user may have linked (Cognito's
// documented limit).
const maxLinkedProviders = 5

// ProviderUserIdentifier is the wire ProviderUserIdentifierType.
type ProviderUserIdentifier struct {
	ProviderName           string `json:"ProviderName,omitempty" validate:"IdentityProvider.ProviderName"`
	ProviderAttributeName  string `json:"ProviderAttributeName,omitempty"`
	ProviderAttributeValue string `json:"ProviderAttributeValue,omitempty"`
}

// AdminLinkProviderForUserInput is the AdminLinkProviderForUser request.
type AdminLinkProviderForUserInput struct {
	UserPoolId      string                  `json:"UserPoolId" aws:"required"`
	DestinationUser *ProviderUserIdentifier `json:"DestinationUser" aws:"required"`
	SourceUser      *ProviderUserIdentifier `json:"SourceUser" aws:"required"`
}

// AdminDisableProviderForUserInput is the AdminDisableProviderForUser request.
type AdminDisableProviderForUserInput struct {
	UserPoolId string                  `json:"UserPoolId" aws:"required"`
	User       *ProviderUserIdentifier `json:"User" aws:"required"`
}

// checkSubject checks a source identity's attribute name and value. poolgate links by the
// provider's subject only [est: Cognito also takes any mapped claim or SAML attribute].
func checkSubject(id *ProviderUserIdentifier) error {
	if id.ProviderName == "" || id.ProviderAttributeValue == "" {
		return awsjson.InvalidParameter("ProviderName and ProviderAttributeValue are required.")
	}
	if id.ProviderAttributeName != cognitoSubject {
		return awsjson.InvalidParameter("ProviderAttributeName must be %s.", cognitoSubject)
	}
	if utf8.RuneCountInString(id.ProviderAttributeValue) > maxProviderUserID {
		return awsjson.InvalidParameter("ProviderAttributeValue must be at most %d characters.", maxProviderUserID)
	}
	return nil
}

func (s *Service) adminLinkProviderForUser(ctx context.Context, in *AdminLinkProviderForUserInput) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	src, dst := in.SourceUser, in.DestinationUser
	if dst.ProviderName != "Cognito" || dst.ProviderAttributeValue == "" {
		// [est] Cognito also takes a federated destination; poolgate links to native users.
		return nil, awsjson.InvalidParameter("DestinationUser must name a user of the pool with ProviderName Cognito.")
	}
	if err := checkSubject(src); err != nil {
		return nil, err
	}
	if src.ProviderName == "Cognito" {
		return nil, awsjson.InvalidParameter("SourceUser must be a user of an external identity provider.")
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		ip, err := ts.getProvider(ctx, p.Id, src.ProviderName)
		if errors.Is(err, store.ErrNotFound) {
			return providerNotFound(src.ProviderName)
		}
		if err != nil {
			return err
		}
		u, err := ts.findUser(ctx, p, dst.ProviderAttributeValue)
		if errors.Is(err, store.ErrNotFound) {
			return awsjson.UserNotFound()
		}
		if err != nil {
			return err
		}
		if u.Status == StatusExternalProvider {
			return awsjson.InvalidParameter("DestinationUser must be a native user, not a federated one.")
		}
		linked, err := ts.linkedUser(ctx, p, src.ProviderName, src.ProviderAttributeValue)
		if err != nil {
			return err
		}
		if linked != nil && linked.Sub == u.Sub {
			return nil // already linked to this user
		}
		if linked != nil {
			// [est] Cognito's error for a source linked to another user.
			return awsjson.New(awsjson.ErrAliasExists, "The SourceUser is already linked to another user.")
		}
		if _, err := ts.getUser(ctx, p, federatedUsername(src.ProviderName, src.ProviderAttributeValue)); err == nil {
			// [est] Cognito refuses to merge a provider subject that has signed in already (its
			// federated user exists); delete that user first.
			return awsjson.InvalidParameter("Merging is not currently supported, provide a SourceUser that has not been linked to the user pool yet")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		entries := userIdentities(u)
		if len(entries) >= maxLinkedProviders {
			return awsjson.New(awsjson.ErrLimitExceeded, "A user can have at most %d linked identities.", maxLinkedProviders)
		}
		prev := cloneUser(u)
		entries = append(entries, newIdentityEntry(src.ProviderName, ip.ProviderType, src.ProviderAttributeValue, "", false, ts.now().UnixMilli()))
		if err := setIdentities(u, entries); err != nil {
			return err
		}
		link, err := json.Marshal(providerLink{Username: u.Username, Sub: u.Sub, ProviderType: ip.ProviderType})
		if err != nil {
			return err
		}
		k := linkKey(p.Id, src.ProviderName, src.ProviderAttributeValue)
		if _, err := ts.d.Store.Get(ctx, k); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err // read first: the write is conditioned on the key being as linkedUser saw it
		}
		if err := ts.d.Store.Put(ctx, k, link, store.PutOptions{}); err != nil {
			return err
		}
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (s *Service) adminDisableProviderForUser(ctx context.Context, in *AdminDisableProviderForUserInput) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	id := in.User
	if id.ProviderName == "Cognito" {
		// [est] Cognito would stop the native user's password sign-in; AdminDisableUser
		// disables a native user in poolgate.
		return nil, awsjson.InvalidParameter("User must be a user of an external identity provider.")
	}
	if err := checkSubject(id); err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		found := false
		k := linkKey(p.Id, id.ProviderName, id.ProviderAttributeValue)
		linked, err := ts.linkedUser(ctx, p, id.ProviderName, id.ProviderAttributeValue)
		if err != nil {
			return err
		}
		if linked != nil {
			found = true
			prev := cloneUser(linked)
			entries := slices.DeleteFunc(userIdentities(linked), func(e identityEntry) bool {
				return e.ProviderName == id.ProviderName && e.UserID == id.ProviderAttributeValue
			})
			if err := setIdentities(linked, entries); err != nil {
				return err
			}
			if err := ts.putUser(ctx, p, linked, prev); err != nil {
				return err
			}
		}
		if err := ts.d.Store.Delete(ctx, k); err != nil {
			return err
		}
		fu, err := ts.getUser(ctx, p, federatedUsername(id.ProviderName, id.ProviderAttributeValue))
		switch {
		case err == nil && fu.Status == StatusExternalProvider:
			found = true
			prev := cloneUser(fu)
			fu.Enabled = false
			ts.revokeUserTokens(ctx, p, fu)
			if err := ts.putUser(ctx, p, fu, prev); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		if !found {
			return awsjson.UserNotFound()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
