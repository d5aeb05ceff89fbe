package gateway

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/sigv4"
)

// MaxSignedBodyBytes bounds the body of a sigv4 request whose payload is signed: the gateway
// must hash all of it before it may forward any of it. Bodies sent as UNSIGNED-PAYLOAD are
// streamed without a limit of the gateway's own.
const MaxSignedBodyBytes = 16 << 20

// s3Error is an S3-style error; Code names it in both wire formats.
type s3Error struct {
	status  int
	code    string // S3's code (AccessDenied, SignatureDoesNotMatch, ...)
	jsonTyp string // the JSON protocol's __type
	message string
}

func accessDenied() *s3Error {
	return &s3Error{http.StatusForbidden, "AccessDenied", "AccessDeniedException", "Access Denied"}
}

// fromSigV4 maps a refused signature to S3's error codes. All are 403, as S3 answers them.
func fromSigV4(e *sigv4.Error, hasToken bool) *s3Error {
	out := &s3Error{status: http.StatusForbidden, jsonTyp: string(e.Code), message: e.Message}
	switch e.Code {
	case sigv4.MissingAuthenticationToken:
		out.code, out.message = "AccessDenied", "Access Denied"
	case sigv4.IncompleteSignature:
		out.code = "AuthorizationHeaderMalformed"
	case sigv4.UnrecognizedClient:
		out.code, out.message = "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
		if hasToken {
			out.code, out.message = "InvalidToken", "The provided token is malformed or otherwise invalid."
		}
	case sigv4.ExpiredToken:
		out.code, out.message = "ExpiredToken", "The provided token has expired."
	case sigv4.InvalidSignature:
		out.code = "SignatureDoesNotMatch"
		if strings.HasPrefix(e.Message, "Signature expired") || strings.HasPrefix(e.Message, "Signature not yet current") {
			out.code = "RequestTimeTooSkewed"
			out.message = "The difference between the request time and the current time is too large."
		}
	default:
		out.code = "AccessDenied"
	}
	return out
}

// writeS3Error answers in S3's XML error shape, or the AWS JSON shape when the route says so.
func writeS3Error(w http.ResponseWriter, v *sigv4Route, e *s3Error, resource string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if v != nil && v.json {
		h.Set("Content-Type", "application/json")
		awsjson.WriteError(w, &awsjson.Error{Type: awsjson.Type(e.jsonTyp), Message: e.message, Status: e.status})
		return
	}
	doc := s3ErrorXML(e.code, e.message, resource)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(e.status)
	w.Write(doc)
}

// target is the policy action and resource a request asks for.
type target struct {
	action, resource string
	extra            map[string]string
}

// target maps a request to its action and resource; ok is false for a method the route
// has no action for.
func (v *sigv4Route) target(r *http.Request, below string) (t target, ok bool) {
	below = strings.TrimPrefix(below, "/")
	bucket, key := v.bucket, below
	if bucket == "" {
		bucket, key, _ = strings.Cut(below, "/")
	}
	t.extra = map[string]string{}
	method := r.Method
	if a, custom := v.actions[method]; custom {
		t.action = a
	} else {
		switch {
		case (method == http.MethodGet || method == http.MethodHead) && key == "" && bucket != "":
			t.action = "s3:ListBucket"
			q := r.URL.Query()
			t.extra["s3:prefix"] = q.Get("prefix")
			if d := q.Get("delimiter"); d != "" {
				t.extra["s3:delimiter"] = d
			}
			if m := q.Get("max-keys"); m != "" {
				t.extra["s3:max-keys"] = m
			}
		case key == "":
			return t, false
		case method == http.MethodGet || method == http.MethodHead:
			t.action = "s3:GetObject"
		case method == http.MethodPut:
			t.action = "s3:PutObject"
		case method == http.MethodDelete:
			t.action = "s3:DeleteObject"
		default:
			return t, false
		}
	}
	switch {
	case v.resource != "":
		t.resource = strings.NewReplacer("{bucket}", bucket, "{key}", key, "{path}", below).Replace(v.resource)
	case key == "":
		t.resource = "arn:aws:s3:::" + bucket
	default:
		t.resource = "arn:aws:s3:::" + bucket + "/" + key
	}
	return t, true
}

// serveSigV4 verifies a request signed with vended credentials, evaluates the role's policy
// for the request's action and resource, and forwards what is allowed.
func (g *Gateway) serveSigV4(w http.ResponseWriter, r *http.Request, rt *route) {
	v := rt.sigv4
	var body []byte
	if r.Header.Get("X-Amz-Content-Sha256") != sigv4.UnsignedPayload && r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxSignedBodyBytes+1))
		if err != nil {
			writeS3Error(w, v, &s3Error{http.StatusBadRequest, "IncompleteBody", "SerializationException",
				"The request body could not be read."}, "")
			return
		}
		if len(b) > MaxSignedBodyBytes {
			writeS3Error(w, v, &s3Error{http.StatusRequestEntityTooLarge, "EntityTooLarge", "RequestEntityTooLargeException",
				"A signed payload may be at most " + strconv.Itoa(MaxSignedBodyBytes) + " bytes; send larger bodies as UNSIGNED-PAYLOAD."}, "")
			return
		}
		body = b
		r2 := *r
		r2.Body = io.NopCloser(bytes.NewReader(b))
		r2.ContentLength = int64(len(b))
		r = &r2
	}
	now := g.now()
	_, p, err := g.cfg.Credentials.VerifyRequest(r, body, sigv4.Options{
		Now:                  now,
		MaxSkew:              v.maxSkew,
		Service:              v.service,
		Region:               v.region,
		SingleEncodePath:     v.service == "s3",
		AllowUnsignedPayload: true,
	})
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			writeS3Error(w, v, fromSigV4(se, r.Header.Get("X-Amz-Security-Token") != ""), "")
			return
		}
		g.cfg.Logf("gateway: route %s: verifying a signature: %v", rt.name, err)
		writeS3Error(w, v, &s3Error{http.StatusInternalServerError, "InternalError", "InternalFailure",
			"We encountered an internal error. Please try again."}, "")
		return
	}
	below := r.URL.Path
	if rt.prefix != "/" {
		below = strings.TrimPrefix(below, rt.prefix)
	}
	t, ok := v.target(r, below)
	if !ok {
		writeS3Error(w, v, &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "MethodNotAllowedException",
			"The specified method is not allowed against this resource."}, "")
		return
	}
	t.extra["aws:CurrentTime"] = now.UTC().Format(time.RFC3339)
	t.extra["aws:EpochTime"] = strconv.FormatInt(now.Unix(), 10)
	t.extra["aws:SecureTransport"] = strconv.FormatBool(r.TLS != nil || r.URL.Scheme == "https")
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		t.extra["aws:SourceIp"] = ip
	}
	if d := p.Evaluate(t.action, t.resource, t.extra); d != policy.Allow {
		writeS3Error(w, v, accessDenied(), "")
		return
	}
	id := http.Header{}
	set := func(name, value string) {
		if value != "" {
			id.Set(name, headerValue(value, ""))
		}
	}
	set(HeaderRoute, rt.name)
	set(HeaderSub, p.IdentityID)
	set(HeaderIdentityID, p.IdentityID)
	set(HeaderIdentityPoolID, p.IdentityPoolID)
	set(HeaderRoleArn, p.RoleArn)
	set(HeaderAuthenticated, strconv.FormatBool(p.Authenticated))
	set(HeaderAccessKeyID, p.AccessKeyID)
	set(HeaderUsername, p.Username)
	set(HeaderAction, t.action)
	set(HeaderResource, t.resource)
	g.forward(w, r, rt, id, time.Time{}, "X-Amz-Security-Token")
}
