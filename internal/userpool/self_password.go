package userpool

import (
	"bytes"
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// ChangePasswordInput is the input of ChangePassword.
type ChangePasswordInput struct {
	AccessToken      string `json:"AccessToken" aws:"required"`
	PreviousPassword string `json:"PreviousPassword"`
	ProposedPassword string `json:"ProposedPassword" aws:"required"`
}

// ChangePasswordOutput is the (empty) output of ChangePassword.
type ChangePasswordOutput struct{}

// changePassword replaces the token's user's password. A wrong PreviousPassword counts toward
// lockout like a failed sign-in.
func (s *Service) changePassword(ctx context.Context, in *ChangePasswordInput) (*ChangePasswordOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	p, u := a.p, a.u
	if err := checkPasswordPolicy(p.Password(), in.ProposedPassword); err != nil {
		return nil, err
	}
	if err := s.checkCompromisedPassword(ctx, p, a.c, filterPasswordChange, in.ProposedPassword); err != nil {
		return nil, err
	}
	lk := lockKey(p, u.Username)
	lockVer := store.NoVersion
	checked := u.Secrets.Password // the password PreviousPassword was checked against
	if checked != nil {
		if in.PreviousPassword == "" {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value null at 'previousPassword' failed to satisfy constraint: Member must not be null")
		}
		lock, v, err := s.loadLock(ctx, lk)
		if err != nil {
			return nil, err
		}
		if err := s.checkLockout(lock); err != nil {
			return nil, err
		}
		lockVer = v
		ok, err := s.passwordMatches(p, u, in.PreviousPassword)
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := s.recordFailure(ctx, lk); err != nil {
				return nil, err
			}
			return nil, awsjson.IncorrectCredentials()
		}
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		if !samePassword(u.Secrets.Password, checked) {
			// Changed since PreviousPassword was checked: it is no longer the password.
			return awsjson.IncorrectCredentials()
		}
		prev := cloneUser(u)
		if err := ts.clearFailures(ctx, lk, lockVer); err != nil {
			return err
		}
		if err := ts.setPassword(ctx, p, u, in.ProposedPassword); err != nil {
			return err
		}
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	if err := s.accountEvent(ctx, p, a.c, u.Sub, eventPasswordChange, filterPasswordChange, in.ProposedPassword); err != nil {
		return nil, err
	}
	return &ChangePasswordOutput{}, nil
}

// samePassword reports whether a and b are the same stored password (salt and verifier).
func samePassword(a, b *PasswordVerifier) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(a.Salt, b.Salt) && bytes.Equal(a.Verifier, b.Verifier)
}

// ForgotPasswordInput is the input of ForgotPassword.
type ForgotPasswordInput struct {
	ClientId          string            `json:"ClientId" aws:"required"`
	Username          string            `json:"Username" aws:"required"`
	SecretHash        string            `json:"SecretHash"`
	ClientMetadata    map[string]string `json:"ClientMetadata"`
	UserContextData   map[string]any    `json:"UserContextData"`
	AnalyticsMetadata map[string]any    `json:"AnalyticsMetadata"`
}

// ForgotPasswordOutput is the output of ForgotPassword.
type ForgotPasswordOutput struct {
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
}

// forgotPassword sends a password-reset code to the user's verified email or phone number.
func (s *Service) forgotPassword(ctx context.Context, in *ForgotPasswordInput) (*ForgotPasswordOutput, error) {
	ctx = withCaller(ctx, in.ClientId, in.ClientMetadata)
	p, _, u, err := s.publicUserOrMigrate(ctx, in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if u == nil {
		d, err := s.decoyDelivery(ctx, p, in.Username)
		return &ForgotPasswordOutput{CodeDeliveryDetails: d}, err
	}
	var d *CodeDeliveryDetails
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		if !u.Enabled {
			return awsjson.NotAuthorized("User is disabled.")
		}
		attr := recoveryAttribute(p, u)
		if attr == "" {
			return awsjson.InvalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
		}
		prev := cloneUser(u)
		if d, err = ts.sendCode(ctx, p, u, purposeForgot, message.KindForgotPassword, attr); err != nil {
			return err
		}
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	return &ForgotPasswordOutput{CodeDeliveryDetails: d}, nil
}

// ConfirmForgotPasswordInput is the input of ConfirmForgotPassword.
type ConfirmForgotPasswordInput struct {
	ClientId          string            `json:"ClientId" aws:"required"`
	Username          string            `json:"Username" aws:"required"`
	ConfirmationCode  string            `json:"ConfirmationCode" aws:"required"`
	Password          string            `json:"Password" aws:"required"`
	SecretHash        string            `json:"SecretHash"`
	ClientMetadata    map[string]string `json:"ClientMetadata"`
	UserContextData   map[string]any    `json:"UserContextData"`
	AnalyticsMetadata map[string]any    `json:"AnalyticsMetadata"`
}

// ConfirmForgotPasswordOutput is the (empty) output of ConfirmForgotPassword.
type ConfirmForgotPasswordOutput struct{}

// confirmForgotPassword sets a new password with a reset code; the user is CONFIRMED and its
// lockout cleared afterwards.
func (s *Service) confirmForgotPassword(ctx context.Context, in *ConfirmForgotPasswordInput) (*ConfirmForgotPasswordOutput, error) {
	p, c, u, err := s.publicUser(ctx, in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, codeMismatch()
	}
	// The policy first, so a weak password does not use up the code.
	if err := checkPasswordPolicy(p.Password(), in.Password); err != nil {
		return nil, err
	}
	if err := s.checkCompromisedPassword(ctx, p, c, filterPasswordChange, in.Password); err != nil {
		return nil, err
	}
	var confirmed *User
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		if err := ts.checkCode(ctx, p, u, purposeForgot, in.ConfirmationCode); err != nil {
			return err
		}
		prev := cloneUser(u)
		if err := ts.setPassword(ctx, p, u, in.Password); err != nil {
			return err
		}
		u.Status = StatusConfirmed
		u.TempPasswordExpires = zeroTime
		if err := ts.d.Store.Delete(ctx, lockKey(p, u.Username)); err != nil { // a new password: no failures yet
			return err
		}
		confirmed = u
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	if err := s.accountEvent(ctx, p, c, u.Sub, eventForgotPassword, filterPasswordChange, in.Password); err != nil {
		return nil, err
	}
	if err := s.postConfirmation(ctx, p, in.ClientId, "PostConfirmation_ConfirmForgotPassword", confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &ConfirmForgotPasswordOutput{}, nil
}
