package sdk

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/poolgate/poolgate/internal/jsonread"
)

// maxTokenLen bounds the tokens DecodeClaims reads (internal/jose's MaxTokenLen): Cognito's
// tokens are a few kilobytes.
const maxTokenLen = 32 << 10

// b64url is base64url without padding, refusing non-canonical trailing bits, as jose reads it.
var b64url = base64.RawURLEncoding.Strict()

// DecodeClaims returns a JWT's payload without verifying it: clients read exp, iat and the
// user's claims; the server verifies every token it is sent. It reads the token's structure as
// internal/jose's Parse does (three base64url segments, header and payload each one JSON
// object with no member twice, the header with a string alg) without importing jose, whose
// key handling links RSA, ECDSA, Ed25519 and X.509 into the SDK (about 0.2 MB of wasm the
// client never runs). Numbers come out as float64, the shape the SDK hands to JavaScript.
func DecodeClaims(jwt string) (map[string]any, error) {
	if len(jwt) > maxTokenLen {
		return nil, fmt.Errorf("sdk: a token is longer than %d bytes", maxTokenLen)
	}
	// base64's decoder skips CR and LF even in strict mode: allow only the alphabet and dots.
	for i := 0; i < len(jwt); i++ {
		if c := jwt[i]; !isAlnum(rune(c)) && c != '-' && c != '_' && c != '.' {
			return nil, fmt.Errorf("sdk: a token is not a JWT: byte %#x at %d", c, i)
		}
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return nil, errors.New("sdk: a token is not a JWT: not three dot-separated parts")
	}
	if _, err := b64url.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("sdk: a token is not a JWT: signature: %w", err)
	}
	header, err := segment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("sdk: a token is not a JWT: header: %w", err)
	}
	if _, ok := header["alg"].(string); !ok {
		return nil, errors.New("sdk: a token is not a JWT: header has no string alg")
	}
	payload, err := segment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("sdk: token payload: %w", err)
	}
	claims, err := floats(payload)
	if err != nil {
		return nil, fmt.Errorf("sdk: token payload: %w", err)
	}
	return claims.(map[string]any), nil
}

// segment decodes one base64url segment holding one JSON object.
func segment(seg string) (map[string]any, error) {
	b, err := b64url.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	return jsonread.UniqueObject(b)
}

// floats turns jsonread's json.Numbers into the float64s encoding/json gives an any, failing
// where encoding/json fails (a number out of float64's range).
func floats(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		return v.Float64()
	case map[string]any:
		for k, e := range v {
			f, err := floats(e)
			if err != nil {
				return nil, err
			}
			v[k] = f
		}
	case []any:
		for i, e := range v {
			f, err := floats(e)
			if err != nil {
				return nil, err
			}
			v[i] = f
		}
	}
	return v, nil
}
