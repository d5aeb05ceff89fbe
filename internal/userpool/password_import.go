package userpool

import (
	"context"
	"fmt"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/passhash"
)

// Users imported with a password hash (import_csv.go) keep their password: the first sign-in
// that presents it — USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH or the managed-login page,
// the flows that see the password — checks it against the hash (constant time, internal/passhash)
// and, in one commit, replaces the hash with the SRP salt and verifier every other user has.
// From then on the user is like any other. The password itself is never stored or logged.
//
// SRP cannot check a hash: the client proves a verifier the user does not have yet. As Cognito
// answers SRP for a user only its UserMigration trigger knows [est], USER_SRP_AUTH for a user
// holding only an imported hash is refused at its first step: UserNotFoundException, or
// "Incorrect username or password." when the client prevents user-existence errors. The
// client signs in once with USER_PASSWORD_AUTH (Amplify: authFlowType USER_PASSWORD_AUTH), as
// with Cognito's user migration.

// imported reports whether t is an imported user without a password of poolgate's yet: one
// holding an imported hash, or one imported without (RESET_REQUIRED, who has no password to
// check and is told to reset it, as Cognito tells its imported users).
func (t *signInTarget) imported() bool {
	return t.u != nil && t.u.Secrets.Password == nil && (t.u.Secrets.Imported != "" || t.u.Status == StatusResetRequired)
}

func passwordResetRequired() error {
	return awsjson.New(awsjson.ErrPasswordResetRequired, "Password reset required for the user")
}

// checkImportedPassword is checkTargetPassword for an imported user (see imported). For one
// holding a hash, a wrong password counts toward lockout; a right one replaces the hash by a
// verifier of the password. Of racing sign-ins one commits the replacement; the others find
// the verifier and check the password against it, so each answers as its password deserves.
func (s *Service) checkImportedPassword(ctx context.Context, p *Pool, t *signInTarget, password string) error {
	if t.u.Secrets.Imported == "" {
		return passwordResetRequired()
	}
	h, err := passhash.Parse(t.u.Secrets.Imported)
	if err != nil {
		return fmt.Errorf("userpool: user %s: imported hash: %w", t.u.Username, err)
	}
	if !h.Verify(password) {
		if err := s.recordFailure(ctx, t.lockKey); err != nil {
			return err
		}
		return awsjson.IncorrectCredentials()
	}
	var fresh *User
	wrong := false
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.reload(ctx, p, t.u)
		if err != nil {
			return err
		}
		fresh, wrong = u, false
		if u.Secrets.Password != nil {
			// Replaced meanwhile (a racing sign-in, or a new password set by an admin).
			ok, err := ts.passwordMatches(p, u, password)
			wrong = !ok
			return err
		}
		if u.Secrets.Imported != t.u.Secrets.Imported {
			wrong = true
			return nil
		}
		prev := cloneUser(u)
		if err := ts.setPassword(ctx, p, u, password); err != nil {
			return err
		}
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return err
	}
	if wrong {
		if err := s.recordFailure(ctx, t.lockKey); err != nil {
			return err
		}
		return awsjson.IncorrectCredentials()
	}
	t.u = fresh
	return nil
}

// refuseImportedSRP refuses USER_SRP_AUTH for an imported user without a verifier (see above).
func refuseImportedSRP(c *Client, t *signInTarget) error {
	if !t.imported() {
		return nil
	}
	if t.u.Secrets.Imported == "" {
		return passwordResetRequired()
	}
	if c.PreventsUserExistenceErrors() {
		return awsjson.IncorrectCredentials()
	}
	return awsjson.UserNotFound()
}
