package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/jsonwrite"
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

// AppendJSON writes o as the dispatcher's encoding/json encoder would (awsjson.JSONAppender:
// GetUser is the hottest answer); FuzzGetUserOutputJSON holds the two together.
func (o *GetUserOutput) AppendJSON(b []byte) []byte {
	b = append(b, `{"Username":`...)
	b = jsonwrite.AppendString(b, o.Username, false)
	b = append(b, `,"UserAttributes":`...)
	if o.UserAttributes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, a := range o.UserAttributes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Name":`...)
			b = jsonwrite.AppendString(b, a.Name, false)
			if a.Value != nil {
				b = append(b, `,"Value":`...)
				b = jsonwrite.AppendString(b, *a.Value, false)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if o.PreferredMfaSetting != "" {
		b = append(b, `,"PreferredMfaSetting":`...)
		b = jsonwrite.AppendString(b, o.PreferredMfaSetting, false)
	}
	if len(o.UserMFASettingList) > 0 {
		b = append(b, `,"UserMFASettingList":`...)
		b = jsonwrite.AppendStrings(b, o.UserMFASettingList, false)
	}
	if len(o.MFAOptions) > 0 {
		b = append(b, `,"MFAOptions":[`...)
		for i, m := range o.MFAOptions {
			if i > 0 {
				b = append(b, ',')
			}
			obj := jsonObject{b: append(b, '{')}
			if m.DeliveryMedium != "" {
				obj.member("DeliveryMedium")
				obj.b = jsonwrite.AppendString(obj.b, m.DeliveryMedium, false)
			}
			if m.AttributeName != "" {
				obj.member("AttributeName")
				obj.b = jsonwrite.AppendString(obj.b, m.AttributeName, false)
			}
			b = append(obj.b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
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
