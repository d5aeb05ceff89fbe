package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// mfaActions are the MFA actions (spec §13): the pool's MFA configuration (signed), software
// tokens and MFA preferences, for the user (access token, or for software tokens an MFA_SETUP
// Session) and for an administrator.
func (s *Service) mfaActions() []awsjson.Action {
	public := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.Public, Handle: h}
	}
	signed := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		signed("SetUserPoolMfaConfig", awsjson.Handler(s.setUserPoolMfaConfig)),
		signed("GetUserPoolMfaConfig", awsjson.Handler(s.getUserPoolMfaConfig)),
		public("AssociateSoftwareToken", awsjson.Handler(s.associateSoftwareToken)),
		public("VerifySoftwareToken", awsjson.Handler(s.verifySoftwareToken)),
		public("SetUserMFAPreference", awsjson.Handler(s.setUserMFAPreference)),
		public("SetUserSettings", awsjson.Handler(s.setUserSettings)),
		signed("AdminSetUserMFAPreference", awsjson.Handler(s.adminSetUserMFAPreference)),
		signed("AdminSetUserSettings", awsjson.Handler(s.adminSetUserSettings)),
	}
}
