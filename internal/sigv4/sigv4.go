// Package sigv4 verifies AWS Signature Version 4 (Authorization header form) on incoming
// requests: admin calls to the Cognito JSON APIs and requests to gateway routes.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultMaxSkew is AWS's limit on the distance between the signing time and the server clock.
const DefaultMaxSkew = 5 * time.Minute

// UnsignedPayload is the x-amz-content-sha256 value of a request whose body is not signed.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID   string
	Region        string
	Service       string
	SignedHeaders []string
	Date          time.Time // the signing time (X-Amz-Date or Date)
	SessionToken  string    // X-Amz-Security-Token, "" when absent
}

// Lookup resolves an access key to its secret. sessionToken is the request's
// X-Amz-Security-Token ("" when absent); the lookup checks it. A returned *Error (UnknownKey,
// TokenExpired, ...) refuses the request with that code; any other error is a failure of the
// lookup itself and comes back from VerifyRequest wrapped, not as an *Error.
type Lookup func(accessKeyID, sessionToken string) (secret string, err error)

// Options configure VerifyRequest.
type Options struct {
	Lookup  Lookup
	Now     time.Time
	MaxSkew time.Duration // <= 0 means DefaultMaxSkew

	// Service and Region, when set, are the only scope values accepted.
	Service string
	Region  string

	// MustSign lists headers (any case) that must be among the signed headers whenever the
	// request carries them, e.g. X-Amz-Target and Content-Type on the JSON APIs, where an
	// unsigned target lets a captured request be replayed as another action. Host and the
	// header that carries the signing time (X-Amz-Date, else Date) must always be signed.
	MustSign []string

	// SingleEncodePath uses the path as sent for the canonical URI (S3's rule) instead of
	// encoding it once more (every other service).
	SingleEncodePath bool
	// AllowUnsignedPayload accepts x-amz-content-sha256: UNSIGNED-PAYLOAD (for gateway
	// routes); the body is then not covered by the signature.
	AllowUnsignedPayload bool
}

// Verify checks the SigV4 signature of r, whose body has been read into body. lookup returns
// the secret for an access key and, for temporary credentials, the session token the request
// must carry ("" for long-term keys, which must carry none). The clock skew limit is maxSkew
// (<= 0 means DefaultMaxSkew). UNSIGNED-PAYLOAD is refused. Refusals are *Error.
func Verify(r *http.Request, body []byte, lookup func(akid string) (secret string, sessionToken string, ok bool), now time.Time, maxSkew time.Duration) (*Result, error) {
	return VerifyRequest(r, body, Options{
		Now:     now,
		MaxSkew: maxSkew,
		Lookup: func(akid, token string) (string, error) {
			secret, want, ok := lookup(akid)
			if !ok {
				return "", UnknownKey()
			}
			if subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
				return "", UnknownKey()
			}
			return secret, nil
		},
	})
}

// VerifyRequest checks the SigV4 signature of r with the given options. body is the whole
// request body (it may be nil when the request says UNSIGNED-PAYLOAD and that is allowed).
// Refusals are *Error; a failing Lookup returns its own error wrapped.
func VerifyRequest(r *http.Request, body []byte, opt Options) (*Result, error) {
	if opt.Lookup == nil {
		return nil, errors.New("sigv4: Options.Lookup is nil")
	}
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 {
		return nil, NewError(MissingAuthenticationToken, msgMissingToken)
	}
	if len(authz) > 1 {
		return nil, NewError(IncompleteSignature, "The request carries more than one Authorization header.")
	}
	a, err := ParseAuthorization(authz[0])
	if err != nil {
		return nil, err
	}
	if !slices.Contains(a.Headers, "host") {
		return nil, NewError(IncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	amzDate, signedAt, err := requestDate(r)
	if err != nil {
		return nil, err
	}
	if err := checkSignedHeaders(r, a.Headers, opt.MustSign); err != nil {
		return nil, err
	}
	if a.Date != amzDate[:8] {
		return nil, NewError(InvalidSignature,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.Date, amzDate[:8], amzDate)
	}
	if err := checkSkew(signedAt, opt.Now, opt.MaxSkew); err != nil {
		return nil, err
	}
	if opt.Service != "" && a.Service != opt.Service {
		return nil, NewError(InvalidSignature, "Credential should be scoped to correct service: '%s'.", opt.Service)
	}
	if opt.Region != "" && a.Region != opt.Region {
		return nil, NewError(InvalidSignature, "Credential should be scoped to a valid region, not '%s'.", clip(a.Region))
	}

	tokens := r.Header.Values("X-Amz-Security-Token")
	if len(tokens) > 1 {
		return nil, UnknownKey()
	}
	token := ""
	if len(tokens) == 1 {
		token = tokens[0]
	}
	secret, err := opt.Lookup(a.AccessKeyID, token)
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) {
			return nil, e
		}
		return nil, fmt.Errorf("sigv4: key lookup: %w", err)
	}

	payloadHash, err := payloadHash(r, body, opt.AllowUnsignedPayload)
	if err != nil {
		return nil, err
	}
	uris := canonicalURIs(r, opt.SingleEncodePath)
	queries, err := canonicalQueries(rawQuery(r))
	if err != nil {
		return nil, err
	}
	headers := canonicalHeaders(r, a.Headers)
	key := SigningKey(secret, a.Date, a.Region, a.Service)

	// Every candidate is computed (at most four, usually one), so timing does not tell
	// which canonical form matched.
	match := 0
	for _, uri := range uris {
		for _, q := range queries {
			creq := r.Method + "\n" + uri + "\n" + q + "\n" + headers + "\n" + a.SignedHeaders + "\n" + payloadHash
			sig := hmacSHA256(key, []byte(StringToSign(amzDate, a.Scope(), creq)))
			match |= subtle.ConstantTimeCompare(sig, a.Signature)
		}
	}
	if match != 1 {
		return nil, signatureMismatch()
	}
	return &Result{
		AccessKeyID:   a.AccessKeyID,
		Region:        a.Region,
		Service:       a.Service,
		SignedHeaders: a.Headers,
		Date:          signedAt,
		SessionToken:  token,
	}, nil
}

// StringToSign builds the string to sign from the ISO-8601 basic timestamp, the credential
// scope and the canonical request.
func StringToSign(amzDate, scope, canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

// SigningKey derives the signing key: HMAC chain over date, region, service, "aws4_request".
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte(terminator))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// requestDate returns the signing time from X-Amz-Date, or from Date when that is absent,
// both as the ISO-8601 basic string used in the string to sign and as a time.
func requestDate(r *http.Request) (string, time.Time, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil || len(v) != len(amzDateFormat) {
			return "", time.Time{}, NewError(IncompleteSignature,
				"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", clip(v))
		}
		return v, t, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return "", time.Time{}, NewError(IncompleteSignature, "Date header '%s' is not an HTTP date.", clip(v))
		}
		t = t.UTC()
		return t.Format(amzDateFormat), t, nil
	}
	return "", time.Time{}, NewError(IncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
}

// checkSignedHeaders refuses a request whose signature leaves out the header that carries
// its signing time, or a header of mustSign that it carries.
func checkSignedHeaders(r *http.Request, signed, mustSign []string) error {
	dateHeader := "X-Amz-Date"
	if r.Header.Get(dateHeader) == "" {
		dateHeader = "Date"
	}
	if !slices.Contains(signed, strings.ToLower(dateHeader)) {
		return unsignedHeader(dateHeader)
	}
	for _, h := range mustSign {
		if carries(r.Header, h) && !slices.Contains(signed, strings.ToLower(h)) {
			return unsignedHeader(http.CanonicalHeaderKey(h))
		}
	}
	return nil
}

// carries reports whether h has a header named name, whatever the case of its key.
func carries(h http.Header, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// unsignedHeader is the refusal of a request that carries header without signing it: AWS's
// wording for headers left out of the signature (S3 and API Gateway add the names apart, as
// HeadersNotSigned; the JSON protocol has only the message, so they follow it).
func unsignedHeader(header string) *Error {
	return NewError(InvalidSignature, "There were headers present in the request which were not signed: %s", strings.ToLower(header))
}

func checkSkew(signedAt, now time.Time, maxSkew time.Duration) error {
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	limit := "5 min."
	if maxSkew != DefaultMaxSkew {
		limit = maxSkew.String() + "."
	}
	f := func(t time.Time) string { return t.UTC().Format(amzDateFormat) }
	switch {
	case now.Sub(signedAt) > maxSkew:
		return NewError(InvalidSignature, "Signature expired: %s is now earlier than %s (%s - %s)",
			f(signedAt), f(now.Add(-maxSkew)), f(now), limit)
	case signedAt.Sub(now) > maxSkew:
		return NewError(InvalidSignature, "Signature not yet current: %s is still later than %s (%s + %s)",
			f(signedAt), f(now.Add(maxSkew)), f(now), limit)
	}
	return nil
}

// payloadHash returns the payload hash for the canonical request, checking
// x-amz-content-sha256 against the body when the header is present.
func payloadHash(r *http.Request, body []byte, allowUnsigned bool) (string, error) {
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	if claimed == UnsignedPayload {
		if !allowUnsigned {
			return "", NewError(InvalidSignature, "UNSIGNED-PAYLOAD is not accepted for this request; sign the body.")
		}
		return UnsignedPayload, nil
	}
	sum := sha256.Sum256(body)
	computed := hex.EncodeToString(sum[:])
	if claimed == "" {
		return computed, nil
	}
	if !strings.EqualFold(claimed, computed) {
		return "", NewError(InvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return claimed, nil
}

func rawQuery(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.RawQuery
}
