// Package message delivers the messages a user pool sends (confirmation codes, reset codes,
// temporary passwords, MFA sign-in codes) through one pluggable Sender.
package message

import (
	"context"
	"time"
)

// Kinds of message.
const (
	KindSignUp             = "SignUp"             // sign-up confirmation code
	KindResendCode         = "ResendCode"         // ResendConfirmationCode
	KindForgotPassword     = "ForgotPassword"     // password reset code
	KindAdminCreateUser    = "AdminCreateUser"    // invitation carrying a temporary password
	KindVerifyAttribute    = "VerifyAttribute"    // attribute verification code
	KindAdminResetPassword = "AdminResetPassword" // reset code after AdminResetUserPassword
	KindAuthentication     = "Authentication"     // MFA sign-in code (SMS_MFA, EMAIL_OTP)
)

// Message is one message to deliver. Code holds the confirmation code, or the temporary
// password for KindAdminCreateUser.
type Message struct {
	Time        time.Time `json:"time"`
	Pool        string    `json:"pool"`
	Username    string    `json:"username"`
	Destination string    `json:"destination"` // the unmasked email address or phone number
	Medium      string    `json:"medium"`      // "EMAIL" or "SMS"
	Attribute   string    `json:"attribute"`   // "email" or "phone_number"
	Kind        string    `json:"kind"`
	Code        string    `json:"code"`
	// Message and Subject are the text delivered, the code in it: the pool's message
	// template or what its CustomMessage trigger answered. Subject is for email only.
	Message string `json:"message"`
	Subject string `json:"subject,omitempty"`
}

// Sender delivers messages. Implementations must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
