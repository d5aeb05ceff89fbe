// Remembered devices with the unmodified amazon-cognito-identity-js (spec §3.7, §13). Two modes
// (argv[2]):
//
// "math": the device-SRP arithmetic of identity-js's own AuthenticationHelper, checked by the
// Go side (tests/e2e/node_devices_test.go). The script prints one JSON line with a device
// verifier made by generateHashDevice (random password, salt, verifier) and an SRP_A; reads
// one JSON line {B, salt, block, timestamp} the Go server half made from that verifier; and
// prints the PASSWORD_CLAIM_SIGNATURE as getDeviceResponse builds it (the key from
// getPasswordAuthenticationKey with the device group key as pool name).
//
// "client": against a running poolgate, in a pool with MFA OPTIONAL, a software token and
// DeviceConfiguration {ChallengeRequiredOnNewDevice, DeviceOnlyRememberedOnUserPrompt}: the
// first sign-in confirms its device (identity-js calls ConfirmDevice itself) and is told the
// user must confirm it; the user sets up TOTP; a sign-in from the device (not yet remembered)
// meets totpRequired; setDeviceStatusRemembered; the next sign-in goes through DEVICE_SRP_AUTH
// and DEVICE_PASSWORD_VERIFIER without MFA; getDevice, listDevices, a refresh (which sends
// DEVICE_KEY), forgetDevice, and a sign-in that meets MFA again.
//
// Environment (client): POOLGATE_ENDPOINT, POOL_ID, CLIENT_ID, USERNAME, PASSWORD. Prints one
// JSON object; exits non-zero on any failure.
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";
import identity from "amazon-cognito-identity-js";

const { AuthenticationDetails, AuthenticationHelper, CognitoUser, CognitoUserPool } = identity;

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const promisify = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

async function math() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const groupKey = "-xDevGroup", deviceKey = "us-east-1_6a1c4c0e-5b2d-4f7a-9e3b-0c1d2e3f4a5b";
  const maker = new AuthenticationHelper(groupKey);
  await promisify((cb) => maker.generateHashDevice(groupKey, deviceKey, cb));
  const password = maker.getRandomPassword();
  const helper = new AuthenticationHelper(groupKey);
  const A = await promisify((cb) => helper.getLargeAValue(cb));
  process.stdout.write(JSON.stringify({ groupKey, deviceKey, password, salt: maker.getSaltDevices(), verifier: maker.getVerifierDevices(), A: A.toString(16) }) + "\n");

  const { value, done } = await lines.next();
  if (done) throw new Error("stdin closed before the server half arrived");
  const server = JSON.parse(value);
  const BigInteger = helper.N.constructor;
  const hkdf = await promisify((cb) => helper.getPasswordAuthenticationKey(deviceKey, password,
    new BigInteger(server.B, 16), new BigInteger(server.salt, 16), cb));
  // getDeviceResponse's message and MAC (its Sha256(key) is HMAC-SHA-256).
  const msg = Buffer.concat([Buffer.from(groupKey, "utf8"), Buffer.from(deviceKey, "utf8"),
    Buffer.from(server.block, "base64"), Buffer.from(server.timestamp, "utf8")]);
  const signature = createHmac("sha256", Buffer.from(hkdf)).update(msg).digest("base64");
  process.stdout.write(JSON.stringify({ signature }) + "\n");
  process.stdin.destroy();
}

// RFC 4648 base32 (no padding) to bytes.
function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, "")) {
    const i = alphabet.indexOf(ch.toUpperCase());
    if (i < 0) throw new Error(`not base32: ${s}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 6238: HMAC-SHA-1 over the 30-second step, dynamic truncation, 6 digits.
function totp(secret, atMs) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30000)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}

// signIn runs authenticateUser and resolves with the first callback identity-js calls.
function signIn(user, name, password) {
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: name, Password: password }), {
      onSuccess: (session, userConfirmationNecessary) => resolve({ kind: "success", session, userConfirmationNecessary }),
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
      mfaRequired: (name, params) => resolve({ kind: "mfaRequired", name, params }),
      totpRequired: (name, params) => resolve({ kind: "totpRequired", name, params }),
      mfaSetup: (name, params) => resolve({ kind: "mfaSetup", name, params }),
      selectMFAType: (name, params) => resolve({ kind: "selectMFAType", name, params }),
      customChallenge: () => reject(new Error("unexpected CUSTOM_CHALLENGE")),
    });
  });
}

const callbacks = (resolve, reject) => ({ onSuccess: resolve, onFailure: reject });

async function client() {
  const out = {};
  const endpoint = env("POOLGATE_ENDPOINT").replace(/\/+$/, "") + "/";
  const password = env("PASSWORD");
  const username = env("USERNAME");
  const pool = new CognitoUserPool({ UserPoolId: env("POOL_ID"), ClientId: env("CLIENT_ID"), endpoint });

  // First sign-in: NewDeviceMetadata, which identity-js confirms with ConfirmDevice.
  let user = new CognitoUser({ Username: username, Pool: pool });
  const first = await signIn(user, username, password);
  check(first.kind === "success", `first sign-in: ${first.kind}`);
  out.userConfirmationNecessary = first.userConfirmationNecessary === true;
  check(typeof user.deviceKey === "string" && user.deviceKey.length > 0, "identity-js kept a device key");
  out.deviceKey = user.deviceKey;

  // A software token, preferred.
  const secret = await new Promise((resolve, reject) => user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }));
  await new Promise((resolve, reject) => user.verifySoftwareToken(totp(secret, Date.now()), "node device", callbacks(resolve, reject)));
  await promisify((cb) => user.setUserMfaPreference(null, { Enabled: true, PreferredMfa: true }, cb));

  // The device is confirmed, not remembered: MFA.
  user = new CognitoUser({ Username: username, Pool: pool });
  const second = await signIn(user, username, password);
  check(second.kind === "totpRequired", `sign-in from a device not remembered: ${second.kind}`);
  const session = await new Promise((resolve, reject) =>
    user.sendMFACode(totp(secret, Date.now() + 30000), callbacks(resolve, reject), "SOFTWARE_TOKEN_MFA"));
  check(session.isValid(), "session after TOTP");
  out.deviceBeforeRemember = await new Promise((resolve, reject) => user.getDevice(callbacks(resolve, reject)));
  await new Promise((resolve, reject) => user.setDeviceStatusRemembered(callbacks(resolve, reject)));

  // Remembered: DEVICE_SRP_AUTH, no MFA.
  user = new CognitoUser({ Username: username, Pool: pool });
  const third = await signIn(user, username, password);
  out.rememberedSignIn = third.kind;
  check(third.kind === "success", `sign-in from a remembered device: ${third.kind} ${third.name || ""}`);
  out.rememberedUsername = third.session.getAccessToken().decodePayload().username;
  out.device = await new Promise((resolve, reject) => user.getDevice(callbacks(resolve, reject)));
  out.devices = await new Promise((resolve, reject) => user.listDevices(10, null, callbacks(resolve, reject)));

  // A refresh names the device (identity-js adds DEVICE_KEY itself).
  const refreshed = await promisify((cb) => user.refreshSession(third.session.getRefreshToken(), cb));
  out.refreshed = refreshed.isValid();

  // Forgotten: MFA again.
  await new Promise((resolve, reject) => user.forgetDevice(callbacks(resolve, reject)));
  user = new CognitoUser({ Username: username, Pool: pool });
  const fourth = await signIn(user, username, password);
  out.afterForget = fourth.kind;

  process.stdout.write(JSON.stringify(out) + "\n");
}

const mode = process.argv[2];
(mode === "math" ? math() : mode === "client" ? client() : Promise.reject(new Error(`unknown mode ${mode}`))).then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(JSON.stringify({ error: `${err.code || err.name}: ${err.message}` }) + "\n");
    process.exit(1);
  },
);
