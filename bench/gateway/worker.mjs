// The comparison Worker of the gateway benchmark (bench/gateway): the same job as a poolgate
// jwt route, done the way people do it today, with aws-jwt-verify in a JavaScript Worker.
//
// BENCH_MODE "verify": check the bearer token (signature against the pool's JWKS, preloaded
// with cacheJwks; exp; iss; token_use "access"; client_id), then forward to BENCH_ORIGIN with
// the Authorization header removed and the caller's sub in X-Verified-Sub.
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
    headers.set("x-verified-sub", payload.sub);
    return fetch(target, { method: request.method, headers, body: request.body });
  },
};
