package jose

import (
	"errors"
	"strconv"
)

// ErrInvalid is matched (errors.Is) by every error that refuses a token for what the token is:
// each of the sentinels below wraps it. An error that does not match ErrInvalid is a failure
// of a dependency (keys that cannot be fetched, a crypto provider that fails), not a verdict
// on the token.
var ErrInvalid = errors.New("jose: invalid token")

// The reasons a token is refused. Each matches itself and ErrInvalid under errors.Is; the
// errors returned carry detail after the sentinel's text.
var (
	// ErrMalformed: not a compact JWS poolgate reads (structure, base64url, JSON, header
	// parameters, registered claims of the wrong type, length).
	ErrMalformed error = &reason{"jose: malformed token"}
	// ErrAlgNotAllowed: the header's alg is not on the allow-list, or does not fit the key.
	ErrAlgNotAllowed error = &reason{"jose: algorithm not allowed"}
	// ErrUnknownKey: no key of the set has the token's kid (or the token has no kid and the
	// set holds more than one key).
	ErrUnknownKey error = &reason{"jose: unknown signing key"}
	// ErrBadSignature: the signature does not verify with the key.
	ErrBadSignature error = &reason{"jose: signature does not verify"}
	// ErrExpired: the token's exp has passed.
	ErrExpired error = &reason{"jose: token expired"}
	// ErrNotYetValid: the token's nbf is still ahead, or its iat lies in the future.
	ErrNotYetValid error = &reason{"jose: token not valid yet"}
	// ErrWrongIssuer, ErrWrongAudience, ErrWrongTokenUse: Expect found another iss, aud
	// (or client_id) or token_use than the caller accepts.
	ErrWrongIssuer   error = &reason{"jose: issuer not accepted"}
	ErrWrongAudience error = &reason{"jose: audience not accepted"}
	ErrWrongTokenUse error = &reason{"jose: token_use not accepted"}
)

// ErrKeysUnavailable is returned (wrapped) when a key set has never been fetched successfully
// and the fetch fails or is paused: the token cannot be judged. It does not match ErrInvalid.
var ErrKeysUnavailable = errors.New("jose: keys unavailable")

type reason struct{ msg string }

func (r *reason) Error() string        { return r.msg }
func (r *reason) Is(target error) bool { return target == ErrInvalid }

// maxDetail bounds the outside text (a kid, an alg) an error message quotes.
const maxDetail = 64

// quote quotes s for an error message, cut to maxDetail bytes.
func quote(s string) string {
	if len(s) > maxDetail {
		return strconv.Quote(s[:maxDetail]) + "..."
	}
	return strconv.Quote(s)
}
