package userpool

import (
	"context"
	"errors"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// publicUser resolves the user an unsigned code call names by ClientId and Username (or an
// alias) and checks its SecretHash. An unknown user is UserNotFoundException unless the client
// prevents user existence errors: then u is nil and the caller answers as it would for a real
// user (a decoy delivery, or CodeMismatch), after the same SecretHash check.
func (s *Service) publicUser(ctx context.Context, clientID, username, secretHash string) (p *Pool, c *Client, u *User, err error) {
	p, c, err = s.clientByID(ctx, clientID)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err = s.findUser(ctx, p, username)
	if errors.Is(err, store.ErrNotFound) {
		if err := checkSecretHash(c, secretHash, username); err != nil {
			return nil, nil, nil, err
		}
		if c.PreventsUserExistenceErrors() {
			return p, c, nil, nil
		}
		return nil, nil, nil, awsjson.UserNotFound()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkSecretHash(c, secretHash, userNames(username, u)...); err != nil {
		return nil, nil, nil, err
	}
	return p, c, u, nil
}

// codeMismatch is the answer to a wrong confirmation or reset code.
func codeMismatch() *awsjson.Error {
	return awsjson.CodeMismatch("Invalid verification code provided, please try again.")
}
