// openid-client (a certified OpenID Connect relying party) against poolgate's managed login,
// configured through discovery only: the authorization code flow with PKCE and nonce, the ID
// token's claims checked by openid-client and its signature by jose against the pool's JWKS,
// userInfo, refresh, revocation and client_credentials. The login form is filled the way a
// browser would: every field the form carries, plus `username` and `password`.
//
// Input (environment): ISSUER (the pool's issuer URL), CLIENT_ID, REDIRECT_URI, USERNAME,
// PASSWORD, CC_CLIENT_ID, CC_CLIENT_SECRET, CC_SCOPE. Output: one JSON object on stdout.
import * as client from "openid-client";
import * as jose from "jose";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

// A cookie jar for one origin: the managed-login session cookie is Secure, and this runs over
// plain http on loopback, so it is kept by hand.
class Jar {
  #cookies = new Map();
  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a)) || value === "";
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header() {
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join("; ");
  }
  get size() {
    return this.#cookies.size;
  }
}

const named = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">" };
const decode = (s) =>
  s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) =>
    e[0] !== "#" ? (named[e.toLowerCase()] ?? m) : String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );

// pageText is the visible text of a page, for error messages.
const pageText = (html) =>
  decode(html.replace(/<(style|script)\b[\s\S]*?<\/\1>/gi, "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ")).trim().slice(0, 400);

// loginForm finds the form with a password field and returns its action and fields.
function loginForm(html, base) {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, attrs, body] = m;
    if (!/name="password"/.test(body)) continue;
    const action = /action="([^"]*)"/i.exec(attrs);
    const fields = new URLSearchParams();
    for (const input of body.matchAll(/<input\b([^>]*)>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[1]);
      const value = /value="([^"]*)"/i.exec(input[1]);
      if (name && /type="hidden"/i.test(input[1])) fields.set(decode(name[1]), value ? decode(value[1]) : "");
    }
    return { action: new URL(action ? decode(action[1]) : "", base), fields };
  }
  throw new Error(`no login form in the page: ${html.slice(0, 300)}`);
}

// signInThroughPages follows the authorization URL to the login page, posts the form and
// returns the redirect to the app (with code or error). It follows at most 10 hops.
async function signInThroughPages(url, username, password, jar, redirectURI) {
  let next = url;
  let posted = false;
  for (let hop = 0; hop < 10; hop++) {
    if (next.href.startsWith(redirectURI)) return next;
    const res = await fetch(next, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(res);
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get("location"), next);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || posted) throw new Error(`page ${next.pathname} answered ${res.status}: ${pageText(html)}`);
    const form = loginForm(html, next);
    form.fields.set("username", username);
    form.fields.set("password", password);
    const post = await fetch(form.action, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header(), origin: form.action.origin },
      body: form.fields,
    });
    jar.take(post);
    posted = true;
    if (post.status < 300 || post.status >= 400) throw new Error(`login POST to ${form.action} answered ${post.status}: ${pageText(await post.text())}`);
    next = new URL(post.headers.get("location"), form.action);
  }
  throw new Error("too many redirects");
}

// errorName is the OAuth error code of a failed call: the body's `error`; for a 401 with a
// WWW-Authenticate challenge (client_secret_basic refused), openid-client throws before reading
// the body, so it is read here.
async function errorName(e) {
  if (e?.error) return e.error;
  if (e?.code === "OAUTH_WWW_AUTHENTICATE_CHALLENGE" && e.response) {
    const body = await e.response.json().catch(() => ({}));
    return body.error ?? e.cause?.[0]?.parameters?.error ?? e.code;
  }
  return e?.code || e?.name || String(e);
}

async function main() {
  const issuer = new URL(env("ISSUER"));
  const clientId = env("CLIENT_ID");
  const redirectURI = env("REDIRECT_URI");
  const insecure = { execute: [client.allowInsecureRequests] };
  const out = {};

  const config = await client.discovery(issuer, clientId, undefined, client.None(), insecure);
  const meta = config.serverMetadata();
  out.discovery = {
    issuer: meta.issuer,
    authorization_endpoint: meta.authorization_endpoint,
    token_endpoint: meta.token_endpoint,
    userinfo_endpoint: meta.userinfo_endpoint,
    revocation_endpoint: meta.revocation_endpoint,
    code_challenge_methods_supported: meta.code_challenge_methods_supported,
  };

  // The code flow with PKCE, state and nonce.
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authURL = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope: "openid email profile",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const jar = new Jar();
  const back = await signInThroughPages(authURL, env("USERNAME"), env("PASSWORD"), jar, redirectURI);
  out.sessionCookies = jar.size;
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  out.code = { sub: claims.sub, email: claims.email, nonce: claims.nonce, aud: claims.aud, iss: claims.iss, hasRefresh: !!tokens.refresh_token, scope: tokens.scope ?? null };

  // openid-client checks the ID token's claims; its signature is checked here on its own,
  // against the keys the discovery document points at.
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const verified = await jose.jwtVerify(tokens.id_token, jwks, { issuer: meta.issuer, audience: clientId });
  out.idTokenSignature = verified.protectedHeader.alg;
  const access = await jose.jwtVerify(tokens.access_token, jwks, { issuer: meta.issuer });
  out.accessToken = { scope: access.payload.scope, client_id: access.payload.client_id, token_use: access.payload.token_use, username: access.payload.username };
  try {
    const parts = tokens.id_token.split(".");
    const payload = JSON.parse(Buffer.from(parts[1], "base64url"));
    payload.email = "mallory@example.com";
    parts[1] = Buffer.from(JSON.stringify(payload)).toString("base64url");
    await jose.jwtVerify(parts.join("."), jwks, { issuer: meta.issuer, audience: clientId });
    out.tamperedAccepted = true;
  } catch {
    out.tamperedAccepted = false;
  }

  out.userInfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  out.refresh = { idToken: !!refreshed.id_token, accessToken: !!refreshed.access_token, sub: refreshed.claims()?.sub };

  // A second authorization while the session cookie is alive needs no form; its tokens are
  // revoked, after which their refresh token is refused.
  const verifier2 = client.randomPKCECodeVerifier();
  const again = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope: "openid",
    code_challenge: await client.calculatePKCECodeChallenge(verifier2),
    code_challenge_method: "S256",
    state,
  });
  const silent = await fetch(again, { redirect: "manual", headers: { cookie: jar.header() } });
  const silentTo = silent.headers.get("location") || "";
  out.silentSignIn = silentTo.startsWith(redirectURI) && new URL(silentTo).searchParams.has("code");
  const second = await client.authorizationCodeGrant(config, new URL(silentTo), { pkceCodeVerifier: verifier2, expectedState: state });
  await client.tokenRevocation(config, second.refresh_token, { token_type_hint: "refresh_token" });
  try {
    await client.refreshTokenGrant(config, second.refresh_token);
    out.refreshAfterRevoke = "accepted";
  } catch (e) {
    out.refreshAfterRevoke = await errorName(e);
  }

  // The first code a second time is refused, and (RFC 6749 §4.1.2) what it got is revoked.
  try {
    await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    out.reusedCode = "accepted";
  } catch (e) {
    out.reusedCode = await errorName(e);
  }
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token);
    out.refreshAfterReuse = "accepted";
  } catch (e) {
    out.refreshAfterReuse = await errorName(e);
  }

  // A confidential client with client_credentials (client_secret_basic).
  const cc = await client.discovery(issuer, env("CC_CLIENT_ID"), undefined, client.ClientSecretBasic(env("CC_CLIENT_SECRET")), insecure);
  const machine = await client.clientCredentialsGrant(cc, { scope: env("CC_SCOPE") });
  const machineClaims = (await jose.jwtVerify(machine.access_token, jwks, { issuer: meta.issuer })).payload;
  out.clientCredentials = { scope: machineClaims.scope, sub: machineClaims.sub, client_id: machineClaims.client_id, token_use: machineClaims.token_use, idToken: !!machine.id_token, refreshToken: !!machine.refresh_token };
  const wrong = await client.discovery(issuer, env("CC_CLIENT_ID"), undefined, client.ClientSecretBasic("wrong-secret"), insecure);
  try {
    await client.clientCredentialsGrant(wrong, { scope: env("CC_SCOPE") });
    out.wrongSecret = "accepted";
  } catch (e) {
    out.wrongSecret = await errorName(e);
  }
  return out;
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (e) => {
    console.log(JSON.stringify({ error: String(e?.stack || e).slice(0, 2000), cause: String(e?.cause ?? "").slice(0, 500) }));
    process.exitCode = 1;
  },
);
