package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// GetUserInput is the input of GetUser.
type GetUserInput struct {
	AccessToken string `json:"AccessToken" aws:"required"`
}

// GetUserOutput is the output of GetUser (note UserAttributes, not Attributes; spec §2.3).
type GetUserOutput struct {
	Username            string          `json:"Username"`
	UserAttributes      []AttributeType `json:"UserAttributes"`
	PreferredMfaSetting string          `json:"PreferredMfaSetting,omitempty"`
	UserMFASettingList  []string        `json:"UserMFASettingList,omitempty"`
	MFAOptions          []MFAOptionType `json:"MFAOptions,omitempty"`
}

// getUserSelf returns the token's user with the attributes its client may read.
func (s *Service) getUserSelf(ctx context.Context, in *GetUserInput) (*GetUserOutput, error) {
	a, err := s.authorizeAccessToRead(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if a.u.Status == StatusResetRequired {
		return nil, awsjson.New(awsjson.ErrPasswordResetRequired, "Password reset required for the user")
	}
	var only []string
	if len(a.c.ReadAttributes) > 0 {
		only = append([]string{"sub"}, a.c.ReadAttributes...)
	}
	attrs := wireAttributes(a.u, only)
	if attrs == nil {
		attrs = []AttributeType{}
	}
	out := &GetUserOutput{Username: a.u.Username, UserAttributes: attrs}
	out.UserMFASettingList, out.PreferredMfaSetting, out.MFAOptions = userMfaSettings(a.u)
	return out, nil
}

// DeleteUserInput is the input of DeleteUser.
type DeleteUserInput struct {
	AccessToken string `json:"AccessToken" aws:"required"`
}

// DeleteUserOutput is the (empty) output of DeleteUser.
type DeleteUserOutput struct{}

// deleteUserSelf deletes the token's user. Its tokens die with it: every token check loads
// the user.
func (s *Service) deleteUserSelf(ctx context.Context, in *DeleteUserInput) (*DeleteUserOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.deleteUser(ctx, a.p, a.u.Username, a.u.Sub); err != nil {
		return nil, err
	}
	return &DeleteUserOutput{}, nil
}
