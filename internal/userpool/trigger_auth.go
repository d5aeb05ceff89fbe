package userpool

import "context"

// The triggers around confirmation and sign-in: PostConfirmation, PreAuthentication and
// PostAuthentication (AWS's "Post confirmation", "Pre authentication" and "Post
// authentication" Lambda triggers).

// clientMetadata is the ClientMetadata of the call in ctx (withCaller), so the sign-in code
// between the action and the trigger need not pass it along.
func clientMetadata(ctx context.Context) map[string]string { return callerOf(ctx).meta }

// userEventRequest is the request of the triggers that carry only the user's attributes and
// the caller's ClientMetadata (PostConfirmation, PostAuthentication with newDeviceUsed).
type userEventRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
	NewDeviceUsed  *bool             `json:"newDeviceUsed,omitempty"`
}

// emptyResponse is the response of triggers that answer nothing.
type emptyResponse struct{}

// eventAttributes is a user's attributes as events show them: every attribute, sub included,
// and cognito:user_status as Cognito adds it to these events.
func eventAttributes(u *User) map[string]string {
	m := nonEmpty(u.Attributes)
	m["sub"] = u.Sub
	m["cognito:user_status"] = string(u.Status)
	return m
}

// postConfirmation runs PostConfirmation after u's confirmation has committed (source
// PostConfirmation_ConfirmSignUp or _ConfirmForgotPassword). A failing handler fails the
// call, as on Cognito, but the confirmation stands.
func (s *Service) postConfirmation(ctx context.Context, p *Pool, clientID, source string, u *User, meta map[string]string) error {
	if _, ok := p.triggerArn("PostConfirmation"); !ok || u == nil {
		return nil
	}
	req := userEventRequest{UserAttributes: eventAttributes(u), ClientMetadata: meta}
	return s.invokeTrigger(ctx, p, "PostConfirmation", source, u.Username, clientID, req, &emptyResponse{})
}

// preAuthenticationRequest is the pre authentication event's request: validationData is
// the sign-in's ClientMetadata; userNotFound is set when the client prevents user-existence
// errors and the name is nobody's (userAttributes is then empty).
type preAuthenticationRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
	ValidationData map[string]string `json:"validationData"`
}

// preAuthentication runs PreAuthentication for a sign-in of t (name as given) before its
// password is checked; a handler that fails refuses the sign-in.
func (s *Service) preAuthentication(ctx context.Context, p *Pool, c *Client, t *signInTarget, name string) error {
	if _, ok := p.triggerArn("PreAuthentication"); !ok {
		return nil
	}
	req := preAuthenticationRequest{UserAttributes: map[string]string{}, ValidationData: clientMetadata(ctx)}
	userName := name
	if t.u != nil {
		req.UserAttributes, userName = eventAttributes(t.u), t.u.Username
	} else {
		req.UserNotFound = true
	}
	return s.invokeTrigger(ctx, p, "PreAuthentication", "PreAuthentication_Authentication", userName, c.ClientId, req, &emptyResponse{})
}

// postAuthentication runs PostAuthentication once u has passed every factor, before tokens
// are issued; a handler that fails refuses the sign-in.
func (s *Service) postAuthentication(ctx context.Context, p *Pool, c *Client, u *User) error {
	if _, ok := p.triggerArn("PostAuthentication"); !ok {
		return nil
	}
	newDevice := false // poolgate remembers no devices
	req := userEventRequest{UserAttributes: eventAttributes(u), ClientMetadata: clientMetadata(ctx), NewDeviceUsed: &newDevice}
	return s.invokeTrigger(ctx, p, "PostAuthentication", "PostAuthentication_Authentication", u.Username, c.ClientId, req, &emptyResponse{})
}
