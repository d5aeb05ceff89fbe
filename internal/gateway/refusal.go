package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// RFC 6750 §3.1 error codes.
const (
	errInvalidRequest    = "invalid_request"
	errInvalidToken      = "invalid_token"
	errInsufficientScope = "insufficient_scope"
)

// refusal is a request the gateway does not forward, with what to tell the client.
type refusal struct {
	status      int
	code        string // RFC 6750 error code; "" for a request without credentials
	description string // fixed text: never echoes the request
	scope       string // for insufficient_scope: the scopes that would do
	retryAfter  int    // seconds, for 503
}

func (r *refusal) Error() string { return "gateway: " + r.code + ": " + r.description }

func missingToken() *refusal {
	return &refusal{status: http.StatusUnauthorized, description: "The request carries no bearer token."}
}

func badRequest(desc string) *refusal {
	return &refusal{status: http.StatusBadRequest, code: errInvalidRequest, description: desc}
}

func invalidToken(desc string) *refusal {
	return &refusal{status: http.StatusUnauthorized, code: errInvalidToken, description: desc}
}

func insufficientScope(desc, scope string) *refusal {
	return &refusal{status: http.StatusForbidden, code: errInsufficientScope, description: desc, scope: scope}
}

// realm is the realm every challenge names.
const realm = "poolgate"

// writeBearerRefusal answers with RFC 6750's WWW-Authenticate challenge and a small JSON body
// {"error", "error_description"}. A request without credentials gets a challenge without an
// error code (RFC 6750 §3.1: "the resource server SHOULD NOT include an error code").
func writeBearerRefusal(w http.ResponseWriter, r *refusal) {
	h := w.Header()
	if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.code == errInvalidRequest {
		var b strings.Builder
		b.WriteString(`Bearer realm="` + realm + `"`)
		if r.code != "" {
			b.WriteString(`, error="` + r.code + `", error_description="` + quoteSafe(r.description) + `"`)
		}
		if r.scope != "" {
			b.WriteString(`, scope="` + quoteSafe(r.scope) + `"`)
		}
		h.Set("WWW-Authenticate", b.String())
	}
	if r.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(r.retryAfter))
	}
	code := r.code
	if code == "" {
		code = "unauthorized"
		if r.status != http.StatusUnauthorized {
			code = strings.ToLower(strings.ReplaceAll(http.StatusText(r.status), " ", "_"))
		}
	}
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": r.description})
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(r.status)
	w.Write(append(body, '\n'))
}

// quoteSafe keeps the visible ASCII of s except the quote and the backslash (RFC 6750 §3
// restricts error_description and scope to that set).
func quoteSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
