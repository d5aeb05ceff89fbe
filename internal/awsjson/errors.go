package awsjson

import (
	"fmt"
	"net/http"
)

// Type is a Cognito error type as the wire names it: the body's "__type" and the
// x-amzn-ErrorType header. A Type is also an error, so that errors.Is(err, ErrUserNotFound)
// asks whether err is (or wraps) an *Error of that type; it is a constant, so no caller can
// change what another one compares against.
type Type string

// Error returns the type's name.
func (t Type) Error() string { return string(t) }

// Status is the HTTP status Cognito answers the type with: 500 for InternalErrorException,
// 408 for RequestTimeoutException (a body that stopped arriving), 400 for every other type
// poolgate sends.
func (t Type) Status() int {
	switch t {
	case ErrInternal:
		return http.StatusInternalServerError
	case ErrRequestTimeout:
		return http.StatusRequestTimeout
	}
	return http.StatusBadRequest
}

// The error types poolgate sends, in the order spec §2.8 lists Cognito's (user pools), then
// identity pools', then the protocol's own (SigV4, dispatch).
const (
	ErrNotAuthorized                    Type = "NotAuthorizedException"
	ErrInvalidParameter                 Type = "InvalidParameterException"
	ErrResourceNotFound                 Type = "ResourceNotFoundException"
	ErrUserNotFound                     Type = "UserNotFoundException"
	ErrUserNotConfirmed                 Type = "UserNotConfirmedException"
	ErrUsernameExists                   Type = "UsernameExistsException"
	ErrAliasExists                      Type = "AliasExistsException"
	ErrGroupExists                      Type = "GroupExistsException"
	ErrDuplicateProvider                Type = "DuplicateProviderException"
	ErrFeatureUnavailableInTier         Type = "FeatureUnavailableInTierException"
	ErrManagedLoginBrandingExists       Type = "ManagedLoginBrandingExistsException"
	ErrInvalidPassword                  Type = "InvalidPasswordException"
	ErrPasswordHistoryPolicyViolation   Type = "PasswordHistoryPolicyViolationException"
	ErrPasswordResetRequired            Type = "PasswordResetRequiredException"
	ErrCodeMismatch                     Type = "CodeMismatchException"
	ErrExpiredCode                      Type = "ExpiredCodeException"
	ErrCodeDeliveryFailure              Type = "CodeDeliveryFailureException"
	ErrTooManyFailedAttempts            Type = "TooManyFailedAttemptsException"
	ErrEnableSoftwareTokenMFA           Type = "EnableSoftwareTokenMFAException"
	ErrSoftwareTokenMFANotFound         Type = "SoftwareTokenMFANotFoundException"
	ErrMFAMethodNotFound                Type = "MFAMethodNotFoundException"
	ErrUserPoolAddOnNotEnabled          Type = "UserPoolAddOnNotEnabledException"
	ErrLimitExceeded                    Type = "LimitExceededException"
	ErrTooManyRequests                  Type = "TooManyRequestsException"
	ErrConcurrentModification           Type = "ConcurrentModificationException"
	ErrUnsupportedUserState             Type = "UnsupportedUserStateException"
	ErrUnauthorized                     Type = "UnauthorizedException"
	ErrUnsupportedOperation             Type = "UnsupportedOperationException"
	ErrUnsupportedTokenType             Type = "UnsupportedTokenTypeException"
	ErrRefreshTokenReuse                Type = "RefreshTokenReuseException"
	ErrInvalidOAuthFlow                 Type = "InvalidOAuthFlowException"
	ErrScopeDoesNotExist                Type = "ScopeDoesNotExistException"
	ErrResourceConflict                 Type = "ResourceConflictException"
	ErrPreconditionNotMet               Type = "PreconditionNotMetException"
	ErrExternalService                  Type = "ExternalServiceException"
	ErrUserLambdaValidation             Type = "UserLambdaValidationException"
	ErrUnexpectedLambda                 Type = "UnexpectedLambdaException"
	ErrInvalidLambdaResponse            Type = "InvalidLambdaResponseException"
	ErrInvalidIdentityPoolConfiguration Type = "InvalidIdentityPoolConfigurationException"
	ErrDeveloperUserAlreadyRegistered   Type = "DeveloperUserAlreadyRegisteredException"
	ErrInternal                         Type = "InternalErrorException"
	ErrSerialization                    Type = "SerializationException"
	ErrUnknownOperation                 Type = "UnknownOperationException"
	ErrMissingAuthenticationToken       Type = "MissingAuthenticationTokenException"
	ErrIncompleteSignature              Type = "IncompleteSignatureException"
	ErrUnrecognizedClient               Type = "UnrecognizedClientException"
	ErrInvalidSignature                 Type = "InvalidSignatureException"
	ErrExpiredToken                     Type = "ExpiredTokenException"
	ErrAccessDenied                     Type = "AccessDeniedException"
	ErrRequestTimeout                   Type = "RequestTimeoutException"
)

// Error is a Cognito-shaped wire error: its Type becomes the body's "__type" and the
// x-amzn-ErrorType header, its Message the body's "message". Build a fresh value per use
// with New or the constructors below; never share or mutate one.
type Error struct {
	Type    Type // e.g. ErrNotAuthorized
	Message string
	Status  int // HTTP status; 400 for client errors, 500 for InternalErrorException
	// ReasonCode is set only for InvalidParameterException when Cognito gives one.
	ReasonCode string
}

func (e *Error) Error() string { return string(e.Type) + ": " + e.Message }

// Is reports whether target names e's type: a Type (errors.Is(err, ErrNotAuthorized)) or
// another *Error of the same type.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Type:
		return e.Type == t
	case *Error:
		return t != nil && e.Type == t.Type
	}
	return false
}

// New returns a fresh error of the given type, with the type's status (400, or 500 for
// ErrInternal).
func New(typ Type, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Type: typ, Message: msg, Status: typ.Status()}
}

// Internal returns a 500 InternalErrorException. Use it only for faults of the server itself.
func Internal(msg string) *Error {
	return &Error{Type: ErrInternal, Message: msg, Status: http.StatusInternalServerError}
}

// Constructors for the errors used across actions. Messages follow spec §2.8.

func NotAuthorized(format string, args ...any) *Error {
	return New(ErrNotAuthorized, format, args...)
}
func InvalidParameter(format string, args ...any) *Error {
	return New(ErrInvalidParameter, format, args...)
}
func ResourceNotFound(format string, args ...any) *Error {
	return New(ErrResourceNotFound, format, args...)
}
func UserNotFound() *Error         { return New(ErrUserNotFound, "User does not exist.") }
func IncorrectCredentials() *Error { return NotAuthorized("Incorrect username or password.") }
func UsernameExists(msg string) *Error {
	return New(ErrUsernameExists, "%s", msg)
}
func InvalidPassword(format string, args ...any) *Error {
	return New(ErrInvalidPassword, format, args...)
}
func CodeMismatch(msg string) *Error { return New(ErrCodeMismatch, "%s", msg) }
func ExpiredCode() *Error {
	return New(ErrExpiredCode, "Invalid code provided, please request a code again.")
}
func LimitExceeded() *Error {
	return New(ErrLimitExceeded, "Attempt limit exceeded, please try after some time.")
}
func UserNotConfirmed() *Error { return New(ErrUserNotConfirmed, "User is not confirmed.") }

// ConcurrentModification is the error for a write that lost a race with another one on the
// same record (the caller may retry).
func ConcurrentModification(format string, args ...any) *Error {
	return New(ErrConcurrentModification, format, args...)
}
