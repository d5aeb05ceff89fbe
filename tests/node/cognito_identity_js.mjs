// Signs in to a running poolgate with the unmodified amazon-cognito-identity-js (SRP, its default
// flow), reads the user's attributes, refreshes the session, signs out (RevokeToken), and
// verifies the tokens with aws-jwt-verify. Prints one JSON object with the results; exits
// non-zero on any failure.
//
// Environment: POOLGATE_ENDPOINT (e.g. http://127.0.0.1:8787), POOL_ID, CLIENT_ID, USERNAME,
// PASSWORD. Run by tests/e2e/node_test.go (make test); install the packages with `npm ci`.
import identity from "amazon-cognito-identity-js";
import { JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const endpoint = env("POOLGATE_ENDPOINT").replace(/\/+$/, "");
const poolId = env("POOL_ID");
const clientId = env("CLIENT_ID");
const username = env("USERNAME");
const password = env("PASSWORD");

// identity-js takes the endpoint verbatim and posts to it.
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: endpoint + "/" });

function signIn(name, pw) {
  const user = new CognitoUser({ Username: name, Pool: pool });
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username: name, Password: pw }), {
      onSuccess: (session) => resolve({ user, session }),
      onFailure: (err) => reject(err),
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED challenge")),
      mfaRequired: () => reject(new Error("unexpected SMS_MFA challenge")),
      totpRequired: () => reject(new Error("unexpected SOFTWARE_TOKEN_MFA challenge")),
      customChallenge: () => reject(new Error("unexpected CUSTOM_CHALLENGE")),
      mfaSetup: () => reject(new Error("unexpected MFA_SETUP challenge")),
      selectMFAType: () => reject(new Error("unexpected SELECT_MFA_TYPE challenge")),
    });
  });
}

const promisify = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

// A raw Cognito JSON call (for the checks identity-js has no method for).
async function cognito(action, body) {
  const resp = await fetch(endpoint + "/", {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(body),
  });
  return { status: resp.status, body: await resp.json() };
}

// aws-jwt-verify's Node fetcher only speaks https: fetch the JWKS over http with Node's fetch.
const jwksCache = new SimpleJwksCache({
  fetcher: {
    async fetch(uri) {
      const resp = await fetch(uri);
      if (resp.status !== 200) throw new Error(`GET ${uri}: HTTP ${resp.status}`);
      return resp.arrayBuffer();
    },
  },
});

async function main() {
  const out = {};

  // The issuer comes from the pool's OpenID discovery document; the JWKS from where the server listens.
  const disc = await (await fetch(`${endpoint}/${poolId}/.well-known/openid-configuration`)).json();
  const issuer = disc.issuer;
  check(typeof issuer === "string" && issuer.endsWith("/" + poolId), `discovery issuer ${issuer}`);
  const jwksUri = `${endpoint}/${poolId}/.well-known/jwks.json`;
  const idVerifier = JwtVerifier.create({ issuer, audience: clientId, jwksUri }, { jwksCache });
  const accessVerifier = JwtVerifier.create(
    {
      issuer,
      audience: null,
      jwksUri,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== "access" || payload.client_id !== clientId) throw new Error("not an access token of this client");
      },
    },
    { jwksCache },
  );

  // 1. SRP sign-in (identity-js's default flow).
  const { user, session } = await signIn(username, password);
  check(session.isValid(), "session is valid");
  const idToken = session.getIdToken().getJwtToken();
  const accessToken = session.getAccessToken().getJwtToken();
  out.signIn = {
    cognitoUsername: session.getIdToken().decodePayload()["cognito:username"],
    hasRefreshToken: session.getRefreshToken().getToken().length > 0,
  };

  // 2. Verify the tokens with aws-jwt-verify.
  const idPayload = await idVerifier.verify(idToken);
  check(idPayload.token_use === "id", `id token_use ${idPayload.token_use}`);
  const accessPayload = await accessVerifier.verify(accessToken);
  out.idToken = {
    sub: idPayload.sub,
    iss: idPayload.iss,
    aud: idPayload.aud,
    token_use: idPayload.token_use,
    email: idPayload.email,
    email_verified: idPayload.email_verified,
    origin_jti: idPayload.origin_jti,
  };
  out.accessToken = { client_id: accessPayload.client_id, username: accessPayload.username, scope: accessPayload.scope };

  // A tampered token is refused by the verifier.
  const [h, p, s] = idToken.split(".");
  const forged = `${h}.${p}.${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`;
  out.tamperedIdTokenRejected = await idVerifier.verify(forged).then(
    () => false,
    () => true,
  );

  // 3. getUserAttributes (GetUser).
  const attrs = await promisify((cb) => user.getUserAttributes(cb));
  out.attributes = Object.fromEntries(attrs.map((a) => [a.getName(), a.getValue()]));
  check(out.attributes.sub === idPayload.sub, "GetUser sub equals the id token sub");

  // 4. refreshSession (InitiateAuth REFRESH_TOKEN_AUTH).
  const refreshed = await promisify((cb) => user.refreshSession(session.getRefreshToken(), cb));
  const refreshedPayload = await idVerifier.verify(refreshed.getIdToken().getJwtToken());
  check(refreshedPayload.origin_jti === idPayload.origin_jti, "refresh keeps origin_jti");
  check(refreshedPayload.jti !== idPayload.jti, "refresh issues a new jti");
  out.refresh = { ok: true, sameOriginJti: true, keptRefreshToken: refreshed.getRefreshToken().getToken() === session.getRefreshToken().getToken() };

  // 5. A wrong password.
  try {
    await signIn(username, password + "-wrong");
    out.wrongPassword = { code: "none", message: "sign-in succeeded" };
  } catch (err) {
    out.wrongPassword = { code: err.code, message: err.message };
  }

  // 6. signOut with revocation (RevokeToken, sent because the access token has origin_jti);
  //    the refresh token and the access tokens of that sign-in are refused afterwards.
  await promisify((cb) => user.signOut((err) => cb(err, true)));
  const afterRefresh = await cognito("InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: clientId,
    AuthParameters: { REFRESH_TOKEN: session.getRefreshToken().getToken() },
  });
  const afterGetUser = await cognito("GetUser", { AccessToken: refreshed.getAccessToken().getJwtToken() });
  out.signOut = { refreshAfter: afterRefresh.body.__type ?? afterRefresh.status, getUserAfter: afterGetUser.body.__type ?? afterGetUser.status };

  return out;
}

main().then(
  (out) => {
    process.stdout.write(JSON.stringify(out) + "\n");
  },
  (err) => {
    process.stdout.write(JSON.stringify({ error: String(err && err.message ? `${err.code ?? err.name}: ${err.message}` : err) }) + "\n");
    process.exitCode = 1;
  },
);
