package userpool

import (
	"context"
	"errors"
	"reflect"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Threat protection's configuration (spec §13): the pool's UserPoolAddOns.AdvancedSecurityMode
// turns it on (AUDIT: sign-ins are scored and recorded, nothing else; ENFORCED: the configured
// actions apply), and SetRiskConfiguration states, for the pool or for one app client, what
// to do at each risk level (account takeover), with passwords found in the breached list
// (compromised credentials), and for address ranges that are always blocked or never
// scored. A client's configuration, when it has one, replaces the pool's whole, as Cognito's
// does. Each is one record, rsk/<pool>/<client or "-">, in the pool's shard.

// Advanced security modes.
const (
	securityOff      = "OFF"
	securityAudit    = "AUDIT"
	securityEnforced = "ENFORCED"
)

// Account-takeover and compromised-credentials event actions.
const (
	actionBlock           = "BLOCK"
	actionMfaIfConfigured = "MFA_IF_CONFIGURED"
	actionMfaRequired     = "MFA_REQUIRED"
	actionNone            = "NO_ACTION"
)

// Compromised-credentials event filters.
const (
	filterSignIn         = "SIGN_IN"
	filterPasswordChange = "PASSWORD_CHANGE"
	filterSignUp         = "SIGN_UP"
)

// maxIPRanges is how many CIDR ranges each exception list may hold (Cognito's model: 200).
const maxIPRanges = 200

// UserPoolAddOns is the pool's threat-protection switch.
type UserPoolAddOns struct {
	AdvancedSecurityMode string `json:"AdvancedSecurityMode" aws:"required"`
}

// securityMode is p's AdvancedSecurityMode, OFF when unset.
func (p *Pool) securityMode() string {
	if p.UserPoolAddOns == nil || p.UserPoolAddOns.AdvancedSecurityMode == "" {
		return securityOff
	}
	return p.UserPoolAddOns.AdvancedSecurityMode
}

// applyAddOns validates and keeps in (nil: OFF, as UpdateUserPool resets what it omits).
func applyAddOns(p *Pool, in *UserPoolAddOns) error {
	if in == nil {
		p.UserPoolAddOns = nil
		return nil
	}
	if err := checkEnum("userPoolAddOns.advancedSecurityMode", in.AdvancedSecurityMode, securityOff, securityAudit, securityEnforced); err != nil {
		return err
	}
	p.UserPoolAddOns = &UserPoolAddOns{AdvancedSecurityMode: in.AdvancedSecurityMode}
	return nil
}

// RiskConfiguration is a pool's or a client's risk configuration, as SetRiskConfiguration
// takes it and DescribeRiskConfiguration answers it.
type RiskConfiguration struct {
	UserPoolId                              string                                   `json:"UserPoolId"`
	ClientId                                string                                   `json:"ClientId,omitempty"`
	CompromisedCredentialsRiskConfiguration *CompromisedCredentialsRiskConfiguration `json:"CompromisedCredentialsRiskConfiguration,omitempty"`
	AccountTakeoverRiskConfiguration        *AccountTakeoverRiskConfiguration        `json:"AccountTakeoverRiskConfiguration,omitempty"`
	RiskExceptionConfiguration              *RiskExceptionConfiguration              `json:"RiskExceptionConfiguration,omitempty"`
	LastModifiedDate                        *awsjson.EpochTime                       `json:"LastModifiedDate,omitempty"`
}

// CompromisedCredentialsRiskConfiguration says which events check the password against the
// breached list, and what a match does.
type CompromisedCredentialsRiskConfiguration struct {
	EventFilter []string                       `json:"EventFilter,omitempty"`
	Actions     *CompromisedCredentialsActions `json:"Actions" aws:"required"`
}

// CompromisedCredentialsActions is BLOCK or NO_ACTION.
type CompromisedCredentialsActions struct {
	EventAction string `json:"EventAction" aws:"required"`
}

// AccountTakeoverRiskConfiguration says what each risk level does.
type AccountTakeoverRiskConfiguration struct {
	NotifyConfiguration *NotifyConfiguration    `json:"NotifyConfiguration,omitempty"`
	Actions             *AccountTakeoverActions `json:"Actions" aws:"required"`
}

// AccountTakeoverActions are the actions of the three risk levels.
type AccountTakeoverActions struct {
	LowAction    *AccountTakeoverAction `json:"LowAction,omitempty"`
	MediumAction *AccountTakeoverAction `json:"MediumAction,omitempty"`
	HighAction   *AccountTakeoverAction `json:"HighAction,omitempty"`
}

// AccountTakeoverAction is one level's action and whether the user is told.
type AccountTakeoverAction struct {
	Notify      bool   `json:"Notify"`
	EventAction string `json:"EventAction" aws:"required"`
}

// NotifyConfiguration is the message a notified user gets. poolgate sends it through its one
// message sender (the local outbox, the Worker's webhook), not SES: From, ReplyTo and
// SourceArn are kept and returned.
type NotifyConfiguration struct {
	From          string           `json:"From,omitempty"`
	ReplyTo       string           `json:"ReplyTo,omitempty"`
	SourceArn     string           `json:"SourceArn" aws:"required"`
	BlockEmail    *NotifyEmailType `json:"BlockEmail,omitempty"`
	NoActionEmail *NotifyEmailType `json:"NoActionEmail,omitempty"`
	MfaEmail      *NotifyEmailType `json:"MfaEmail,omitempty"`
}

// NotifyEmailType is one notification's subject and bodies.
type NotifyEmailType struct {
	Subject  string `json:"Subject" aws:"required"`
	HtmlBody string `json:"HtmlBody,omitempty"`
	TextBody string `json:"TextBody,omitempty"`
}

// RiskExceptionConfiguration lists address ranges (CIDR) always blocked and never scored.
type RiskExceptionConfiguration struct {
	BlockedIPRangeList []string `json:"BlockedIPRangeList,omitempty"`
	SkippedIPRangeList []string `json:"SkippedIPRangeList,omitempty"`
}

// DescribeRiskConfigurationInput is the DescribeRiskConfiguration request.
type DescribeRiskConfigurationInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	ClientId   string `json:"ClientId,omitempty"`
}

// RiskConfigurationOutput is the answer of SetRiskConfiguration and DescribeRiskConfiguration.
type RiskConfigurationOutput struct {
	RiskConfiguration *RiskConfiguration `json:"RiskConfiguration"`
}

// riskConfigKey is where the risk configuration of pool (client "" for the pool's own) lives.
func riskConfigKey(pool, client string) string {
	if client == "" {
		client = "-"
	}
	return "rsk/" + pool + "/" + client
}

func (s *Service) setRiskConfiguration(ctx context.Context, in *RiskConfiguration) (*RiskConfigurationOutput, error) {
	if err := validateRiskConfiguration(in); err != nil {
		return nil, err
	}
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if in.ClientId != "" {
		if _, err := s.getClient(ctx, p.Id, in.ClientId); err != nil {
			return nil, err
		}
	}
	rc := *in
	now := awsjson.Epoch(s.now())
	rc.LastModifiedDate = &now
	key := riskConfigKey(p.Id, in.ClientId)
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if rc.CompromisedCredentialsRiskConfiguration == nil && rc.AccountTakeoverRiskConfiguration == nil &&
			rc.RiskExceptionConfiguration == nil {
			// Nothing configured: the record goes (a client falls back on the pool's).
			if _, err := ts.d.Store.Get(ctx, key); errors.Is(err, store.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			return ts.d.Store.Delete(ctx, key)
		}
		return ts.putJSON(ctx, key, &rc)
	})
	if err != nil {
		return nil, err
	}
	return &RiskConfigurationOutput{RiskConfiguration: &rc}, nil
}

func (s *Service) describeRiskConfiguration(ctx context.Context, in *DescribeRiskConfigurationInput) (*RiskConfigurationOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	var c *Client
	if in.ClientId != "" {
		if c, err = s.getClient(ctx, p.Id, in.ClientId); err != nil {
			return nil, err
		}
	}
	rc, err := s.riskConfigFor(ctx, p, c)
	if err != nil {
		return nil, err
	}
	return &RiskConfigurationOutput{RiskConfiguration: rc}, nil
}

// riskConfigFor is the configuration that applies to sign-ins through c (nil: the pool's):
// c's own when it has one, else the pool's, else an empty one (every action NO_ACTION).
func (s *Service) riskConfigFor(ctx context.Context, p *Pool, c *Client) (*RiskConfiguration, error) {
	keys := []string{riskConfigKey(p.Id, "")}
	if c != nil {
		keys = append([]string{riskConfigKey(p.Id, c.ClientId)}, keys...)
	}
	for _, k := range keys {
		var rc RiskConfiguration
		err := s.getJSON(ctx, k, &rc)
		if err == nil {
			return &rc, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return &RiskConfiguration{UserPoolId: p.Id}, nil
}

// validateRiskConfiguration checks the enums, the CIDR lists and that a notifying action has
// a message to send, with Cognito's messages.
func validateRiskConfiguration(in *RiskConfiguration) error {
	if cc := in.CompromisedCredentialsRiskConfiguration; cc != nil {
		if err := checkEnumList("compromisedCredentialsRiskConfiguration.eventFilter", cc.EventFilter, filterSignIn, filterPasswordChange, filterSignUp); err != nil {
			return err
		}
		if err := checkEnum("compromisedCredentialsRiskConfiguration.actions.eventAction", cc.Actions.EventAction, actionBlock, actionNone); err != nil {
			return err
		}
		cc.EventFilter = dedupe(cc.EventFilter)
	}
	if at := in.AccountTakeoverRiskConfiguration; at != nil {
		levels := []struct {
			name string
			a    *AccountTakeoverAction
		}{{"lowAction", at.Actions.LowAction}, {"mediumAction", at.Actions.MediumAction}, {"highAction", at.Actions.HighAction}}
		for _, l := range levels {
			if l.a == nil {
				continue
			}
			if err := checkEnum("accountTakeoverRiskConfiguration.actions."+l.name+".eventAction", l.a.EventAction,
				actionBlock, actionMfaIfConfigured, actionMfaRequired, actionNone); err != nil {
				return err
			}
			if l.a.Notify && at.NotifyConfiguration == nil {
				return awsjson.InvalidParameter("NotifyConfiguration must be provided when Notify is true for any action.")
			}
		}
	}
	if ex := in.RiskExceptionConfiguration; ex != nil {
		for _, l := range []struct {
			member string
			list   []string
		}{{"blockedIPRangeList", ex.BlockedIPRangeList}, {"skippedIPRangeList", ex.SkippedIPRangeList}} {
			if len(l.list) > maxIPRanges {
				return awsjson.InvalidParameter("1 validation error detected: Value at 'riskExceptionConfiguration.%s' failed to satisfy constraint: Member must have length less than or equal to %d", l.member, maxIPRanges)
			}
			if _, err := parseIPRanges(l.list); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyRiskConfig applies a configuration file's RiskConfiguration to p (nil: left alone).
// One that matches what is stored is not written again, so applying a file twice changes
// nothing.
func (s *Service) applyRiskConfig(ctx context.Context, p *Pool, rc *RiskConfiguration) error {
	if rc == nil {
		return nil
	}
	want := *rc
	want.UserPoolId, want.LastModifiedDate = p.Id, nil
	var have RiskConfiguration
	err := s.getJSON(ctx, riskConfigKey(p.Id, want.ClientId), &have)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil {
		have.LastModifiedDate = nil
		if reflect.DeepEqual(&have, &want) {
			return nil
		}
	}
	_, err = s.setRiskConfiguration(ctx, &want)
	return err
}
