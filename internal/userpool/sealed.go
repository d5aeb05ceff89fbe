package userpool

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// errBadSeal is a sealed value that does not open: malformed, forged, made for another
// purpose, or expired (errors.Is(err, seal.ErrExpired) tells that case apart).
var errBadSeal = errors.New("userpool: bad sealed value")

// unseal reads into v what s sealed for purpose and handed out as text in enc (Sessions,
// SRP blocks, refresh tokens, pagination and feedback tokens, upload URLs): the text decoded,
// the seal opened at the service's time, the JSON inside decoded. A value that does not open
// is errBadSeal, which each caller answers in its own words; one that opens but does not decode
// is an internal error, since only the service seals. It answers the sealed bytes too, which
// an SRP proof signs.
func (s *Service) unseal(purpose string, enc *base64.Encoding, text string, v any) (sealed []byte, err error) {
	sealed, err = enc.DecodeString(text)
	if err != nil || text == "" {
		return nil, errBadSeal
	}
	plain, err := s.d.Seal.Open(purpose, sealed, s.now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadSeal, err)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return nil, fmt.Errorf("userpool: sealed %s: %w", purpose, err)
	}
	return sealed, nil
}
