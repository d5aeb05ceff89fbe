package awsjson

import (
	"fmt"
	"net/http"
)

// Error is a Cognito-shaped wire error: its Type becomes the body's "__type" and the
// x-amzn-ErrorType header, its Message the body's "message". Build a fresh value per use
// with New or the constructors below; never share or mutate one.
type Error struct {
	Type    string // e.g. "NotAuthorizedException"
	Message string
	Status  int // HTTP status; 400 for client errors, 500 for InternalErrorException
	// ReasonCode is set only for InvalidParameterException when Cognito gives one.
	ReasonCode string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// New returns a 400 error of the given type.
func New(typ, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Type: typ, Message: msg, Status: http.StatusBadRequest}
}

// Internal returns a 500 InternalErrorException. Use it only for faults of the server itself.
func Internal(msg string) *Error {
	return &Error{Type: "InternalErrorException", Message: msg, Status: http.StatusInternalServerError}
}

// Constructors for the errors used across actions. Messages follow spec §2.8.

func NotAuthorized(format string, args ...any) *Error {
	return New("NotAuthorizedException", format, args...)
}
func InvalidParameter(format string, args ...any) *Error {
	return New("InvalidParameterException", format, args...)
}
func ResourceNotFound(format string, args ...any) *Error {
	return New("ResourceNotFoundException", format, args...)
}
func UserNotFound() *Error         { return New("UserNotFoundException", "User does not exist.") }
func IncorrectCredentials() *Error { return NotAuthorized("Incorrect username or password.") }
func UsernameExists(msg string) *Error {
	return New("UsernameExistsException", "%s", msg)
}
func InvalidPassword(format string, args ...any) *Error {
	return New("InvalidPasswordException", format, args...)
}
func CodeMismatch(msg string) *Error { return New("CodeMismatchException", "%s", msg) }
func ExpiredCode() *Error {
	return New("ExpiredCodeException", "Invalid code provided, please request a code again.")
}
func LimitExceeded() *Error {
	return New("LimitExceededException", "Attempt limit exceeded, please try after some time.")
}
func UserNotConfirmed() *Error { return New("UserNotConfirmedException", "User is not confirmed.") }
