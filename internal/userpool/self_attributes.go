package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
)

// UpdateUserAttributesInput is the input of UpdateUserAttributes.
type UpdateUserAttributesInput struct {
	AccessToken    string            `json:"AccessToken" aws:"required"`
	UserAttributes []AttributeType   `json:"UserAttributes" aws:"required"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

// UpdateUserAttributesOutput is the output of UpdateUserAttributes.
type UpdateUserAttributesOutput struct {
	CodeDeliveryDetailsList []CodeDeliveryDetails `json:"CodeDeliveryDetailsList,omitempty"`
}

// updateUserAttributes changes the token's user's attributes. A changed email or phone
// number becomes unverified; when the pool verifies it automatically a code is sent to it.
func (s *Service) updateUserAttributes(ctx context.Context, in *UpdateUserAttributesInput) (*UpdateUserAttributesOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(a.c, attributeNames(in.UserAttributes)); err != nil {
		return nil, err
	}
	ctx = withCaller(ctx, a.c.ClientId, in.ClientMetadata)
	values, err := s.validateAttributes(a.p, in.UserAttributes, attrSelfUpdate)
	if err != nil {
		return nil, err
	}
	var out *UpdateUserAttributesOutput
	err = s.modifySelf(ctx, a, func(ts *Service, u, prev *User) error {
		changed := applyAttributes(u, values)
		if err := ts.ensureUnique(ctx, a.p, u, prev); err != nil {
			return err
		}
		out = &UpdateUserAttributesOutput{}
		for _, attr := range changed {
			if !contains(a.p.AutoVerifiedAttributes, attr) {
				continue
			}
			d, err := ts.sendCode(ctx, a.p, u, purposeVerify(attr), message.KindVerifyAttribute, attr)
			if err != nil {
				return err
			}
			out.CodeDeliveryDetailsList = append(out.CodeDeliveryDetailsList, *d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteUserAttributesInput is the input of DeleteUserAttributes.
type DeleteUserAttributesInput struct {
	AccessToken        string   `json:"AccessToken" aws:"required"`
	UserAttributeNames []string `json:"UserAttributeNames" aws:"required"`
}

// DeleteUserAttributesOutput is the (empty) output of DeleteUserAttributes.
type DeleteUserAttributesOutput struct{}

// deleteUserAttributes removes attributes of the token's user (not required ones).
func (s *Service) deleteUserAttributes(ctx context.Context, in *DeleteUserAttributesInput) (*DeleteUserAttributesOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(a.c, in.UserAttributeNames); err != nil {
		return nil, err
	}
	attrs := make([]AttributeType, len(in.UserAttributeNames))
	for i, name := range in.UserAttributeNames {
		attrs[i] = AttributeType{Name: name}
	}
	values, err := s.validateAttributes(a.p, attrs, attrSelfUpdate)
	if err != nil {
		return nil, err
	}
	for _, name := range in.UserAttributeNames {
		values[name] = ""
	}
	err = s.modifySelf(ctx, a, func(ts *Service, u, prev *User) error {
		applyAttributes(u, values)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DeleteUserAttributesOutput{}, nil
}

// GetUserAttributeVerificationCodeInput is the input of GetUserAttributeVerificationCode.
type GetUserAttributeVerificationCodeInput struct {
	AccessToken    string            `json:"AccessToken" aws:"required"`
	AttributeName  string            `json:"AttributeName" aws:"required"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

// GetUserAttributeVerificationCodeOutput is the output of GetUserAttributeVerificationCode.
type GetUserAttributeVerificationCodeOutput struct {
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
}

// getUserAttributeVerificationCode sends a code that verifies the user's email or phone number.
func (s *Service) getUserAttributeVerificationCode(ctx context.Context, in *GetUserAttributeVerificationCodeInput) (*GetUserAttributeVerificationCodeOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := verifiableAttribute(a.u, in.AttributeName); err != nil {
		return nil, err
	}
	ctx = withCaller(ctx, a.c.ClientId, in.ClientMetadata)
	var d *CodeDeliveryDetails
	err = s.modifySelf(ctx, a, func(ts *Service, u, prev *User) error {
		if err := verifiableAttribute(u, in.AttributeName); err != nil {
			return err
		}
		var err error
		d, err = ts.sendCode(withMessageSource(ctx, "VerifyUserAttribute"), a.p, u, purposeVerify(in.AttributeName), message.KindVerifyAttribute, in.AttributeName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &GetUserAttributeVerificationCodeOutput{CodeDeliveryDetails: d}, nil
}

// VerifyUserAttributeInput is the input of VerifyUserAttribute.
type VerifyUserAttributeInput struct {
	AccessToken   string `json:"AccessToken" aws:"required"`
	AttributeName string `json:"AttributeName" aws:"required"`
	Code          string `json:"Code" aws:"required"`
}

// VerifyUserAttributeOutput is the (empty) output of VerifyUserAttribute.
type VerifyUserAttributeOutput struct{}

// verifyUserAttribute marks the user's email or phone number verified with the code sent to
// it; a verified alias must not be held verified by someone else (AliasExistsException).
func (s *Service) verifyUserAttribute(ctx context.Context, in *VerifyUserAttributeInput) (*VerifyUserAttributeOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := verifiableAttribute(a.u, in.AttributeName); err != nil {
		return nil, err
	}
	err = s.modifySelf(ctx, a, func(ts *Service, u, prev *User) error {
		if err := verifiableAttribute(u, in.AttributeName); err != nil {
			return err
		}
		if err := ts.checkCode(ctx, a.p, u, purposeVerify(in.AttributeName), in.Code); err != nil {
			return err
		}
		u.Attributes[in.AttributeName+"_verified"] = "true"
		return ts.ensureUnique(ctx, a.p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	return &VerifyUserAttributeOutput{}, nil
}

// verifiableAttribute checks that attr is a contact attribute u has.
func verifiableAttribute(u *User, attr string) error {
	if attr != "email" && attr != "phone_number" {
		return awsjson.InvalidParameter("Only email and phone_number can be verified; %s cannot.", attr)
	}
	if u.Attributes[attr] == "" {
		return awsjson.InvalidParameter("The user has no %s to verify.", attr)
	}
	return nil
}

// checkWritable refuses attributes the client's WriteAttributes do not list (all are
// writable when it is unset).
func checkWritable(c *Client, names []string) error {
	if len(c.WriteAttributes) == 0 {
		return nil
	}
	for _, n := range names {
		if !contains(c.WriteAttributes, n) {
			return awsjson.NotAuthorized("A client attempted to write unauthorized attribute")
		}
	}
	return nil
}

func attributeNames(attrs []AttributeType) []string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	return names
}

// applyAttributes merges validated values into u (see mergeAttributes) and returns the
// contact attributes (email, phone_number) given a new value. A pending verification code
// for a contact attribute that changes is void: it was sent to the old value.
func applyAttributes(u *User, values map[string]string) []string {
	var changed []string
	for _, attr := range []string{"email", "phone_number"} {
		v, ok := values[attr]
		if !ok || v == u.Attributes[attr] {
			continue
		}
		delete(u.Secrets.Codes, purposeVerify(attr))
		if v != "" {
			changed = append(changed, attr)
		}
	}
	mergeAttributes(u, values)
	return changed
}

// modifySelf runs change on the access token's user and saves the result, in one transaction
// retried on conflict (as modifyAdminUser): change sees the user as it now is, prev a copy.
func (s *Service) modifySelf(ctx context.Context, a *accessCaller, change func(ts *Service, u, prev *User) error) error {
	return s.atomically(ctx, poolShard(a.p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, a.p, a.u)
		if err != nil {
			return err
		}
		prev := cloneUser(u)
		if err := change(ts, u, prev); err != nil {
			return err
		}
		return ts.putUser(ctx, a.p, u, prev)
	})
}
