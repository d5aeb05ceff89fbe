// MFA with the unmodified amazon-cognito-identity-js against a running poolgate (spec §13):
// in an OPTIONAL pool, a signed-in user associates and verifies a software token and prefers
// it (associateSoftwareToken / verifySoftwareToken / setUserMfaPreference); the next sign-in
// asks totpRequired and sendMFACode(code, callbacks, "SOFTWARE_TOKEN_MFA") finishes it after a
// wrong code; then SMS MFA (mfaRequired, the code relayed by the test from the server's
// outbox). In a pool with MFA ON and a software token only, a new user meets mfaSetup and sets
// the token up with the challenge's Session. TOTP codes are computed here with node:crypto
// (RFC 6238). Prints one JSON object; exits non-zero on any failure.
//
// Environment: POOLGATE_ENDPOINT, POOL_ID, CLIENT_ID, USERNAME, PASSWORD (the OPTIONAL pool),
// SETUP_POOL_ID, SETUP_CLIENT_ID, SETUP_USERNAME (the ON pool, same password). For an SMS code
// the script prints a line `CODE? <destination>` and reads the code from stdin. Run by
// tests/e2e/node_mfa_test.go.
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";
import identity from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const endpoint = env("POOLGATE_ENDPOINT").replace(/\/+$/, "") + "/";
const password = env("PASSWORD");

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

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// askCode has the test look up the code sent to destination.
async function askCode(destination) {
  process.stdout.write(`CODE? ${destination}\n`);
  const { value, done } = await lines.next();
  if (done) throw new Error("stdin closed before a code arrived");
  return value.trim();
}

// signIn runs authenticateUser and resolves with the first callback identity-js calls.
function signIn(user, name) {
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: name, Password: password }), {
      onSuccess: (session) => resolve({ kind: "success", session }),
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

function sendCode(user, code, type) {
  return new Promise((resolve, reject) => {
    user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, type);
  });
}

function associate(user) {
  return new Promise((resolve, reject) => {
    user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject });
  });
}

function verify(user, code, device) {
  return new Promise((resolve, reject) => {
    user.verifySoftwareToken(code, device, { onSuccess: resolve, onFailure: reject });
  });
}

const promisify = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

async function main() {
  const out = {};
  const pool = new CognitoUserPool({ UserPoolId: env("POOL_ID"), ClientId: env("CLIENT_ID"), endpoint });
  const username = env("USERNAME");

  // OPTIONAL pool, nothing turned on: tokens straight away; then a software token.
  let user = new CognitoUser({ Username: username, Pool: pool });
  const first = await signIn(user, username);
  check(first.kind === "success", `first sign-in: ${first.kind}`);
  const secret = await associate(user);
  check(/^[A-Z2-7]{32}$/.test(secret), `SecretCode ${secret}`);
  const verified = await verify(user, totp(secret, Date.now()), "node device");
  check(verified.Status === "SUCCESS", `verifySoftwareToken ${JSON.stringify(verified)}`);
  await promisify((cb) => user.setUserMfaPreference(null, { Enabled: true, PreferredMfa: true }, cb));
  const data = await promisify((cb) => user.getUserData(cb, { bypassCache: true }));
  out.afterTotpSetup = { preferred: data.PreferredMfaSetting, list: data.UserMFASettingList };

  // The next sign-in asks for the token; a wrong code first, then the next step's code (the
  // current step's was used to verify, and a code is good once).
  user = new CognitoUser({ Username: username, Pool: pool });
  const second = await signIn(user, username);
  check(second.kind === "totpRequired" && second.name === "SOFTWARE_TOKEN_MFA", `second sign-in: ${second.kind} ${second.name}`);
  out.totpChallenge = second.params;
  const next = totp(secret, Date.now() + 30000);
  const wrong = next === "000000" ? "000001" : "000000";
  try {
    await sendCode(user, wrong, "SOFTWARE_TOKEN_MFA");
    out.wrongTotp = "accepted";
  } catch (err) {
    out.wrongTotp = err.code;
  }
  const totpSession = await sendCode(user, next, "SOFTWARE_TOKEN_MFA");
  check(totpSession.isValid(), "session after TOTP is valid");
  out.totpSignIn = { username: totpSession.getAccessToken().decodePayload().username };

  // SMS preferred: mfaRequired, the code relayed from the outbox.
  await promisify((cb) => user.setUserMfaPreference({ Enabled: true, PreferredMfa: true }, { Enabled: true, PreferredMfa: false }, cb));
  user = new CognitoUser({ Username: username, Pool: pool });
  const third = await signIn(user, username);
  check(third.kind === "mfaRequired" && third.name === "SMS_MFA", `third sign-in: ${third.kind} ${third.name}`);
  out.smsChallenge = third.params;
  const smsSession = await sendCode(user, await askCode(env("PHONE")), "SMS_MFA");
  check(smsSession.isValid(), "session after SMS is valid");
  out.smsSignIn = true;

  // MFA ON, software token only: mfaSetup with the challenge's Session.
  const setupPool = new CognitoUserPool({ UserPoolId: env("SETUP_POOL_ID"), ClientId: env("SETUP_CLIENT_ID"), endpoint });
  const setupName = env("SETUP_USERNAME");
  const setupUser = new CognitoUser({ Username: setupName, Pool: setupPool });
  const setup = await signIn(setupUser, setupName);
  check(setup.kind === "mfaSetup" && setup.name === "MFA_SETUP", `setup sign-in: ${setup.kind} ${setup.name}`);
  out.setupChallenge = setup.params;
  const setupSecret = await associate(setupUser);
  const setupSession = await verify(setupUser, totp(setupSecret, Date.now()), "setup device");
  check(setupSession.isValid(), "session after MFA_SETUP is valid");
  out.setupSignIn = { username: setupSession.getAccessToken().decodePayload().username };

  process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(JSON.stringify({ error: `${err.code || err.name}: ${err.message}` }) + "\n");
    process.exit(1);
  },
);
