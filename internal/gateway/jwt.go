package gateway

import (
	"net/http"
	"strings"
)

// bearerToken extracts the token of an "Authorization: Bearer <token>" header. The token
// itself is read by internal/jose.
func bearerToken(r *http.Request) (string, *refusal) {
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", missingToken()
	case len(vals) > 1:
		return "", badRequest("The request carries more than one Authorization header.")
	}
	scheme, tok, _ := strings.Cut(strings.TrimLeft(vals[0], " "), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		// Another scheme (Basic, AWS4-HMAC-SHA256, ...): no bearer credentials at all.
		return "", missingToken()
	}
	tok = strings.Trim(tok, " ")
	if tok == "" {
		return "", badRequest("The Authorization header carries an empty bearer token.")
	}
	return tok, nil
}
