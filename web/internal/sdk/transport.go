package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// X-Amz-Target prefixes of the two JSON APIs (spec §1.1).
const (
	userPoolTarget     = "AWSCognitoIdentityProviderService."
	identityPoolTarget = "AWSCognitoIdentityService."
)

// Transport sends one JSON 1.1 call (spec §1.2): a POST of body with the given X-Amz-Target
// and Content-Type application/x-amz-json-1.1. It returns the response whatever its status;
// an error means no response arrived (network failure, cancelled context).
type Transport interface {
	Call(ctx context.Context, target string, body []byte) (*Response, error)
}

// Response is what a Transport got back.
type Response struct {
	Status    int
	ErrorType string // the x-amzn-ErrorType header, if readable
	Body      []byte
}

// Error is a failed call as pages see it: Cognito's error type (e.g. NotAuthorizedException)
// and message, or one of the SDK's own codes (NetworkError, UserUnAuthenticatedException, ...).
type Error struct {
	Code    string
	Message string
	Status  int // HTTP status; 0 for errors raised before or without a response
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Codes of errors the SDK raises itself.
const (
	CodeNetwork         = "NetworkError"
	CodeUnauthenticated = "UserUnAuthenticatedException"
	CodeBadResponse     = "InvalidResponseException"
	CodeNoChallenge     = "NoChallengeException"
	CodeUnsupported     = "ChallengeNotSupportedException"
	CodeInvalidParam    = "InvalidParameterException"
	CodeNoIdentityPool  = "IdentityPoolNotConfiguredException"
)

// Codes of the server's errors the SDK acts on (the server's names: internal/awsjson).
const (
	CodeNotAuthorized    = "NotAuthorizedException"
	CodeResourceNotFound = "ResourceNotFoundException"
	CodeResourceConflict = "ResourceConflictException"
)

// HasCode reports whether err is (or wraps) an *Error with one of codes.
func HasCode(err error, codes ...string) bool {
	var e *Error
	return errors.As(err, &e) && slices.Contains(codes, e.Code)
}

func invalidParameter(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParam, Message: fmt.Sprintf(format, args...)}
}

func unauthenticated() *Error {
	return &Error{Code: CodeUnauthenticated, Message: "No user is signed in."}
}

func badResponse(action string, err error) *Error {
	return &Error{Code: CodeBadResponse, Message: fmt.Sprintf("The server's answer to %s could not be read: %v", action, err)}
}

// call sends in as target and hands a 2xx answer's JSON object to read (nil: the answer is
// ignored). An answer that is not one JSON object, or whose members read has met with the
// wrong types, is an InvalidResponseException.
func call(ctx context.Context, t Transport, target string, in map[string]any, read func(object)) error {
	body, err := encodeJSON(in)
	if err != nil {
		return fmt.Errorf("sdk: encode %s: %w", target, err)
	}
	resp, err := t.Call(ctx, target, body)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Code: CodeNetwork, Message: "The server could not be reached: " + err.Error()}
	}
	action := target[strings.LastIndexByte(target, '.')+1:]
	if resp.Status < 200 || resp.Status > 299 {
		return ParseError(resp)
	}
	if read == nil || len(resp.Body) == 0 {
		return nil
	}
	o, err := readObject(resp.Body)
	if err != nil {
		return badResponse(action, err)
	}
	read(o)
	if err := o.typeError(); err != nil {
		return badResponse(action, err)
	}
	return nil
}

// ParseError turns an error response into an *Error the way the AWS clients do (spec §1.4):
// the body's __type (or code), else the x-amzn-ErrorType header cut at ':', in either case cut
// after any '#'; the body's message (or Message).
func ParseError(resp *Response) *Error {
	body, _ := readObject(resp.Body) // a non-JSON body has no members; a member of another type reads as ""
	code := body.str("__type")
	if code == "" {
		code = body.str("code")
	}
	if code == "" {
		code, _, _ = strings.Cut(resp.ErrorType, ":")
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code = strings.TrimSpace(code)
	if code == "" {
		code = "UnknownError"
		if resp.Status >= 500 {
			code = "InternalErrorException"
		}
	}
	msg := body.str("message")
	if msg == "" {
		msg = body.str("Message")
	}
	if msg == "" {
		msg = fmt.Sprintf("The server answered with HTTP status %d.", resp.Status)
	}
	return &Error{Code: code, Message: msg, Status: resp.Status}
}
