package userpool

import (
	"context"
	"testing"
)

// FuzzDeviceAnswers feeds outside input to the device-SRP answers (DEVICE_SRP_AUTH,
// DEVICE_PASSWORD_VERIFIER) and to ConfirmDevice's verifier: whatever the Session, SRP_A,
// block, TIMESTAMP, signature or verifier, the answer is a client error. It seeds with a
// real Session, device and block, but never a proof made with the device's password.
func FuzzDeviceAnswers(f *testing.F) {
	a := newAuthSetup(f, deviceTotpPool(false), passwordClient)
	a.mfaUser("fuzz", map[string]string{"email": "fuzz@example.com"})
	secret := a.setUpTotp("fuzz")
	d, access := a.rememberedDevice("fuzz", secret)
	session := a.deviceStart("fuzz", d)
	wrong, _ := a.deviceProof("fuzz", session, d, "not the device password")
	cfg := d.verifierConfig()
	f.Add(uint8(0), session, d.key, "02", "", "", "")
	f.Add(uint8(1), session, d.key, wrong["PASSWORD_CLAIM_SECRET_BLOCK"].(string), wrong["TIMESTAMP"].(string), wrong["PASSWORD_CLAIM_SIGNATURE"].(string), "")
	f.Add(uint8(2), session+"A", "us-east-1_x", "zz", "Tue Jan 6 09:05:03 UTC 2026", "AAAA", "")
	f.Add(uint8(3), access, d.key, cfg["PasswordVerifier"].(string), cfg["Salt"].(string), "", "x")
	f.Add(uint8(3), access, d.key, "AA==", "", "", "")

	ctx := context.Background()
	p, c, err := a.svc.clientByID(ctx, a.client)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, session, device, x, ts, sig, name string) {
		switch which % 4 {
		case 0:
			// A well-formed SRP_A in a live Session gets its challenge: only a proof signs in.
			if _, err := a.svc.respond(ctx, p, c, "DEVICE_SRP_AUTH", session, map[string]string{"USERNAME": "fuzz", "DEVICE_KEY": device, "SRP_A": x}); err != nil {
				wantClientError(t, "DEVICE_SRP_AUTH", err)
			}
		case 1, 2:
			_, err := a.svc.respond(ctx, p, c, "DEVICE_PASSWORD_VERIFIER", session, map[string]string{"USERNAME": "fuzz", "DEVICE_KEY": device,
				"PASSWORD_CLAIM_SECRET_BLOCK": x, "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig})
			wantClientError(t, "DEVICE_PASSWORD_VERIFIER", err)
		case 3:
			// A device key other than the confirmed one: ConfirmDevice must refuse it.
			if device == d.key {
				device += "0"
			}
			_, err := a.svc.confirmDevice(ctx, &ConfirmDeviceInput{AccessToken: session, DeviceKey: device,
				DeviceSecretVerifierConfig: &DeviceSecretVerifierConfig{PasswordVerifier: x, Salt: ts}, DeviceName: name})
			wantClientError(t, "ConfirmDevice", err)
			if _, err := parseDeviceVerifier(&DeviceSecretVerifierConfig{PasswordVerifier: x, Salt: ts}); err != nil {
				wantClientError(t, "parseDeviceVerifier", err)
			}
		}
	})
}
