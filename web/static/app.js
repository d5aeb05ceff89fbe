// The poolgate sign-in app: configured by the server it is served from (/poolgate-app.json),
// with every protocol step done by the WebAssembly SDK (poolgate.js).
import { createClient } from "./poolgate.js";

const $ = (sel, root = document) => root.querySelector(sel);
const views = ["signin", "signup", "confirm", "newpassword", "mfa", "mfaselect", "totpsetup", "forgot", "reset", "profile"];

const state = {
  config: null,
  client: null,
  session: null,
  challenge: null,
  readyMs: null,
  expiryTimer: null,
};
// Tests and the curious can reach the app's state; nothing here is secret beyond what the
// page already holds.
globalThis.poolgateApp = state;

// ---------------------------------------------------------------------------------------------
// Storage: sessionStorage unless the user ticks "Keep me signed in" (then localStorage).

const REMEMBER_KEY = "poolgate.remember";
const storage = {
  remember: localStorage.getItem(REMEMBER_KEY) === "1",
  getItem(k) { return sessionStorage.getItem(k) ?? localStorage.getItem(k); },
  setItem(k, v) {
    const [keep, drop] = this.remember ? [localStorage, sessionStorage] : [sessionStorage, localStorage];
    keep.setItem(k, v);
    drop.removeItem(k);
  },
  removeItem(k) { sessionStorage.removeItem(k); localStorage.removeItem(k); },
};

// ---------------------------------------------------------------------------------------------
// Views, alerts and busy buttons.

function show(name, { focus = true } = {}) {
  $("#loading").hidden = true;
  for (const v of views) $(`#view-${v}`).hidden = v !== name;
  document.body.dataset.view = name;
  document.title = `${titleOf(name)} · ${state.config?.userPoolName || "poolgate"}`;
  if (focus) {
    const first = $(`#view-${name} input:not([type=hidden]):not([type=checkbox]), #view-${name} button`);
    if (first) first.focus();
  }
}

function titleOf(view) {
  return {
    signin: "Sign in", signup: "Create account", confirm: "Confirm account", newpassword: "New password",
    mfa: "Two-step verification", mfaselect: "Two-step verification", totpsetup: "Set up two-step verification",
    forgot: "Reset password", reset: "Reset password", profile: "Your account",
  }[view];
}

function notice(text) {
  const n = $("#notice");
  n.textContent = text;
  n.hidden = !text;
}

function alertIn(container, err, { ok = false } = {}) {
  const box = container.querySelector(".alert");
  if (!box) return;
  box.classList.toggle("ok", ok);
  box.replaceChildren();
  if (!err) { box.hidden = true; return; }
  if (typeof err === "string") {
    box.textContent = err;
  } else {
    box.append(document.createTextNode(friendly(err)));
    const code = document.createElement("span");
    code.className = "code-name";
    code.textContent = err.code || err.name || "Error";
    box.append(code);
  }
  box.hidden = false;
}

// friendly keeps Cognito's message (what the server said) and adds a hint where one helps.
function friendly(err) {
  switch (err.code) {
    case "NetworkError": return "The server could not be reached. Check your connection and try again.";
    case "UserNotConfirmedException": return `${err.message} Enter the code we sent you to confirm your account.`;
    case "PasswordResetRequiredException": return `${err.message} Use "Forgot your password?" to set a new one.`;
    case "UserUnAuthenticatedException": return "Your session has ended. Please sign in again.";
    case "EnableSoftwareTokenMFAException": return "That code is not right. Enter the code your authenticator app shows now.";
    case "CodeMismatchException":
      if (document.body.dataset.view === "mfa") return "That code is not right. Check it and try again.";
      return err.message;
    case "NotAuthorizedException":
      if (/session/i.test(err.message)) return `${err.message} Please sign in again.`;
      return err.message;
    case "InvalidParameterException":
      if (/Value at '(password|proposedPassword)'/.test(err.message)) return "The password is too short: use at least 6 characters.";
      return err.message;
    default: return err.message || String(err);
  }
}

// busy runs fn with the button disabled and showing its data-busy text; every other submit
// button of the form is disabled too, so a double click cannot send twice.
async function busy(button, fn) {
  const form = button.closest("form");
  const others = form ? [...form.querySelectorAll("button")] : [button];
  const label = button.textContent;
  others.forEach((b) => { b.disabled = true; });
  button.setAttribute("aria-busy", "true");
  if (button.dataset.busy) button.textContent = button.dataset.busy;
  try {
    return await fn();
  } finally {
    button.textContent = label;
    button.removeAttribute("aria-busy");
    others.forEach((b) => { b.disabled = false; });
  }
}

function onSubmit(form, fn) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    alertIn(form, null);
    notice(""); // the user acted: an earlier notice no longer applies
    const missing = [...form.querySelectorAll("input[required]")].find((i) => !i.value.trim() && i.type !== "hidden");
    if (missing) {
      missing.setAttribute("aria-invalid", "true");
      missing.focus();
      alertIn(form, `Please fill in ${labelFor(missing)}.`);
      return;
    }
    await busy(button, async () => {
      try {
        await fn(new FormData(form));
      } catch (err) {
        alertIn(form, err);
        markInvalid(form, err);
      }
    });
  });
  form.addEventListener("input", (ev) => ev.target.removeAttribute?.("aria-invalid"));
}

function labelFor(input) {
  const l = input.id && document.querySelector(`label[for="${input.id}"]`);
  return l ? l.textContent.toLowerCase() : "this field";
}

function markInvalid(form, err) {
  const byCode = {
    CodeMismatchException: "[name=code]", ExpiredCodeException: "[name=code]", EnableSoftwareTokenMFAException: "[name=code]",
    InvalidPasswordException: "[name=password]", NotAuthorizedException: "[name=password]",
    InvalidParameterException: "[name=password]",
  };
  const target = byCode[err.code] && form.querySelector(byCode[err.code]);
  if (target) { target.setAttribute("aria-invalid", "true"); target.focus(); target.select?.(); }
}

for (const btn of document.querySelectorAll(".reveal")) {
  btn.addEventListener("click", () => {
    const input = document.getElementById(btn.getAttribute("aria-controls"));
    const reveal = input.type === "password";
    input.type = reveal ? "text" : "password";
    btn.textContent = reveal ? "Hide" : "Show";
    btn.setAttribute("aria-pressed", String(reveal));
  });
}

// ---------------------------------------------------------------------------------------------
// Pool rules: username kind, attributes and password policy.

const attributeLabels = {
  email: "Email", phone_number: "Phone number", name: "Full name", given_name: "First name",
  family_name: "Last name", preferred_username: "Preferred username", nickname: "Nickname",
  birthdate: "Date of birth", address: "Address", gender: "Gender", locale: "Locale",
  website: "Website", picture: "Picture URL", profile: "Profile URL", zoneinfo: "Time zone", middle_name: "Middle name",
};
const attributeInput = {
  email: { type: "email", autocomplete: "email" }, phone_number: { type: "tel", autocomplete: "tel" },
  name: { autocomplete: "name" }, given_name: { autocomplete: "given-name" }, family_name: { autocomplete: "family-name" },
  birthdate: { type: "date", autocomplete: "bday" }, website: { type: "url" },
};

function usernameAttribute() {
  const ua = state.config.usernameAttributes || [];
  return ua.includes("email") ? "email" : ua.includes("phone_number") ? "phone_number" : null;
}

function usernameLabel() {
  const ua = state.config.usernameAttributes || [];
  if (ua.includes("email") && ua.includes("phone_number")) return "Email or phone number";
  if (ua.includes("email")) return "Email";
  if (ua.includes("phone_number")) return "Phone number";
  const alias = state.config.aliasAttributes || [];
  return alias.includes("email") ? "Username or email" : "Username";
}

function attributeField(attr, prefix) {
  const id = `${prefix}-attr-${attr.name.replace(/[^a-z0-9]/gi, "_")}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = (attributeLabels[attr.name] || attr.name) + (attr.required ? "" : " (optional)");
  const input = document.createElement("input");
  input.id = id;
  input.name = `attr:${attr.name}`;
  Object.assign(input, attributeInput[attr.name] || {});
  if (attr.required) input.required = true;
  return [label, input];
}

function passwordRules() {
  const p = state.config.passwordPolicy;
  const rules = [];
  if (p.minimumLength) rules.push({ text: `At least ${p.minimumLength} characters`, test: (s) => [...s].length >= p.minimumLength });
  if (p.requireLowercase) rules.push({ text: "A lowercase letter", test: (s) => /[a-z]/.test(s) });
  if (p.requireUppercase) rules.push({ text: "An uppercase letter", test: (s) => /[A-Z]/.test(s) });
  if (p.requireNumbers) rules.push({ text: "A number", test: (s) => /[0-9]/.test(s) });
  if (p.requireSymbols) rules.push({ text: "A symbol (e.g. ! ? # %)", test: (s) => /[\^$*.\[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/.test(s) });
  return rules;
}

function wireRules(input, list) {
  const rules = passwordRules();
  list.replaceChildren(...rules.map((r) => {
    const li = document.createElement("li");
    li.textContent = r.text;
    return li;
  }));
  const update = () => rules.forEach((r, i) => list.children[i].classList.toggle("met", r.test(input.value)));
  input.addEventListener("input", update);
  update();
}

function applyPoolRules() {
  const cfg = state.config;
  $("#pool-name").textContent = cfg.userPoolName ? `${cfg.userPoolName} · ${cfg.region}` : cfg.userPoolId;
  $("#footer-endpoint").textContent = `Server ${cfg.endpoint} · user pool ${cfg.userPoolId}`;
  for (const l of document.querySelectorAll(".username-label")) l.textContent = usernameLabel();
  const ua = usernameAttribute();
  for (const sel of ["#signin-username", "#confirm-username", "#forgot-username"]) {
    const input = $(sel);
    input.type = ua === "email" ? "email" : ua === "phone_number" ? "tel" : "text";
    input.autocapitalize = "none";
    input.spellcheck = false;
  }
  // Sign-up: the username field is the email (or phone) itself when the pool says so.
  $("#signup-username-field").hidden = ua !== null;
  $("#signup-username").required = ua === null;
  const attrs = $("#signup-attributes");
  attrs.replaceChildren();
  for (const attr of cfg.attributes) attrs.append(...attributeField(attr, "signup"));
  if (ua) {
    const input = attrs.querySelector(`[name="attr:${ua}"]`);
    if (input) input.autocomplete = "username";
  }
  wireRules($("#signup-password"), $("#signup-rules"));
  wireRules($("#newpassword-password"), $("#newpassword-rules"));
  wireRules($("#reset-password"), $("#reset-rules"));
  wireRules($("#password-new"), $("#password-rules"));
  $("#link-signup").hidden = !cfg.signUpEnabled;
  $("#guest-box").hidden = !cfg.identityPoolId;
  $("#signin-remember").checked = storage.remember;
}

// ---------------------------------------------------------------------------------------------
// Flows.

function signUpUsername(data) {
  const ua = usernameAttribute();
  return ua ? data.get(`attr:${ua}`).trim() : data.get("username").trim();
}

function attributesOf(data) {
  const attrs = {};
  for (const [k, v] of data.entries()) {
    if (k.startsWith("attr:") && String(v).trim() !== "") attrs[k.slice(5)] = String(v).trim();
  }
  return attrs;
}

function deliveryText(d, what) {
  if (!d) return `We sent you ${what}.`;
  const via = d.deliveryMedium === "SMS" ? "by text message to" : "to";
  return `We sent ${what} ${via} ${d.destination}.`;
}

function goConfirm(username, delivery) {
  $("#confirm-username").value = username;
  $("#confirm-code").value = "";
  $("#confirm-hint").textContent = deliveryText(delivery, "a confirmation code");
  alertIn($("#form-confirm"), null);
  show("confirm");
  $("#confirm-code").focus();
}

onSubmit($("#form-signin"), async (data) => {
  storage.remember = $("#signin-remember").checked;
  localStorage.setItem(REMEMBER_KEY, storage.remember ? "1" : "0");
  const username = data.get("username").trim();
  try {
    const res = await state.client.signIn({ username, password: data.get("password") });
    $("#signin-password").value = "";
    state.username = username;
    nextStep(res);
  } catch (err) {
    if (err.code === "UserNotConfirmedException") {
      goConfirm(username, null);
      alertIn($("#form-confirm"), err);
      return;
    }
    throw err;
  }
});

function showNewPassword(challenge) {
  const box = $("#newpassword-attributes");
  box.replaceChildren();
  for (const name of challenge.requiredAttributes) {
    box.append(...attributeField({ name, required: true }, "newpassword"));
  }
  $("#newpassword-password").value = "";
  show("newpassword");
}

onSubmit($("#form-newpassword"), async (data) => {
  nextStep(await state.client.completeNewPassword({ newPassword: data.get("password"), attributes: attributesOf(data) }));
});

// ---------------------------------------------------------------------------------------------
// The second factor at sign-in: each step the SDK reports has its screen.

const mfaNames = { TOTP: "Authenticator app", SMS: "Text message", EMAIL: "Email" };
const mfaDetails = {
  TOTP: "A code from an app on your phone",
  SMS: "A code sent to your phone",
  EMAIL: "A code sent to your email address",
};

// nextStep shows the screen for the step a sign-in stopped at (none when signed in:
// onSession shows the profile).
function nextStep(res) {
  state.challenge = res.isSignedIn ? null : res.challenge;
  const step = res.nextStep;
  switch (step.signInStep) {
    case "DONE":
      notice("");
      return;
    case "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED":
      showNewPassword(res.challenge);
      return;
    case "CONFIRM_SIGN_IN_WITH_TOTP_CODE":
    case "CONFIRM_SIGN_IN_WITH_SMS_CODE":
    case "CONFIRM_SIGN_IN_WITH_EMAIL_CODE":
      showMfaCode(step, res.challenge);
      return;
    case "CONTINUE_SIGN_IN_WITH_MFA_SELECTION":
      showMfaSelect(step.allowedMFATypes);
      return;
    case "CONTINUE_SIGN_IN_WITH_TOTP_SETUP":
      renderTotpSetup($("#totpsetup-box"), step.totpSetupDetails.sharedSecret, state.username);
      $("#totpsetup-code").value = "";
      offerRememberDevice($("#form-totpsetup"));
      alertIn($("#form-totpsetup"), null);
      show("totpsetup", { focus: false });
      $("#totpsetup-code").focus();
      return;
    default:
      throw Object.assign(new Error(`The server asked for ${step.signInStep}, which this app cannot answer.`), { code: "ChallengeNotSupportedException" });
  }
}

function showMfaCode(step, challenge) {
  const d = step.codeDeliveryDetails;
  if (step.signInStep === "CONFIRM_SIGN_IN_WITH_TOTP_CODE") {
    $("#mfa-title").textContent = "Enter your authenticator code";
    $("#mfa-hint").textContent = challenge.deviceName
      ? `Open ${challenge.deviceName} and enter the 6-digit code it shows for this account.`
      : "Open your authenticator app and enter the 6-digit code it shows for this account.";
  } else {
    const sms = step.signInStep === "CONFIRM_SIGN_IN_WITH_SMS_CODE";
    $("#mfa-title").textContent = sms ? "Check your phone" : "Check your email";
    $("#mfa-hint").textContent = deliveryText(d, "a sign-in code") + " Enter it within a few minutes.";
  }
  $("#mfa-code").value = "";
  offerRememberDevice($("#form-mfa"));
  alertIn($("#form-mfa"), null);
  show("mfa", { focus: false });
  $("#mfa-code").focus();
}

function showMfaSelect(types) {
  const box = $("#mfaselect-options");
  box.replaceChildren(...types.map((t, i) => {
    const label = document.createElement("label");
    label.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "method";
    input.value = t;
    input.id = `mfaselect-${t}`;
    input.checked = i === 0;
    const text = document.createElement("span");
    const name = document.createElement("strong");
    name.textContent = mfaNames[t] || t;
    const detail = document.createElement("span");
    detail.className = "detail";
    detail.textContent = mfaDetails[t] || "";
    text.append(name, detail);
    label.append(input, text);
    return label;
  }));
  alertIn($("#form-mfaselect"), null);
  show("mfaselect", { focus: false });
  box.querySelector("input:checked")?.focus();
}

// offerRememberDevice shows form's "Remember this device" box, unticked, when the pool leaves
// remembering a browser to the user (DeviceOnlyRememberedOnUserPrompt).
function offerRememberDevice(form) {
  const box = $(".remember-device", form);
  box.hidden = state.config.rememberDevices !== "prompt";
  $("input", box).checked = false;
  $(".detail", box).textContent = state.config.devicesSkipMfa
    ? "Skip this step when you sign in on this browser again."
    : "Keep this browser in your list of devices.";
}

// confirmAndRemember answers a code screen and, once signed in, remembers this browser if the
// user ticked the box. The sign-in stands if remembering fails: the profile's Devices card
// says so and offers it again.
async function confirmAndRemember(data, input) {
  const res = await state.client.confirmSignIn(input);
  if (res.isSignedIn && data.get("rememberDevice") === "on") {
    try {
      await state.client.rememberDevice();
      state.deviceNote = "This browser is remembered.";
    } catch (err) {
      state.deviceNote = err;
    }
    loadDevices();
  }
  nextStep(res);
}

onSubmit($("#form-mfa"), async (data) => {
  await confirmAndRemember(data, { challengeResponse: data.get("code").trim() });
});

onSubmit($("#form-mfaselect"), async (data) => {
  nextStep(await state.client.confirmSignIn({ challengeResponse: data.get("method") }));
});

onSubmit($("#form-totpsetup"), async (data) => {
  const friendlyDeviceName = String(data.get("device") || "").trim();
  await confirmAndRemember(data, { challengeResponse: data.get("code").trim(), options: { friendlyDeviceName } });
});

// renderTotpSetup fills box with the QR code of the otpauth:// URI for sharedSecret (drawn by
// the SDK, on this page) and the secret itself for typing into the app by hand.
function renderTotpSetup(box, sharedSecret, account) {
  const issuer = state.config.userPoolName || "poolgate";
  const uri = state.client.setupUri(sharedSecret, issuer, account || state.session?.idTokenClaims?.email || "");
  const svg = new DOMParser().parseFromString(state.client.qrCodeSVG(uri), "image/svg+xml").documentElement;
  svg.setAttribute("aria-label", `QR code for adding ${account || "this account"} to an authenticator app`);
  svg.classList.add("qr");
  const key = document.createElement("details");
  key.className = "totp-key";
  const summary = document.createElement("summary");
  summary.textContent = "Can't scan it? Enter a setup key instead";
  const code = document.createElement("code");
  code.className = "secret-key";
  code.textContent = sharedSecret.match(/.{1,4}/g).join(" ");
  const how = document.createElement("p");
  how.className = "hint";
  how.textContent = `Account: ${account || "your account"} · Type: time-based · Issuer: ${issuer}`;
  key.append(summary, code, how);
  box.replaceChildren(document.importNode(svg, true), key);
}

onSubmit($("#form-signup"), async (data) => {
  const username = signUpUsername(data);
  const res = await state.client.signUp({ username, password: data.get("password"), attributes: attributesOf(data) });
  $("#signup-password").value = "";
  if (res.userConfirmed) {
    notice("Your account is ready. Sign in to continue.");
    $("#signin-username").value = username;
    location.hash = "#signin";
    return;
  }
  goConfirm(username, res.codeDelivery);
});

onSubmit($("#form-confirm"), async (data) => {
  const username = data.get("username").trim();
  await state.client.confirmSignUp({ username, code: data.get("code").trim() });
  notice("Your account is confirmed. Sign in to continue.");
  $("#signin-username").value = username;
  history.replaceState(null, "", "#signin");
  show("signin", { focus: false });
  $("#signin-password").focus();
});

$("#confirm-resend").addEventListener("click", async (ev) => {
  const form = $("#form-confirm");
  const username = $("#confirm-username").value.trim();
  if (!username) { alertIn(form, `Please fill in ${usernameLabel().toLowerCase()}.`); return; }
  await busy(ev.currentTarget, async () => {
    try {
      const d = await state.client.resendCode({ username });
      $("#confirm-hint").textContent = deliveryText(d, "a new code");
      alertIn(form, null);
    } catch (err) {
      alertIn(form, err);
    }
  });
});

onSubmit($("#form-forgot"), async (data) => {
  const username = data.get("username").trim();
  const d = await state.client.forgotPassword({ username });
  $("#reset-username").value = username;
  $("#reset-code").value = "";
  $("#reset-password").value = "";
  $("#reset-hint").textContent = `${deliveryText(d, "a reset code")} Enter it with your new password.`;
  show("reset");
});

onSubmit($("#form-reset"), async (data) => {
  const username = data.get("username");
  await state.client.confirmForgotPassword({ username, code: data.get("code").trim(), newPassword: data.get("password") });
  notice("Your password was changed. Sign in with the new one.");
  $("#signin-username").value = username;
  history.replaceState(null, "", "#signin");
  show("signin", { focus: false });
  $("#signin-password").focus();
});

// ---------------------------------------------------------------------------------------------
// Profile.

const timeClaims = new Set(["exp", "iat", "auth_time", "nbf"]);

function renderProfile(session) {
  const c = session.idTokenClaims;
  const display = c.name || c.email || c.phone_number || session.username;
  $("#profile-title").textContent = c.name ? `Hello, ${c.name}` : "Hello";
  $("#profile-sub").textContent = c.email || c.phone_number || session.username;
  $("#profile-avatar").textContent = [...String(display)][0] || "?";
  const chips = $("#profile-groups");
  chips.replaceChildren();
  if (session.groups.length === 0) {
    const none = document.createElement("span");
    none.className = "chip none";
    none.textContent = "No groups";
    chips.append(none);
  }
  for (const g of session.groups) {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.textContent = g;
    chips.append(chip);
  }
  const body = $("#claims tbody");
  body.replaceChildren();
  for (const key of Object.keys(c).sort()) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = key;
    const td = document.createElement("td");
    const v = c[key];
    td.textContent = typeof v === "string" ? v : JSON.stringify(v);
    if (timeClaims.has(key) && typeof v === "number") {
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = new Date(v * 1000).toLocaleString();
      td.append(when);
    }
    tr.append(th, td);
    body.append(tr);
  }
  const nameInput = $("#profile-name");
  if (document.activeElement !== nameInput) nameInput.value = c.name || "";
  updateExpiry();
}

function updateExpiry() {
  const s = state.session;
  const el = $("#session-expiry");
  if (!s) { el.textContent = ""; return; }
  const left = Math.round((s.expiresAt - Date.now() - clockOffset) / 1000);
  const at = new Date(s.expiresAt).toLocaleTimeString();
  el.textContent = left > 0
    ? `Tokens valid for ${formatDuration(left)} (until ${at}); refreshed automatically`
    : `Tokens expired at ${at}; refreshing…`;
}

function formatDuration(secs) {
  const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}

let clockOffset = 0;

$("#refresh-submit").addEventListener("click", async (ev) => {
  const card = ev.currentTarget.closest(".card");
  await busy(ev.currentTarget, async () => {
    try {
      await state.client.currentSession({ forceRefresh: true });
      alertIn(card, null);
    } catch (err) {
      alertIn(card, err);
    }
  });
});

onSubmit($("#form-profile"), async (data) => {
  const name = String(data.get("name")).trim();
  await state.client.updateAttributes({ name });
  // The ID token carries the attributes: refresh it so the claims show the change.
  await state.client.currentSession({ forceRefresh: true });
  alertIn($("#form-profile"), "Saved.", { ok: true });
});

onSubmit($("#form-password"), async (data) => {
  await state.client.changePassword({ oldPassword: data.get("old"), newPassword: data.get("password") });
  $("#password-old").value = "";
  $("#password-new").value = "";
  $("#password-new").dispatchEvent(new Event("input"));
  alertIn($("#form-password"), "Your password was changed.", { ok: true });
});

// ---------------------------------------------------------------------------------------------
// Two-step verification on the profile: which factors are on, the preferred one, and setting
// up an authenticator app.

async function loadMfa() {
  const types = state.config.mfaTypes || [];
  $("#mfa-card").hidden = types.length === 0;
  $("#totp-start").hidden = !types.includes("TOTP");
  if (types.length === 0) return;
  try {
    state.mfa = await state.client.fetchMFAPreference();
    renderMfa(types);
    alertIn($("#form-mfaprefs"), null);
  } catch (err) {
    alertIn($("#form-mfaprefs"), err);
  }
}

function renderMfa(types) {
  const { enabled, preferred } = state.mfa;
  const rows = types.map((t) => {
    const tr = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.id = `mfa-name-${t}`;
    name.textContent = mfaNames[t] || t;
    const detail = document.createElement("span");
    detail.className = "detail";
    detail.textContent = mfaDetails[t] || "";
    name.append(detail);
    const on = document.createElement("input");
    on.type = "checkbox";
    on.id = `mfa-on-${t}`;
    on.name = `on:${t}`;
    on.checked = enabled.includes(t);
    on.setAttribute("aria-labelledby", `mfa-on-label mfa-name-${t}`);
    const pref = document.createElement("input");
    pref.type = "radio";
    pref.name = "preferred";
    pref.value = t;
    pref.id = `mfa-pref-${t}`;
    pref.checked = preferred === t;
    pref.setAttribute("aria-label", `Prefer ${mfaNames[t] || t}`);
    on.addEventListener("change", () => { if (!on.checked) pref.checked = false; });
    pref.addEventListener("change", () => { if (pref.checked) on.checked = true; });
    const c1 = document.createElement("td");
    c1.append(on);
    const c2 = document.createElement("td");
    c2.append(pref);
    tr.append(name, c1, c2);
    return tr;
  });
  $("#mfa-methods").replaceChildren(...rows);
  $("#totp-start").textContent = enabled.includes("TOTP") ? "Move to another authenticator app" : "Set up an authenticator app";
  const required = state.config.mfaConfiguration === "ON";
  $("#mfa-status").textContent = enabled.length === 0
    ? (required ? "Off. This app requires a second step: you will set one up when you next sign in." : "Off: you sign in with your password only.")
    : `On: ${enabled.map((t) => (mfaNames[t] || t).toLowerCase() + (t === preferred ? " (preferred)" : "")).join(", ")}.`;
}

onSubmit($("#form-mfaprefs"), async (data) => {
  const was = state.mfa || { enabled: [], preferred: null };
  const preferred = data.get("preferred");
  const change = {};
  for (const t of state.config.mfaTypes) {
    const on = data.get(`on:${t}`) === "on";
    const now = on ? (preferred === t ? "PREFERRED" : "NOT_PREFERRED") : "DISABLED";
    const before = was.enabled.includes(t) ? (was.preferred === t ? "PREFERRED" : "NOT_PREFERRED") : "DISABLED";
    if (now !== before) change[t.toLowerCase()] = now;
  }
  if (Object.keys(change).length === 0) {
    alertIn($("#form-mfaprefs"), "Nothing to change.", { ok: true });
    return;
  }
  await state.client.updateMFAPreference(change);
  await loadMfa();
  alertIn($("#form-mfaprefs"), "Saved.", { ok: true });
});

$("#totp-start").addEventListener("click", async (ev) => {
  const container = ev.currentTarget.parentElement;
  await busy(ev.currentTarget, async () => {
    try {
      const { sharedSecret } = await state.client.setUpTOTP();
      const c = state.session.idTokenClaims;
      renderTotpSetup($("#totp-box"), sharedSecret, c.email || c.phone_number || state.session.username);
      $("#totp-code").value = "";
      alertIn($("#form-totp"), null);
      alertIn(container, null);
      $("#totp-panel").hidden = false;
      $("#totp-start").hidden = true;
      $("#totp-code").focus();
    } catch (err) {
      alertIn(container, err);
    }
  });
});

function closeTotpPanel() {
  $("#totp-panel").hidden = true;
  $("#totp-box").replaceChildren();
  $("#totp-start").hidden = !(state.config.mfaTypes || []).includes("TOTP");
}
$("#totp-cancel").addEventListener("click", () => { closeTotpPanel(); $("#totp-start").focus(); });

onSubmit($("#form-totp"), async (data) => {
  const friendlyDeviceName = String(data.get("device") || "").trim();
  await state.client.verifyTOTPSetup({ code: data.get("code").trim(), options: { friendlyDeviceName } });
  // The app is proven: turn it on, preferred unless another factor already is.
  await state.client.updateMFAPreference({ totp: state.mfa?.preferred && state.mfa.preferred !== "TOTP" ? "NOT_PREFERRED" : "PREFERRED" });
  closeTotpPanel();
  await loadMfa();
  alertIn($("#form-mfaprefs"), "Your authenticator app is set up and on.", { ok: true });
});

// ---------------------------------------------------------------------------------------------
// Devices: the browsers the user signed in from (pools with a DeviceConfiguration), this one
// marked, each with Forget; and remembering this one when the pool leaves it to the user.

// deviceLabel shortens a device's name (the browser's user agent, as the SDK names it) to
// "Browser on OS"; the full name is the row's tooltip.
function deviceLabel(name) {
  if (!name) return "Unnamed device";
  const browser = [[/Edg\//, "Edge"], [/Firefox\//, "Firefox"], [/Chrome\//, "Chrome"], [/Safari\//, "Safari"]]
    .find(([re]) => re.test(name))?.[1];
  const os = [[/Android/, "Android"], [/iPhone|iPad/, "iOS"], [/Windows/, "Windows"], [/Mac OS X/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]]
    .find(([re]) => re.test(name))?.[1];
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || name;
}

function formatDate(ms) {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// loadDevices fetches and shows the user's devices; a later call wins over an earlier one
// still in flight.
async function loadDevices() {
  const card = $("#devices-card");
  card.hidden = state.config.rememberDevices === "off";
  if (card.hidden) return;
  const seq = (state.devicesSeq = (state.devicesSeq || 0) + 1);
  try {
    const devices = await state.client.fetchDevices();
    if (seq !== state.devicesSeq) return;
    renderDevices(devices);
    const note = state.deviceNote;
    state.deviceNote = null;
    alertIn(card, note || null, { ok: typeof note === "string" });
  } catch (err) {
    if (seq === state.devicesSeq) alertIn(card, err);
  }
}

function renderDevices(devices) {
  const here = devices.find((d) => d.current);
  const prompt = state.config.rememberDevices === "prompt";
  $("#devices-status").textContent = !here
    ? "This browser is not on your list of devices."
    : here.remembered
      ? `This browser is remembered${state.config.devicesSkipMfa ? ": signing in here skips the second step" : ""}.`
      : `This browser is not remembered${state.config.devicesSkipMfa ? ": signing in here asks for the second step" : ""}.`;
  $("#device-actions").hidden = !(prompt && here && !here.remembered);
  const rows = devices.map((d) => {
    const li = document.createElement("li");
    li.dataset.device = d.id;
    const text = document.createElement("div");
    const name = document.createElement("div");
    name.className = "device-name";
    name.textContent = deviceLabel(d.name);
    name.title = d.name || d.id;
    if (d.current) {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = "This browser";
      name.append(chip);
    }
    const detail = document.createElement("span");
    detail.className = "detail";
    // lastAuthenticatedDate is the device's own last sign-in (device SRP); null until then.
    const when = d.lastAuthenticatedDate ? `signed in ${formatDate(d.lastAuthenticatedDate)}` : `added ${formatDate(d.createDate)}`;
    detail.textContent = `${d.remembered ? "Remembered" : "Not remembered"} · ${when}`;
    text.append(name, detail);
    const forget = document.createElement("button");
    forget.type = "button";
    forget.className = "danger small";
    forget.textContent = "Forget";
    forget.dataset.busy = "Forgetting…";
    forget.setAttribute("aria-label", `Forget ${deviceLabel(d.name)}${d.current ? " (this browser)" : ""}`);
    forget.addEventListener("click", () => busy(forget, async () => {
      try {
        await state.client.forgetDevice(d.current ? {} : { device: { id: d.id } });
        state.deviceNote = d.current
          ? "This browser is forgotten: your next sign-in here asks for every step, and this session ends when its tokens expire."
          : `${deviceLabel(d.name)} is forgotten.`;
        await loadDevices();
      } catch (err) {
        alertIn($("#devices-card"), err);
      }
    }));
    li.append(text, forget);
    return li;
  });
  if (rows.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "No devices.";
    rows.push(li);
  }
  $("#devices-list").replaceChildren(...rows);
}

$("#device-remember").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
  try {
    await state.client.rememberDevice();
    state.deviceNote = "This browser is remembered.";
    await loadDevices();
  } catch (err) {
    alertIn($("#devices-card"), err);
  }
}));

async function signOut(button, global) {
  const card = button.closest(".card");
  await busy(button, async () => {
    try {
      await state.client.signOut({ global });
      notice(global ? "You are signed out on every device." : "You are signed out.");
    } catch (err) {
      notice("You are signed out on this device; the server could not be told: " + err.message);
    }
    alertIn(card, null);
  });
}
$("#signout-submit").addEventListener("click", (ev) => signOut(ev.currentTarget, false));
$("#signout-global-submit").addEventListener("click", (ev) => signOut(ev.currentTarget, true));

// ---------------------------------------------------------------------------------------------
// Credentials (identity pool).

function renderCredentials(box, creds) {
  const dl = document.createElement("dl");
  dl.className = "creds";
  const row = (k, v, cls) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    if (v instanceof Node) dd.append(v); else dd.textContent = v;
    if (cls) dd.className = cls;
    dl.append(dt, dd);
  };
  const badge = document.createElement("span");
  badge.className = creds.authenticated ? "badge" : "badge guest";
  badge.textContent = creds.authenticated ? "Signed-in identity" : "Guest identity";
  row("Kind", badge);
  row("Identity ID", creds.identityId);
  row("Access key ID", creds.accessKeyId, "access-key-id");
  row("Secret access key", "•".repeat(16) + " (hidden)", "secret");
  row("Session token", `${creds.sessionToken.length} characters`);
  const mins = Math.round((creds.expiration - Date.now() - clockOffset) / 60000);
  row("Expires", `${new Date(creds.expiration).toLocaleTimeString()} (in ${mins} min)`, "expiration");
  box.replaceChildren(...dl.childNodes);
  box.hidden = false;
}

async function credentialsButton(button, box, get) {
  const container = button.parentElement;
  await busy(button, async () => {
    try {
      renderCredentials(box, await get());
      alertIn(container, null);
    } catch (err) {
      box.hidden = true;
      alertIn(container, err);
    }
  });
}
$("#guest-submit").addEventListener("click", (ev) =>
  credentialsButton(ev.currentTarget, $("#guest-credentials"), () => state.client.getGuestCredentials()));
$("#creds-submit").addEventListener("click", (ev) =>
  credentialsButton(ev.currentTarget, $("#user-credentials"), () => state.client.getCredentials()));

// ---------------------------------------------------------------------------------------------
// Session changes and routing.

function onSession(session) {
  const was = state.session;
  state.session = session;
  if (session) {
    renderProfile(session);
    if (!was || document.body.dataset.view !== "profile") {
      $("#user-credentials").hidden = true;
      $("#creds-hint").textContent = state.config.identityPoolId
        ? "Temporary credentials for your identity, from the identity pool."
        : "This app has no identity pool configured.";
      $("#creds-submit").disabled = !state.config.identityPoolId;
      // Another user's factors must not show while this one's load.
      $("#mfa-methods").replaceChildren();
      $("#mfa-status").textContent = "Checking your sign-in methods…";
      state.mfa = null;
      closeTotpPanel();
      loadMfa();
      $("#devices-list").replaceChildren();
      $("#devices-status").textContent = "Checking your devices…";
      $("#device-actions").hidden = true;
      loadDevices();
      history.replaceState(null, "", "#profile");
      show("profile", { focus: false });
      $("#refresh-submit").focus();
    }
  } else if (was) {
    $("#guest-credentials").hidden = true;
    history.replaceState(null, "", "#signin");
    show("signin");
  }
}

function route() {
  const want = location.hash.replace("#", "") || "signin";
  if (state.session) { show("profile", { focus: false }); return; }
  if (["signin", "signup", "forgot"].includes(want)) {
    if (want === "signup" && !state.config.signUpEnabled) { show("signin"); return; }
    notice(want === "signin" ? $("#notice").textContent : "");
    show(want);
    return;
  }
  show("signin");
}
window.addEventListener("hashchange", route);

async function main() {
  try {
    const resp = await fetch("poolgate-app.json", { cache: "no-store" });
    const cfg = await resp.json();
    if (!resp.ok) throw Object.assign(new Error(cfg.message || `HTTP ${resp.status}`), { code: cfg.__type });
    state.config = cfg;
    applyPoolRules();
    state.client = await createClient({
      endpoint: cfg.endpoint,
      userPoolId: cfg.userPoolId,
      clientId: cfg.clientId,
      identityPoolId: cfg.identityPoolId,
      storage,
    });
    const origSetOffset = state.client.setClockOffset.bind(state.client);
    state.client.setClockOffset = (ms) => { clockOffset = ms; origSetOffset(ms); };
    state.client.onSessionChange(onSession);
    try {
      await state.client.currentSession();
    } catch (err) {
      if (err.code !== "UserUnAuthenticatedException") notice("Your previous session has ended. Please sign in again.");
    }
    state.readyMs = performance.now();
    document.body.dataset.ready = "true";
    if (!state.session) route();
    clearInterval(state.expiryTimer);
    state.expiryTimer = setInterval(updateExpiry, 1000);
  } catch (err) {
    $("#loading").classList.add("alert");
    $("#loading-text").textContent = `The sign-in app could not start: ${err.message}`;
    document.body.dataset.ready = "error";
    console.error(err);
  }
}

main();
