package userpool

import (
	"context"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/breached"
	"github.com/poolgate/poolgate/internal/message"
)

// Threat protection at sign-in. When the pool's AdvancedSecurityMode is AUDIT or ENFORCED,
// a sign-in whose password was right is assessed before its second factor:
//
//  1. an address in BlockedIPRangeList: decision Block, action BLOCK;
//  2. an address in SkippedIPRangeList: NoRisk, no action;
//  3. otherwise the score (risk_score.go) gives a level, and the level the configured
//     account-takeover action (none configured: NO_ACTION);
//  4. a USER_PASSWORD_AUTH password in the breached list (SRP never shows the password)
//     sets CompromisedCredentialsDetected when the compromised-credentials configuration
//     filters SIGN_IN (or filters nothing), and its BLOCK blocks (decision Block).
//
// ENFORCED applies the action: BLOCK refuses the sign-in as Cognito does
// (NotAuthorizedException "Unable to login because of security reasons."); MFA_REQUIRED asks
// for a second factor the user can give (a factor they turned on, else a code to their
// verified email address or phone number when the pool has email or SMS MFA configured,
// whatever its MfaConfiguration), and blocks when there is none; MFA_IF_CONFIGURED asks for
// one only when there is one; Notify sends the user a message (message kind
// AccountTakeoverNotification, its Code a feedback token for UpdateAuthEventFeedback).
// AUDIT only records. Every assessed sign-in becomes an event (Pass, Fail, or InProgress
// until its second factor passes); a wrong password becomes a Fail event, which the
// failed-attempt signal counts.

// signInBlocked is Cognito's answer to a sign-in threat protection refuses.
func signInBlocked() error {
	return awsjson.NotAuthorized("Unable to login because of security reasons.")
}

// riskOutcome is what the assessment decided for one sign-in.
type riskOutcome struct {
	ev     riskEvent
	action string
	notify bool
	cfg    *RiskConfiguration
}

// adaptiveSignIn goes on with a sign-in of u whose password was right: the assessment and
// its action, then the pool's second factor or tokens, with the event recorded.
func (s *Service) adaptiveSignIn(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	out, err := s.riskGate(ctx, p, c, u)
	if err != nil || out != nil {
		return out, err
	}
	return s.signInDone(ctx, p, c, u)
}

// riskGate is what stands between a right password of u and tokens, for the JSON API and the
// managed-login pages alike: the assessment and its action, then the pool's second factor.
// It answers the challenge u must pass (nil: none, tokens may be issued) or the refusal, and
// records the event (InProgress, Pass or Fail).
func (s *Service) riskGate(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	o, err := s.assessSignIn(ctx, p, c, u)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return s.poolSecondFactor(ctx, p, c, u)
	}
	var out *InitiateAuthOutput
	switch o.action {
	case actionBlock:
		return nil, s.endRiskEvent(ctx, p, u, o, responseFail, signInBlocked())
	case actionMfaRequired, actionMfaIfConfigured:
		if out, err = s.riskSecondFactor(ctx, p, c, u); err != nil {
			return nil, err
		}
		if out == nil && o.action == actionMfaRequired {
			return nil, s.endRiskEvent(ctx, p, u, o, responseFail, signInBlocked())
		}
	}
	if out == nil {
		if out, err = s.poolSecondFactor(ctx, p, c, u); err != nil {
			return nil, err
		}
	}
	if out != nil {
		return out, s.endRiskEvent(ctx, p, u, o, responseInProgress, nil)
	}
	return nil, s.endRiskEvent(ctx, p, u, o, responsePass, nil)
}

// poolSecondFactor asks for the pool's own second factor, for which a remembered device the
// sign-in names stands in (DEVICE_SRP_AUTH, device_srp.go). A second factor the assessment
// requires (riskSecondFactor) is never skipped for a device.
func (s *Service) poolSecondFactor(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	if out, err := s.deviceInsteadOfSecondFactor(ctx, p, c, u); out != nil || err != nil {
		return out, err
	}
	return s.secondFactor(ctx, p, c, u)
}

// assessSignIn scores u's sign-in and picks its action; nil when the pool has no threat
// protection.
func (s *Service) assessSignIn(ctx context.Context, p *Pool, c *Client, u *User) (*riskOutcome, error) {
	mode := p.securityMode()
	if mode == securityOff {
		return nil, nil
	}
	cfg, err := s.riskConfigFor(ctx, p, c)
	if err != nil {
		return nil, err
	}
	h, err := s.loadAuthHistory(ctx, p, u)
	if err != nil {
		return nil, err
	}
	sig := s.signalsFor(ctx, c)
	ev, err := s.newEvent(eventSignIn, sig)
	if err != nil {
		return nil, err
	}
	ev.Challenges = []ChallengeResult{{ChallengeName: "Password", ChallengeResponse: "Success"}}
	o := &riskOutcome{action: actionNone, cfg: cfg}
	ex := cfg.RiskExceptionConfiguration
	switch {
	case ex != nil && inRanges(sig.IP, ex.BlockedIPRangeList):
		ev.Decision, ev.Level, o.action = decisionBlock, riskHigh, actionBlock
	case ex != nil && inRanges(sig.IP, ex.SkippedIPRangeList):
	default:
		score := scoreSignIn(h, sig, s.now())
		if score.Level != "" {
			ev.Decision, ev.Level = decisionAccountTakeover, score.Level
			if a := cfg.levelAction(score.Level); a != nil {
				o.action, o.notify = a.EventAction, a.Notify
			}
		}
		if cc := cfg.CompromisedCredentialsRiskConfiguration; cc != nil && sig.password != "" &&
			cc.filters(filterSignIn) && breached.Contains(sig.password) {
			ev.Compromised = true
			if cc.Actions.EventAction == actionBlock {
				ev.Decision, o.action = decisionBlock, actionBlock
			}
		}
	}
	if mode == securityAudit {
		o.action, o.notify = actionNone, false
	}
	o.ev = ev
	return o, nil
}

// levelAction is the configured account-takeover action of level, or nil.
func (rc *RiskConfiguration) levelAction(level string) *AccountTakeoverAction {
	at := rc.AccountTakeoverRiskConfiguration
	if at == nil || at.Actions == nil {
		return nil
	}
	switch level {
	case riskLow:
		return at.Actions.LowAction
	case riskMedium:
		return at.Actions.MediumAction
	case riskHigh:
		return at.Actions.HighAction
	}
	return nil
}

// filters reports whether the compromised-credentials check runs on event kind (an empty
// filter: on every kind).
func (cc *CompromisedCredentialsRiskConfiguration) filters(kind string) bool {
	return len(cc.EventFilter) == 0 || contains(cc.EventFilter, kind)
}

// riskSecondFactor asks u for a second factor because of risk, whatever the pool's
// MfaConfiguration: nil, nil when u can give none (MFA_SETUP does not count: whoever has the
// password could set a token up).
func (s *Service) riskSecondFactor(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	forced := *p
	forced.MfaConfiguration = "ON"
	step, _, err := planSecondFactor(&forced, u)
	if err != nil || step == "" || step == "MFA_SETUP" {
		return nil, nil
	}
	return s.secondFactor(ctx, &forced, c, u)
}

// endRiskEvent records o's event with response (learning its device, address and country
// when it passed), notifies the user when the action says so, and answers answer.
func (s *Service) endRiskEvent(ctx context.Context, p *Pool, u *User, o *riskOutcome, response string, answer error) error {
	o.ev.Response = response
	if err := s.addEvent(ctx, p, u, o.ev, response == responsePass); err != nil {
		return err
	}
	if o.notify {
		s.notifyRisk(ctx, p, u, &o.ev)
	}
	return answer
}

// notifyRisk tells u of a risky sign-in through the message sender: to their email address,
// with the event's id and a feedback token for UpdateAuthEventFeedback as the message's Code. A failure to send
// is logged; it does not change the sign-in's answer.
func (s *Service) notifyRisk(ctx context.Context, p *Pool, u *User, ev *riskEvent) {
	dest := u.Attributes["email"]
	if dest == "" {
		return
	}
	tok, err := s.feedbackToken(p, u, ev.ID)
	if err != nil {
		s.d.Logf("userpool: feedback token for %s/%s: %v", p.Id, u.Username, err)
		return
	}
	m := message.Message{Time: s.now(), Pool: p.Id, Username: u.Username, Destination: dest,
		Medium: "EMAIL", Attribute: "email", Kind: message.KindAccountTakeover, Code: tok, EventID: ev.ID}
	if err := s.d.Sender.Send(ctx, m); err != nil {
		s.d.Logf("userpool: risk notification for %s/%s: %v", p.Id, u.Username, err)
	}
}

// signInFailed counts a wrong password toward lockout and, under threat protection, records
// it as a Fail event of a known user (the failed-attempt signal).
func (s *Service) signInFailed(ctx context.Context, p *Pool, t *signInTarget) error {
	if err := s.recordFailure(ctx, t.lockKey); err != nil {
		return err
	}
	if t.u == nil || p.securityMode() == securityOff {
		return nil
	}
	ev, err := s.newEvent(eventSignIn, s.signalsFor(ctx, nil))
	if err != nil {
		return err
	}
	ev.Response = responseFail
	ev.Challenges = []ChallengeResult{{ChallengeName: "Password", ChallengeResponse: "Failure"}}
	return s.addEvent(ctx, p, t.u, ev, false)
}

// pendingSignInWindow is how long after its password step a sign-in's second factor may
// complete its InProgress event (the longest AuthSessionValidity).
const pendingSignInWindow = 15 * time.Minute

// secondFactorPassed completes u's newest InProgress sign-in event once its second factor
// passed: Pass, the Mfa step noted, its device, address and country learnt.
func (s *Service) secondFactorPassed(ctx context.Context, p *Pool, u *User) error {
	if p.securityMode() == securityOff {
		return nil
	}
	now := s.now()
	return s.changeAuthHistory(ctx, p, u, func(h *authHistory) error {
		for i := range h.Events {
			ev := &h.Events[i]
			if ev.Type != eventSignIn || ev.Response != responseInProgress || now.Sub(ev.Created) > pendingSignInWindow {
				continue
			}
			ev.Response = responsePass
			ev.Challenges = append(ev.Challenges, ChallengeResult{ChallengeName: "Mfa", ChallengeResponse: "Success"})
			h.learn(ev)
			return nil
		}
		return nil
	})
}

// checkCompromisedPassword refuses a new password found in the breached list when the
// pool enforces threat protection and its compromised-credentials configuration (for client
// c, nil for the pool's) filters kind (SIGN_UP, PASSWORD_CHANGE) and blocks.
func (s *Service) checkCompromisedPassword(ctx context.Context, p *Pool, c *Client, kind, password string) error {
	if p.securityMode() != securityEnforced {
		return nil
	}
	cfg, err := s.riskConfigFor(ctx, p, c)
	if err != nil {
		return err
	}
	cc := cfg.CompromisedCredentialsRiskConfiguration
	if cc == nil || cc.Actions.EventAction != actionBlock || !cc.filters(kind) || !breached.Contains(password) {
		return nil
	}
	// [est] Cognito's exact wording is not documented.
	return awsjson.InvalidPassword("Password is compromised; choose a different password.")
}

// accountEvent records a SignUp, PasswordChange or ForgotPassword (kind) of the user sub that
// succeeded, under threat protection: NoRisk, with CompromisedCredentialsDetected when the new
// password is in the breached list and the compromised-credentials configuration filters
// filter (its BLOCK has refused such a password before this point).
func (s *Service) accountEvent(ctx context.Context, p *Pool, c *Client, sub, kind, filter, password string) error {
	if p.securityMode() == securityOff {
		return nil
	}
	cfg, err := s.riskConfigFor(ctx, p, c)
	if err != nil {
		return err
	}
	ev, err := s.newEvent(kind, s.signalsFor(ctx, c))
	if err != nil {
		return err
	}
	ev.Response = responsePass
	if cc := cfg.CompromisedCredentialsRiskConfiguration; cc != nil && cc.filters(filter) && breached.Contains(password) {
		ev.Compromised = true
	}
	return s.addEvent(ctx, p, &User{Sub: sub}, ev, false)
}
