// Package token owns user-pool JWTs: RS256 signing through the host's crypto provider, the
// per-pool signing keys (generation, encrypted storage, rotation), the JWKS that publishes
// them, and verification of the pools' own tokens through internal/jose.
package token

import (
	"bytes"
	"encoding/json"
)

// The two uses a pool has a signing key for; each token_use gets its own key, as in Cognito.
const (
	UseID     = "id"
	UseAccess = "access"
)

// Alg is the only JWS algorithm poolgate issues or accepts for its own tokens.
const Alg = "RS256"

// encodeJSON marshals v without HTML escaping: by appendJSON when it can, else by
// encoding/json.
func encodeJSON(v any) ([]byte, error) {
	if b, ok := appendJSON(make([]byte, 0, 1024), v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
