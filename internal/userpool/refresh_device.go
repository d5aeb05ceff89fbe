package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// checkRefreshDevice enforces the device binding of a refresh (device.go): tokens of a
// sign-in that named a known device refresh only with that DEVICE_KEY (REFRESH_TOKEN_AUTH's
// AuthParameters, GetTokensFromRefreshToken's DeviceKey) and only while u still has the
// device. Cognito answers a missing or wrong key "Invalid Refresh Token"; so does poolgate,
// and for a forgotten device too. Tokens not bound to a device ignore DEVICE_KEY.
func (s *Service) checkRefreshDevice(ctx context.Context, p *Pool, u *User, ev authEvent) error {
	if ev.Device == "" {
		return nil
	}
	key, _ := signInDeviceOf(ctx)
	if key != ev.Device {
		return awsjson.NotAuthorized("Invalid Refresh Token")
	}
	if _, err := s.confirmedDevice(ctx, p, u, key); err != nil {
		if isNotFound(err) {
			return awsjson.NotAuthorized("Invalid Refresh Token")
		}
		return err
	}
	return nil
}
