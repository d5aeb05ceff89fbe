package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// A pool's MFA settings (spec §13): MfaConfiguration OFF, OPTIONAL (users who turned a factor
// on are asked for it) or ON (every sign-in needs a second factor), and the factors the pool
// offers: software tokens (TOTP), SMS codes and email codes. SetUserPoolMfaConfig states them
// whole; CreateUserPool and UpdateUserPool set MfaConfiguration and, as Cognito does, SMS
// through SmsConfiguration and SmsAuthenticationMessage, and take SoftwareTokenMfaConfiguration
// and EmailMfaConfiguration too (a poolgate extension, so a configuration file can declare a
// TOTP pool in one place; UpdateUserPool keeps them when it omits them). Codes reach users
// through the one message sender, so SMS needs no Amazon SNS role and email no SES identity.

// MFA factor names, as challenges and UserMFASettingList spell them.
const (
	mfaSMS   = "SMS_MFA"
	mfaTOTP  = "SOFTWARE_TOKEN_MFA"
	mfaEmail = "EMAIL_OTP"
)

// mfaFactorOrder is the order factors are listed in (MFAS_CAN_CHOOSE, UserMFASettingList).
var mfaFactorOrder = []string{mfaSMS, mfaTOTP, mfaEmail}

// SoftwareTokenMfaConfig turns TOTP MFA on for a pool.
type SoftwareTokenMfaConfig struct {
	Enabled bool `json:"Enabled"`
}

// SmsMfaConfig is a pool's SMS MFA: the message carrying the code ("{####}") and the SNS
// settings Cognito would send it with (kept and returned; poolgate's sender delivers).
type SmsMfaConfig struct {
	SmsAuthenticationMessage string         `json:"SmsAuthenticationMessage,omitempty"`
	SmsConfiguration         map[string]any `json:"SmsConfiguration,omitempty"`
}

// EmailMfaConfig is a pool's email MFA: the message carrying the code ("{####}") and its subject.
type EmailMfaConfig struct {
	Message string `json:"Message,omitempty"`
	Subject string `json:"Subject,omitempty"`
}

// UserPoolMfaConfigInput is the SetUserPoolMfaConfig request. WebAuthnConfiguration (passkeys)
// is not part of what poolgate offers and is not read.
type UserPoolMfaConfigInput struct {
	UserPoolId                    string                  `json:"UserPoolId" aws:"required"`
	MfaConfiguration              string                  `json:"MfaConfiguration,omitempty"`
	SoftwareTokenMfaConfiguration *SoftwareTokenMfaConfig `json:"SoftwareTokenMfaConfiguration,omitempty"`
	SmsMfaConfiguration           *SmsMfaConfig           `json:"SmsMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *EmailMfaConfig         `json:"EmailMfaConfiguration,omitempty"`
}

// UserPoolMfaConfigOutput is the answer of SetUserPoolMfaConfig and GetUserPoolMfaConfig.
type UserPoolMfaConfigOutput struct {
	MfaConfiguration              string                  `json:"MfaConfiguration"`
	SoftwareTokenMfaConfiguration *SoftwareTokenMfaConfig `json:"SoftwareTokenMfaConfiguration"`
	SmsMfaConfiguration           *SmsMfaConfig           `json:"SmsMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *EmailMfaConfig         `json:"EmailMfaConfiguration,omitempty"`
}

// GetUserPoolMfaConfigInput is the GetUserPoolMfaConfig request.
type GetUserPoolMfaConfigInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
}

func (s *Service) getUserPoolMfaConfig(ctx context.Context, in *GetUserPoolMfaConfigInput) (*UserPoolMfaConfigOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	return mfaConfigOf(p), nil
}

func (s *Service) setUserPoolMfaConfig(ctx context.Context, in *UserPoolMfaConfigInput) (*UserPoolMfaConfigOutput, error) {
	var out *UserPoolMfaConfigOutput
	err := s.atomically(ctx, globalShard, func(ts *Service) error {
		p, err := ts.getPool(ctx, in.UserPoolId)
		if err != nil {
			return err
		}
		mode := in.MfaConfiguration
		if mode == "" {
			mode = p.MfaConfiguration
		}
		if err := checkEnum("mfaConfiguration", mode, "OFF", "ON", "OPTIONAL"); err != nil {
			return err
		}
		totpOn := in.SoftwareTokenMfaConfiguration != nil && in.SoftwareTokenMfaConfiguration.Enabled
		anyFactor := totpOn || in.SmsMfaConfiguration != nil || in.EmailMfaConfiguration != nil
		if mode == "OFF" && anyFactor {
			return awsjson.InvalidParameter("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.")
		}
		if mode != "OFF" && !anyFactor {
			return awsjson.InvalidParameter("Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")
		}
		if err := checkEmailMfaTier(p, in.EmailMfaConfiguration); err != nil {
			return err
		}
		p.MfaConfiguration = mode
		p.SoftwareTokenMfaConfiguration = nil
		if totpOn {
			p.SoftwareTokenMfaConfiguration = &SoftwareTokenMfaConfig{Enabled: true}
		}
		p.SmsMfaConfiguration = in.SmsMfaConfiguration
		if sms := in.SmsMfaConfiguration; sms != nil {
			// The pool's SMS settings are the ones SMS MFA uses (DescribeUserPool shows them).
			if sms.SmsAuthenticationMessage != "" {
				p.SmsAuthenticationMessage = sms.SmsAuthenticationMessage
			}
			if sms.SmsConfiguration != nil {
				p.SmsConfiguration = sms.SmsConfiguration
			}
		}
		p.EmailMfaConfiguration = in.EmailMfaConfiguration
		ts.stampPool(p)
		out = mfaConfigOf(p)
		return ts.putPool(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyPoolMfa brings the MFA factors in line with CreateUserPool's or UpdateUserPool's
// settings, once p's MfaConfiguration and SMS settings have been applied: SMS MFA is on when
// the pool has an SmsConfiguration, TOTP and email as in declares them (or as p had them, for
// an update that omits them); a pool with MFA OFF offers none, one with MFA ON or OPTIONAL
// must offer one.
func applyPoolMfa(p *Pool, in *PoolSettings) error {
	if in.SoftwareTokenMfaConfiguration != nil {
		p.SoftwareTokenMfaConfiguration = nil
		if in.SoftwareTokenMfaConfiguration.Enabled {
			p.SoftwareTokenMfaConfiguration = &SoftwareTokenMfaConfig{Enabled: true}
		}
	}
	if in.EmailMfaConfiguration != nil {
		e := *in.EmailMfaConfiguration
		p.EmailMfaConfiguration = &e
	}
	p.SmsMfaConfiguration = nil
	if p.SmsConfiguration != nil {
		p.SmsMfaConfiguration = &SmsMfaConfig{SmsAuthenticationMessage: p.SmsAuthenticationMessage, SmsConfiguration: p.SmsConfiguration}
	}
	if p.MfaConfiguration == "OFF" {
		p.SoftwareTokenMfaConfiguration, p.SmsMfaConfiguration, p.EmailMfaConfiguration = nil, nil, nil
		return nil
	}
	if len(p.mfaFactors()) == 0 {
		return awsjson.InvalidParameter("SMS configuration and Auto verification for phone_number are required when MFA is required/optional")
	}
	return checkEmailMfaTier(p, p.EmailMfaConfiguration)
}

// checkEmailMfaTier refuses email MFA in the Lite tier, as Cognito does (its default tier for
// new pools is Essentials).
func checkEmailMfaTier(p *Pool, e *EmailMfaConfig) error {
	if e != nil && p.UserPoolTier == "LITE" {
		return awsjson.New(awsjson.ErrFeatureUnavailableInTier, "Email MFA is not available in the LITE tier. Upgrade the user pool to ESSENTIALS or PLUS.")
	}
	return nil
}

// mfaConfigOf is p's MFA configuration as GetUserPoolMfaConfig answers it.
func mfaConfigOf(p *Pool) *UserPoolMfaConfigOutput {
	out := &UserPoolMfaConfigOutput{
		MfaConfiguration:              p.MfaConfiguration,
		SoftwareTokenMfaConfiguration: &SoftwareTokenMfaConfig{Enabled: p.offers(mfaTOTP)},
		SmsMfaConfiguration:           p.SmsMfaConfiguration,
		EmailMfaConfiguration:         p.EmailMfaConfiguration,
	}
	if out.MfaConfiguration == "" {
		out.MfaConfiguration = "OFF"
	}
	return out
}

// mfaFactors lists the factors p offers (none when MFA is OFF), in mfaFactorOrder.
func (p *Pool) mfaFactors() []string {
	if p.MfaConfiguration != "ON" && p.MfaConfiguration != "OPTIONAL" {
		return nil
	}
	var out []string
	if p.SmsMfaConfiguration != nil {
		out = append(out, mfaSMS)
	}
	if p.SoftwareTokenMfaConfiguration != nil && p.SoftwareTokenMfaConfiguration.Enabled {
		out = append(out, mfaTOTP)
	}
	if p.EmailMfaConfiguration != nil {
		out = append(out, mfaEmail)
	}
	return out
}

// offers reports whether p offers factor.
func (p *Pool) offers(factor string) bool { return contains(p.mfaFactors(), factor) }
