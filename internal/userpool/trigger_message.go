package userpool

import (
	"context"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
)

// The text of a message and the triggers that shape or send it: CustomMessage (AWS's
// "Custom message Lambda trigger") and the custom senders (CustomEmailSender,
// CustomSMSSender). Both run after the commit that made the code, with the message.

// The markers a message template fills in, as Cognito spells them.
const (
	codeMarker     = "{####}"
	usernameMarker = "{username}"
)

// Bounds of what a CustomMessage handler may answer (Cognito's template limits).
const (
	maxEmailMessage = 20000
	maxEmailSubject = 140
	maxSMSMessage   = 1600
)

// callerKey carries the app client and ClientMetadata of a call to the triggers it runs.
type callerKey struct{}

type caller struct {
	clientID string
	meta     map[string]string
	source   string // the CustomMessage / sender source suffix when the kind does not tell it
}

// withCaller notes the client and ClientMetadata of the call in ctx.
func withCaller(ctx context.Context, clientID string, meta map[string]string) context.Context {
	c := callerOf(ctx)
	c.clientID, c.meta = clientID, meta
	return context.WithValue(ctx, callerKey{}, c)
}

// withMessageSource names the source of the messages sent under ctx (VerifyUserAttribute:
// GetUserAttributeVerificationCode sends the same kind UpdateUserAttributes does).
func withMessageSource(ctx context.Context, source string) context.Context {
	c := callerOf(ctx)
	c.source = source
	return context.WithValue(ctx, callerKey{}, c)
}

func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	if c.clientID == "" {
		c.clientID = clientNotApplicable
	}
	return c
}

// messageSource is the trigger source suffix of a message of kind.
func messageSource(c caller, kind string) string {
	if c.source != "" {
		return c.source
	}
	switch kind {
	case message.KindVerifyAttribute:
		return "UpdateUserAttribute"
	case message.KindAdminResetPassword:
		return "ForgotPassword"
	}
	return kind // SignUp, ResendCode, ForgotPassword, AdminCreateUser, Authentication
}

// defaultText is the message and subject of kind by medium: the pool's templates, else
// Cognito's defaults; the markers not yet filled.
func defaultText(p *Pool, kind, medium string) (msg, subject string) {
	tmpl := func(m map[string]any, key string) string {
		v, _ := m[key].(string)
		return v
	}
	pick := func(vs ...string) string {
		for _, v := range vs {
			if v != "" {
				return v
			}
		}
		return ""
	}
	switch kind {
	case message.KindAdminCreateUser:
		var inv map[string]any
		if p.AdminCreateUserConfig != nil {
			inv = p.AdminCreateUserConfig.InviteMessageTemplate
		}
		if medium == "SMS" {
			return pick(tmpl(inv, "SMSMessage"), "Your username is {username} and temporary password is {####}. "), ""
		}
		return pick(tmpl(inv, "EmailMessage"), "Your username is {username} and temporary password is {####}. "),
			pick(tmpl(inv, "EmailSubject"), "Your temporary password")
	case message.KindAuthentication:
		if medium == "SMS" {
			sms := p.SmsAuthenticationMessage
			if p.SmsMfaConfiguration != nil {
				sms = pick(p.SmsMfaConfiguration.SmsAuthenticationMessage, sms)
			}
			return pick(sms, "Your authentication code is {####}. "), ""
		}
		var m, s string
		if e := p.EmailMfaConfiguration; e != nil {
			m, s = e.Message, e.Subject
		}
		// [est] Cognito's default email MFA text is not documented.
		return pick(m, "Your authentication code is {####}. "), pick(s, "Your authentication code")
	}
	vt := p.VerificationMessageTemplate
	if medium == "SMS" {
		return pick(tmpl(vt, "SmsMessage"), p.SmsVerificationMessage, "Your verification code is {####}. "), ""
	}
	return pick(tmpl(vt, "EmailMessage"), p.EmailVerificationMessage, "Your verification code is {####}. "),
		pick(tmpl(vt, "EmailSubject"), p.EmailVerificationSubject, "Your verification code")
}

// customMessageRequest is the custom message event's request.
type customMessageRequest struct {
	UserAttributes    map[string]string `json:"userAttributes"`
	CodeParameter     string            `json:"codeParameter"`
	UsernameParameter *string           `json:"usernameParameter"`
	LinkParameter     *string           `json:"linkParameter"`
	ClientMetadata    map[string]string `json:"clientMetadata,omitempty"`
}

type customMessageResponse struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

// composeMessage fills m.Message and m.Subject: the pool's text for its kind, or what the
// pool's CustomMessage handler answered, with the code (and, for invitations, the username)
// in place.
func (s *Service) composeMessage(ctx context.Context, p *Pool, u *User, c caller, m *message.Message) error {
	msg, subject := defaultText(p, m.Kind, m.Medium)
	if _, ok := p.triggerArn("CustomMessage"); ok {
		req := customMessageRequest{UserAttributes: eventAttributes(u), CodeParameter: codeMarker, ClientMetadata: c.meta}
		if m.Kind == message.KindAdminCreateUser {
			up := usernameMarker
			req.UsernameParameter = &up
		}
		var out customMessageResponse
		source := "CustomMessage_" + messageSource(c, m.Kind)
		if err := s.invokeTrigger(ctx, p, "CustomMessage", source, u.Username, c.clientID, req, &out); err != nil {
			return err
		}
		answered, max := out.EmailMessage, maxEmailMessage
		if m.Medium == "SMS" {
			answered, max = out.SMSMessage, maxSMSMessage
		}
		switch {
		case answered == nil || *answered == "":
		case len(*answered) > max || (out.EmailSubject != nil && len(*out.EmailSubject) > maxEmailSubject):
			return awsjson.New(awsjson.ErrInvalidLambdaResponse, "Unrecognizable lambda output")
		case !strings.Contains(*answered, codeMarker):
			// [est] Cognito documents that a custom message must carry the code; poolgate
			// then sends the pool's own text rather than a message without it.
			s.d.Logf("userpool: CustomMessage of pool %s answered a message without %s; the pool's text is sent", p.Id, codeMarker)
		default:
			msg = *answered
			if m.Medium == "EMAIL" && out.EmailSubject != nil && *out.EmailSubject != "" {
				subject = *out.EmailSubject
			}
		}
	}
	fill := strings.NewReplacer(codeMarker, m.Code, usernameMarker, u.Username)
	m.Message = fill.Replace(msg)
	if m.Medium == "EMAIL" {
		m.Subject = fill.Replace(subject)
	}
	return nil
}

// customSenderRequest is the custom email and SMS sender events' request.
type customSenderRequest struct {
	Type           string            `json:"type"` // customEmailSenderRequestV1, customSMSSenderRequestV1
	Code           string            `json:"code"`
	UserAttributes map[string]string `json:"userAttributes"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
}

// customSend hands m's code to the pool's custom sender for m's medium, if it has one, in
// place of poolgate's sender; handled reports whether it did.
//
// [est] Cognito encrypts the code with the pool's KMSKeyID (the AWS Encryption SDK) and the
// handler decrypts it. poolgate has no KMS: it hands the code as it is, in request.code, so a
// handler's decryption step is skipped when it runs against poolgate (see README, Triggers).
func (s *Service) customSend(ctx context.Context, p *Pool, u *User, c caller, m message.Message) (handled bool, err error) {
	trig, typ := "CustomEmailSender", "customEmailSenderRequestV1"
	if m.Medium == "SMS" {
		trig, typ = "CustomSMSSender", "customSMSSenderRequestV1"
	}
	if _, ok := p.triggerArn(trig); !ok {
		return false, nil
	}
	req := customSenderRequest{Type: typ, Code: m.Code, UserAttributes: eventAttributes(u), ClientMetadata: c.meta}
	source := trig + "_" + messageSource(c, m.Kind)
	return true, s.invokeTrigger(ctx, p, trig, source, u.Username, c.clientID, req, &emptyResponse{})
}
