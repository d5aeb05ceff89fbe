// The comparison Worker of the gateway benchmark (bench/gateway): the same job as a poolgate
// jwt route, done the way people do it today, with aws-jwt-verify in a JavaScript Worker.
//
// BENCH_MODE "verify": check the bearer token (signature against the pool's JWKS, preloaded
// with cacheJwks; exp; iss; token_use "access"; client_id), then forward to BENCH_ORIGIN with
// the Authorization header removed and the caller's identity in the headers a poolgate jwt
// route sends (X-Poolgate-Route, -Issuer, -Sub, -Username, -Token-Use, -Client-Id, -Groups,
// -Scopes, -Claims; values percent-encoded the same way) plus X-Forwarded-For, -Host and
// -Proto: the same job, so the origin gets the same request from both.
// BENCH_MODE "verify-sub": the same checks, forwarding only X-Verified-Sub (the least a
// verifying Worker would pass on).
// BENCH_MODE "passthrough": forward every request unchecked (the cost of a Worker hop alone).
import { JwtVerifier } from "aws-jwt-verify";

let verifier;

function getVerifier(env) {
  if (!verifier) {
    verifier = JwtVerifier.create({
      issuer: env.BENCH_ISSUER,
      audience: null, // Cognito access tokens carry client_id, not aud
      jwksUri: env.BENCH_ISSUER + "/.well-known/jwks.json",
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== "access") throw new Error("not an access token");
        if (payload.client_id !== env.BENCH_CLIENT_ID) throw new Error("client not accepted");
      },
    });
    verifier.cacheJwks(JSON.parse(env.BENCH_JWKS));
  }
  return verifier;
}

function refuse(description) {
  return new Response(JSON.stringify({ error: "invalid_token", error_description: description }), {
    status: 401,
    headers: {
      "content-type": "application/json",
      "www-authenticate": `Bearer realm="bench", error="invalid_token", error_description="${description}"`,
    },
  });
}

// headerValue percent-encodes what is not visible ASCII, "%" and the characters of extra (as
// poolgate's gateway does).
function headerValue(v, extra = "") {
  if (typeof v !== "string") return "";
  let out = "";
  for (const b of new TextEncoder().encode(v)) {
    const c = String.fromCharCode(b);
    out += b <= 0x20 || b >= 0x7f || c === "%" || extra.includes(c) ? "%" + b.toString(16).toUpperCase().padStart(2, "0") : c;
  }
  return out;
}

function identity(headers, request, url, p, token) {
  const set = (name, value) => {
    if (value) headers.set(name, value);
  };
  for (const name of ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"]) headers.delete(name);
  for (const name of [...headers.keys()]) {
    if (name.startsWith("x-poolgate-")) headers.delete(name);
  }
  set("x-poolgate-route", "bench");
  set("x-poolgate-issuer", headerValue(p.iss));
  set("x-poolgate-sub", headerValue(p.sub));
  set("x-poolgate-username", headerValue(p.username ?? p["cognito:username"]));
  set("x-poolgate-token-use", headerValue(p.token_use));
  set("x-poolgate-client-id", headerValue(p.client_id));
  const groups = p["cognito:groups"];
  if (Array.isArray(groups)) set("x-poolgate-groups", groups.map((g) => headerValue(g, ",")).join(","));
  if (typeof p.scope === "string") set("x-poolgate-scopes", p.scope.split(" ").filter(Boolean).map((s) => headerValue(s, " ,")).join(" "));
  set("x-poolgate-claims", token.split(".")[1]);
  set("x-forwarded-for", request.headers.get("cf-connecting-ip"));
  set("x-forwarded-host", request.headers.get("host"));
  set("x-forwarded-proto", url.protocol.slice(0, -1));
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = env.BENCH_ORIGIN + url.pathname + url.search;
    if (env.BENCH_MODE === "passthrough") {
      return fetch(target, request);
    }
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") || "");
    if (!m) return refuse("missing token");
    let payload;
    try {
      payload = await getVerifier(env).verify(m[1]);
    } catch (e) {
      return refuse("token rejected");
    }
    const headers = new Headers(request.headers);
    headers.delete("authorization");
    if (env.BENCH_MODE === "verify-sub") {
      headers.set("x-verified-sub", payload.sub);
    } else {
      identity(headers, request, url, payload, m[1]);
    }
    return fetch(target, { method: request.method, headers, body: request.body });
  },
};
