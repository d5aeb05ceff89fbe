package userpool

import (
	"context"
	"errors"
	"maps"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// User migration (AWS's "Migrate user" Lambda trigger): when a name nobody in the pool has
// signs in with its password (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
// ADMIN_NO_SRP_AUTH) or asks for a password reset (ForgotPassword), and the pool names a
// UserMigration function, the function is asked about the user (UserMigration_Authentication
// with the password, UserMigration_ForgotPassword without; the managed-login page's sign-in
// migrates too). If it answers userAttributes, the
// user is created from them, in one commit, with the password it checked (Authentication) and
// finalUserStatus CONFIRMED (the default) or RESET_REQUIRED; a ForgotPassword migration is
// always RESET_REQUIRED [est] and goes on to send the reset code. The sign-in then goes on as
// any other, so the next one finds the user and does not call the function. A handler that
// throws (the legacy system refused the password) fails the call with
// UserLambdaValidationException ("UserMigration failed with error …"); one that answers
// without userAttributes leaves the name unknown. messageAction may be SUPPRESS or absent:
// poolgate sends no welcome message either way [est]. Racing first sign-ins of one legacy user
// create it once; the others find it and check their password against it.

// migrationRequest is the UserMigration event's request (no userAttributes).
type migrationRequest struct {
	Password       string            `json:"password,omitempty"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

// migrationResponse is its response, every member null until the handler sets it.
type migrationResponse struct {
	UserAttributes         map[string]string `json:"userAttributes"`
	FinalUserStatus        *string           `json:"finalUserStatus"`
	MessageAction          *string           `json:"messageAction"`
	DesiredDeliveryMediums []string          `json:"desiredDeliveryMediums"`
	ForceAliasCreation     *bool             `json:"forceAliasCreation"`
	EnableSMSMFA           *bool             `json:"enableSMSMFA"`
}

// signInTargetOrMigrate is signInTarget for the password flows, which migrate a name nobody
// has when the pool has a UserMigration function.
func (s *Service) signInTargetOrMigrate(ctx context.Context, p *Pool, c *Client, name, password, secretHash string) (*signInTarget, error) {
	return s.resolveOrMigrate(ctx, p, c, name, password,
		func() (*signInTarget, error) { return s.signInTarget(ctx, p, c, name, secretHash, false) },
		func() error { return checkSecretHash(c, secretHash, name) })
}

// resolveOrMigrate resolves name with resolve; when it is nobody's and the pool has a
// UserMigration function, checkClient proves the client (an unknown name's resolve may not
// have), the function is asked, and the name is resolved again.
func (s *Service) resolveOrMigrate(ctx context.Context, p *Pool, c *Client, name, password string,
	resolve func() (*signInTarget, error), checkClient func() error) (*signInTarget, error) {
	t, err := resolve()
	if !(errors.Is(err, awsjson.ErrUserNotFound) || (err == nil && t.u == nil)) {
		return t, err
	}
	if _, ok := p.triggerArn("UserMigration"); !ok {
		return t, err
	}
	if err := checkClient(); err != nil {
		return nil, err
	}
	migrated, merr := s.migrateUser(ctx, p, c, "UserMigration_Authentication", name, password)
	if merr != nil {
		return nil, merr
	}
	if !migrated {
		return t, err
	}
	return resolve()
}

// publicUserOrMigrate is publicUser for ForgotPassword, which migrates a name nobody has.
func (s *Service) publicUserOrMigrate(ctx context.Context, clientID, username, secretHash string) (*Pool, *Client, *User, error) {
	p, c, u, err := s.publicUser(ctx, clientID, username, secretHash)
	if !(errors.Is(err, awsjson.ErrUserNotFound) || (err == nil && u == nil)) {
		return p, c, u, err
	}
	mp, mc, cerr := s.clientByID(ctx, clientID)
	if cerr != nil {
		return nil, nil, nil, cerr
	}
	if _, ok := mp.triggerArn("UserMigration"); !ok {
		return p, c, u, err
	}
	migrated, merr := s.migrateUser(ctx, mp, mc, "UserMigration_ForgotPassword", username, "")
	if merr != nil {
		return nil, nil, nil, merr
	}
	if !migrated {
		return p, c, u, err
	}
	return s.publicUser(ctx, clientID, username, secretHash)
}

// migrateUser asks the pool's UserMigration function about name and creates the user it
// describes; migrated is false when the function knows no such user. password is "" for
// ForgotPassword.
func (s *Service) migrateUser(ctx context.Context, p *Pool, c *Client, source, name, password string) (migrated bool, err error) {
	meta := clientMetadata(ctx)
	if meta == nil {
		meta = map[string]string{}
	}
	req := migrationRequest{Password: password, ValidationData: meta, ClientMetadata: meta}
	var resp migrationResponse
	if err := s.invokeTrigger(ctx, p, "UserMigration", source, name, c.ClientId, req, &resp); err != nil {
		return false, err
	}
	if resp.UserAttributes == nil {
		return false, nil
	}
	u, err := s.migratedUser(p, name, password, &resp)
	if err != nil {
		return false, err
	}
	if password != "" {
		if err := checkPasswordPolicy(p.Password(), password); err != nil {
			return false, err
		}
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.getUser(ctx, p, u.Username); err == nil {
			return nil // a racing sign-in migrated the user first
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		nu := cloneUser(u)
		if err := ts.claimAliases(ctx, p, nu, resp.ForceAliasCreation != nil && *resp.ForceAliasCreation); err != nil {
			return err
		}
		if password != "" {
			if err := ts.setPassword(ctx, p, nu, password); err != nil {
				return err
			}
		}
		return ts.putUser(ctx, p, nu, nil)
	})
	if errors.Is(err, awsjson.ErrUsernameExists) {
		// A racing sign-in's commit landed between this step's reads: the user is there now.
		return true, nil
	}
	return err == nil, err
}

// migratedUser builds the user a UserMigration answer describes (not yet stored).
func (s *Service) migratedUser(p *Pool, name, password string, resp *migrationResponse) (*User, error) {
	invalid := func(format string, args ...any) error {
		return awsjson.New(awsjson.ErrInvalidLambdaResponse, "Invalid lambda response: "+format, args...)
	}
	status := StatusConfirmed
	if resp.FinalUserStatus != nil {
		switch *resp.FinalUserStatus {
		case StatusConfirmed, StatusResetRequired:
			status = *resp.FinalUserStatus
		default:
			return nil, invalid("finalUserStatus must be CONFIRMED or RESET_REQUIRED.")
		}
	}
	if password == "" {
		status = StatusResetRequired
	}
	if resp.MessageAction != nil && *resp.MessageAction != "SUPPRESS" {
		return nil, invalid("messageAction must be SUPPRESS.")
	}
	for _, m := range resp.DesiredDeliveryMediums {
		if m != "SMS" && m != "EMAIL" {
			return nil, invalid("desiredDeliveryMediums must be SMS or EMAIL.")
		}
	}
	attrs := make([]AttributeType, 0, len(resp.UserAttributes))
	for k, v := range resp.UserAttributes {
		if k == "username" || k == "sub" {
			continue // the name signing in is the username; sub is poolgate's to give
		}
		attrs = append(attrs, AttributeType{Name: k, Value: &v})
	}
	username, sub, values, err := s.newUserIdentity(p, name, attrs)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{Username: username, Sub: sub, Attributes: maps.Clone(values), Enabled: true,
		Status: status, Created: now, Modified: now}
	if resp.EnableSMSMFA != nil && *resp.EnableSMSMFA {
		if values["phone_number"] == "" {
			return nil, invalid("enableSMSMFA needs a phone_number.")
		}
		u.MfaEnabled = []string{"SMS_MFA"}
	}
	return u, nil
}
