package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/listing"
	"github.com/poolgate/poolgate/internal/srp"
)

// deviceActions are the remembered-device actions (spec §13, device.go): the user's, with an
// access token, and their Admin* twins, signed.
func (s *Service) deviceActions() []awsjson.Action {
	public := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.Public, Handle: h}
	}
	signed := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		public("ConfirmDevice", awsjson.Handler(s.confirmDevice)),
		public("UpdateDeviceStatus", awsjson.Handler(s.updateDeviceStatus)),
		public("GetDevice", awsjson.Handler(s.getDevice)),
		public("ListDevices", awsjson.Handler(s.listDevices)),
		public("ForgetDevice", awsjson.Handler(s.forgetDevice)),
		signed("AdminUpdateDeviceStatus", awsjson.Handler(s.adminUpdateDeviceStatus)),
		signed("AdminGetDevice", awsjson.Handler(s.adminGetDevice)),
		signed("AdminListDevices", awsjson.Handler(s.adminListDevices)),
		signed("AdminForgetDevice", awsjson.Handler(s.adminForgetDevice)),
	}
}

// DeviceSecretVerifierConfig is ConfirmDevice's device verifier (spec §3.7): base64 of the
// padHex bytes of the salt and of v.
type DeviceSecretVerifierConfig struct {
	PasswordVerifier string `json:"PasswordVerifier"`
	Salt             string `json:"Salt"`
}

// ConfirmDeviceInput is the input of ConfirmDevice.
type ConfirmDeviceInput struct {
	AccessToken                string                      `json:"AccessToken" aws:"required"`
	DeviceKey                  string                      `json:"DeviceKey" aws:"required"`
	DeviceSecretVerifierConfig *DeviceSecretVerifierConfig `json:"DeviceSecretVerifierConfig"`
	DeviceName                 string                      `json:"DeviceName"`
}

// ConfirmDeviceOutput is the output of ConfirmDevice.
type ConfirmDeviceOutput struct {
	UserConfirmationNecessary bool `json:"UserConfirmationNecessary"`
}

// DeviceInput names a device of the access token's user.
type DeviceInput struct {
	AccessToken string `json:"AccessToken" aws:"required"`
	DeviceKey   string `json:"DeviceKey" aws:"required"`
}

// AdminDeviceInput names a device of a user.
type AdminDeviceInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	Username   string `json:"Username" aws:"required"`
	DeviceKey  string `json:"DeviceKey" aws:"required"`
}

// UpdateDeviceStatusInput is the input of UpdateDeviceStatus.
type UpdateDeviceStatusInput struct {
	DeviceInput
	DeviceRememberedStatus string `json:"DeviceRememberedStatus"`
}

// AdminUpdateDeviceStatusInput is the input of AdminUpdateDeviceStatus.
type AdminUpdateDeviceStatusInput struct {
	AdminDeviceInput
	DeviceRememberedStatus string `json:"DeviceRememberedStatus"`
}

// ListDevicesInput is the input of ListDevices.
type ListDevicesInput struct {
	AccessToken     string `json:"AccessToken" aws:"required"`
	Limit           *int   `json:"Limit"`
	PaginationToken string `json:"PaginationToken"`
}

// AdminListDevicesInput is the input of AdminListDevices.
type AdminListDevicesInput struct {
	UserPoolId      string `json:"UserPoolId" aws:"required"`
	Username        string `json:"Username" aws:"required"`
	Limit           *int   `json:"Limit"`
	PaginationToken string `json:"PaginationToken"`
}

// DeviceType is the wire DeviceType.
type DeviceType struct {
	DeviceKey                   string             `json:"DeviceKey"`
	DeviceAttributes            []AttributeType    `json:"DeviceAttributes"`
	DeviceCreateDate            awsjson.EpochTime  `json:"DeviceCreateDate"`
	DeviceLastModifiedDate      awsjson.EpochTime  `json:"DeviceLastModifiedDate"`
	DeviceLastAuthenticatedDate *awsjson.EpochTime `json:"DeviceLastAuthenticatedDate,omitempty"`
}

// GetDeviceOutput is the output of GetDevice and AdminGetDevice.
type GetDeviceOutput struct {
	Device DeviceType `json:"Device"`
}

// ListDevicesOutput is the output of ListDevices and AdminListDevices.
type ListDevicesOutput struct {
	Devices         []DeviceType `json:"Devices"`
	PaginationToken string       `json:"PaginationToken,omitempty"`
}

// confirmDevice stores the verifier of a device a sign-in of the token's user was given.
// [est] A device already confirmed is not confirmed again (its verifier never changes, so a
// DEVICE_SRP_AUTH in flight cannot be switched to another password).
func (s *Service) confirmDevice(ctx context.Context, in *ConfirmDeviceInput) (*ConfirmDeviceOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	v, err := parseDeviceVerifier(in.DeviceSecretVerifierConfig)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	sealed, err := s.d.AtRest.Seal(purposeDeviceVerifier, plain, zeroTime)
	if err != nil {
		return nil, err
	}
	p, u := a.p, a.u
	prompt := p.devicesNeedPrompt()
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		d, err := ts.loadDevice(ctx, p, u, in.DeviceKey)
		if isNotFound(err) {
			return deviceNotFound()
		}
		if err != nil {
			return err
		}
		if d.Confirmed {
			return awsjson.InvalidParameter("Device %s has already been confirmed.", d.Key)
		}
		d.Confirmed, d.Remembered, d.Secret, d.Name = true, !prompt, sealed, in.DeviceName
		d.Modified = ts.now().UnixNano()
		return ts.putDevice(ctx, p, d)
	})
	if err != nil {
		return nil, err
	}
	return &ConfirmDeviceOutput{UserConfirmationNecessary: prompt}, nil
}

// parseDeviceVerifier decodes ConfirmDevice's verifier: standard base64 (identity-js and
// Amplify send it padded), a salt of 1 to 64 bytes [est], a verifier in [1, N).
func parseDeviceVerifier(cfg *DeviceSecretVerifierConfig) (*deviceVerifier, error) {
	if cfg == nil || cfg.PasswordVerifier == "" || cfg.Salt == "" {
		return nil, awsjson.InvalidParameter("DeviceSecretVerifierConfig needs a PasswordVerifier and a Salt.")
	}
	// Bounded before decoding: base64 of padHex(v) is at most 516 characters.
	if len(cfg.PasswordVerifier) > 1024 || len(cfg.Salt) > 128 {
		return nil, awsjson.InvalidParameter("DeviceSecretVerifierConfig is too long.")
	}
	v, err := base64.StdEncoding.DecodeString(cfg.PasswordVerifier)
	if err != nil || srp.CheckVerifier(v) != nil {
		return nil, awsjson.InvalidParameter("DeviceSecretVerifierConfig.PasswordVerifier is not a valid verifier.")
	}
	salt, err := base64.StdEncoding.DecodeString(cfg.Salt)
	if err != nil || len(salt) == 0 || len(salt) > 64 {
		return nil, awsjson.InvalidParameter("DeviceSecretVerifierConfig.Salt is not a valid salt.")
	}
	return &deviceVerifier{Salt: salt, Verifier: v}, nil
}

func (s *Service) updateDeviceStatus(ctx context.Context, in *UpdateDeviceStatusInput) (*struct{}, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.setDeviceStatus(ctx, a.p, a.u, in.DeviceKey, in.DeviceRememberedStatus)
}

func (s *Service) adminUpdateDeviceStatus(ctx context.Context, in *AdminUpdateDeviceStatusInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.setDeviceStatus(ctx, p, u, in.DeviceKey, in.DeviceRememberedStatus)
}

// setDeviceStatus remembers or stops remembering device key of u.
func (s *Service) setDeviceStatus(ctx context.Context, p *Pool, u *User, key, status string) error {
	if err := checkEnum("deviceRememberedStatus", status, deviceRemembered, deviceNotRemembered); err != nil {
		return err
	}
	return s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		d, err := ts.confirmedDevice(ctx, p, u, key)
		if err != nil {
			return err
		}
		d.Remembered = status == deviceRemembered
		d.Modified = ts.now().UnixNano()
		return ts.putDevice(ctx, p, d)
	})
}

func (s *Service) getDevice(ctx context.Context, in *DeviceInput) (*GetDeviceOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.deviceOf(ctx, a.p, a.u, in.DeviceKey)
}

func (s *Service) adminGetDevice(ctx context.Context, in *AdminDeviceInput) (*GetDeviceOutput, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return s.deviceOf(ctx, p, u, in.DeviceKey)
}

func (s *Service) deviceOf(ctx context.Context, p *Pool, u *User, key string) (*GetDeviceOutput, error) {
	d, err := s.confirmedDevice(ctx, p, u, key)
	if err != nil {
		return nil, err
	}
	return &GetDeviceOutput{Device: wireDevice(d)}, nil
}

func (s *Service) listDevices(ctx context.Context, in *ListDevicesInput) (*ListDevicesOutput, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.devicesOf(ctx, a.p, a.u, in.Limit, in.PaginationToken)
}

func (s *Service) adminListDevices(ctx context.Context, in *AdminListDevicesInput) (*ListDevicesOutput, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return s.devicesOf(ctx, p, u, in.Limit, in.PaginationToken)
}

// devicesOf lists u's confirmed devices (remembered or not) in key order, a page at a time.
func (s *Service) devicesOf(ctx context.Context, p *Pool, u *User, limitIn *int, tok string) (*ListDevicesOutput, error) {
	limit, err := listLimit("limit", limitIn)
	if err != nil {
		return nil, err
	}
	prefix := deviceKeyPrefix(p.Id, u.Sub)
	devices, next, err := listing.Page(ctx, s.pager(), "ListDevices/"+p.Id+"/"+u.Sub, prefix, tok, limit,
		func(key string) (DeviceType, bool, error) {
			d, err := s.loadDevice(ctx, p, u, key[len(prefix):])
			if isNotFound(err) || (err == nil && !d.Confirmed) {
				return DeviceType{}, false, nil
			}
			if err != nil {
				return DeviceType{}, false, err
			}
			return wireDevice(d), true, nil
		})
	if err != nil {
		return nil, err
	}
	if devices == nil {
		devices = []DeviceType{}
	}
	return &ListDevicesOutput{Devices: devices, PaginationToken: next}, nil
}

func (s *Service) forgetDevice(ctx context.Context, in *DeviceInput) (*struct{}, error) {
	a, err := s.authorizeAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.removeDevice(ctx, a.p, a.u, in.DeviceKey)
}

func (s *Service) adminForgetDevice(ctx context.Context, in *AdminDeviceInput) (*struct{}, error) {
	p, u, err := s.adminUser(ctx, in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, s.removeDevice(ctx, p, u, in.DeviceKey)
}

// removeDevice forgets device key of u: its sign-ins meet the second factor again, and the
// refresh tokens bound to it stop working (refresh_device.go).
func (s *Service) removeDevice(ctx context.Context, p *Pool, u *User, key string) error {
	return s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.confirmedDevice(ctx, p, u, key); err != nil {
			return err
		}
		return ts.d.Store.Delete(ctx, deviceStoreKey(p.Id, u.Sub, key))
	})
}

// wireDevice is d as GetDevice and ListDevices show it. Its attributes are Cognito's:
// device_status (always "valid": forgotten devices are gone), device_name, and
// dev:device_remembered_status.
func wireDevice(d *deviceRecord) DeviceType {
	status := deviceNotRemembered
	if d.Remembered {
		status = deviceRemembered
	}
	attr := func(name, value string) AttributeType { return AttributeType{Name: name, Value: &value} }
	attrs := []AttributeType{attr("device_status", "valid")}
	if d.Name != "" {
		attrs = append(attrs, attr("device_name", d.Name))
	}
	attrs = append(attrs, attr("dev:device_remembered_status", status))
	out := DeviceType{DeviceKey: d.Key, DeviceAttributes: attrs,
		DeviceCreateDate:       awsjson.Epoch(time.Unix(0, d.Created).UTC()),
		DeviceLastModifiedDate: awsjson.Epoch(time.Unix(0, d.Modified).UTC())}
	if d.LastAuth != 0 {
		t := awsjson.Epoch(time.Unix(0, d.LastAuth).UTC())
		out.DeviceLastAuthenticatedDate = &t
	}
	return out
}
