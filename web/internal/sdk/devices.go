package sdk

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/srp"
)

// Remembered devices (spec §3.7, §13), in Amplify v6's vocabulary: a sign-in whose
// AuthenticationResult carries NewDeviceMetadata gives this browser a device. The SDK draws
// the device's random password, confirms the device with its SRP verifier (ConfirmDevice, as
// Amplify and amazon-cognito-identity-js do at sign-in) and keeps key, group key and password
// in DeviceStorage under the user's internal username. Later sign-ins of that user name the
// device (DEVICE_KEY); when the server then asks DEVICE_SRP_AUTH instead of a second factor,
// the SDK proves the device's password itself and the sign-in ends without MFA. RememberDevice
// marks the device remembered (pools with DeviceOnlyRememberedOnUserPrompt), ForgetDevice
// forgets it, FetchDevices lists the user's devices.

// The server's device challenges.
const (
	challengeDeviceSRP      = "DEVICE_SRP_AUTH"
	challengeDeviceVerifier = "DEVICE_PASSWORD_VERIFIER"
)

// CodeNoDevice is the SDK's error when this browser holds no device of the signed-in user
// (Amplify's DeviceMetadataNotFoundException).
const CodeNoDevice = "DeviceMetadataNotFoundException"

// devicePasswordBytes is the random device password's size before base64: 40 bytes, as
// amazon-cognito-identity-js draws it.
const devicePasswordBytes = 40

// maxDevicePages bounds how many ListDevices pages FetchDevices reads (60 devices each).
const maxDevicePages = 20

// storedDevice is a device as kept in DeviceStorage: a JSON object with these members
// (encode, readStoredDevice).
type storedDevice struct {
	Key      string `json:"deviceKey"`
	Group    string `json:"deviceGroupKey"`
	Password string `json:"devicePassword"`
	// Confirmed is set once ConfirmDevice has taken the device's verifier.
	Confirmed bool `json:"confirmed"`
}

func (d *storedDevice) encode() ([]byte, error) {
	return encodeJSON(map[string]any{"deviceKey": d.Key, "deviceGroupKey": d.Group, "devicePassword": d.Password, "confirmed": d.Confirmed})
}

func readStoredDevice(b []byte) (*storedDevice, error) {
	o, err := readObject(b)
	if err != nil {
		return nil, err
	}
	d := &storedDevice{Key: o.str("deviceKey"), Group: o.str("deviceGroupKey"), Password: o.str("devicePassword"), Confirmed: o.boolean("confirmed")}
	return d, o.typeError()
}

// newDeviceMetadata is the wire's AuthenticationResult.NewDeviceMetadata.
type newDeviceMetadata struct {
	DeviceKey      string
	DeviceGroupKey string
}

func (c *Client) deviceKey(username string) string {
	return "poolgate." + c.cfg.ClientID + ".device." + username
}

// loadDevice returns the device this browser holds for username (the internal username),
// nil for none; an unreadable record is removed.
func (c *Client) loadDevice(username string) *storedDevice {
	if username == "" {
		return nil
	}
	raw, ok := c.cfg.DeviceStorage.Get(c.deviceKey(username))
	if !ok {
		return nil
	}
	d, err := readStoredDevice([]byte(raw))
	if err != nil || d.Key == "" || d.Group == "" || d.Password == "" {
		c.cfg.DeviceStorage.Remove(c.deviceKey(username))
		return nil
	}
	return d
}

func (c *Client) saveDevice(username string, d *storedDevice) error {
	b, err := d.encode()
	if err != nil {
		return fmt.Errorf("sdk: encode device: %w", err)
	}
	if err := c.cfg.DeviceStorage.Set(c.deviceKey(username), string(b)); err != nil {
		return &Error{Code: "StorageError", Message: "The device could not be stored: " + err.Error()}
	}
	return nil
}

func (c *Client) dropDevice(username string) { c.cfg.DeviceStorage.Remove(c.deviceKey(username)) }

// isUnknownDevice reports the server's answer to a DEVICE_KEY the user does not have.
func isUnknownDevice(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Code == CodeResourceNotFound && strings.Contains(e.Message, "Device does not exist")
}

// respond sends a RespondToAuthChallenge whose ChallengeResponses may name username's device
// (DEVICE_KEY). A device the server no longer knows is forgotten here and the same answer is
// sent again without it, as amazon-cognito-identity-js does (the server checks the device
// before it spends the answer's SRP block or Session).
func (c *Client) respond(ctx context.Context, in map[string]any, resp map[string]string, username string) (*initiateOutput, error) {
	in["ChallengeResponses"] = resp
	var out initiateOutput
	err := c.call(ctx, "RespondToAuthChallenge", in, out.read)
	if err != nil && resp["DEVICE_KEY"] != "" && isUnknownDevice(err) {
		c.dropDevice(username)
		delete(resp, "DEVICE_KEY")
		out = initiateOutput{}
		err = c.call(ctx, "RespondToAuthChallenge", in, out.read)
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// nameDevice adds username's device, if this browser holds a confirmed one, to a challenge
// answer. An unconfirmed device is no device to the server: the sign-in goes on as from a
// new browser, and its NewDeviceMetadata replaces the record.
func (c *Client) nameDevice(resp map[string]string, username string) {
	if d := c.loadDevice(username); d != nil && d.Confirmed {
		resp["DEVICE_KEY"] = d.Key
	}
}

// keepNewDevice keeps the device a sign-in of username handed out and confirms it with a
// fresh verifier. The sign-in stands whatever happens here (Amplify's signIn does the same):
// a device that could not be confirmed stays in storage unconfirmed, and RememberDevice
// confirms it and reports what goes wrong; one that could not be stored is no device of
// this browser, and the next sign-in gets a new one.
func (c *Client) keepNewDevice(ctx context.Context, username, accessToken string, md *newDeviceMetadata) {
	if md.DeviceKey == "" || md.DeviceGroupKey == "" {
		return
	}
	pw := make([]byte, devicePasswordBytes)
	if _, err := io.ReadFull(c.cfg.Rand, pw); err != nil {
		return
	}
	d := &storedDevice{Key: md.DeviceKey, Group: md.DeviceGroupKey, Password: base64.StdEncoding.EncodeToString(pw)}
	if c.saveDevice(username, d) != nil {
		return
	}
	_, _ = c.confirmDevice(ctx, username, accessToken, d)
}

// confirmDevice sends d's SRP verifier (spec §3.7: SRP's verifier with the group key where
// the pool name stands and the device key where the username stands) and records d as
// confirmed. It reports the server's UserConfirmationNecessary: true when the pool waits for
// the user to remember the device.
func (c *Client) confirmDevice(ctx context.Context, username, accessToken string, d *storedDevice) (bool, error) {
	salt, verifier, err := srp.NewVerifier(c.cfg.Crypto, c.cfg.Rand, d.Group, d.Key, d.Password)
	if err != nil {
		return false, fmt.Errorf("sdk: device verifier: %w", err)
	}
	in := map[string]any{
		"AccessToken": accessToken,
		"DeviceKey":   d.Key,
		"DeviceSecretVerifierConfig": map[string]string{
			"PasswordVerifier": base64.StdEncoding.EncodeToString(verifier),
			"Salt":             base64.StdEncoding.EncodeToString(salt),
		},
	}
	if c.cfg.DeviceName != "" {
		in["DeviceName"] = c.cfg.DeviceName
	}
	var necessary bool
	if err := c.call(ctx, "ConfirmDevice", in, func(o object) { necessary = o.boolean("UserConfirmationNecessary") }); err != nil {
		if isUnknownDevice(err) {
			c.dropDevice(username)
		}
		return false, err
	}
	d.Confirmed = true
	return necessary, c.saveDevice(username, d)
}

// deviceSRP answers DEVICE_SRP_AUTH with the device this browser holds for username: SRP_A,
// then the DEVICE_PASSWORD_VERIFIER proof, and returns the sign-in's outcome. A proof the
// server refuses means the stored password is not the device's: the device is forgotten
// here, so the next sign-in meets the second factor instead of failing again.
func (c *Client) deviceSRP(ctx context.Context, out *initiateOutput, username string) (*SignInResult, error) {
	if u := out.ChallengeParameters["USERNAME"]; u != "" {
		username = u
	}
	d := c.loadDevice(username)
	if d == nil || out.Session == "" {
		return nil, &Error{Code: CodeUnsupported, Message: "The server asked to prove a device this browser does not hold: sign in again."}
	}
	cl, err := srp.NewClient(c.cfg.Crypto, c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	var step initiateOutput
	err = c.call(ctx, "RespondToAuthChallenge", map[string]any{
		"ChallengeName":      challengeDeviceSRP,
		"ClientId":           c.cfg.ClientID,
		"Session":            out.Session,
		"ChallengeResponses": map[string]string{"USERNAME": username, "DEVICE_KEY": d.Key, "SRP_A": cl.AHex()},
	}, step.read)
	if err != nil {
		return nil, c.deviceFailed(username, err)
	}
	p := step.ChallengeParameters
	if step.ChallengeName != challengeDeviceVerifier || p["SRP_B"] == "" || p["SALT"] == "" || p["SECRET_BLOCK"] == "" {
		return nil, badResponse("DEVICE_SRP_AUTH", fmt.Errorf("no DEVICE_PASSWORD_VERIFIER with SRP_B, SALT and SECRET_BLOCK"))
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return nil, badResponse("DEVICE_SRP_AUTH", fmt.Errorf("SECRET_BLOCK: %v", err))
	}
	timestamp := srp.FormatTimestamp(c.now())
	sig, err := cl.Signature(d.Group, d.Key, d.Password, p["SALT"], p["SRP_B"], block, timestamp)
	if err != nil {
		return nil, badResponse("DEVICE_SRP_AUTH", err)
	}
	session := step.Session
	if session == "" {
		session = out.Session
	}
	var next initiateOutput
	err = c.call(ctx, "RespondToAuthChallenge", map[string]any{
		"ChallengeName": challengeDeviceVerifier,
		"ClientId":      c.cfg.ClientID,
		"Session":       session,
		"ChallengeResponses": map[string]string{
			"USERNAME":                    username,
			"DEVICE_KEY":                  d.Key,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"TIMESTAMP":                   timestamp,
			"PASSWORD_CLAIM_SIGNATURE":    sig,
		},
	}, next.read)
	if err != nil {
		return nil, c.deviceFailed(username, err)
	}
	if next.ChallengeName == challengeDeviceSRP {
		return nil, badResponse("DEVICE_PASSWORD_VERIFIER", fmt.Errorf("DEVICE_SRP_AUTH asked again"))
	}
	return c.outcome(ctx, &next, username)
}

// deviceFailed forgets username's device when the server no longer knows it or refuses its
// proof, and returns err.
func (c *Client) deviceFailed(username string, err error) error {
	if e, ok := err.(*Error); ok && (isUnknownDevice(err) || e.Code == CodeNotAuthorized && e.Message == "Incorrect username or password.") {
		c.dropDevice(username)
	}
	return err
}

// RememberDevice marks this browser's device of the signed-in user remembered, so that its
// sign-ins skip the second factor where the pool allows it (Amplify's rememberDevice): it
// confirms the device first if that did not happen at sign-in, then UpdateDeviceStatus
// remembered unless the confirmation already remembered it.
func (c *Client) RememberDevice(ctx context.Context) error {
	sess, err := c.Session(ctx, false)
	if err != nil {
		return err
	}
	d := c.loadDevice(sess.Username)
	if d == nil {
		return &Error{Code: CodeNoDevice, Message: "This browser holds no device of the signed-in user: the pool tracks no devices, or it was forgotten."}
	}
	if !d.Confirmed {
		necessary, err := c.confirmDevice(ctx, sess.Username, sess.AccessToken, d)
		if err != nil || !necessary {
			return err
		}
	}
	err = c.call(ctx, "UpdateDeviceStatus", map[string]any{
		"AccessToken": sess.AccessToken, "DeviceKey": d.Key, "DeviceRememberedStatus": "remembered",
	}, nil)
	if isUnknownDevice(err) {
		c.dropDevice(sess.Username)
	}
	return err
}

// ForgetDevice forgets one of the signed-in user's devices (ForgetDevice); key "" is this
// browser's own device, which the browser then stops naming at sign-in. Tokens of a sign-in
// from a forgotten device no longer refresh.
func (c *Client) ForgetDevice(ctx context.Context, key string) error {
	sess, err := c.Session(ctx, false)
	if err != nil {
		return err
	}
	own := c.loadDevice(sess.Username)
	if key == "" {
		if own == nil {
			return &Error{Code: CodeNoDevice, Message: "This browser holds no device of the signed-in user."}
		}
		key = own.Key
	}
	err = c.call(ctx, "ForgetDevice", map[string]any{"AccessToken": sess.AccessToken, "DeviceKey": key}, nil)
	if own != nil && own.Key == key && (err == nil || isUnknownDevice(err)) {
		c.dropDevice(sess.Username)
		return nil
	}
	return err
}

// Device is one of the user's devices as FetchDevices lists it.
type Device struct {
	Key        string
	Name       string // device_name: what ConfirmDevice was told (the browser's user agent)
	Remembered bool   // dev:device_remembered_status is "remembered"
	Current    bool   // the device this browser holds
	Attributes map[string]string

	Created, Modified time.Time
	LastAuthenticated time.Time // zero when the device never signed in again
}

func epoch(secs float64) time.Time {
	if secs <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(secs * 1000))
}

// FetchDevices lists the signed-in user's devices (ListDevices, every page), marking this
// browser's own.
func (c *Client) FetchDevices(ctx context.Context) ([]Device, error) {
	sess, err := c.Session(ctx, false)
	if err != nil {
		return nil, err
	}
	own := c.loadDevice(sess.Username)
	devices := []Device{}
	token := ""
	for range maxDevicePages {
		in := map[string]any{"AccessToken": sess.AccessToken, "Limit": 60}
		if token != "" {
			in["PaginationToken"] = token
		}
		var page []Device
		next := ""
		err := c.call(ctx, "ListDevices", in, func(o object) {
			next = o.str("PaginationToken")
			for _, w := range o.objects("Devices") { // DeviceType
				key := w.str("DeviceKey")
				d := Device{Key: key, Attributes: attributeMap(w.objects("DeviceAttributes")), Current: own != nil && own.Key == key,
					Created: epoch(w.float("DeviceCreateDate")), Modified: epoch(w.float("DeviceLastModifiedDate")),
					LastAuthenticated: epoch(w.float("DeviceLastAuthenticatedDate"))}
				d.Name = d.Attributes["device_name"]
				d.Remembered = d.Attributes["dev:device_remembered_status"] == "remembered"
				page = append(page, d)
			}
		})
		if err != nil {
			return nil, err
		}
		devices = append(devices, page...)
		if token = next; token == "" {
			break
		}
	}
	return devices, nil
}
