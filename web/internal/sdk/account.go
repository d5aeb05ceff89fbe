package sdk

import (
	"context"
	"sort"
)

// CodeDelivery says where a code went (masked), as the server reports it.
type CodeDelivery struct {
	Destination    string
	DeliveryMedium string
	AttributeName  string
}

// readCodeDelivery reads a CodeDeliveryDetailsType; nil when o is the zero object.
func readCodeDelivery(o object) *CodeDelivery {
	if o.m == nil {
		return nil
	}
	return &CodeDelivery{Destination: o.str("Destination"), DeliveryMedium: o.str("DeliveryMedium"), AttributeName: o.str("AttributeName")}
}

// SignUpResult is SignUp's answer.
type SignUpResult struct {
	UserConfirmed bool
	UserSub       string
	CodeDelivery  *CodeDelivery
}

// attributeList is m as the wire's list of AttributeType ({Name, Value}), sorted by name.
func attributeList(m map[string]string) []map[string]string {
	list := make([]map[string]string, 0, len(m))
	for k, v := range m {
		list = append(list, map[string]string{"Name": k, "Value": v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i]["Name"] < list[j]["Name"] })
	return list
}

// attributeMap reads a list of AttributeType into a map.
func attributeMap(list []object) map[string]string {
	m := make(map[string]string, len(list))
	for _, a := range list {
		m[a.str("Name")] = a.str("Value")
	}
	return m
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
	}, func(o object) {
		out = SignUpResult{UserConfirmed: o.boolean("UserConfirmed"), UserSub: o.str("UserSub"), CodeDelivery: readCodeDelivery(o.obj("CodeDeliveryDetails"))}
	})
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

// readDelivery reads an answer's CodeDeliveryDetails into *d.
func readDelivery(d **CodeDelivery) func(object) {
	return func(o object) { *d = readCodeDelivery(o.obj("CodeDeliveryDetails")) }
}

// ResendCode sends the sign-up confirmation code again.
func (c *Client) ResendCode(ctx context.Context, username string) (*CodeDelivery, error) {
	if username == "" {
		return nil, invalidParameter("Username is required.")
	}
	var d *CodeDelivery
	if err := c.call(ctx, "ResendConfirmationCode", map[string]any{"ClientId": c.cfg.ClientID, "Username": username}, readDelivery(&d)); err != nil {
		return nil, err
	}
	return d, nil
}

// ForgotPassword sends a password-reset code.
func (c *Client) ForgotPassword(ctx context.Context, username string) (*CodeDelivery, error) {
	if username == "" {
		return nil, invalidParameter("Username is required.")
	}
	var d *CodeDelivery
	if err := c.call(ctx, "ForgotPassword", map[string]any{"ClientId": c.cfg.ClientID, "Username": username}, readDelivery(&d)); err != nil {
		return nil, err
	}
	return d, nil
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
	var u User
	if err := c.call(ctx, "GetUser", map[string]any{"AccessToken": sess.AccessToken}, func(o object) {
		u = User{Username: o.str("Username"), Attributes: attributeMap(o.objects("UserAttributes"))}
	}); err != nil {
		return nil, err
	}
	return &u, nil
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
	var list []CodeDelivery
	err = c.call(ctx, "UpdateUserAttributes", map[string]any{
		"AccessToken": sess.AccessToken, "UserAttributes": attributeList(attributes),
	}, func(o object) {
		for _, d := range o.objects("CodeDeliveryDetailsList") {
			list = append(list, CodeDelivery{Destination: d.str("Destination"), DeliveryMedium: d.str("DeliveryMedium"), AttributeName: d.str("AttributeName")})
		}
	})
	if err != nil {
		return nil, err
	}
	return list, nil
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
