package userpool

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/hostcrypto/modexp"
	"github.com/poolgate/poolgate/internal/srp"
)

// deviceTotpPool: TOTP required, devices tracked, remembered devices stand in for MFA.
func deviceTotpPool(onPrompt bool) map[string]any {
	return map[string]any{"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true},
		"DeviceConfiguration": map[string]any{"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": onPrompt}}
}

// testDevice is a client's remembered device: the keys a sign-in handed out and the random
// password its verifier was made from (spec §3.7, as identity-js's generateHashDevice).
type testDevice struct {
	key, group, password string
	salt, verifier       []byte
}

// newTestDevice makes a device password and verifier for metadata md.
func newTestDevice(t testing.TB, a *authSetup, md map[string]any) *testDevice {
	t.Helper()
	d := &testDevice{key: md["DeviceKey"].(string), group: md["DeviceGroupKey"].(string), password: "device-password-" + t.Name()}
	var err error
	d.salt, d.verifier, err = srp.NewVerifier(hostcrypto.Pure{}, a.svc.d.Rand, d.group, d.key, d.password)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// verifierConfig is ConfirmDevice's DeviceSecretVerifierConfig for d.
func (d *testDevice) verifierConfig() map[string]any {
	return map[string]any{"PasswordVerifier": base64.StdEncoding.EncodeToString(d.verifier), "Salt": base64.StdEncoding.EncodeToString(d.salt)}
}

// metadata returns the NewDeviceMetadata of a sign-in's answer (nil when there is none).
func metadata(out map[string]any) map[string]any {
	res, _ := out["AuthenticationResult"].(map[string]any)
	md, _ := res["NewDeviceMetadata"].(map[string]any)
	return md
}

// totpSignIn signs name in with USER_PASSWORD_AUTH (naming device key when not empty) and
// answers the TOTP challenge; it returns the final answer.
func (a *authSetup) totpSignIn(name, secret, device string) (int, map[string]any) {
	a.t.Helper()
	params := map[string]any{"USERNAME": name, "PASSWORD": testPassword}
	if device != "" {
		params["DEVICE_KEY"] = device
	}
	status, out := a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client, "AuthParameters": params})
	if status != http.StatusOK || out["ChallengeName"] != "SOFTWARE_TOKEN_MFA" {
		a.t.Fatalf("sign-in of %s with device %q: %d %v, want SOFTWARE_TOKEN_MFA", name, device, status, out)
	}
	a.clock.Advance(30 * time.Second) // a fresh TOTP step
	resp := map[string]any{"SOFTWARE_TOKEN_MFA_CODE": refTOTP(a.t, secret, a.clock.Now())}
	if device != "" {
		resp["DEVICE_KEY"] = device
	}
	return a.mfaAnswer("SOFTWARE_TOKEN_MFA", out["Session"].(string), name, resp)
}

// deviceStart signs name in naming d and requires DEVICE_SRP_AUTH; it returns the Session.
func (a *authSetup) deviceStart(name string, d *testDevice) string {
	a.t.Helper()
	status, out := a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"USERNAME": name, "PASSWORD": testPassword, "DEVICE_KEY": d.key}})
	if status != http.StatusOK || out["ChallengeName"] != "DEVICE_SRP_AUTH" || out["Session"] == nil {
		a.t.Fatalf("sign-in of %s with remembered device: %d %v, want DEVICE_SRP_AUTH", name, status, out)
	}
	return out["Session"].(string)
}

// deviceProof runs DEVICE_SRP_AUTH for d in session and returns the DEVICE_PASSWORD_VERIFIER
// answer made with password.
func (a *authSetup) deviceProof(name, session string, d *testDevice, password string) (map[string]any, string) {
	a.t.Helper()
	cl, err := srp.NewClient(hostcrypto.Pure{}, a.svc.d.Rand)
	if err != nil {
		a.t.Fatal(err)
	}
	status, out := a.respond("DEVICE_SRP_AUTH", map[string]any{"USERNAME": name, "DEVICE_KEY": d.key, "SRP_A": cl.AHex()}, session)
	if status != http.StatusOK || out["ChallengeName"] != "DEVICE_PASSWORD_VERIFIER" {
		a.t.Fatalf("DEVICE_SRP_AUTH: %d %v", status, out)
	}
	cp := paramsOf(out["ChallengeParameters"])
	block, err := base64.StdEncoding.DecodeString(cp["SECRET_BLOCK"])
	if err != nil {
		a.t.Fatal(err)
	}
	ts := srp.FormatTimestamp(a.clock.Now())
	sig, err := cl.Signature(d.group, d.key, password, cp["SALT"], cp["SRP_B"], block, ts)
	if err != nil {
		a.t.Fatal(err)
	}
	return map[string]any{"USERNAME": name, "DEVICE_KEY": d.key, "PASSWORD_CLAIM_SECRET_BLOCK": cp["SECRET_BLOCK"],
		"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}, out["Session"].(string)
}

func TestDeviceConfiguration(t *testing.T) {
	a := newAuthSetup(t, deviceTotpPool(true), passwordClient)
	pool := a.call("DescribeUserPool", map[string]any{"UserPoolId": a.pool})["UserPool"].(map[string]any)
	dc, _ := pool["DeviceConfiguration"].(map[string]any)
	if dc["ChallengeRequiredOnNewDevice"] != true || dc["DeviceOnlyRememberedOnUserPrompt"] != true {
		t.Fatalf("DeviceConfiguration: %v", pool["DeviceConfiguration"])
	}
	a.call("UpdateUserPool", map[string]any{"UserPoolId": a.pool, "DeviceConfiguration": map[string]any{"ChallengeRequiredOnNewDevice": false}})
	pool = a.call("DescribeUserPool", map[string]any{"UserPoolId": a.pool})["UserPool"].(map[string]any)
	if dc, _ := pool["DeviceConfiguration"].(map[string]any); dc["ChallengeRequiredOnNewDevice"] != false || dc["DeviceOnlyRememberedOnUserPrompt"] != false {
		t.Fatalf("DeviceConfiguration after update: %v", pool["DeviceConfiguration"])
	}
	status, out := a.dispatch("UpdateUserPool", map[string]any{"UserPoolId": a.pool, "DeviceConfiguration": map[string]any{"ChallengeRequiredOnNewDevice": "yes"}})
	a.errOf(status, out)
	status, out = a.dispatch("CreateUserPool", map[string]any{"PoolName": "bad", "DeviceConfiguration": []any{true}})
	a.errOf(status, out)
}

// TestDeviceRememberedSkipsMfa walks the whole life of a device: handed out after MFA,
// confirmed (waiting for the prompt), remembered, signing in through DEVICE_SRP_AUTH without
// MFA, refreshing with its key, listed, and forgotten.
func TestDeviceRememberedSkipsMfa(t *testing.T) {
	a := newAuthSetup(t, deviceTotpPool(true), passwordClient)
	a.mfaUser("dana", map[string]string{"email": "dana@example.com"})
	secret := a.setUpTotp("dana")

	// A sign-in without a device key gets a new device, key "<region>_<uuid>".
	status, out := a.totpSignIn("dana", secret, "")
	md := metadata(out)
	access, _, _ := a.tokens(status, out)
	if md == nil || !strings.HasPrefix(md["DeviceKey"].(string), testRegion+"_") || !looksLikeUUID(strings.TrimPrefix(md["DeviceKey"].(string), testRegion+"_")) ||
		md["DeviceGroupKey"] == "" {
		t.Fatalf("NewDeviceMetadata: %v", md)
	}
	d := newTestDevice(t, a, md)
	// Not a device until confirmed.
	a.wantErr("GetDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key}, "ResourceNotFoundException", "Device does not exist.")
	a.wantErr("ConfirmDevice", map[string]any{"AccessToken": access, "DeviceKey": testRegion + "_00000000-0000-4000-8000-000000000000",
		"DeviceSecretVerifierConfig": d.verifierConfig()}, "ResourceNotFoundException", "Device does not exist.")
	a.wantErr("ConfirmDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key,
		"DeviceSecretVerifierConfig": map[string]any{"PasswordVerifier": base64.StdEncoding.EncodeToString(make([]byte, 8)), "Salt": "AQ=="}}, "InvalidParameterException", "")
	conf := a.call("ConfirmDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceSecretVerifierConfig": d.verifierConfig(), "DeviceName": "nodejs"})
	if conf["UserConfirmationNecessary"] != true {
		t.Fatalf("ConfirmDevice with DeviceOnlyRememberedOnUserPrompt: %v", conf)
	}
	a.wantErr("ConfirmDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceSecretVerifierConfig": d.verifierConfig()}, "InvalidParameterException", "")
	got := a.call("GetDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key})["Device"].(map[string]any)
	if attrs := deviceAttrs(got); attrs["device_name"] != "nodejs" || attrs["dev:device_remembered_status"] != "not_remembered" || attrs["device_status"] != "valid" {
		t.Fatalf("GetDevice: %v", got)
	}

	// Confirmed but not remembered: MFA still, and no new device.
	status, out = a.totpSignIn("dana", secret, d.key)
	if metadata(out) != nil {
		t.Fatalf("a known device got new metadata: %v", out)
	}
	a.tokens(status, out)

	a.wantErr("UpdateDeviceStatus", map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceRememberedStatus": "sometimes"}, "InvalidParameterException", "")
	a.call("UpdateDeviceStatus", map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceRememberedStatus": "remembered"})

	// Remembered: DEVICE_SRP_AUTH instead of TOTP.
	session := a.deviceStart("dana", d)
	resp, session2 := a.deviceProof("dana", session, d, d.password)
	if session2 != session {
		t.Fatalf("DEVICE_PASSWORD_VERIFIER changed the Session")
	}
	status, out = a.respond("DEVICE_PASSWORD_VERIFIER", resp, session)
	if metadata(out) != nil {
		t.Fatalf("device sign-in got new metadata: %v", out)
	}
	access, _, refresh := a.tokens(status, out)
	// The block and the Session are spent.
	a.want("NotAuthorizedException", "")(a.respond("DEVICE_PASSWORD_VERIFIER", resp, session))
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.respond("DEVICE_SRP_AUTH",
		map[string]any{"USERNAME": "dana", "DEVICE_KEY": d.key, "SRP_A": "02"}, session))
	got = a.call("GetDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key})["Device"].(map[string]any)
	if got["DeviceLastAuthenticatedDate"] == nil || deviceAttrs(got)["dev:device_remembered_status"] != "remembered" {
		t.Fatalf("GetDevice after a device sign-in: %v", got)
	}

	// Refresh of a device's tokens takes its key.
	refreshBody := func(device string) map[string]any {
		params := map[string]any{"REFRESH_TOKEN": refresh}
		if device != "" {
			params["DEVICE_KEY"] = device
		}
		return map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": a.client, "AuthParameters": params}
	}
	a.wantErr("InitiateAuth", refreshBody(""), "NotAuthorizedException", "Invalid Refresh Token")
	a.wantErr("InitiateAuth", refreshBody(testRegion+"_00000000-0000-4000-8000-000000000000"), "NotAuthorizedException", "Invalid Refresh Token")
	a.tokens(http.StatusOK, a.call("InitiateAuth", refreshBody(d.key)))
	a.call("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh, "DeviceKey": d.key})
	a.wantErr("GetTokensFromRefreshToken", map[string]any{"ClientId": a.client, "RefreshToken": refresh}, "NotAuthorizedException", "Invalid Refresh Token")

	// Listing, by the user and the administrator.
	list := a.call("ListDevices", map[string]any{"AccessToken": access, "Limit": 10})
	if devs := list["Devices"].([]any); len(devs) != 1 || devs[0].(map[string]any)["DeviceKey"] != d.key || list["PaginationToken"] != nil {
		t.Fatalf("ListDevices: %v", list)
	}
	if devs := a.call("AdminListDevices", map[string]any{"UserPoolId": a.pool, "Username": "dana"})["Devices"].([]any); len(devs) != 1 {
		t.Fatalf("AdminListDevices: %v", devs)
	}
	a.call("AdminGetDevice", map[string]any{"UserPoolId": a.pool, "Username": "dana", "DeviceKey": d.key})
	a.call("AdminUpdateDeviceStatus", map[string]any{"UserPoolId": a.pool, "Username": "dana", "DeviceKey": d.key, "DeviceRememberedStatus": "not_remembered"})
	a.totpSignIn("dana", secret, d.key) // not remembered: MFA again
	a.call("AdminUpdateDeviceStatus", map[string]any{"UserPoolId": a.pool, "Username": "dana", "DeviceKey": d.key, "DeviceRememberedStatus": "remembered"})

	// Forgotten: gone for every call, its tokens refresh no more, sign-ins name it in vain.
	a.call("ForgetDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key})
	a.wantErr("ForgetDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key}, "ResourceNotFoundException", "Device does not exist.")
	a.wantErr("AdminForgetDevice", map[string]any{"UserPoolId": a.pool, "Username": "dana", "DeviceKey": d.key}, "ResourceNotFoundException", "Device does not exist.")
	a.wantErr("InitiateAuth", refreshBody(d.key), "NotAuthorizedException", "Invalid Refresh Token")
	a.wantErr("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"USERNAME": "dana", "PASSWORD": testPassword, "DEVICE_KEY": d.key}}, "ResourceNotFoundException", "Device does not exist.")
	if devs := a.call("ListDevices", map[string]any{"AccessToken": access})["Devices"].([]any); len(devs) != 0 {
		t.Fatalf("ListDevices after ForgetDevice: %v", devs)
	}
}

func deviceAttrs(device map[string]any) map[string]string {
	out := map[string]string{}
	for _, a := range device["DeviceAttributes"].([]any) {
		m := a.(map[string]any)
		out[m["Name"].(string)], _ = m["Value"].(string)
	}
	return out
}

// rememberedDevice gives name (with TOTP secret) a confirmed, remembered device.
func (a *authSetup) rememberedDevice(name, secret string) (*testDevice, string) {
	a.t.Helper()
	status, out := a.totpSignIn(name, secret, "")
	access, _, _ := a.tokens(status, out)
	d := newTestDevice(a.t, a, metadata(out))
	conf := a.call("ConfirmDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceSecretVerifierConfig": d.verifierConfig()})
	if conf["UserConfirmationNecessary"] != false {
		a.t.Fatalf("ConfirmDevice without the prompt: %v", conf)
	}
	return d, access
}

// TestDeviceSRPRefusals: wrong device passwords count toward the second-factor lockout,
// stale Sessions and TIMESTAMPs are refused, answers must name the Session's user and device.
func TestDeviceSRPRefusals(t *testing.T) {
	a := newAuthSetup(t, deviceTotpPool(false), passwordClient)
	a.mfaUser("eve", map[string]string{"email": "eve@example.com"})
	secret := a.setUpTotp("eve")
	d, _ := a.rememberedDevice("eve", secret)

	session := a.deviceStart("eve", d)
	a.want("ResourceNotFoundException", "Device does not exist.")(a.respond("DEVICE_SRP_AUTH",
		map[string]any{"USERNAME": "eve", "DEVICE_KEY": testRegion + "_00000000-0000-4000-8000-000000000000", "SRP_A": "02"}, session))
	a.want("NotAuthorizedException", "Invalid session for the user.")(a.respond("DEVICE_SRP_AUTH",
		map[string]any{"USERNAME": "mallory", "DEVICE_KEY": d.key, "SRP_A": "02"}, session))
	a.want("InvalidParameterException", "")(a.respond("DEVICE_SRP_AUTH", map[string]any{"USERNAME": "eve", "DEVICE_KEY": d.key, "SRP_A": "zz"}, session))
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.respond("DEVICE_SRP_AUTH",
		map[string]any{"USERNAME": "eve", "DEVICE_KEY": d.key, "SRP_A": strings.ToLower(modexp.SRPGroupN)}, session))

	// A stale TIMESTAMP is a failed proof.
	resp, _ := a.deviceProof("eve", session, d, d.password)
	resp["TIMESTAMP"] = srp.FormatTimestamp(a.clock.Now().Add(-10 * time.Minute))
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.respond("DEVICE_PASSWORD_VERIFIER", resp, session))

	// Five wrong device passwords lock the second factor; the right one is then refused too.
	for i := 0; i < 4; i++ {
		resp, _ := a.deviceProof("eve", session, d, "wrong")
		a.want("NotAuthorizedException", "Incorrect username or password.")(a.respond("DEVICE_PASSWORD_VERIFIER", resp, session))
	}
	resp, _ = a.deviceProof("eve", session, d, d.password)
	a.want("NotAuthorizedException", "Password attempts exceeded")(a.respond("DEVICE_PASSWORD_VERIFIER", resp, session))
	a.want("NotAuthorizedException", "Password attempts exceeded")(a.passwordLogin("eve", testPassword))

	// Once the lock has passed, the Session has expired (3 minutes); a new sign-in works.
	a.clock.Advance(10 * time.Minute)
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.respond("DEVICE_PASSWORD_VERIFIER", resp, session))
	a.want("NotAuthorizedException", "Invalid session for the user, session is expired.")(a.respond("DEVICE_SRP_AUTH",
		map[string]any{"USERNAME": "eve", "DEVICE_KEY": d.key, "SRP_A": "02"}, session))
	session = a.deviceStart("eve", d)
	resp, _ = a.deviceProof("eve", session, d, d.password)
	a.tokens(a.respond("DEVICE_PASSWORD_VERIFIER", resp, session))
	if a.lockOf(t) != (lockState{}) {
		t.Fatalf("second-factor lockout not reset by a right device proof")
	}

	// A block from one Session is no good in another.
	s1, s2 := a.deviceStart("eve", d), a.deviceStart("eve", d)
	resp, _ = a.deviceProof("eve", s1, d, d.password)
	a.want("NotAuthorizedException", "Incorrect username or password.")(a.respond("DEVICE_PASSWORD_VERIFIER", resp, s2))
}

// lockOf reads eve's second-factor lockout record.
func (a *authSetup) lockOf(t *testing.T) lockState {
	t.Helper()
	p, err := a.svc.getPool(t.Context(), a.pool)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := a.svc.loadLock(t.Context(), mfaLockKey(p, a.user(a.pool, "eve")))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestDeviceSRPPasswordVerifier: an SRP sign-in names its device in the PASSWORD_VERIFIER
// answer, as identity-js does; an unknown key is refused before the block is spent, so the
// same answer without the key still works (identity-js's retry).
func TestDeviceSRPPasswordVerifier(t *testing.T) {
	a := newAuthSetup(t, deviceTotpPool(false), passwordClient)
	a.mfaUser("finn", map[string]string{"email": "finn@example.com"})
	secret := a.setUpTotp("finn")
	d, _ := a.rememberedDevice("finn", secret)

	cl, status, out := a.srpStart("finn")
	if status != http.StatusOK {
		t.Fatalf("SRP start: %d %v", status, out)
	}
	resp := a.srpAnswer(cl, out, testPassword, a.clock.Now())
	resp["DEVICE_KEY"] = testRegion + "_00000000-0000-4000-8000-000000000000"
	a.want("ResourceNotFoundException", "Device does not exist.")(a.respond("PASSWORD_VERIFIER", resp, ""))
	resp["DEVICE_KEY"] = nil // what identity-js sends on its retry
	status, out = a.respond("PASSWORD_VERIFIER", resp, "")
	if status != http.StatusOK || out["ChallengeName"] != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("PASSWORD_VERIFIER retried without the device: %d %v", status, out)
	}

	cl, _, out = a.srpStart("finn")
	resp = a.srpAnswer(cl, out, testPassword, a.clock.Now())
	resp["DEVICE_KEY"] = d.key
	status, out = a.respond("PASSWORD_VERIFIER", resp, "")
	if status != http.StatusOK || out["ChallengeName"] != "DEVICE_SRP_AUTH" {
		t.Fatalf("PASSWORD_VERIFIER with a remembered device: %d %v", status, out)
	}
	proof, _ := a.deviceProof("finn", out["Session"].(string), d, d.password)
	a.tokens(a.respond("DEVICE_PASSWORD_VERIFIER", proof, out["Session"].(string)))

	// Devices are the user's own: another user naming it is told it does not exist.
	a.mfaUser("gail", map[string]string{"email": "gail@example.com"})
	a.want("ResourceNotFoundException", "Device does not exist.")(a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"USERNAME": "gail", "PASSWORD": testPassword, "DEVICE_KEY": d.key}}))
}

// TestDeviceNotTracked: a pool without DeviceConfiguration hands out no devices and ignores
// DEVICE_KEY; the managed-login pages never track devices (they do not carry a key).
func TestDeviceNotTracked(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("hal", "hal@example.com")
	status, out := a.passwordLogin("hal", testPassword)
	if metadata(out) != nil {
		t.Fatalf("untracked pool handed out a device: %v", out)
	}
	a.tokens(status, out)
	a.tokens(a.dispatch("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": a.client,
		"AuthParameters": map[string]any{"USERNAME": "hal", "PASSWORD": testPassword, "DEVICE_KEY": testRegion + "_00000000-0000-4000-8000-000000000000"}}))

	// Tracked, without MFA: every sign-in without a key gets a device; one with a known key
	// gets tokens bound to it straight away.
	b := newAuthSetup(t, map[string]any{"DeviceConfiguration": map[string]any{"ChallengeRequiredOnNewDevice": true}}, passwordClient)
	b.signUpConfirmed("ida", "ida@example.com")
	status, out = b.passwordLogin("ida", testPassword)
	access, _, _ := b.tokens(status, out)
	d := newTestDevice(t, b, metadata(out))
	b.call("ConfirmDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceSecretVerifierConfig": d.verifierConfig()})
	out = b.call("InitiateAuth", map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": b.client,
		"AuthParameters": map[string]any{"USERNAME": "ida", "PASSWORD": testPassword, "DEVICE_KEY": d.key}})
	if out["AuthenticationResult"] == nil || metadata(out) != nil {
		t.Fatalf("sign-in with a known device and no MFA: %v", out)
	}
}

// TestDeviceRace: racing ConfirmDevice, UpdateDeviceStatus and ForgetDevice calls on one
// device leave one consistent end state: one confirmation, at most one forgetting, and the
// device present exactly when no forgetting won.
func TestDeviceRace(t *testing.T) {
	a := newAuthSetup(t, deviceTotpPool(false), passwordClient)
	a.mfaUser("jo", map[string]string{"email": "jo@example.com"})
	secret := a.setUpTotp("jo")
	for round := 0; round < 5; round++ {
		status, out := a.totpSignIn("jo", secret, "")
		access, _, _ := a.tokens(status, out)
		d := newTestDevice(t, a, metadata(out))
		var wg sync.WaitGroup
		results := make([]int, 20)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var body map[string]any
				target := []string{"ConfirmDevice", "UpdateDeviceStatus", "ForgetDevice"}[i%3]
				switch target {
				case "ConfirmDevice":
					body = map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceSecretVerifierConfig": d.verifierConfig()}
				case "UpdateDeviceStatus":
					body = map[string]any{"AccessToken": access, "DeviceKey": d.key, "DeviceRememberedStatus": []string{"remembered", "not_remembered"}[i%2]}
				default:
					body = map[string]any{"AccessToken": access, "DeviceKey": d.key}
				}
				status, out := a.dispatch(target, body)
				if status != http.StatusOK && (status >= 500 || out["__type"] == "ConcurrentModificationException") {
					t.Errorf("%s: %d %v", target, status, out)
				}
				results[i] = status
			}()
		}
		wg.Wait()
		confirmed, forgotten := 0, 0
		for i, status := range results {
			if status == http.StatusOK && i%3 == 0 {
				confirmed++
			}
			if status == http.StatusOK && i%3 == 2 {
				forgotten++
			}
		}
		status, _ = a.dispatch("GetDevice", map[string]any{"AccessToken": access, "DeviceKey": d.key})
		present := status == http.StatusOK
		if confirmed != 1 || forgotten > 1 || present != (forgotten == 0) {
			t.Fatalf("round %d: %d confirmations, %d forgettings, device present %v", round, confirmed, forgotten, present)
		}
	}
}
