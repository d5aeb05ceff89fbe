package userpool

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// AdminCreateUserInput is the AdminCreateUser request.
type AdminCreateUserInput struct {
	UserPoolId             string            `json:"UserPoolId" aws:"required"`
	Username               string            `json:"Username" aws:"required"`
	UserAttributes         []AttributeType   `json:"UserAttributes,omitempty"`
	ValidationData         []AttributeType   `json:"ValidationData,omitempty"`
	TemporaryPassword      string            `json:"TemporaryPassword,omitempty"`
	ForceAliasCreation     bool              `json:"ForceAliasCreation,omitempty"`
	MessageAction          string            `json:"MessageAction,omitempty"`
	DesiredDeliveryMediums []string          `json:"DesiredDeliveryMediums,omitempty"`
	ClientMetadata         map[string]string `json:"ClientMetadata,omitempty"`
}

// AdminCreateUserOutput is the AdminCreateUser response.
type AdminCreateUserOutput struct {
	User *UserType `json:"User"`
}

// AdminUserRef names a user in an admin call (Username may be the username, an alias or the sub).
type AdminUserRef struct {
	UserPoolId     string            `json:"UserPoolId" aws:"required"`
	Username       string            `json:"Username" aws:"required"`
	ClientMetadata map[string]string `json:"ClientMetadata,omitempty"`
}

// AdminGetUserOutput is the AdminGetUser response (spec §2.3).
type AdminGetUserOutput struct {
	Username             string            `json:"Username"`
	UserAttributes       []AttributeType   `json:"UserAttributes"`
	UserCreateDate       awsjson.EpochTime `json:"UserCreateDate"`
	UserLastModifiedDate awsjson.EpochTime `json:"UserLastModifiedDate"`
	Enabled              bool              `json:"Enabled"`
	UserStatus           string            `json:"UserStatus"`
	PreferredMfaSetting  string            `json:"PreferredMfaSetting,omitempty"`
	UserMFASettingList   []string          `json:"UserMFASettingList,omitempty"`
	MFAOptions           []MFAOptionType   `json:"MFAOptions,omitempty"`
}

// AdminSetUserPasswordInput is the AdminSetUserPassword request.
type AdminSetUserPasswordInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
	Password   string `json:"Password" aws:"required"`
	Permanent  bool   `json:"Permanent,omitempty"`
}

// AdminUpdateUserAttributesInput is the AdminUpdateUserAttributes request.
type AdminUpdateUserAttributesInput struct {
	UserPoolId     string            `json:"UserPoolId" aws:"required"`
	Username       string            `json:"Username" aws:"required"`
	UserAttributes []AttributeType   `json:"UserAttributes" aws:"required"`
	ClientMetadata map[string]string `json:"ClientMetadata,omitempty"`
}

// AdminDeleteUserAttributesInput is the AdminDeleteUserAttributes request.
type AdminDeleteUserAttributesInput struct {
	UserPoolId         string   `json:"UserPoolId" aws:"required"`
	Username           string   `json:"Username" aws:"required"`
	UserAttributeNames []string `json:"UserAttributeNames" aws:"required"`
}

func (s *Service) adminCreateUser(ctx context.Context, in *AdminCreateUserInput) (*AdminCreateUserOutput, error) {
	ctx = withCaller(ctx, clientNotApplicable, in.ClientMetadata)
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	for _, m := range in.DesiredDeliveryMediums {
		if err := checkEnum("desiredDeliveryMediums.member", m, "SMS", "EMAIL"); err != nil {
			return nil, err
		}
	}
	switch in.MessageAction {
	case "", "SUPPRESS":
	case "RESEND":
		return s.resendInvitation(ctx, p, in)
	default:
		return nil, checkEnum("messageAction", in.MessageAction, "RESEND", "SUPPRESS")
	}
	if !validUsername(in.Username) {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+")
	}
	username, sub, values, err := s.newUserIdentity(p, in.Username, in.UserAttributes)
	if err != nil {
		return nil, err
	}
	password, err := s.temporaryPassword(p, in.TemporaryPassword)
	if err != nil {
		return nil, err
	}
	pre, err := s.preSignUp(ctx, p, "PreSignUp_AdminCreateUser", username, clientNotApplicable, values, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.getUser(ctx, p, username); err == nil {
			return awsjson.UsernameExists("User account already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := ts.now()
		u = &User{Username: username, Sub: sub, Attributes: maps.Clone(values), Enabled: true,
			Status: StatusForceChangePassword, Created: now, Modified: now}
		pre.apply(u, false)
		if err := ts.claimAliases(ctx, p, u, in.ForceAliasCreation); err != nil {
			return err
		}
		if err := ts.setPassword(ctx, p, u, password); err != nil {
			return err
		}
		u.TempPasswordExpires = now.Add(tempPasswordTTL(p))
		send, err := invitationTargets(u, in.DesiredDeliveryMediums)
		if err != nil {
			return err
		}
		if err := ts.putUser(ctx, p, u, nil); err != nil {
			return err
		}
		if in.MessageAction != "SUPPRESS" {
			return ts.sendInvitation(ctx, p, u, password, send)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ut := userType(u, nil)
	return &AdminCreateUserOutput{User: &ut}, nil
}

// adminCreateName works out the username to store and the attributes to validate. In a pool
// whose UsernameAttributes include email or phone_number the given username must be one of
// them: it becomes that attribute and the stored username will be the sub (spec §2.1), so
// the returned username is "". In a pool with email or phone aliases the username may not
// look like one.
// newUserIdentity is what a user created on the administrator's side (AdminCreateUser, an
// import row, a migrated user) is named: its username (the new sub when the pool signs in by
// email or phone), its checked attribute values, and its new sub.
func (s *Service) newUserIdentity(p *Pool, name string, attrs []AttributeType) (username, sub string, values map[string]string, err error) {
	username, attrs, err = s.adminCreateName(p, name, attrs)
	if err != nil {
		return "", "", nil, err
	}
	if values, err = s.validateAttributes(p, attrs, attrAdminCreate); err != nil {
		return "", "", nil, err
	}
	for _, attr := range []string{"email", "phone_number"} {
		if values[attr+"_verified"] == "true" && values[attr] == "" {
			return "", "", nil, awsjson.InvalidParameter("%s_verified cannot be true without %s.", attr, attr)
		}
	}
	if sub, err = s.newUUID(); err != nil {
		return "", "", nil, err
	}
	if username == "" {
		username = sub
	}
	return username, sub, values, nil
}

func (s *Service) adminCreateName(p *Pool, username string, attrs []AttributeType) (string, []AttributeType, error) {
	if len(p.UsernameAttributes) == 0 {
		if p.UsesAlias("email") && validEmail(username) {
			return "", nil, awsjson.InvalidParameter("Username cannot be of email format, since user pool is configured for email alias.")
		}
		if p.UsesAlias("phone_number") && validPhone(username) {
			return "", nil, awsjson.InvalidParameter("Username cannot be of phone number format, since user pool is configured for phone number alias.")
		}
		return username, attrs, nil
	}
	attr := ""
	switch {
	case p.UsesUsernameAttribute("email") && validEmail(username):
		attr = "email"
	case p.UsesUsernameAttribute("phone_number") && validPhone(username):
		attr = "phone_number"
	case !p.UsesUsernameAttribute("phone_number"):
		return "", nil, awsjson.InvalidParameter("Username should be an email.")
	case !p.UsesUsernameAttribute("email"):
		return "", nil, awsjson.InvalidParameter("Username should be a phone number.")
	default:
		return "", nil, awsjson.InvalidParameter("Username should be either an email or a phone number.")
	}
	out := make([]AttributeType, 0, len(attrs)+1)
	for _, a := range attrs {
		if a.Name != attr {
			out = append(out, a)
			continue
		}
		if a.Value == nil || *a.Value != username {
			return "", nil, awsjson.InvalidParameter("The %s attribute must match the username %s.", attr, username)
		}
	}
	v := username
	out = append(out, AttributeType{Name: attr, Value: &v})
	return "", out, nil
}

// claimAliases runs ensureUnique for a new user; with force, verified aliases held by other
// users move to u (their holders lose the verified flag, so the alias no longer names them).
func (s *Service) claimAliases(ctx context.Context, p *Pool, u *User, force bool) error {
	err := s.ensureUnique(ctx, p, u, nil)
	if err == nil || !force || !errors.Is(err, awsjson.ErrAliasExists) {
		return err
	}
	for _, attr := range p.AliasAttributes {
		if attr == "preferred_username" || !indexable(p, u, attr) {
			continue
		}
		owner, err := s.indexOwner(ctx, p, attr, u.Attr(attr))
		if err != nil {
			return err
		}
		if owner == "" || owner == usernameKey(p, u.Username) {
			continue
		}
		other, err := s.getUser(ctx, p, owner)
		if err != nil {
			return err
		}
		prev := cloneUser(other)
		other.Attributes[attr+"_verified"] = "false"
		if err := s.putUser(ctx, p, other, prev); err != nil {
			return err
		}
	}
	return s.ensureUnique(ctx, p, u, nil)
}

// temporaryPassword returns the admin's temporary password, checked against the policy, or a
// generated one.
func (s *Service) temporaryPassword(p *Pool, given string) (string, error) {
	if given == "" {
		return s.randomPassword(p)
	}
	if err := checkPasswordPolicy(p.Password(), given); err != nil {
		return "", err
	}
	return given, nil
}

func tempPasswordTTL(p *Pool) time.Duration {
	return time.Duration(p.Password().TemporaryPasswordValidityDays) * 24 * time.Hour
}

// invitationTargets lists the attributes an invitation goes to for the DesiredDeliveryMediums
// (nil: let sendTemporaryPassword choose). Asking for a medium the user has no attribute for
// is an error, as in Cognito.
func invitationTargets(u *User, mediums []string) ([]string, error) {
	if len(mediums) == 0 {
		return nil, nil
	}
	var attrs []string
	for _, m := range dedupe(mediums) {
		attr := "email"
		if m == "SMS" {
			attr = "phone_number"
		}
		if u.Attributes[attr] == "" {
			return nil, awsjson.InvalidParameter("User has no attribute matching desired delivery mediums")
		}
		attrs = append(attrs, attr)
	}
	return attrs, nil
}

// sendInvitation delivers the temporary password to each target attribute, or where
// sendTemporaryPassword chooses when there are none.
func (s *Service) sendInvitation(ctx context.Context, p *Pool, u *User, password string, targets []string) error {
	if targets == nil {
		_, err := s.sendTemporaryPassword(ctx, p, u, password)
		return err
	}
	for _, attr := range targets {
		if _, err := s.deliver(ctx, p, u, message.KindAdminCreateUser, attr, password); err != nil {
			return err
		}
	}
	return nil
}

// resendInvitation is AdminCreateUser with MessageAction RESEND: a new temporary password for
// a user still waiting to set one.
func (s *Service) resendInvitation(ctx context.Context, p *Pool, in *AdminCreateUserInput) (*AdminCreateUserOutput, error) {
	password, err := s.temporaryPassword(p, in.TemporaryPassword)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		var err error
		u, err = ts.findUser(ctx, p, in.Username)
		if errors.Is(err, store.ErrNotFound) {
			return awsjson.UserNotFound()
		}
		if err != nil {
			return err
		}
		if u.Status != StatusForceChangePassword {
			return awsjson.New(awsjson.ErrUnsupportedUserState, "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username)
		}
		prev := cloneUser(u)
		if err := ts.setPassword(ctx, p, u, password); err != nil {
			return err
		}
		u.TempPasswordExpires = ts.now().Add(tempPasswordTTL(p))
		send, err := invitationTargets(u, in.DesiredDeliveryMediums)
		if err != nil {
			return err
		}
		if err := ts.putUser(ctx, p, u, prev); err != nil {
			return err
		}
		return ts.sendInvitation(ctx, p, u, password, send)
	})
	if err != nil {
		return nil, err
	}
	ut := userType(u, nil)
	return &AdminCreateUserOutput{User: &ut}, nil
}

func (s *Service) adminGetUser(ctx context.Context, in *AdminUserRef) (*AdminGetUserOutput, error) {
	_, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	out := &AdminGetUserOutput{
		Username:             u.Username,
		UserAttributes:       wireAttributes(u, nil),
		UserCreateDate:       awsjson.Epoch(u.Created),
		UserLastModifiedDate: awsjson.Epoch(u.Modified),
		Enabled:              u.Enabled,
		UserStatus:           u.Status,
	}
	out.UserMFASettingList, out.PreferredMfaSetting, out.MFAOptions = userMfaSettings(u)
	return out, nil
}

func (s *Service) adminDeleteUser(ctx context.Context, in *AdminUserRef) (*struct{}, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := s.deleteUser(ctx, p, in.Username, ""); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (s *Service) adminConfirmSignUp(ctx context.Context, in *AdminUserRef) (*struct{}, error) {
	var pool *Pool
	var confirmed *User
	out, err := s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		if u.Status != StatusUnconfirmed {
			return awsjson.NotAuthorized("User cannot be confirmed. Current status is %s", u.Status)
		}
		u.Status = StatusConfirmed
		delete(u.Secrets.Codes, purposeSignUp)
		pool, confirmed = p, u
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.postConfirmation(ctx, pool, clientNotApplicable, "PostConfirmation_ConfirmSignUp", confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) adminSetUserPassword(ctx context.Context, in *AdminSetUserPasswordInput) (*struct{}, error) {
	return s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		if err := checkPasswordPolicy(p.Password(), in.Password); err != nil {
			return err
		}
		if err := s.setPassword(ctx, p, u, in.Password); err != nil {
			return err
		}
		if in.Permanent {
			u.Status = StatusConfirmed
			u.TempPasswordExpires = time.Time{}
		} else {
			u.Status = StatusForceChangePassword
			u.TempPasswordExpires = s.now().Add(tempPasswordTTL(p))
		}
		delete(u.Secrets.Codes, purposeForgot)
		return s.d.Store.Delete(ctx, lockKey(p, u.Username)) // a new password: no failures yet
	})
}

func (s *Service) adminUpdateUserAttributes(ctx context.Context, in *AdminUpdateUserAttributesInput) (*struct{}, error) {
	return s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		changes, err := s.validateAttributes(p, in.UserAttributes, attrAdminUpdate)
		if err != nil {
			return err
		}
		mergeAttributes(u, changes)
		if err := checkSignInAttributes(p, u); err != nil {
			return err
		}
		if err := s.ensureUnique(ctx, p, u, prev); err != nil {
			return err
		}
		for _, attr := range []string{"email", "phone_number"} {
			v := u.Attributes[attr]
			if v == "" || v == prev.Attributes[attr] || u.Attributes[attr+"_verified"] == "true" ||
				!contains(p.AutoVerifiedAttributes, attr) {
				continue
			}
			if _, err := s.sendCode(ctx, p, u, purposeVerify(attr), message.KindVerifyAttribute, attr); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkSignInAttributes refuses to leave a user of a pool with UsernameAttributes without any
// of them: they are how the user signs in.
func checkSignInAttributes(p *Pool, u *User) error {
	if len(p.UsernameAttributes) == 0 {
		return nil
	}
	for _, attr := range p.UsernameAttributes {
		if u.Attributes[attr] != "" {
			return nil
		}
	}
	return awsjson.InvalidParameter("Cannot remove %s: the user signs in with it.", p.UsernameAttributes[0])
}

func (s *Service) adminDeleteUserAttributes(ctx context.Context, in *AdminDeleteUserAttributesInput) (*struct{}, error) {
	return s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		attrs := make([]AttributeType, len(in.UserAttributeNames))
		for i, name := range in.UserAttributeNames {
			attrs[i] = AttributeType{Name: name}
		}
		changes, err := s.validateAttributes(p, attrs, attrAdminUpdate)
		if err != nil {
			return err
		}
		mergeAttributes(u, changes)
		if err := checkSignInAttributes(p, u); err != nil {
			return err
		}
		return nil
	})
}

func (s *Service) adminDisableUser(ctx context.Context, in *AdminUserRef) (*struct{}, error) {
	return s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		u.Enabled = false
		s.revokeUserTokens(ctx, p, u)
		return nil
	})
}

func (s *Service) adminEnableUser(ctx context.Context, in *AdminUserRef) (*struct{}, error) {
	return s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		u.Enabled = true
		return nil
	})
}

func (s *Service) adminResetUserPassword(ctx context.Context, in *AdminUserRef) (*struct{}, error) {
	return s.modifyAdminUser(ctx, in.UserPoolId, in.Username, func(s *Service, p *Pool, u, prev *User) error {
		if !u.Enabled {
			return awsjson.NotAuthorized("User is disabled.")
		}
		attr := recoveryAttribute(p, u)
		if attr == "" {
			return awsjson.InvalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
		}
		u.Status = StatusResetRequired
		if _, err := s.sendCode(ctx, p, u, purposeForgot, message.KindAdminResetPassword, attr); err != nil {
			return err
		}
		return nil
	})
}

// recoveryAttribute is the verified contact a reset code goes to: the pool's
// AccountRecoverySetting order when it names one, else email before phone.
func recoveryAttribute(p *Pool, u *User) string {
	order := []string{"email", "phone_number"}
	if ms, ok := p.AccountRecoverySetting["RecoveryMechanisms"].([]any); ok && len(ms) > 0 {
		type mech struct {
			attr string
			prio float64
		}
		var list []mech
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			name, _ := mm["Name"].(string)
			prio, _ := mm["Priority"].(float64)
			switch name {
			case "verified_email":
				list = append(list, mech{"email", prio})
			case "verified_phone_number":
				list = append(list, mech{"phone_number", prio})
			}
		}
		if len(list) > 0 {
			for i := 1; i < len(list); i++ {
				for j := i; j > 0 && list[j].prio < list[j-1].prio; j-- {
					list[j], list[j-1] = list[j-1], list[j]
				}
			}
			order = order[:0]
			for _, m := range list {
				order = append(order, m.attr)
			}
		}
	}
	for _, attr := range order {
		if u.Attributes[attr] != "" && u.Attributes[attr+"_verified"] == "true" {
			return attr
		}
	}
	return ""
}

// modifyAdminUser runs change on the user an admin call names and saves the result, in one
// transaction retried on conflict: change sees the user as it now is (prev is a copy) and may
// refuse with an error, leaving the user as it was. It may run more than once, and does its
// own reads and writes through s (which is the transaction's Service when it runs). p is the
// pool's shared record: change must not modify it.
func (s *Service) modifyAdminUser(ctx context.Context, poolID, username string, change func(s *Service, p *Pool, u, prev *User) error) (*struct{}, error) {
	// The admin actions below change the user, never the pool: they read the shared view
	// (no per-request copy; TestAdminViewsStayUnchanged runs each and compares the cache).
	p, err := s.poolView(ctx, poolID)
	if err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		u, err := ts.findUser(ctx, p, username)
		if errors.Is(err, store.ErrNotFound) {
			return awsjson.UserNotFound()
		}
		if err != nil {
			return err
		}
		prev := cloneUser(u)
		if err := change(ts, p, u, prev); err != nil {
			return err
		}
		return ts.putUser(ctx, p, u, prev)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
