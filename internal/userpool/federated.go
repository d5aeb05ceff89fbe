package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Federated users are the users an external identity provider signs in (internal/federation
// verifies the provider's answer; internal/oauth runs the browser flow). Each is the user
// "<ProviderName>_<provider user id>" with status EXTERNAL_PROVIDER, no password, and the
// `identities` attribute naming the provider subject it stands for. Its mapped attributes are
// rewritten on every sign-in. AdminLinkProviderForUser (provider_link.go) can instead make a
// provider subject's sign-ins land on a native user: the link key
// ufl/<pool>/<provider>/<subject> names that user.

// StatusExternalProvider is the status of a user created by a federated sign-in.
const StatusExternalProvider = "EXTERNAL_PROVIDER"

// identitiesAttribute holds a user's external identities as JSON text; ID tokens carry it as
// a JSON array (tokens.go).
const identitiesAttribute = "identities"

// maxProviderUserID bounds a provider's subject: it becomes part of a username and a key.
// [est] Cognito's bound is not documented; SAML NameIDs in practice stay far below it.
const maxProviderUserID = 1024

// ExternalIdentity is a user signed in at an external identity provider, its attributes
// already mapped to pool attribute names through the provider's AttributeMapping.
type ExternalIdentity struct {
	ProviderName string            // IdentityProvider.ProviderName, e.g. "Google", "MyOIDC"
	ProviderType string            // "OIDC", "Google", "Facebook", "LoginWithAmazon", "SignInWithApple", "SAML"
	UserID       string            // the provider's subject (OIDC sub, SAML NameID, Facebook id)
	Issuer       string            // OIDC iss, SAML IdP entity ID ("" for Facebook/Amazon)
	Attributes   map[string]string // pool attribute name → value
}

// identityEntry is one member of the `identities` attribute. [est] The member set and
// spelling follow ID tokens Cognito issues to federated users as commonly published:
// primary and dateCreated are strings ("true", epoch milliseconds), issuer is null for
// providers without one (Facebook, Login with Amazon, and links made before any sign-in).
type identityEntry struct {
	UserID       string  `json:"userId"`
	ProviderName string  `json:"providerName"`
	ProviderType string  `json:"providerType"`
	Issuer       *string `json:"issuer"`
	Primary      string  `json:"primary"`
	DateCreated  string  `json:"dateCreated"`
}

// userIdentities decodes u's identities attribute (nil when it has none or it is not JSON).
func userIdentities(u *User) []identityEntry {
	var out []identityEntry
	if v := u.Attributes[identitiesAttribute]; v != "" {
		if json.Unmarshal([]byte(v), &out) != nil {
			return nil
		}
	}
	return out
}

// setIdentities writes entries as u's identities attribute (removing it when empty).
func setIdentities(u *User, entries []identityEntry) error {
	if len(entries) == 0 {
		delete(u.Attributes, identitiesAttribute)
		return nil
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	u.Attributes[identitiesAttribute] = string(b)
	return nil
}

func newIdentityEntry(providerName, providerType, userID, issuer string, primary bool, ms int64) identityEntry {
	e := identityEntry{UserID: userID, ProviderName: providerName, ProviderType: providerType,
		Primary: strconv.FormatBool(primary), DateCreated: strconv.FormatInt(ms, 10)}
	if issuer != "" {
		e.Issuer = &issuer
	}
	return e
}

// federatedUsername is the name Cognito gives a provider subject's user.
func federatedUsername(providerName, userID string) string { return providerName + "_" + userID }

// linkKey is the key naming the native user a provider subject is linked to. The provider
// name goes in with its length, so no two (provider, subject) pairs share a key whatever
// punctuation either holds.
func linkKey(pool, providerName, userID string) string {
	return fitLast("ufl/"+pool+"/", strconv.Itoa(len(providerName))+":"+providerName+":"+userID)
}

// providerLink is the value of a link key: the native user, by username and by sub (a user
// deleted and created again under the same name is not the one linked).
type providerLink struct {
	Username     string `json:"username"`
	Sub          string `json:"sub"`
	ProviderType string `json:"providerType"`
}

// FederatedSignIn creates the user "<ProviderName>_<UserID>" (status EXTERNAL_PROVIDER, the
// `identities` attribute) or updates its mapped attributes, or — when AdminLinkProviderForUser
// linked this provider subject to a native user — returns that native user. Atomic (txn):
// racing first sign-ins of one identity create one user. Refuses a disabled user with
// NotAuthorizedException "User is disabled.".
func (s *Service) FederatedSignIn(ctx context.Context, p *Pool, c *Client, id *ExternalIdentity) (*User, error) {
	if id == nil || id.ProviderName == "" || id.UserID == "" {
		return nil, awsjson.InvalidParameter("The identity provider named no user.")
	}
	if utf8.RuneCountInString(id.UserID) > maxProviderUserID || !utf8.ValidString(id.UserID) {
		return nil, awsjson.InvalidParameter("The identity provider's user id is longer than %d characters or not UTF-8.", maxProviderUserID)
	}
	mapped, err := mappedAttributes(p, id.Attributes)
	if err != nil {
		return nil, err
	}
	sub, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	name := federatedUsername(id.ProviderName, id.UserID)
	// A first sign-in runs PreSignUp_ExternalProvider, outside the transaction: the step
	// asks for it (errPreSignUpFirst) when it would create the user and the trigger has not
	// run, then the step runs again.
	var pre *preSignUpResponse
	var out *User
	step := func(ts *Service) error {
		if u, err := ts.linkedUser(ctx, p, id.ProviderName, id.UserID); err != nil {
			return err
		} else if u != nil {
			if !u.Enabled {
				return awsjson.NotAuthorized("User is disabled.")
			}
			out = u
			return nil
		}
		u, err := ts.getUser(ctx, p, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if pre == nil {
				if _, ok := p.triggerArn("PreSignUp"); ok {
					return errPreSignUpFirst
				}
				pre = &preSignUpResponse{}
			}
			out, err = ts.createFederatedUser(ctx, p, id, name, sub, mapped, *pre)
			return err
		case err != nil:
			return err
		}
		if !holdsIdentity(u, id) {
			// A native user of that name, or a federated user of another subject whose id
			// differs only in case in a case-insensitive pool: never merge them.
			return awsjson.InvalidParameter("The user name %s belongs to another user.", clipName(name))
		}
		if !u.Enabled {
			return awsjson.NotAuthorized("User is disabled.")
		}
		prev := cloneUser(u)
		changes := maps.Clone(mapped)
		for k := range changes {
			if sa, _ := p.Schema(k); !sa.Mutable && u.Attributes[k] != "" {
				delete(changes, k) // immutable attributes keep what the first sign-in mapped
			}
		}
		mergeAttributes(u, changes)
		if maps.Equal(u.Attributes, prev.Attributes) {
			out = u
			return nil
		}
		out = u
		return ts.putUser(ctx, p, u, prev)
	}
	err = s.atomically(ctx, poolShard(p.Id), step)
	if errors.Is(err, errPreSignUpFirst) {
		clientID := clientNotApplicable
		if c != nil {
			clientID = c.ClientId
		}
		r, perr := s.preSignUp(ctx, p, "PreSignUp_ExternalProvider", name, clientID, mapped, nil, nil)
		if perr != nil {
			return nil, perr
		}
		pre = &r
		err = s.atomically(ctx, poolShard(p.Id), step)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errPreSignUpFirst stops a federated sign-in's transaction that would create the user
// before PreSignUp_ExternalProvider has run.
var errPreSignUpFirst = errors.New("userpool: run PreSignUp before creating the federated user")

// createFederatedUser creates the user of a provider subject's first sign-in.
func (s *Service) createFederatedUser(ctx context.Context, p *Pool, id *ExternalIdentity, name, sub string, mapped map[string]string, pre preSignUpResponse) (*User, error) {
	var missing []string
	for _, sa := range p.SchemaAttributes {
		if sa.Required && sa.Name != "sub" && mapped[sa.Name] == "" {
			missing = append(missing, sa.Name)
		}
	}
	if len(missing) > 0 {
		return nil, schemaError("%v: the identity provider did not supply these required attributes", missing)
	}
	now := s.now()
	u := &User{Username: name, Sub: sub, Attributes: map[string]string{}, Enabled: true,
		Status: StatusExternalProvider, Created: now, Modified: now}
	for k, v := range mapped {
		if v != "" {
			u.Attributes[k] = v
		}
	}
	pre.apply(u, false)
	entry := newIdentityEntry(id.ProviderName, id.ProviderType, id.UserID, id.Issuer, true, now.UnixMilli())
	if err := setIdentities(u, []identityEntry{entry}); err != nil {
		return nil, err
	}
	if err := s.ensureUnique(ctx, p, u, nil); err != nil {
		return nil, err
	}
	if err := s.putUser(ctx, p, u, nil); err != nil {
		return nil, err
	}
	return u, nil
}

// holdsIdentity reports whether u is the federated user of id's provider subject.
func holdsIdentity(u *User, id *ExternalIdentity) bool {
	if u.Status != StatusExternalProvider {
		return false
	}
	for _, e := range userIdentities(u) {
		if e.ProviderName == id.ProviderName && e.UserID == id.UserID {
			return true
		}
	}
	return false
}

// linkedUser returns the native user a provider subject is linked to, or nil when there is
// no link or the linked user is gone.
func (s *Service) linkedUser(ctx context.Context, p *Pool, providerName, userID string) (*User, error) {
	var l providerLink
	err := s.getJSON(ctx, linkKey(p.Id, providerName, userID), &l)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.getUser(ctx, p, l.Username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Sub != l.Sub) {
		return nil, nil
	}
	return u, err
}

// mappedAttributes checks a provider's mapped attributes against the pool's schema. Names
// the schema does not hold are dropped [est: Cognito drops unmapped claims; a mapping to an
// attribute the pool lacks is refused by Cognito when the mapping is configured, which
// poolgate does not check yet]; sub, username and identities are poolgate's own; values
// must satisfy the schema (an invalid email refuses the sign-in, as in Cognito).
func mappedAttributes(p *Pool, attrs map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name, v := range attrs {
		switch name {
		case "sub", "username", identitiesAttribute:
			continue
		}
		sa, ok := p.Schema(name)
		if !ok {
			continue
		}
		if v == "" {
			out[name] = ""
			continue
		}
		norm, err := checkAttributeValue(sa, v)
		if err != nil {
			return nil, err
		}
		out[name] = norm
	}
	return out, nil
}
