package userpool

import (
	"context"
	"crypto/subtle"
	"maps"
	"slices"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/secrethash"
)

// authActions are the actions end users (and admins on their behalf) sign up and sign in
// with: sign-up and confirmation, the auth flows and their challenges, token refresh and
// revocation, and the self-service calls authorized by an access token.
func (s *Service) authActions() []awsjson.Action {
	public := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.Public, Handle: h}
	}
	signed := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		public("SignUp", awsjson.Handler(s.signUp)),
		public("ConfirmSignUp", awsjson.Handler(s.confirmSignUp)),
		public("ResendConfirmationCode", awsjson.Handler(s.resendConfirmationCode)),
		public("InitiateAuth", awsjson.Handler(s.initiateAuth)),
		public("RespondToAuthChallenge", awsjson.Handler(s.respondToAuthChallenge)),
		public("GetTokensFromRefreshToken", awsjson.Handler(s.getTokensFromRefreshToken)),
		public("RevokeToken", awsjson.Handler(s.revokeToken)),
		public("GlobalSignOut", awsjson.Handler(s.globalSignOut)),
		public("GetUser", awsjson.Handler(s.getUserSelf)),
		public("UpdateUserAttributes", awsjson.Handler(s.updateUserAttributes)),
		public("DeleteUserAttributes", awsjson.Handler(s.deleteUserAttributes)),
		public("GetUserAttributeVerificationCode", awsjson.Handler(s.getUserAttributeVerificationCode)),
		public("VerifyUserAttribute", awsjson.Handler(s.verifyUserAttribute)),
		public("ChangePassword", awsjson.Handler(s.changePassword)),
		public("ForgotPassword", awsjson.Handler(s.forgotPassword)),
		public("ConfirmForgotPassword", awsjson.Handler(s.confirmForgotPassword)),
		public("DeleteUser", awsjson.Handler(s.deleteUserSelf)),
		signed("AdminInitiateAuth", awsjson.Handler(s.adminInitiateAuth)),
		signed("AdminRespondToAuthChallenge", awsjson.Handler(s.adminRespondToAuthChallenge)),
		signed("AdminUserGlobalSignOut", awsjson.Handler(s.adminUserGlobalSignOut)),
	}
}

// checkSecretHash enforces SECRET_HASH (spec §4) for clients with a secret. given is the hash
// the caller sent; names are the identifiers it may have been computed over (what the caller
// typed first, then the user's canonical username, sub and aliases, to be lenient as the spec
// recommends). Clients without a secret ignore the hash.
func checkSecretHash(c *Client, given string, names ...string) error {
	if c.ClientSecret == "" {
		return nil
	}
	if given == "" {
		return awsjson.NotAuthorized("Client %s is configured with secret but SECRET_HASH was not received", c.ClientId)
	}
	for _, n := range names {
		if n != "" && secrethash.Verify(c.ClientSecret, n, c.ClientId, given) {
			return nil
		}
	}
	return awsjson.NotAuthorized("Unable to verify secret hash for client %s", c.ClientId)
}

// checkClientSecret enforces the raw ClientSecret that RevokeToken and
// GetTokensFromRefreshToken take instead of a SECRET_HASH.
func checkClientSecret(c *Client, given string) error {
	if c.ClientSecret == "" {
		return nil
	}
	if given == "" {
		return awsjson.NotAuthorized("Client %s is configured with secret but ClientSecret was not received", c.ClientId)
	}
	if subtle.ConstantTimeCompare([]byte(c.ClientSecret), []byte(given)) != 1 {
		return awsjson.NotAuthorized("Unable to verify client secret for client %s", c.ClientId)
	}
	return nil
}

// userNames lists the identifiers a caller may know u by, for lenient SECRET_HASH checks.
func userNames(typed string, u *User) []string {
	return []string{typed, u.Username, u.Sub, u.Attributes["email"], u.Attributes["phone_number"],
		u.Attributes["preferred_username"]}
}

// cloneUser copies u deeply enough that changing the copy's attributes, groups or codes
// leaves u intact (putUser needs the previous state to fix the index keys).
func cloneUser(u *User) *User {
	c := *u
	c.Attributes = maps.Clone(u.Attributes)
	c.Groups = slices.Clone(u.Groups)
	c.Secrets.History = slices.Clone(u.Secrets.History)
	if u.Secrets.Codes != nil {
		c.Secrets.Codes = make(map[string]*Code, len(u.Secrets.Codes))
		for k, v := range u.Secrets.Codes {
			cv := *v
			c.Secrets.Codes[k] = &cv
		}
	}
	return &c
}
