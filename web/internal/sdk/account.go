package sdk

import (
	"context"
	"sort"
)

// CodeDelivery says where a code went (masked), as the server reports it.
type CodeDelivery struct {
	Destination    string `json:"Destination"`
	DeliveryMedium string `json:"DeliveryMedium"`
	AttributeName  string `json:"AttributeName"`
}

// SignUpResult is SignUp's answer.
type SignUpResult struct {
	UserConfirmed bool          `json:"UserConfirmed"`
	UserSub       string        `json:"UserSub"`
	CodeDelivery  *CodeDelivery `json:"CodeDeliveryDetails"`
}

// Attribute is one user attribute on the wire.
type Attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

func attributeList(m map[string]string) []Attribute {
	list := make([]Attribute, 0, len(m))
	for k, v := range m {
		list = append(list, Attribute{Name: k, Value: v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// SignUp registers a user with a password and attributes (e.g. email).
func (c *Client) SignUp(ctx context.Context, username, password string, attributes map[string]string) (*SignUpResult, error) {
	if username == "" || password == "" {
		return nil, invalidParameter("Username and password are required.")
	}
	var out SignUpResult
	err := c.call(ctx, "SignUp", map[string]any{
		"ClientId": c.cfg.ClientID, "Username": username, "Password": password,
		"UserAttributes": attributeList(attributes),
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ConfirmSignUp confirms a sign-up with the code the user received.
func (c *Client) ConfirmSignUp(ctx context.Context, username, code string) error {
	if username == "" || code == "" {
		return invalidParameter("Username and code are required.")
	}
	return c.call(ctx, "ConfirmSignUp", map[string]any{
		"ClientId": c.cfg.ClientID, "Username": username, "ConfirmationCode": code,
	}, nil)
}

type deliveryOutput struct {
	CodeDeliveryDetails *CodeDelivery `json:"CodeDeliveryDetails"`
}

// ResendCode sends the sign-up confirmation code again.
func (c *Client) ResendCode(ctx context.Context, username string) (*CodeDelivery, error) {
	if username == "" {
		return nil, invalidParameter("Username is required.")
	}
	var out deliveryOutput
	if err := c.call(ctx, "ResendConfirmationCode", map[string]any{"ClientId": c.cfg.ClientID, "Username": username}, &out); err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

// ForgotPassword sends a password-reset code.
func (c *Client) ForgotPassword(ctx context.Context, username string) (*CodeDelivery, error) {
	if username == "" {
		return nil, invalidParameter("Username is required.")
	}
	var out deliveryOutput
	if err := c.call(ctx, "ForgotPassword", map[string]any{"ClientId": c.cfg.ClientID, "Username": username}, &out); err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetails, nil
}

// ConfirmForgotPassword sets a new password with the reset code.
func (c *Client) ConfirmForgotPassword(ctx context.Context, username, code, newPassword string) error {
	if username == "" || code == "" || newPassword == "" {
		return invalidParameter("Username, code and new password are required.")
	}
	return c.call(ctx, "ConfirmForgotPassword", map[string]any{
		"ClientId": c.cfg.ClientID, "Username": username, "ConfirmationCode": code, "Password": newPassword,
	}, nil)
}

// ChangePassword changes the signed-in user's password.
func (c *Client) ChangePassword(ctx context.Context, previous, proposed string) error {
	if previous == "" || proposed == "" {
		return invalidParameter("The current and the new password are required.")
	}
	sess, err := c.Session(ctx, false)
	if err != nil {
		return err
	}
	return c.call(ctx, "ChangePassword", map[string]any{
		"AccessToken": sess.AccessToken, "PreviousPassword": previous, "ProposedPassword": proposed,
	}, nil)
}

// User is GetUser's answer.
type User struct {
	Username   string
	Attributes map[string]string
}

// GetUser reads the signed-in user's attributes from the server.
func (c *Client) GetUser(ctx context.Context) (*User, error) {
	sess, err := c.Session(ctx, false)
	if err != nil {
		return nil, err
	}
	var out struct {
		Username       string      `json:"Username"`
		UserAttributes []Attribute `json:"UserAttributes"`
	}
	if err := c.call(ctx, "GetUser", map[string]any{"AccessToken": sess.AccessToken}, &out); err != nil {
		return nil, err
	}
	u := &User{Username: out.Username, Attributes: map[string]string{}}
	for _, a := range out.UserAttributes {
		u.Attributes[a.Name] = a.Value
	}
	return u, nil
}

// UpdateAttributes changes the signed-in user's attributes; changing a verified email or phone
// sends a code, reported in the result.
func (c *Client) UpdateAttributes(ctx context.Context, attributes map[string]string) ([]CodeDelivery, error) {
	if len(attributes) == 0 {
		return nil, invalidParameter("No attributes to update.")
	}
	sess, err := c.Session(ctx, false)
	if err != nil {
		return nil, err
	}
	var out struct {
		CodeDeliveryDetailsList []CodeDelivery `json:"CodeDeliveryDetailsList"`
	}
	err = c.call(ctx, "UpdateUserAttributes", map[string]any{
		"AccessToken": sess.AccessToken, "UserAttributes": attributeList(attributes),
	}, &out)
	if err != nil {
		return nil, err
	}
	return out.CodeDeliveryDetailsList, nil
}

// SignOut ends the session. Locally, it revokes the refresh token (RevokeToken, which also
// invalidates the access and ID tokens issued from it) and forgets the tokens; globally, it
// signs the user out of every device (GlobalSignOut) first. The tokens are forgotten even
// when the server cannot be reached; that error is still returned.
func (c *Client) SignOut(ctx context.Context, global bool) error {
	st := c.load()
	if st == nil {
		c.clear()
		return nil
	}
	var err error
	if global {
		err = c.call(ctx, "GlobalSignOut", map[string]any{"AccessToken": st.AccessToken}, nil)
	} else if st.RefreshToken != "" {
		err = c.call(ctx, "RevokeToken", map[string]any{"ClientId": c.cfg.ClientID, "Token": st.RefreshToken}, nil)
	}
	c.clear()
	if HasCode(err, CodeNotAuthorized) {
		return nil // the tokens were already revoked or expired: signed out either way
	}
	return err
}
