// The page of TestAmplifyRememberDevice: Amplify v6, unmodified, signing in against poolgate's
// JSON API (userPoolEndpoint) in a pool with remembered devices and TOTP. esbuild bundles this
// file for the browser. TOTP codes are computed here with WebCrypto (RFC 6238).
import { Amplify } from "aws-amplify";
import {
  confirmSignIn, fetchDevices, rememberDevice, setUpTOTP, signIn, signOut, updateMFAPreference, verifyTOTPSetup,
} from "aws-amplify/auth";

Amplify.configure(window.AMPLIFY_CONFIG);

// RFC 4648 base32 (no padding) to bytes.
function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, "")) {
    value = (value << 5) | alphabet.indexOf(ch.toUpperCase());
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

// totp is RFC 6238 (HMAC-SHA-1, 6 digits, 30-second steps) at atMs.
async function totp(secret, atMs) {
  const key = await crypto.subtle.importKey("raw", base32(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(Math.floor(atMs / 30000)));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counter.buffer));
  const off = mac[mac.length - 1] & 0x0f;
  const v = new DataView(mac.buffer).getUint32(off) & 0x7fffffff;
  return String(v % 1000000).padStart(6, "0");
}

// run walks the device's life and returns what Amplify answered at each step.
async function run(username, password) {
  const out = {};
  const options = { authFlowType: "USER_SRP_AUTH" };
  // First sign-in: no MFA yet; Amplify confirms the new device itself (ConfirmDevice).
  let r = await signIn({ username, password, options });
  out.first = r.nextStep.signInStep;
  const setup = await setUpTOTP();
  const secret = setup.sharedSecret;
  await verifyTOTPSetup({ code: await totp(secret, Date.now()) });
  await updateMFAPreference({ totp: "PREFERRED" });
  await signOut();

  // The device is confirmed, not remembered (the pool waits for the user's prompt): TOTP.
  r = await signIn({ username, password, options });
  out.second = r.nextStep.signInStep;
  r = await confirmSignIn({ challengeResponse: await totp(secret, Date.now() + 30000) });
  out.secondConfirmed = r.nextStep.signInStep;
  await rememberDevice();
  out.devices = (await fetchDevices()).map((d) => ({ id: d.id, name: d.name ?? null }));
  await signOut();

  // Remembered: DEVICE_SRP_AUTH, which Amplify answers itself; no MFA step.
  r = await signIn({ username, password, options });
  out.third = r.nextStep.signInStep;
  out.thirdSignedIn = r.isSignedIn;
  return out;
}

window.amplifyDevices = {
  run: (username, password) => run(username, password).catch((e) => ({ error: e.name + ": " + e.message })),
};
document.body.dataset.ready = "true";
