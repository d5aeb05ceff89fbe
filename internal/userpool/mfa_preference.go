package userpool

import (
	"context"
	"slices"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// A user's MFA choices (spec §13): which factors they turned on and which one they prefer,
// through SetUserMFAPreference (or its Admin twin), or the legacy SetUserSettings, whose
// MFAOptions can only turn SMS on or off. A factor can be turned on only when the user can
// receive it: a phone number for SMS, an email address for email codes, a verified software
// token for TOTP. Whether sign-in asks for it also depends on the pool (mfa_challenge.go).

// MfaSettings is SMSMfaSettings, SoftwareTokenMfaSettings or EmailMfaSettings.
type MfaSettings struct {
	Enabled      bool `json:"Enabled"`
	PreferredMfa bool `json:"PreferredMfa"`
}

// MfaPreference is what the two SetUserMFAPreference actions share.
type MfaPreference struct {
	SMSMfaSettings           *MfaSettings `json:"SMSMfaSettings,omitempty"`
	SoftwareTokenMfaSettings *MfaSettings `json:"SoftwareTokenMfaSettings,omitempty"`
	EmailMfaSettings         *MfaSettings `json:"EmailMfaSettings,omitempty"`
}

// SetUserMFAPreferenceInput is the SetUserMFAPreference request (WebAuthnMfaSettings, for
// passkeys, is not read).
type SetUserMFAPreferenceInput struct {
	AccessToken string `json:"AccessToken" aws:"required"`
	MfaPreference
}

// AdminSetUserMFAPreferenceInput is the AdminSetUserMFAPreference request.
type AdminSetUserMFAPreferenceInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
	MfaPreference
}

// MFAOptionType is one legacy MFA option (SetUserSettings, AdminGetUser's MFAOptions).
type MFAOptionType struct {
	DeliveryMedium string `json:"DeliveryMedium,omitempty"`
	AttributeName  string `json:"AttributeName,omitempty"`
}

// SetUserSettingsInput is the SetUserSettings request.
type SetUserSettingsInput struct {
	AccessToken string          `json:"AccessToken" aws:"required"`
	MFAOptions  []MFAOptionType `json:"MFAOptions" aws:"required"`
}

// AdminSetUserSettingsInput is the AdminSetUserSettings request.
type AdminSetUserSettingsInput struct {
	UserPoolId string          `json:"UserPoolId" aws:"required"`
	Username   string          `json:"Username" aws:"required"`
	MFAOptions []MFAOptionType `json:"MFAOptions" aws:"required"`
}

func (s *Service) setUserMFAPreference(ctx context.Context, in *SetUserMFAPreferenceInput) (*struct{}, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.changeMfa(ctx, a.p, a.u, in.MfaPreference.apply)
}

func (s *Service) adminSetUserMFAPreference(ctx context.Context, in *AdminSetUserMFAPreferenceInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.changeMfa(ctx, p, u, in.MfaPreference.apply)
}

func (s *Service) setUserSettings(ctx context.Context, in *SetUserSettingsInput) (*struct{}, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.changeMfa(ctx, a.p, a.u, legacyOptions(in.MFAOptions))
}

func (s *Service) adminSetUserSettings(ctx context.Context, in *AdminSetUserSettingsInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.changeMfa(ctx, p, u, legacyOptions(in.MFAOptions))
}

// changeMfa applies change to u's MFA choices in one transaction on the current record.
func (s *Service) changeMfa(ctx context.Context, p *Pool, u *User, change func(u *User) error) error {
	return s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.reload(ctx, p, u)
		if err != nil {
			return err
		}
		prev := cloneUser(cur)
		if err := change(cur); err != nil {
			return err
		}
		return ts.putUser(ctx, p, cur, prev)
	})
}

// apply sets the factors in that the request names; the others stay as they are.
func (in MfaPreference) apply(u *User) error {
	preferred := 0
	for _, f := range []struct {
		factor string
		set    *MfaSettings
	}{{mfaSMS, in.SMSMfaSettings}, {mfaTOTP, in.SoftwareTokenMfaSettings}, {mfaEmail, in.EmailMfaSettings}} {
		if f.set == nil {
			continue
		}
		if f.set.PreferredMfa {
			if preferred++; preferred > 1 {
				return awsjson.InvalidParameter("Only one MFA method can be preferred.")
			}
			if !f.set.Enabled {
				return awsjson.InvalidParameter("%s cannot be preferred while it is not enabled.", f.factor)
			}
		}
		if err := setFactor(u, f.factor, f.set.Enabled); err != nil {
			return err
		}
		switch {
		case f.set.PreferredMfa:
			u.PreferredMfa = f.factor
		case u.PreferredMfa == f.factor:
			u.PreferredMfa = ""
		}
		if f.factor == mfaSMS {
			u.LegacySmsMfa = false
		}
	}
	return nil
}

// legacyOptions is SetUserSettings' change: SMS on (an option {SMS, phone_number}) or off
// (no option).
func legacyOptions(opts []MFAOptionType) func(u *User) error {
	return func(u *User) error {
		on := false
		for _, o := range opts {
			if err := checkEnum("mfaOptions.member.deliveryMedium", o.DeliveryMedium, "SMS", "EMAIL"); err != nil {
				return err
			}
			if o.DeliveryMedium != "SMS" || o.AttributeName != "phone_number" {
				return awsjson.InvalidParameter("MFAOptions can only turn on SMS to phone_number; use SetUserMFAPreference for other factors.")
			}
			on = true
		}
		if err := setFactor(u, mfaSMS, on); err != nil {
			return err
		}
		u.LegacySmsMfa = on
		if !on && u.PreferredMfa == mfaSMS {
			u.PreferredMfa = ""
		}
		return nil
	}
}

// setFactor turns factor on or off for u, refusing to turn on one u cannot receive.
func setFactor(u *User, factor string, on bool) error {
	// A new slice: u's may share its array with the record the caller keeps as it was.
	u.MfaEnabled = slices.DeleteFunc(slices.Clone(u.MfaEnabled), func(f string) bool { return f == factor })
	if !on {
		return nil
	}
	switch factor {
	case mfaSMS:
		if u.Attributes["phone_number"] == "" {
			return awsjson.InvalidParameter("User does not have delivery config set to turn on SMS_MFA")
		}
	case mfaEmail:
		if u.Attributes["email"] == "" {
			return awsjson.InvalidParameter("User does not have delivery config set to turn on EMAIL_OTP")
		}
	case mfaTOTP:
		if u.Secrets.Totp == nil || len(u.Secrets.Totp.Secret) == 0 {
			return awsjson.InvalidParameter("User has not verified software token mfa")
		}
	}
	u.MfaEnabled = append(u.MfaEnabled, factor)
	slices.SortFunc(u.MfaEnabled, func(a, b string) int {
		return slices.Index(mfaFactorOrder, a) - slices.Index(mfaFactorOrder, b)
	})
	return nil
}

// userMfaSettings is what GetUser and AdminGetUser report of u's MFA: the factors turned on,
// the preferred one, and the legacy MFAOptions.
func userMfaSettings(u *User) (list []string, preferred string, options []MFAOptionType) {
	return slices.Clone(u.MfaEnabled), u.PreferredMfa, legacyMfaOptions(u)
}

// legacyMfaOptions is the MFAOptions user shapes report: SMS to the phone number when
// SetUserSettings turned it on.
func legacyMfaOptions(u *User) []MFAOptionType {
	if !u.LegacySmsMfa {
		return nil
	}
	return []MFAOptionType{{DeliveryMedium: "SMS", AttributeName: "phone_number"}}
}
