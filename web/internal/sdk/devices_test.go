package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// deviceConfig is mfaConfig("OPTIONAL") with remembered devices; prompt is
// DeviceOnlyRememberedOnUserPrompt.
func deviceConfig(prompt bool) string {
	return strings.Replace(mfaConfig("OPTIONAL", false), `"MfaConfiguration"`,
		fmt.Sprintf(`"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": %t}, "MfaConfiguration"`, prompt), 1)
}

// totpUser signs email up and in, and turns on an authenticator app; it returns the app's
// secret. The first sign-in has no second factor yet, so it hands out a device.
func (e *env) totpUser(c *Client, email string) string {
	e.t.Helper()
	ctx := context.Background()
	e.signedUp(c, email, password)
	if _, err := c.SignIn(ctx, email, password); err != nil {
		e.t.Fatal(err)
	}
	setup, err := c.SetUpTOTP(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.VerifyTOTPSetup(ctx, e.totpCode(setup.SharedSecret), "phone"); err != nil {
		e.t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(ctx, MFAPreference{"TOTP": PrefPreferred}); err != nil {
		e.t.Fatal(err)
	}
	return setup.SharedSecret
}

// signInWithTOTP signs in through the TOTP step with the next window's code (a code is good
// once per window).
func (e *env) signInWithTOTP(c *Client, email, secret string) *Session {
	e.t.Helper()
	ctx := context.Background()
	res, err := c.SignIn(ctx, email, password)
	wantStep(e.t, res, err, StepTOTPCode)
	e.clock.Advance(30 * time.Second)
	res, err = c.ConfirmSignIn(ctx, e.totpCode(secret), nil, "")
	if err != nil || res.Session == nil {
		e.t.Fatalf("TOTP answer: %+v, %v", res, err)
	}
	return res.Session
}

// heldDevice is the device storage holds for the signed-in user, or nil.
func heldDevice(t *testing.T, c *Client) *storedDevice {
	t.Helper()
	sess, err := c.Session(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return c.loadDevice(sess.Username)
}

// wantDevices checks the signed-in user's devices are want, in any order (ListDevices' order
// is the store's).
func wantDevices(t *testing.T, c *Client, want ...string) []Device {
	t.Helper()
	list, err := c.FetchDevices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range list {
		got = append(got, d.Key)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("devices %v, want %v", got, want)
	}
	return list
}

// TestRememberDeviceSkipsMFA: the first sign-in's device is confirmed at sign-in; a sign-in
// from it meets TOTP until RememberDevice; then signIn goes through DEVICE_SRP_AUTH to DONE,
// and the device-bound tokens refresh with the device's key.
func TestRememberDeviceSkipsMFA(t *testing.T) {
	e := newEnv(t, deviceConfig(true))
	devices := NewMemoryStorage()
	c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: e, Now: e.clock.Now,
		DeviceStorage: devices, DeviceName: "Firefox on Linux"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	secret := e.totpUser(c, "dora@example.com")
	d := heldDevice(t, c)
	if d == nil || !d.Confirmed || len(d.Password) < 50 {
		t.Fatalf("the first sign-in's device: %+v", d)
	}
	list := wantDevices(t, c, d.Key)
	if !list[0].Current || list[0].Remembered || list[0].Name != "Firefox on Linux" || list[0].Created.IsZero() {
		t.Fatalf("device before remembering: %+v", list[0])
	}
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	if len(devices.Keys()) != 1 {
		t.Fatalf("device storage after sign-out: %v", devices.Keys())
	}

	// Not remembered yet: the second factor, and no new device.
	e.signInWithTOTP(c, "dora@example.com", secret)
	if got := heldDevice(t, c); got == nil || got.Key != d.Key {
		t.Fatalf("device after an MFA sign-in from it: %+v", got)
	}
	wantDevices(t, c, d.Key)
	if err := c.RememberDevice(ctx); err != nil {
		t.Fatal(err)
	}
	if list := wantDevices(t, c, d.Key); !list[0].Remembered {
		t.Fatalf("device after RememberDevice: %+v", list[0])
	}
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}

	// Remembered: a new page's signIn resolves DONE through device SRP.
	c2, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: e, Now: e.clock.Now, DeviceStorage: devices})
	if err != nil {
		t.Fatal(err)
	}
	e.resetCalls()
	res, err := c2.SignIn(ctx, "dora@example.com", password)
	if err != nil || res.Session == nil {
		t.Fatalf("sign-in from the remembered device: %+v, %v", res, err)
	}
	if got, want := e.targets(), []string{"InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge", "RespondToAuthChallenge"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	list = wantDevices(t, c2, d.Key)
	if list[0].LastAuthenticated.IsZero() {
		t.Fatalf("device SRP sign-in not recorded: %+v", list[0])
	}
	// The tokens are bound to the device: they refresh only with its key, which c2 sends.
	e.clock.Advance(time.Minute)
	if _, err := c2.Session(ctx, true); err != nil {
		t.Fatalf("refresh from the device: %v", err)
	}
	if got := e.targets(); got[len(got)-1] != "GetTokensFromRefreshToken" {
		t.Fatalf("calls %v", got)
	}
}

// TestForgetDevice: forgetting this browser's device drops it from storage and the list; the
// tokens bound to it stop refreshing; the next sign-in meets MFA and gets a new device.
func TestForgetDevice(t *testing.T) {
	e := newEnv(t, deviceConfig(false)) // remembered at once
	c := e.client(nil)
	ctx := context.Background()
	secret := e.totpUser(c, "fay@example.com")
	first := heldDevice(t, c)
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	if res, err := c.SignIn(ctx, "fay@example.com", password); err != nil || res.Session == nil {
		t.Fatalf("a pool that remembers every device: %+v, %v", res, err)
	}
	if list := wantDevices(t, c, first.Key); !list[0].Remembered || !list[0].Current {
		t.Fatalf("%+v", list[0])
	}

	if err := c.ForgetDevice(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if heldDevice(t, c) != nil {
		t.Fatal("the forgotten device is still held")
	}
	wantDevices(t, c)
	wantCode(t, c.ForgetDevice(ctx, ""), CodeNoDevice)
	wantCode(t, c.RememberDevice(ctx), CodeNoDevice)
	_, err := c.Session(ctx, true)
	wantCode(t, err, CodeNotAuthorized)

	e.signInWithTOTP(c, "fay@example.com", secret)
	second := heldDevice(t, c)
	if second == nil || second.Key == first.Key {
		t.Fatalf("new device %+v after forgetting %s", second, first.Key)
	}
	// Forgetting another device by key leaves this browser's own.
	other := e.client(nil)
	e.signInWithTOTP(other, "fay@example.com", secret)
	third := heldDevice(t, other)
	wantDevices(t, c, second.Key, third.Key)
	if err := c.ForgetDevice(ctx, third.Key); err != nil {
		t.Fatal(err)
	}
	wantDevices(t, c, second.Key)
	if heldDevice(t, c) == nil {
		t.Fatal("forgetting another device dropped this one")
	}
}

// TestUnknownDeviceRetried: a device the server no longer knows ("Device does not exist.")
// is dropped and the PASSWORD_VERIFIER answer sent again without it.
func TestUnknownDeviceRetried(t *testing.T) {
	e := newEnv(t, deviceConfig(false))
	c := e.client(nil)
	ctx := context.Background()
	secret := e.totpUser(c, "gus@example.com")
	d := heldDevice(t, c)
	sess, _ := c.Session(ctx, false)
	e.admin("AdminForgetDevice", fmt.Sprintf(`{"UserPoolId": %q, "Username": %q, "DeviceKey": %q}`, testPool, sess.Username, d.Key))
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.resetCalls()
	e.signInWithTOTP(c, "gus@example.com", secret)
	if got, want := e.targets()[:3], []string{"InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if got := heldDevice(t, c); got == nil || got.Key == d.Key || !got.Confirmed {
		t.Fatalf("device after the retry: %+v (forgotten %s)", got, d.Key)
	}
}

// TestWrongDevicePassword: a device whose stored password is not the one its verifier was
// made from fails device SRP ("Incorrect username or password."); the SDK drops it, so the
// next sign-in meets the second factor instead.
func TestWrongDevicePassword(t *testing.T) {
	e := newEnv(t, deviceConfig(false))
	storage := NewMemoryStorage()
	c := e.client(storage)
	ctx := context.Background()
	secret := e.totpUser(c, "hal@example.com")
	sess, _ := c.Session(ctx, false)
	d := heldDevice(t, c)
	d.Password = "not-the-device-password"
	b, _ := json.Marshal(d)
	if err := storage.Set(c.deviceKey(sess.Username), string(b)); err != nil {
		t.Fatal(err)
	}
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	_, err := c.SignIn(ctx, "hal@example.com", password)
	wantCode(t, err, CodeNotAuthorized)
	if c.loadDevice(sess.Username) != nil {
		t.Fatal("the refused device is still held")
	}
	e.signInWithTOTP(c, "hal@example.com", secret)
}

// TestNoDeviceTracking: a pool without DeviceConfiguration hands out no device; the device
// calls answer that this browser holds none.
func TestNoDeviceTracking(t *testing.T) {
	e := newEnv(t)
	storage := NewMemoryStorage()
	c := e.client(storage)
	ctx := context.Background()
	e.signedUp(c, "ivy@example.com", password)
	if _, err := c.SignIn(ctx, "ivy@example.com", password); err != nil {
		t.Fatal(err)
	}
	for _, k := range storage.Keys() {
		if strings.Contains(k, ".device.") {
			t.Fatalf("stored %s", k)
		}
	}
	wantCode(t, c.RememberDevice(ctx), CodeNoDevice)
	wantDevices(t, c)
	if err := c.SignOut(ctx, false); err != nil {
		t.Fatal(err)
	}
	_, err := c.FetchDevices(ctx)
	wantCode(t, err, CodeUnauthenticated)
}

// TestCorruptDeviceRecord: an unreadable device record is removed, and the sign-in goes on
// as from a new device.
func TestCorruptDeviceRecord(t *testing.T) {
	e := newEnv(t, deviceConfig(true))
	storage := NewMemoryStorage()
	c := e.client(storage)
	ctx := context.Background()
	e.signedUp(c, "jo@example.com", password)
	if _, err := c.SignIn(ctx, "jo@example.com", password); err != nil {
		t.Fatal(err)
	}
	sess, _ := c.Session(ctx, false)
	first := heldDevice(t, c)
	for _, bad := range []string{"{", `{"deviceKey": ""}`, `[]`} {
		if err := storage.Set(c.deviceKey(sess.Username), bad); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SignIn(ctx, "jo@example.com", password); err != nil {
			t.Fatalf("%s: %v", bad, err)
		}
		d := heldDevice(t, c)
		if d == nil || d.Key == first.Key {
			t.Fatalf("%s: device %+v", bad, d)
		}
		first = d
	}
}

// FuzzStoredDevice: whatever storage holds under a device key (another script may write it),
// loadDevice returns a usable record or nil, and removes what it cannot use.
func FuzzStoredDevice(f *testing.F) {
	f.Add(`{"deviceKey":"us-east-1_k","deviceGroupKey":"g","devicePassword":"p","confirmed":true}`)
	f.Add(`{"deviceKey":""}`)
	f.Add(`[]`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, raw string) {
		s := NewMemoryStorage()
		c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: scripted(nil), Storage: s})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(c.deviceKey("u"), raw); err != nil {
			t.Fatal(err)
		}
		d := c.loadDevice("u")
		_, kept := s.Get(c.deviceKey("u"))
		if d == nil && kept || d != nil && (d.Key == "" || d.Group == "" || d.Password == "" || !kept) {
			t.Fatalf("%q → %+v, kept %v", raw, d, kept)
		}
	})
}

// scripted is a Transport that answers every call with the next of its bodies (status 200).
type scriptedTransport struct{ bodies []string }

func scripted(bodies []string) *scriptedTransport { return &scriptedTransport{bodies: bodies} }

func (s *scriptedTransport) Call(_ context.Context, _ string, _ []byte) (*Response, error) {
	if len(s.bodies) == 0 {
		return &Response{Status: 400, Body: []byte(`{"__type":"NotAuthorizedException","message":"no more answers"}`)}, nil
	}
	b := s.bodies[0]
	s.bodies = s.bodies[1:]
	return &Response{Status: 200, Body: []byte(b)}, nil
}

// FuzzDeviceSRPAnswer: a DEVICE_PASSWORD_VERIFIER answer with any SRP_B, SALT and
// SECRET_BLOCK ends in a result or an *Error, never a panic.
func FuzzDeviceSRPAnswer(f *testing.F) {
	f.Add("0", "0", "AA==")
	f.Add("ffffffff", "1234", "not base64")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, srpB, salt, block string) {
		verifier, _ := json.Marshal(map[string]any{"ChallengeName": challengeDeviceVerifier, "Session": "s",
			"ChallengeParameters": map[string]string{"SRP_B": srpB, "SALT": salt, "SECRET_BLOCK": block}})
		c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: scripted([]string{string(verifier)})})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.saveDevice("u", &storedDevice{Key: "us-east-1_k", Group: "g", Password: "p", Confirmed: true}); err != nil {
			t.Fatal(err)
		}
		res, err := c.deviceSRP(context.Background(), &initiateOutput{ChallengeName: challengeDeviceSRP, Session: "s",
			ChallengeParameters: map[string]string{"USERNAME": "u"}}, "u")
		if err == nil && (res == nil || res.Session == nil && res.Challenge == nil) {
			t.Fatalf("no result and no error")
		}
		if _, ok := err.(*Error); err != nil && !ok {
			t.Fatalf("error %T %v", err, err)
		}
	})
}

// TestConcurrentDeviceSignIns: tabs sharing one device storage sign in at once through the
// remembered device (each its own device SRP exchange) and all end signed in, while another
// tab lists the devices.
func TestConcurrentDeviceSignIns(t *testing.T) {
	e := newEnv(t, deviceConfig(false))
	devices := NewMemoryStorage()
	tab := func() *Client {
		c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: e, Now: e.clock.Now, DeviceStorage: devices})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := tab()
	e.totpUser(first, "kit@example.com")
	key := heldDevice(t, first).Key
	ctx := context.Background()
	const tabs = 6
	errs := make(chan error, tabs+1)
	for range tabs {
		c := tab()
		go func() {
			res, err := c.SignIn(ctx, "kit@example.com", password)
			if err == nil && res.Session == nil {
				err = fmt.Errorf("signIn stopped at %+v", res.Challenge)
			}
			errs <- err
		}()
	}
	go func() {
		_, err := first.FetchDevices(ctx)
		errs <- err
	}()
	for range tabs + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	wantDevices(t, first, key)
}

// failFirst is a Transport that refuses the first call of one action (InternalErrorException)
// and passes everything else to next.
type failFirst struct {
	next   Transport
	action string
	failed bool
}

func (f *failFirst) Call(ctx context.Context, target string, body []byte) (*Response, error) {
	if !f.failed && strings.HasSuffix(target, "."+f.action) {
		f.failed = true
		return &Response{Status: 500, Body: []byte(`{"__type":"InternalErrorException","message":"try again"}`)}, nil
	}
	return f.next.Call(ctx, target, body)
}

// TestUnconfirmedDevice: a ConfirmDevice that fails at sign-in leaves the sign-in standing and
// the device unconfirmed; RememberDevice confirms and remembers it. An unconfirmed device is
// not named at sign-in: the next sign-in gets a new device.
func TestUnconfirmedDevice(t *testing.T) {
	e := newEnv(t, deviceConfig(true))
	storage := NewMemoryStorage()
	c, err := New(Config{UserPoolID: testPool, ClientID: testClient, Transport: &failFirst{next: e, action: "ConfirmDevice"}, Now: e.clock.Now, Storage: storage})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.signedUp(c, "lou@example.com", password)
	if res, err := c.SignIn(ctx, "lou@example.com", password); err != nil || res.Session == nil {
		t.Fatalf("sign-in with a failing ConfirmDevice: %+v, %v", res, err)
	}
	d := heldDevice(t, c)
	if d == nil || d.Confirmed {
		t.Fatalf("device %+v", d)
	}
	wantDevices(t, c) // unconfirmed devices are not listed
	if err := c.RememberDevice(ctx); err != nil {
		t.Fatal(err)
	}
	if list := wantDevices(t, c, d.Key); !list[0].Remembered || !heldDevice(t, c).Confirmed {
		t.Fatalf("after RememberDevice: %+v", list[0])
	}

	// Unconfirmed again (as if its confirmation had failed): not named, and replaced.
	sess, _ := c.Session(ctx, false)
	d.Confirmed = false
	b, _ := json.Marshal(d)
	if err := storage.Set(c.deviceKey(sess.Username), string(b)); err != nil {
		t.Fatal(err)
	}
	e.resetCalls()
	if _, err := c.SignIn(ctx, "lou@example.com", password); err != nil {
		t.Fatal(err)
	}
	if got, want := e.targets(), []string{"InitiateAuth", "RespondToAuthChallenge", "ConfirmDevice"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if got := heldDevice(t, c); got == nil || got.Key == d.Key || !got.Confirmed {
		t.Fatalf("device %+v, was %s", got, d.Key)
	}
}
