package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/bound"
)

// Error codes of RFC 6749 (§4.1.2.1, §5.2), RFC 7009 (§2.2.1) and RFC 6750 (§3.1).
const (
	errInvalidRequest          = "invalid_request"
	errInvalidClient           = "invalid_client"
	errInvalidGrant            = "invalid_grant"
	errUnauthorizedClient      = "unauthorized_client"
	errUnsupportedGrantType    = "unsupported_grant_type"
	errUnsupportedResponseType = "unsupported_response_type"
	errInvalidScope            = "invalid_scope"
	errServerError             = "server_error"
	errLoginRequired           = "login_required"
	errUnsupportedTokenType    = "unsupported_token_type"
	errInvalidToken            = "invalid_token"
)

// oauthError is an OAuth error answer: its code, a description for people, and the HTTP
// status of the JSON endpoints.
type oauthError struct {
	Code        string
	Description string
	Status      int
}

func (e *oauthError) Error() string { return "oauth: " + e.Code + ": " + e.Description }

// fail returns a fresh error with status 400.
func fail(code, description string) *oauthError {
	return &oauthError{Code: code, Description: bound.String(description, bound.MessageBytes), Status: http.StatusBadRequest}
}

// writeJSONError answers a JSON endpoint (token, revoke) with e. invalid_client gets 401
// and a Basic challenge when the client tried Basic authentication (RFC 6749 §5.2).
func writeJSONError(w http.ResponseWriter, e *oauthError, basic bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if e.Code == errInvalidClient && basic {
		h.Set("WWW-Authenticate", `Basic realm="poolgate"`)
	}
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"error": e.Code, "error_description": e.Description})
}

// writeJSON answers a JSON endpoint with v.
func writeJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	json.NewEncoder(w).Encode(v)
}

// redirectError sends the browser back to a trusted redirect URI with an error (RFC 6749
// §4.1.2.1), in the fragment for the implicit flow (§4.2.2.1).
func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, responseType, state string, e *oauthError) {
	v := url.Values{"error": {e.Code}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	if state != "" {
		v.Set("state", state)
	}
	redirectTo(w, r, redirectURI, responseType == "token", v)
}

// redirectTo 302s to uri with v added to its query, or set as its fragment.
func redirectTo(w http.ResponseWriter, r *http.Request, uri string, fragment bool, v url.Values) {
	target := uri
	switch {
	case fragment:
		target += "#" + v.Encode()
	case len(v) > 0:
		u, err := url.Parse(uri)
		if err != nil {
			// Registered URIs were parsed when the client was saved; a failure here is a bug.
			target += "?" + v.Encode()
			break
		}
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
}

// userpoolMessage is the message of a user-pool error for a person, and whether err was
// one (anything else is the server's failure).
func userpoolMessage(err error) (string, bool) {
	var ae *awsjson.Error
	if errors.As(err, &ae) && ae.Type != awsjson.ErrInternal {
		return bound.String(ae.Message, bound.MessageBytes), true
	}
	return "", false
}
