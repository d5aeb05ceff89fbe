package userpool

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
)

// One-time codes (sign-up confirmation, password reset, attribute verification) live in the
// user's sealed secrets by purpose: "signup", "forgot", "verify:<attr>". They are valid 24 h,
// 1 h for password resets (spec §2.8), and die after maxCodeAttempts wrong guesses.
const (
	codeTTL         = 24 * time.Hour
	forgotCodeTTL   = time.Hour
	maxCodeAttempts = 5
	codeDigits      = 6
)

// Code purposes.
const (
	purposeSignUp = "signup"
	purposeForgot = "forgot"
)

func purposeVerify(attr string) string { return "verify:" + attr }

// mediumOf is the delivery medium of a contact attribute.
func mediumOf(attr string) string {
	if attr == "phone_number" {
		return "SMS"
	}
	return "EMAIL"
}

// sendCode gives u a new code for purpose, replacing any earlier one, and sends it by kind
// to u's attr ("email" or "phone_number"). It returns the masked delivery details. The
// caller saves u.
func (s *Service) sendCode(ctx context.Context, p *Pool, u *User, purpose, kind, attr string) (*CodeDeliveryDetails, error) {
	dest := u.Attributes[attr]
	if dest == "" || (attr != "email" && attr != "phone_number") {
		return nil, awsjson.InvalidParameter("Cannot send a code: the user has no %s.", attr)
	}
	code, err := s.randomString("0123456789", codeDigits)
	if err != nil {
		return nil, err
	}
	ttl := codeTTL
	if purpose == purposeForgot {
		ttl = forgotCodeTTL
	}
	now := s.now()
	if u.Secrets.Codes == nil {
		u.Secrets.Codes = map[string]*Code{}
	}
	u.Secrets.Codes[purpose] = &Code{Value: code, Expires: now.Add(ttl)}
	return s.deliver(ctx, p, u, kind, attr, code)
}

// sendTemporaryPassword sends an AdminCreateUser invitation carrying password to u's email,
// or phone number when u has no email. A user with neither gets nothing (nil details).
func (s *Service) sendTemporaryPassword(ctx context.Context, p *Pool, u *User, password string) (*CodeDeliveryDetails, error) {
	attr := "email"
	if u.Attributes[attr] == "" {
		attr = "phone_number"
	}
	if u.Attributes[attr] == "" {
		return nil, nil
	}
	return s.deliver(ctx, p, u, message.KindAdminCreateUser, attr, password)
}

// deliver sends a message of kind carrying code to u's attr and returns the masked delivery
// details. Inside a transaction the message goes once the transaction has committed, so a
// retried or refused step sends nothing and the code a user receives is the one stored.
func (s *Service) deliver(ctx context.Context, p *Pool, u *User, kind, attr, code string) (*CodeDeliveryDetails, error) {
	dest, medium := u.Attributes[attr], mediumOf(attr)
	m := message.Message{
		Time: s.now(), Pool: p.Id, Username: u.Username, Destination: dest,
		Medium: medium, Attribute: attr, Kind: kind, Code: code,
	}
	logf := s.d.Logf
	c, out := callerOf(ctx), s.outside()
	err := s.afterCommit(ctx, func(ctx context.Context) error {
		if handled, err := out.customSend(ctx, p, u, c, m); handled || err != nil {
			return err
		}
		if err := out.composeMessage(ctx, p, u, c, &m); err != nil {
			return err
		}
		if err := s.d.Sender.Send(ctx, m); err != nil {
			logf("userpool: delivering %s message for %s/%s: %v", kind, p.Id, m.Username, err)
			return awsjson.New(awsjson.ErrCodeDeliveryFailure, "Unable to deliver message to the %s.", attr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CodeDeliveryDetails{Destination: message.Mask(dest, medium), DeliveryMedium: medium, AttributeName: attr}, nil
}

// checkCode checks a code the user typed for purpose, inside the caller's transaction. A
// wrong code counts an attempt: the answer asks the transaction to save u and then fail
// (failAfterCommit), so concurrent guesses are all counted; after maxCodeAttempts the code is
// void. A right code is removed from u in memory: the caller applies what it confirms and
// saves u in the same transaction, so a code confirms once.
func (s *Service) checkCode(ctx context.Context, p *Pool, u *User, purpose, given string) error {
	c := u.Secrets.Codes[purpose]
	if c == nil {
		return awsjson.CodeMismatch("Invalid verification code provided, please try again.")
	}
	if !s.now().Before(c.Expires) {
		return awsjson.ExpiredCode()
	}
	if c.Attempts >= maxCodeAttempts {
		return tooManyFailedAttempts()
	}
	if subtle.ConstantTimeCompare([]byte(c.Value), []byte(given)) != 1 {
		prev := cloneUser(u)
		c.Attempts++
		if err := s.putUser(ctx, p, u, prev); err != nil {
			return err
		}
		if c.Attempts >= maxCodeAttempts {
			return failAfterCommit(tooManyFailedAttempts())
		}
		return failAfterCommit(awsjson.CodeMismatch("Invalid verification code provided, please try again."))
	}
	delete(u.Secrets.Codes, purpose)
	return nil
}

func tooManyFailedAttempts() error {
	return awsjson.New(awsjson.ErrTooManyFailedAttempts, "Too many failed attempts, please request a code again.")
}

// signUpDeliveryAttr is where a sign-up code goes: the first auto-verified contact attribute u
// has, email preferred; "" when the pool verifies nothing automatically (an admin confirms).
func signUpDeliveryAttr(p *Pool, u *User) string {
	for _, attr := range []string{"email", "phone_number"} {
		if contains(p.AutoVerifiedAttributes, attr) && u.Attributes[attr] != "" {
			return attr
		}
	}
	return ""
}

// decoyDelivery is what ForgotPassword and ResendConfirmationCode answer for an unknown user
// when the client prevents user-existence errors: plausible, stable details, and no message.
func (s *Service) decoyDelivery(ctx context.Context, p *Pool, name string) (*CodeDeliveryDetails, error) {
	d, err := s.decoy(ctx, p, name)
	if err != nil {
		return nil, err
	}
	attr, dest := "email", name
	switch {
	case validEmail(name):
	case validPhone(name):
		attr = "phone_number"
	case contains(p.AutoVerifiedAttributes, "phone_number") && !contains(p.AutoVerifiedAttributes, "email"):
		attr = "phone_number"
		dest = "+1555"
		for _, b := range d.salt[:7] {
			dest += string(rune('0' + b%10))
		}
	default:
		dest = string(rune('a'+d.salt[0]%26)) + "@" + string(rune('a'+d.salt[1]%26)) + ".com"
	}
	medium := mediumOf(attr)
	return &CodeDeliveryDetails{Destination: message.Mask(dest, medium), DeliveryMedium: medium, AttributeName: attr}, nil
}
