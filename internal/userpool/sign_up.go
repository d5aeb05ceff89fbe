package userpool

import (
	"context"
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// SignUpInput is the input of SignUp.
type SignUpInput struct {
	ClientId          string            `json:"ClientId" aws:"required"`
	Username          string            `json:"Username" aws:"required"`
	Password          string            `json:"Password"`
	SecretHash        string            `json:"SecretHash"`
	UserAttributes    []AttributeType   `json:"UserAttributes"`
	ValidationData    []AttributeType   `json:"ValidationData"`
	ClientMetadata    map[string]string `json:"ClientMetadata"`
	UserContextData   map[string]any    `json:"UserContextData"`
	AnalyticsMetadata map[string]any    `json:"AnalyticsMetadata"`
}

// SignUpOutput is the output of SignUp.
type SignUpOutput struct {
	UserConfirmed       bool                 `json:"UserConfirmed"`
	UserSub             string               `json:"UserSub"`
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
}

// signUp registers an UNCONFIRMED user and sends the sign-up code to the first
// auto-verified contact attribute it has (none: an admin confirms the user).
func (s *Service) signUp(ctx context.Context, in *SignUpInput) (*SignUpOutput, error) {
	ctx = withCaller(ctx, in.ClientId, in.ClientMetadata)
	p, c, err := s.clientByID(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkSecretHash(c, in.SecretHash, in.Username); err != nil {
		return nil, err
	}
	if p.AdminCreateUserConfig != nil && p.AdminCreateUserConfig.AllowAdminCreateUserOnly {
		return nil, awsjson.NotAuthorized("SignUp is not permitted for this user pool")
	}
	if err := checkUsernameSyntax(in.Username); err != nil {
		return nil, err
	}
	if in.Password == "" {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
	}
	if err := checkPasswordPolicy(p.Password(), in.Password); err != nil {
		return nil, err
	}
	// In pools whose username is an email or phone number, the name given becomes that
	// attribute and the user is known internally by its sub (name == "").
	name, attrs, err := s.adminCreateName(p, in.Username, in.UserAttributes)
	if err != nil {
		return nil, err
	}
	values, err := s.validateAttributes(p, attrs, attrSignUp)
	if err != nil {
		return nil, err
	}
	sub, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = sub
	}
	pre, err := s.preSignUp(ctx, p, "PreSignUp_SignUp", name, c.ClientId, values, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	// One transaction: the username and every sign-in attribute are claimed together, so of
	// racing sign-ups for one name exactly one succeeds and no index key is left behind.
	var out *SignUpOutput
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u := &User{Username: name, Sub: sub, Attributes: map[string]string{}, Enabled: true,
			Status: StatusUnconfirmed, Created: ts.now()}
		for k, v := range values {
			if v != "" {
				u.Attributes[k] = v
			}
		}
		pre.apply(u, true)
		if _, err := ts.getUser(ctx, p, u.Username); err == nil {
			return awsjson.UsernameExists("User already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := ts.ensureUnique(ctx, p, u, nil); err != nil {
			return err
		}
		if err := ts.setPassword(ctx, p, u, in.Password); err != nil {
			return err
		}
		out = &SignUpOutput{UserSub: sub, UserConfirmed: u.Status == StatusConfirmed}
		if attr := signUpDeliveryAttr(p, u); attr != "" && !out.UserConfirmed {
			var err error
			if out.CodeDeliveryDetails, err = ts.sendCode(ctx, p, u, purposeSignUp, message.KindSignUp, attr); err != nil {
				return err
			}
		}
		return ts.putUser(ctx, p, u, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResendConfirmationCodeInput is the input of ResendConfirmationCode.
type ResendConfirmationCodeInput struct {
	ClientId          string            `json:"ClientId" aws:"required"`
	Username          string            `json:"Username" aws:"required"`
	SecretHash        string            `json:"SecretHash"`
	ClientMetadata    map[string]string `json:"ClientMetadata"`
	UserContextData   map[string]any    `json:"UserContextData"`
	AnalyticsMetadata map[string]any    `json:"AnalyticsMetadata"`
}

// ResendConfirmationCodeOutput is the output of ResendConfirmationCode.
type ResendConfirmationCodeOutput struct {
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
}

// resendConfirmationCode sends an UNCONFIRMED user a new sign-up code.
func (s *Service) resendConfirmationCode(ctx context.Context, in *ResendConfirmationCodeInput) (*ResendConfirmationCodeOutput, error) {
	ctx = withCaller(ctx, in.ClientId, in.ClientMetadata)
	p, _, u, err := s.publicUser(ctx, in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if u == nil {
		d, err := s.decoyDelivery(ctx, p, in.Username)
		return &ResendConfirmationCodeOutput{CodeDeliveryDetails: d}, err
	}
	var d *CodeDeliveryDetails
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		if u.Status != StatusUnconfirmed {
			return awsjson.InvalidParameter("User is already confirmed.")
		}
		attr := signUpDeliveryAttr(p, u)
		if attr == "" {
			return awsjson.InvalidParameter("Auto verification not turned on.")
		}
		prev := cloneUser(u)
		if d, err = ts.sendCode(ctx, p, u, purposeSignUp, message.KindResendCode, attr); err != nil {
			return err
		}
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	return &ResendConfirmationCodeOutput{CodeDeliveryDetails: d}, nil
}

// checkUsernameSyntax applies the model's constraint on Username: 1–128 characters, letters,
// marks, symbols, numbers and punctuation only (no spaces or control characters).
func checkUsernameSyntax(name string) error {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 128 {
		return awsjson.InvalidParameter("1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128")
	}
	for _, r := range name {
		if r == utf8.RuneError || !unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P) {
			return awsjson.InvalidParameter(`1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
		}
	}
	return nil
}
