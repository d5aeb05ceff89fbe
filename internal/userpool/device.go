package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Remembered devices (spec §3.7, §13). When a pool tracks devices (DeviceConfiguration), a
// sign-in through the JSON API that did not come with a device key of the user ends with
// NewDeviceMetadata: a new device key ("<region>_<uuid>") and its group key. The device is
// recorded at once, unconfirmed, under dev/<pool>/<sub>/<device key> in the pool's shard;
// an unconfirmed record lives unconfirmedDeviceTTL [est] and is no device for any call but
// ConfirmDevice. ConfirmDevice stores the device's SRP verifier (sealed at rest) and its
// name, and remembers the device unless the pool waits for the user's prompt;
// UpdateDeviceStatus remembers or forgets it as remembered, ForgetDevice removes it.
// Records are keyed by the user's sub, so a user deleted and created again under the same
// name does not inherit devices.
//
// A later sign-in names its device with DEVICE_KEY (InitiateAuth's AuthParameters, the
// PASSWORD_VERIFIER or MFA answer). A key the user does not have is ResourceNotFoundException
// "Device does not exist." (amazon-cognito-identity-js forgets its cached device on that
// answer and tries again without it). A known key gets no new metadata; when it names a
// remembered device, the pool lets devices stand in for the second factor and the sign-in
// would meet one, the device proves itself with DEVICE_SRP_AUTH instead (device_srp.go).
// Tokens of a sign-in that named a known device are bound to it: refreshing them takes the
// same DEVICE_KEY, and ends with the device (refresh_device.go).
//
// The managed-login pages track no devices, as Cognito's do not: only InitiateAuth and
// RespondToAuthChallenge (and their Admin twins) carry a device into a sign-in.
const (
	purposeDeviceVerifier = "userpool/device-verifier"
	// unconfirmedDeviceTTL is how long a device handed out by a sign-in waits for its
	// ConfirmDevice [est: Cognito does not say].
	unconfirmedDeviceTTL = 24 * time.Hour
	// deviceGroupKeyLen is the length of a device group key after its leading "-" [est: the
	// values Cognito hands out are short opaque strings of this form].
	deviceGroupKeyLen = 9
)

// Device remembered statuses (UpdateDeviceStatus's DeviceRememberedStatus).
const (
	deviceRemembered    = "remembered"
	deviceNotRemembered = "not_remembered"
)

// deviceRecord is a stored device of a user.
type deviceRecord struct {
	Key        string `json:"k"`
	GroupKey   string `json:"g"`
	Sub        string `json:"s"`
	Name       string `json:"n,omitempty"`
	Confirmed  bool   `json:"c,omitempty"`
	Remembered bool   `json:"r,omitempty"`
	// Secret is the sealed deviceVerifier ConfirmDevice gave.
	Secret   []byte `json:"v,omitempty"`
	Created  int64  `json:"ct"`           // unix nanoseconds
	Modified int64  `json:"mt"`           // unix nanoseconds
	LastAuth int64  `json:"at,omitempty"` // unix nanoseconds: last DEVICE_SRP_AUTH sign-in
}

// deviceVerifier is a device's SRP salt and verifier (spec §3.7), integers as bytes.
type deviceVerifier struct {
	Salt     []byte `json:"s"`
	Verifier []byte `json:"v"`
}

// deviceKeyPrefix is the store prefix of the devices of user sub.
func deviceKeyPrefix(pool, sub string) string { return "dev/" + pool + "/" + sub + "/" }

// deviceStoreKey is where device key of user sub is kept. Device keys are bounded (55
// characters, [\w-]+_[0-9a-f-]+) by the member validation before they get here.
func deviceStoreKey(pool, sub, key string) string { return deviceKeyPrefix(pool, sub) + key }

// deviceNotFound is Cognito's answer for a device key the user does not have.
func deviceNotFound() error { return awsjson.ResourceNotFound("Device does not exist.") }

// loadDevice reads device key of u; a missing one is store.ErrNotFound.
func (s *Service) loadDevice(ctx context.Context, p *Pool, u *User, key string) (*deviceRecord, error) {
	b, err := s.d.Store.Get(ctx, deviceStoreKey(p.Id, u.Sub, key))
	if err != nil {
		return nil, err
	}
	var d deviceRecord
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("userpool: device record %s: %w", key, err)
	}
	return &d, nil
}

// confirmedDevice reads a confirmed device key of u; any other is deviceNotFound.
func (s *Service) confirmedDevice(ctx context.Context, p *Pool, u *User, key string) (*deviceRecord, error) {
	d, err := s.loadDevice(ctx, p, u, key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !d.Confirmed) {
		return nil, deviceNotFound()
	}
	return d, err
}

// putDevice writes d; an unconfirmed device expires unless it is confirmed in time.
func (s *Service) putDevice(ctx context.Context, p *Pool, d *deviceRecord) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	var opts store.PutOptions
	if !d.Confirmed {
		opts.TTL = unconfirmedDeviceTTL
	}
	return s.d.Store.Put(ctx, deviceStoreKey(p.Id, d.Sub, d.Key), b, opts)
}

// openDeviceVerifier opens d's sealed salt and verifier.
func (s *Service) openDeviceVerifier(d *deviceRecord) (*deviceVerifier, error) {
	plain, err := s.d.AtRest.Open(purposeDeviceVerifier, d.Secret, s.now())
	if err != nil {
		return nil, fmt.Errorf("userpool: device verifier of %s: %w", d.Key, err)
	}
	var v deviceVerifier
	if err := json.Unmarshal(plain, &v); err != nil {
		return nil, fmt.Errorf("userpool: device verifier of %s: %w", d.Key, err)
	}
	return &v, nil
}

// NewDeviceMetadata is the wire NewDeviceMetadataType of an AuthenticationResult.
type NewDeviceMetadata struct {
	DeviceKey      string `json:"DeviceKey"`
	DeviceGroupKey string `json:"DeviceGroupKey"`
}

// newDevice records a new, unconfirmed device of u and returns its metadata.
func (s *Service) newDevice(ctx context.Context, p *Pool, u *User) (*NewDeviceMetadata, error) {
	id, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	group, err := s.randomString(alnum, deviceGroupKeyLen)
	if err != nil {
		return nil, err
	}
	now := s.now().UnixNano()
	d := &deviceRecord{Key: poolRegion(p.Id, s.d.Region) + "_" + id, GroupKey: "-" + group, Sub: u.Sub,
		Created: now, Modified: now}
	// A fresh random key: nothing to race with, so a plain write.
	if err := s.putDevice(ctx, p, d); err != nil {
		return nil, err
	}
	return &NewDeviceMetadata{DeviceKey: d.Key, DeviceGroupKey: d.GroupKey}, nil
}

// signInDevice is the device key a JSON-API sign-in (or refresh) came with; its presence in
// a context says the call may track devices.
type signInDevice struct{ key string }

type signInDeviceCtx struct{}

// withSignInDevice marks ctx as a JSON-API sign-in or refresh that named device key ("" for
// none). The device travels in the context because it belongs to the request, like the
// caller's address, and the sign-in steps it passes through are shared with the
// managed-login pages, which track no devices: they never carry one.
func withSignInDevice(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, signInDeviceCtx{}, signInDevice{key: key})
}

// signInDeviceOf returns the device of ctx's sign-in, and whether the sign-in tracks devices.
func signInDeviceOf(ctx context.Context) (string, bool) {
	d, ok := ctx.Value(signInDeviceCtx{}).(signInDevice)
	return d.key, ok
}

// knownSignInDevice returns the confirmed device ctx's sign-in of u names, nil when it names
// none or the pool does not track devices, and deviceNotFound for a key u does not have.
func (s *Service) knownSignInDevice(ctx context.Context, p *Pool, u *User) (*deviceRecord, error) {
	key, tracking := signInDeviceOf(ctx)
	if !tracking || key == "" || !p.tracksDevices() {
		return nil, nil
	}
	return s.confirmedDevice(ctx, p, u, key)
}

// signInDeviceResult is what the device of a finished sign-in of u adds to its tokens: the
// metadata of a new device when it named none, or the known device the tokens are bound to.
func (s *Service) signInDeviceResult(ctx context.Context, p *Pool, u *User) (*NewDeviceMetadata, string, error) {
	key, tracking := signInDeviceOf(ctx)
	if !tracking || !p.tracksDevices() {
		return nil, "", nil
	}
	if key == "" {
		md, err := s.newDevice(ctx, p, u)
		return md, "", err
	}
	d, err := s.confirmedDevice(ctx, p, u, key)
	if err != nil {
		return nil, "", err
	}
	return nil, d.Key, nil
}

// checkSignInDeviceName refuses, before an SRP answer spends its SECRET_BLOCK, a DEVICE_KEY
// that user userID does not have: identity-js answers "Device does not exist." by sending
// the same answer again without the key, which must still find its block unspent. Unknown
// users (decoys) have no devices.
func (s *Service) checkSignInDeviceName(ctx context.Context, p *Pool, userID string) error {
	key, tracking := signInDeviceOf(ctx)
	if !tracking || key == "" || !p.tracksDevices() {
		return nil
	}
	u, err := s.getUser(ctx, p, userID)
	if errors.Is(err, store.ErrNotFound) {
		return deviceNotFound()
	}
	if err != nil {
		return err
	}
	_, err = s.confirmedDevice(ctx, p, u, key)
	return err
}
