package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// checkClaims checks the claims Sign is given, before it encodes them, as jose.DecodeClaims
// will read them from the token (so Sign need not decode what it has just encoded): iss, sub,
// client_id, token_use and jti strings, aud a string or a (non-nil) list of strings, exp a
// finite number (required), nbf and iat finite numbers, token_use equal to use. It accepts
// only the Go types whose encoding has that reading (strings; []string; Go integers, finite
// floats and json.Number), so it is never laxer than the decoder: FuzzCheckClaims holds the
// two together.
func checkClaims(claims map[string]any, use string) error {
	for _, name := range [...]string{"iss", "sub", "client_id", "token_use", "jti"} {
		if v, present := claims[name]; present {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("claim %s is a %T, not a string", name, v)
			}
		}
	}
	if v, present := claims["aud"]; present {
		switch aud := v.(type) {
		case string:
		case []string:
			if aud == nil {
				return errors.New("claim aud is a nil list")
			}
		default:
			return fmt.Errorf("claim aud is a %T, not a string or a list of strings", v)
		}
	}
	if _, present := claims["exp"]; !present {
		return errors.New("claims have no numeric exp")
	}
	for _, name := range [...]string{"exp", "nbf", "iat"} {
		if v, present := claims[name]; present && !finiteNumber(v) {
			return fmt.Errorf("claim %s is not a finite number (%T)", name, v)
		}
	}
	if tu, _ := claims["token_use"].(string); tu != "" && tu != use {
		return fmt.Errorf("token_use %q with the %s key", tu, use)
	}
	return nil
}

// finiteNumber reports whether v encodes as a JSON number that reads back as a finite float.
func finiteNumber(v any) bool {
	switch n := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsInf(n, 0) && !math.IsNaN(n)
	case float32:
		return !math.IsInf(float64(n), 0) && !math.IsNaN(float64(n))
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && json.Valid([]byte(n))
	}
	return false
}
