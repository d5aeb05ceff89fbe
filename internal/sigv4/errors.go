package sigv4

import "fmt"

// Code names why a request was refused. Its value is the AWS JSON-protocol error type that a
// server puts in "__type" (spec §9.8), so callers map it to the wire without a table.
type Code string

// The codes Verify returns.
const (
	// MissingAuthenticationToken: the request carries no Authorization header.
	MissingAuthenticationToken Code = "MissingAuthenticationTokenException"
	// IncompleteSignature: the Authorization header or the date is malformed, or host is unsigned.
	IncompleteSignature Code = "IncompleteSignatureException"
	// UnrecognizedClient: unknown access key, or a missing, extra or wrong session token.
	UnrecognizedClient Code = "UnrecognizedClientException"
	// InvalidSignature: the signature does not match, the clock skew is too large, the scope
	// does not fit the request, or the payload hash header lies.
	InvalidSignature Code = "InvalidSignatureException"
	// ExpiredToken: the session token of temporary credentials has expired.
	ExpiredToken Code = "ExpiredTokenException"
)

// Messages AWS sends with the codes whose text clients and people recognise.
const (
	msgMissingToken     = "Missing Authentication Token"
	msgUnrecognized     = "The security token included in the request is invalid."
	msgExpiredToken     = "The security token included in the request is expired"
	msgSignatureInvalid = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is a refused signature. Code is the wire error type; Message is the text for the
// wire "message" member, without the package prefix that Error() adds.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return "sigv4: " + string(e.Code) + ": " + e.Message }

// NewError returns a fresh *Error.
func NewError(code Code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg}
}

// UnknownKey is the error for an access key (or session token) that is not recognised, with
// AWS's message. Lookup functions return it.
func UnknownKey() *Error { return NewError(UnrecognizedClient, msgUnrecognized) }

// TokenExpired is the error for the session token of expired temporary credentials, with
// AWS's message. Lookup functions return it.
func TokenExpired() *Error { return NewError(ExpiredToken, msgExpiredToken) }

func signatureMismatch() *Error { return NewError(InvalidSignature, msgSignatureInvalid) }
