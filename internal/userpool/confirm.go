package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// ConfirmSignUpInput is the input of ConfirmSignUp.
type ConfirmSignUpInput struct {
	ClientId           string            `json:"ClientId" aws:"required"`
	Username           string            `json:"Username" aws:"required"`
	ConfirmationCode   string            `json:"ConfirmationCode" aws:"required"`
	SecretHash         string            `json:"SecretHash"`
	ForceAliasCreation bool              `json:"ForceAliasCreation"`
	ClientMetadata     map[string]string `json:"ClientMetadata"`
	UserContextData    map[string]any    `json:"UserContextData"`
	AnalyticsMetadata  map[string]any    `json:"AnalyticsMetadata"`
	Session            string            `json:"Session"`
}

// ConfirmSignUpOutput is the (empty) output of ConfirmSignUp.
type ConfirmSignUpOutput struct{}

// confirmSignUp confirms an UNCONFIRMED user with the code sent at sign-up, which also
// verifies the contact attribute it went to.
func (s *Service) confirmSignUp(ctx context.Context, in *ConfirmSignUpInput) (*ConfirmSignUpOutput, error) {
	p, _, u, err := s.publicUser(ctx, in.ClientId, in.Username, in.SecretHash)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, codeMismatch()
	}
	var confirmed *User
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		if u.Status != StatusUnconfirmed {
			return awsjson.NotAuthorized("User cannot be confirmed. Current status is %s", u.Status)
		}
		attr := signUpDeliveryAttr(p, u)
		if err := ts.checkCode(ctx, p, u, purposeSignUp, in.ConfirmationCode); err != nil {
			return err
		}
		prev := cloneUser(u)
		u.Status = StatusConfirmed
		if attr != "" {
			u.Attributes[attr+"_verified"] = "true"
		}
		if err := ts.claimAliases(ctx, p, u, in.ForceAliasCreation); err != nil {
			return err
		}
		confirmed = u
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	if err := s.postConfirmation(ctx, p, in.ClientId, "PostConfirmation_ConfirmSignUp", confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &ConfirmSignUpOutput{}, nil
}
