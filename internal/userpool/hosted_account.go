package userpool

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/secrethash"
)

// The account pages of managed login (sign-up, confirmation, forgotten password) run the
// JSON API's own actions on the user's behalf. The pages are the pool's own and hold the
// client's secret, so they present the SECRET_HASH a client app would compute; everything
// else (policy, attribute checks, codes and their attempt counting, PreventUserExistenceErrors
// decoys, messages) is the action's.

// checkMembers applies the JSON API's member constraints (lengths, patterns) to an action's
// input built from a page's form, as the dispatcher does to a request body.
// Members the page leaves empty (a public client's SecretHash) are left out, as a client
// app leaves them out of its request.
func checkMembers[In any](in *In) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("userpool: %w", err)
	}
	var members map[string]any
	if err := json.Unmarshal(b, &members); err != nil {
		return fmt.Errorf("userpool: %w", err)
	}
	for name, v := range members {
		if v == "" {
			delete(members, name)
		}
	}
	if b, err = json.Marshal(members); err != nil {
		return fmt.Errorf("userpool: %w", err)
	}
	var checked In
	return awsjson.Decode(b, &checked)
}

// hostedSecretHash is the SECRET_HASH of username for c ("" for a client without secret).
func hostedSecretHash(c *Client, username string) string {
	if c.ClientSecret == "" {
		return ""
	}
	return secrethash.Compute(c.ClientSecret, username, c.ClientId)
}

// HostedSignUp signs a user up through client c, as SignUp does.
func (s *Service) HostedSignUp(ctx context.Context, c *Client, username, password string, attrs map[string]string) (*SignUpOutput, error) {
	in := &SignUpInput{ClientId: c.ClientId, Username: username, Password: password, SecretHash: hostedSecretHash(c, username)}
	for name, v := range attrs {
		in.UserAttributes = append(in.UserAttributes, AttributeType{Name: name, Value: &v})
	}
	if err := checkMembers(in); err != nil {
		return nil, err
	}
	return s.signUp(ctx, in)
}

// HostedConfirmSignUp confirms a sign-up with its code, as ConfirmSignUp does.
func (s *Service) HostedConfirmSignUp(ctx context.Context, c *Client, username, code string) error {
	in := &ConfirmSignUpInput{ClientId: c.ClientId, Username: username, ConfirmationCode: code,
		SecretHash: hostedSecretHash(c, username)}
	if err := checkMembers(in); err != nil {
		return err
	}
	_, err := s.confirmSignUp(ctx, in)
	return err
}

// HostedResendCode sends the sign-up code again, as ResendConfirmationCode does.
func (s *Service) HostedResendCode(ctx context.Context, c *Client, username string) (*CodeDeliveryDetails, error) {
	in := &ResendConfirmationCodeInput{ClientId: c.ClientId, Username: username, SecretHash: hostedSecretHash(c, username)}
	if err := checkMembers(in); err != nil {
		return nil, err
	}
	out, err := s.resendConfirmationCode(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

// HostedForgotPassword sends a password-reset code, as ForgotPassword does.
func (s *Service) HostedForgotPassword(ctx context.Context, c *Client, username string) (*CodeDeliveryDetails, error) {
	in := &ForgotPasswordInput{ClientId: c.ClientId, Username: username, SecretHash: hostedSecretHash(c, username)}
	if err := checkMembers(in); err != nil {
		return nil, err
	}
	out, err := s.forgotPassword(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

// HostedConfirmForgotPassword sets a new password with a reset code, as
// ConfirmForgotPassword does.
func (s *Service) HostedConfirmForgotPassword(ctx context.Context, c *Client, username, code, password string) error {
	in := &ConfirmForgotPasswordInput{ClientId: c.ClientId, Username: username, ConfirmationCode: code,
		Password: password, SecretHash: hostedSecretHash(c, username)}
	if err := checkMembers(in); err != nil {
		return err
	}
	_, err := s.confirmForgotPassword(ctx, in)
	return err
}

// SignUpAttributes lists the attributes a sign-up must give (the schema's required ones, sub
// aside), and whether the username is an email address or phone number
// (UsernameAttributes), for the sign-up page.
func (s *Service) SignUpAttributes(p *Pool) (required []string, usernameIs string) {
	for _, sa := range p.SchemaAttributes {
		if sa.Required && sa.Name != "sub" {
			required = append(required, sa.Name)
		}
	}
	switch {
	case p.UsesUsernameAttribute("email"):
		usernameIs = "email"
	case p.UsesUsernameAttribute("phone_number"):
		usernameIs = "phone_number"
	}
	return required, usernameIs
}
