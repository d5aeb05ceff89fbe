package userpool

import (
	"context"
	"maps"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// clientNotApplicable is callerContext.clientId for calls no app client makes (the Admin*
// actions), as Cognito sends it.
const clientNotApplicable = "CLIENT_ID_NOT_APPLICABLE"

// preSignUpRequest is the pre sign-up event's request (AWS: "Pre sign-up Lambda trigger").
type preSignUpRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"` // null when the caller sent none
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
}

// preSignUpResponse is what the handler may set.
type preSignUpResponse struct {
	AutoConfirmUser bool `json:"autoConfirmUser"`
	AutoVerifyEmail bool `json:"autoVerifyEmail"`
	AutoVerifyPhone bool `json:"autoVerifyPhone"`
}

// preSignUp runs the pool's PreSignUp trigger, if any, for a user about to be created with
// attrs (source PreSignUp_SignUp, _AdminCreateUser or _ExternalProvider). It runs before the
// transaction that creates the user: a handler that rejects the sign-up leaves nothing
// behind, and racing sign-ups of one name each ask it once while only one user is created.
func (s *Service) preSignUp(ctx context.Context, p *Pool, source, userName, clientID string,
	attrs map[string]string, validation []AttributeType, meta map[string]string) (preSignUpResponse, error) {
	var out preSignUpResponse
	if _, ok := p.triggerArn("PreSignUp"); !ok {
		return out, nil
	}
	req := preSignUpRequest{UserAttributes: nonEmpty(attrs), ValidationData: attributeMap(validation), ClientMetadata: meta}
	if err := s.invokeTrigger(ctx, p, "PreSignUp", source, userName, clientID, req, &out); err != nil {
		return out, err
	}
	// [est] Cognito documents that auto-verifying an attribute the user lacks fails the
	// sign-up; its message is not documented.
	if out.AutoVerifyEmail && attrs["email"] == "" {
		return out, awsjson.InvalidParameter("PreSignUp asked to verify an email address, but the user has none.")
	}
	if out.AutoVerifyPhone && attrs["phone_number"] == "" {
		return out, awsjson.InvalidParameter("PreSignUp asked to verify a phone number, but the user has none.")
	}
	return out, nil
}

// apply writes the handler's answer into a user being created: verified contact attributes,
// and CONFIRMED when it confirms the user (SignUp only: an AdminCreateUser user must still
// change the temporary password, a federated user is EXTERNAL_PROVIDER).
func (r preSignUpResponse) apply(u *User, confirm bool) {
	if r.AutoVerifyEmail {
		u.Attributes["email_verified"] = "true"
	}
	if r.AutoVerifyPhone {
		u.Attributes["phone_number_verified"] = "true"
	}
	if confirm && r.AutoConfirmUser {
		u.Status = StatusConfirmed
	}
}

// attributeMap is attrs as the name → value map events carry; nil (null) when there are none.
func attributeMap(attrs []AttributeType) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		if a.Value != nil {
			m[a.Name] = *a.Value
		}
	}
	return m
}

// nonEmpty is attrs without empty values (an event's userAttributes), never nil.
func nonEmpty(attrs map[string]string) map[string]string {
	m := maps.Clone(attrs)
	if m == nil {
		m = map[string]string{}
	}
	maps.DeleteFunc(m, func(_, v string) bool { return v == "" })
	return m
}
