package sigv4

import (
	"encoding/hex"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	terminator    = "aws4_request"
	scopeDate     = "20060102"
	amzDateFormat = "20060102T150405Z"
)

// Authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=<akid>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=<h1;h2>, Signature=<64 hex>
type Authorization struct {
	AccessKeyID string
	Date        string // scope date, yyyymmdd
	Region      string
	Service     string
	// SignedHeaders is the SignedHeaders parameter verbatim; it goes into the canonical
	// request as sent. Headers is the same list split at ';'.
	SignedHeaders string
	Headers       []string
	Signature     []byte // 32 bytes
}

// Scope returns the credential scope, <yyyymmdd>/<region>/<service>/aws4_request.
func (a *Authorization) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + terminator
}

// ParseAuthorization parses an Authorization header value. Parameters are separated by
// commas with optional spaces; unknown parameters are ignored. Every failure is an
// IncompleteSignature *Error.
func ParseAuthorization(value string) (*Authorization, error) {
	value = strings.TrimSpace(value)
	alg, params, _ := strings.Cut(value, " ")
	if alg != Algorithm {
		return nil, NewError(IncompleteSignature, "Unsupported AWS 'algorithm': '%s'. Expected '%s'.", clip(alg), Algorithm)
	}
	var credential, signedHeaders, signature string
	var seenCred, seenHeaders, seenSig bool
	for part := range strings.SplitSeq(params, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, NewError(IncompleteSignature, "Authorization header parameter '%s' is not of the form key=value.", clip(part))
		}
		var dst *string
		var seen *bool
		switch strings.TrimSpace(k) {
		case "Credential":
			dst, seen = &credential, &seenCred
		case "SignedHeaders":
			dst, seen = &signedHeaders, &seenHeaders
		case "Signature":
			dst, seen = &signature, &seenSig
		default:
			continue
		}
		if *seen {
			return nil, NewError(IncompleteSignature, "Authorization header repeats the '%s' parameter.", strings.TrimSpace(k))
		}
		*dst, *seen = strings.TrimSpace(v), true
	}
	var missing []string
	for _, p := range []struct {
		name string
		seen bool
	}{{"Credential", seenCred}, {"Signature", seenSig}, {"SignedHeaders", seenHeaders}} {
		if !p.seen {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return nil, NewError(IncompleteSignature, "%s", strings.Join(missing, " "))
	}

	a := &Authorization{SignedHeaders: signedHeaders}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[0] == "" || scope[2] == "" || scope[3] == "" {
		return nil, NewError(IncompleteSignature,
			"Credential should be of the form <AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request, not '%s'.", clip(credential))
	}
	if scope[4] != terminator {
		return nil, NewError(IncompleteSignature, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", clip(scope[4]))
	}
	if _, err := time.Parse(scopeDate, scope[1]); err != nil || len(scope[1]) != len(scopeDate) {
		return nil, NewError(IncompleteSignature, "Credential should be scoped to a valid date in yyyymmdd form, not '%s'.", clip(scope[1]))
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]

	if signedHeaders == "" {
		return nil, NewError(IncompleteSignature, "Authorization header requires a non-empty 'SignedHeaders' parameter.")
	}
	a.Headers = strings.Split(signedHeaders, ";")
	for _, h := range a.Headers {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return nil, NewError(IncompleteSignature, "SignedHeaders must be lower-case header names separated by ';', not '%s'.", clip(signedHeaders))
		}
	}

	sig, err := hex.DecodeString(signature)
	if err != nil || len(sig) != 32 {
		return nil, NewError(IncompleteSignature, "Signature must be 64 hexadecimal characters.")
	}
	a.Signature = sig
	return a, nil
}

// clip bounds the length of request text echoed into an error message.
func clip(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
