// poolgate.js — the browser client SDK for poolgate (and Amazon Cognito user pools).
//
// The protocol work (SRP, token handling, refresh) happens in WebAssembly compiled from Go
// (web/sdk); this module loads it and gives pages a promise-based API:
//
//   import { createClient } from "./poolgate.js";
//   const auth = await createClient({ endpoint, userPoolId, clientId, identityPoolId, storage: "local" });
//   let { isSignedIn, nextStep } = await auth.signIn({ username, password });
//   if (nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_TOTP_CODE")
//     ({ isSignedIn, nextStep } = await auth.confirmSignIn({ challengeResponse: code }));
//
// Errors reject as Error objects whose `name` and `code` are Cognito's error type (e.g.
// "NotAuthorizedException") or the SDK's own ("NetworkError", "UserUnAuthenticatedException"),
// and whose `message` is the server's.

const base = new URL(".", import.meta.url);
let loading = null;

// loadSDK fetches and starts the WebAssembly SDK once per page; it resolves with the Go side's
// poolgateSDK object. Options: wasmURL, execURL (Go's wasm_exec.js).
export function loadSDK({ wasmURL = new URL("poolgate-sdk.wasm", base), execURL = new URL("wasm_exec.js", base) } = {}) {
  if (!loading) {
    loading = start(wasmURL, execURL).catch((err) => {
      loading = null;
      throw err;
    });
  }
  return loading;
}

async function start(wasmURL, execURL) {
  if (!globalThis.Go) await import(execURL.href);
  const go = new globalThis.Go();
  const ready = new Promise((resolve) => { globalThis.__poolgateReady = resolve; });
  const response = fetch(wasmURL, { credentials: "omit" });
  let result;
  try {
    result = await WebAssembly.instantiateStreaming(response, go.importObject);
  } catch (err) {
    // Servers that do not send application/wasm: fall back to a buffer.
    const bytes = await (await fetch(wasmURL, { credentials: "omit" })).arrayBuffer();
    result = await WebAssembly.instantiate(bytes, go.importObject);
  }
  go.run(result.instance).then(() => {
    loading = null; // the Go program ended: the next createClient starts a new one
    console.error("poolgate: the SDK stopped");
  });
  await ready;
  delete globalThis.__poolgateReady;
  return globalThis.poolgateSDK;
}

// modexp is base^exp mod mod over hex strings with BigInt, using a 4-bit fixed window. The
// wasm SDK calls it for SRP: V8's BigInt is faster than Go's math/big compiled to wasm.
export function modexp(baseHex, expHex, modHex) {
  const m = BigInt("0x" + modHex);
  const b = BigInt("0x" + baseHex) % m;
  const table = [1n % m, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1] * b) % m);
  let r = 1n % m;
  const digits = expHex.replace(/^0+/, "");
  for (let i = 0; i < digits.length; i++) {
    if (i > 0) {
      r = (r * r) % m; r = (r * r) % m; r = (r * r) % m; r = (r * r) % m;
    }
    const d = parseInt(digits[i], 16);
    if (d) r = (r * table[d]) % m;
  }
  return r.toString(16);
}

// memoryStorage keeps the session in this page only.
export function memoryStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)); },
    removeItem: (k) => { m.delete(k); },
  };
}

function pickStorage(storage) {
  if (storage === undefined || storage === "memory") return memoryStorage();
  if (storage === "session") return globalThis.sessionStorage;
  if (storage === "local") return globalThis.localStorage;
  if (storage && typeof storage.getItem === "function") return storage;
  throw new TypeError('poolgate: storage must be "memory", "session", "local" or a Storage-like object');
}

// createClient returns a client for one app client. config: endpoint (the server's URL),
// userPoolId, clientId, identityPoolId (optional), identityEndpoint (default endpoint),
// storage ("memory" | "session" | "local" | an object with getItem/setItem/removeItem;
// default "memory"), autoRefresh (default true: refresh the tokens shortly before they expire),
// refreshMarginSeconds (default 120), crypto ("bigint" default, or "go"), deviceStorage (where
// remembered devices are kept, the same choices as storage; default "local" when the page has
// localStorage and storage is not "memory", else storage), deviceName (what the user's device
// list calls this browser; default navigator.userAgent).
export async function createClient(config) {
  const sdk = await loadSDK(config);
  const storage = pickStorage(config.storage);
  const persistent = config.storage !== undefined && config.storage !== "memory";
  const deviceStorage = config.deviceStorage !== undefined ? pickStorage(config.deviceStorage)
    : persistent && globalThis.localStorage ? globalThis.localStorage : storage;
  const inner = sdk.create({
    endpoint: config.endpoint,
    identityEndpoint: config.identityEndpoint || config.endpoint,
    userPoolId: config.userPoolId,
    clientId: config.clientId,
    identityPoolId: config.identityPoolId || "",
    refreshMarginSeconds: config.refreshMarginSeconds ?? 120,
    crypto: config.crypto || "bigint",
    deviceName: String(config.deviceName ?? globalThis.navigator?.userAgent ?? ""),
  }, storage, modexp, deviceStorage);
  if (inner instanceof Error) throw inner;
  return new Client(sdk, inner, config.autoRefresh !== false, (config.refreshMarginSeconds ?? 120) * 1000);
}

// signInOutput gives the Go side's answer ({session} or {challenge}) Amplify v6's shape as
// well: {isSignedIn, nextStep: {signInStep, ...}}, keeping session and challenge.
function signInOutput(sdk, out) {
  if (out.session) return { ...out, isSignedIn: true, nextStep: { signInStep: "DONE" } };
  const ch = out.challenge;
  const nextStep = { signInStep: ch.step };
  if (ch.codeDelivery) nextStep.codeDeliveryDetails = ch.codeDelivery;
  if (ch.name === "SELECT_MFA_TYPE") nextStep.allowedMFATypes = ch.allowedMFATypes;
  if (ch.name === "NEW_PASSWORD_REQUIRED") nextStep.missingAttributes = ch.requiredAttributes;
  if (ch.totpSetup) {
    const { sharedSecret } = ch.totpSetup;
    nextStep.totpSetupDetails = {
      sharedSecret,
      getSetupUri: (appName, accountName) => new URL(sdk.setupURI(sharedSecret, appName, accountName)),
    };
  }
  return { ...out, isSignedIn: false, nextStep };
}

class Client {
  #sdk;
  #inner;
  #listeners = new Set();
  #timer = null;
  #autoRefresh;
  #marginMs;
  #offsetMs = 0;
  #lastAccess = null;
  #scheduled = null;

  constructor(sdk, inner, autoRefresh, marginMs) {
    this.#sdk = sdk;
    this.#inner = inner;
    this.#autoRefresh = autoRefresh;
    this.#marginMs = marginMs;
  }

  // onSessionChange(cb) calls cb(session or null) whenever the tokens change (sign-in,
  // refresh, sign-out, a refresh the server refused). It returns an unsubscribe function.
  onSessionChange(cb) {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  #emit(session) {
    this.#lastAccess = session ? session.accessToken : null;
    this.#schedule(session);
    for (const cb of this.#listeners) {
      try { cb(session); } catch (err) { console.error(err); }
    }
  }

  // #schedule arms the auto-refresh timer for session (none when null): it fires when the
  // tokens enter the refresh margin, and currentSession then refreshes them.
  #schedule(session) {
    this.#scheduled = session;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (session && this.#autoRefresh) {
      const wait = session.expiresAt - this.#marginMs - (Date.now() + this.#offsetMs);
      this.#timer = setTimeout(() => {
        this.currentSession().catch(() => {});
      }, Math.max(wait, 1000));
    }
  }

  async #withSession(p) {
    const out = signInOutput(this.#sdk, await p);
    if (out.session) this.#emit(out.session);
    return out;
  }

  signUp({ username, password, attributes = {} }) { return this.#inner.signUp(username, password, attributes); }
  confirmSignUp({ username, code }) { return this.#inner.confirmSignUp(username, code); }
  resendCode({ username }) { return this.#inner.resendCode(username); }
  signIn({ username, password }) { return this.#withSession(this.#inner.signIn(username, password)); }
  completeNewPassword({ newPassword, attributes = {} }) {
    return this.#withSession(this.#inner.completeNewPassword(newPassword, attributes));
  }

  // confirmSignIn answers the step signIn (or the previous confirmSignIn) ended on, as
  // Amplify v6's confirmSignIn does: challengeResponse is the TOTP, SMS or email code, the
  // chosen MFA type ("TOTP" | "SMS" | "EMAIL") at CONTINUE_SIGN_IN_WITH_MFA_SELECTION, the
  // authenticator app's first code at CONTINUE_SIGN_IN_WITH_TOTP_SETUP (options.friendlyDeviceName
  // names it), or the new password at CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED
  // (options.userAttributes: the missing attributes).
  confirmSignIn({ challengeResponse, options = {} }) {
    return this.#withSession(this.#inner.confirmSignIn(String(challengeResponse ?? ""),
      options.userAttributes || {}, options.friendlyDeviceName || ""));
  }

  // setUpTOTP gives the signed-in user a new authenticator-app secret: {sharedSecret,
  // getSetupUri(appName, accountName) → URL (otpauth://)}. verifyTOTPSetup proves it.
  async setUpTOTP() {
    const { sharedSecret } = await this.#inner.setUpTOTP();
    return { sharedSecret, getSetupUri: (appName, accountName) => new URL(this.#sdk.setupURI(sharedSecret, appName, accountName)) };
  }
  verifyTOTPSetup({ code, options = {} }) { return this.#inner.verifyTOTPSetup(String(code ?? ""), options.friendlyDeviceName || ""); }

  // updateMFAPreference({totp, sms, email}): each "ENABLED" | "DISABLED" | "PREFERRED" |
  // "NOT_PREFERRED", or left out to keep it. fetchMFAPreference → {enabled: ["TOTP", ...],
  // preferred: "TOTP" | "SMS" | "EMAIL" | null}.
  updateMFAPreference({ totp, sms, email } = {}) {
    const pref = {};
    if (totp) pref.TOTP = totp;
    if (sms) pref.SMS = sms;
    if (email) pref.EMAIL = email;
    return this.#inner.updateMFAPreference(pref);
  }
  fetchMFAPreference() { return this.#inner.fetchMFAPreference(); }

  // setupUri is the otpauth:// URI (a string) for sharedSecret, as getSetupUri builds it.
  // qrCodeSVG draws text (an otpauth:// URI) as a QR code: an SVG document as a string, drawn
  // here from the code's modules only. It throws InvalidParameterException for empty text or
  // text over 1,024 bytes.
  setupUri(sharedSecret, appName, accountName) { return this.#sdk.setupURI(String(sharedSecret), String(appName ?? ""), String(accountName ?? "")); }
  qrCodeSVG(text) {
    const svg = this.#sdk.qrCodeSVG(String(text));
    if (typeof svg !== "string") throw svg;
    return svg;
  }

  // Remembered devices (pools with a DeviceConfiguration): a sign-in from a new browser gets a
  // device, which the SDK confirms and keeps in deviceStorage. rememberDevice() marks it
  // remembered, so sign-ins from it skip the second factor (signIn then answers
  // DEVICE_SRP_AUTH itself and resolves DONE); forgetDevice() forgets it ({device: {id}}:
  // another device of the user); fetchDevices() lists the user's devices: [{id, name,
  // attributes, createDate, lastModifiedDate, lastAuthenticatedDate, remembered, current}].
  rememberDevice() { return this.#inner.rememberDevice(); }
  forgetDevice({ device } = {}) { return this.#inner.forgetDevice(String(device?.id ?? "")); }
  fetchDevices() { return this.#inner.fetchDevices(); }

  forgotPassword({ username }) { return this.#inner.forgotPassword(username); }
  confirmForgotPassword({ username, code, newPassword }) {
    return this.#inner.confirmForgotPassword(username, code, newPassword);
  }
  changePassword({ oldPassword, newPassword }) { return this.#inner.changePassword(oldPassword, newPassword); }
  getUser() { return this.#inner.getUser(); }
  updateAttributes(attributes) { return this.#inner.updateAttributes(attributes); }

  // currentSession resolves with a session whose tokens are valid for at least the refresh
  // margin, refreshing them first if needed ({forceRefresh: true} always refreshes). It
  // rejects with UserUnAuthenticatedException when nobody is signed in.
  async currentSession({ forceRefresh = false } = {}) {
    try {
      const s = await this.#inner.currentSession({ forceRefresh });
      if (s.accessToken !== this.#lastAccess) this.#emit(s);
      return s;
    } catch (err) {
      if (err.code === "UserUnAuthenticatedException" || err.code === "NotAuthorizedException") {
        if (this.#lastAccess !== null) this.#emit(null);
      }
      throw err;
    }
  }

  async signOut({ global = false } = {}) {
    try {
      await this.#inner.signOut({ global });
    } finally {
      this.#emit(null);
    }
  }

  getGuestCredentials() { return this.#inner.getGuestCredentials(); }
  getCredentials() { return this.#inner.getCredentials(); }

  // setClockOffset shifts the SDK's clock by ms (a device with a wrong clock; tests).
  setClockOffset(ms) {
    this.#offsetMs = ms;
    this.#inner.setClockOffset(ms);
    this.#schedule(this.#scheduled);
  }
}
