// The runtime-neutral half of poolgate's Lambda adapter: checks a trigger request's
// signature and runs a Lambda handler on its event the way the Node.js Lambda runtime does.
// Only Web APIs (crypto.subtle, TextEncoder), so the same code runs in Node (adapter.mjs) and
// in a Worker bound to poolgate as a service (see README.md).

const encoder = new TextEncoder();

// DEFAULT_SKEW_SECONDS is how far a request's X-Poolgate-Timestamp may be from now, as
// poolgate's own webhook verifier allows (internal/message).
export const DEFAULT_SKEW_SECONDS = 300;

// MAX_BODY_BYTES bounds the event a request may carry.
export const MAX_BODY_BYTES = 1 << 20;

// verify checks X-Poolgate-Signature ("v1=" + hex HMAC-SHA256(secret, timestamp + "." +
// body); several comma-separated entries during a secret rotation) and the timestamp's skew.
// It returns null when the request is genuine, else the reason.
export async function verify(secret, timestamp, signature, body, nowSeconds, skew = DEFAULT_SKEW_SECONDS) {
  if (!secret) return "no secret configured";
  if (!/^[0-9]{1,12}$/.test(timestamp ?? "")) return "malformed X-Poolgate-Timestamp";
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const signed = concat(encoder.encode(timestamp + "."), body);
  let matched = false;
  for (const entry of (signature ?? "").split(",")) {
    const hex = entry.trim().replace(/^v1=/, "");
    if (hex === entry.trim() || !/^[0-9a-f]{64}$/i.test(hex)) continue;
    // crypto.subtle.verify compares in constant time.
    if (await crypto.subtle.verify("HMAC", key, fromHex(hex), signed)) matched = true;
  }
  if (!matched) return "signature does not match";
  if (Math.abs(nowSeconds - Number(timestamp)) > skew) return "timestamp outside the allowed skew";
  return null;
}

// invoke runs handler on event with a Lambda-like context and returns [status, body]: the
// handler's return value as JSON (null when it returned nothing, which poolgate, like
// Cognito, refuses as an unusable answer), or Lambda's error body for a handler that threw,
// rejected or called back with an error.
export async function invoke(handler, event, { functionArn = "", timeoutMs = 5000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const name = functionArn.split(":")[6] ?? "handler";
  const context = {
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: functionArn,
    memoryLimitInMB: "128",
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "poolgate-lambda-adapter",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: undefined, succeed: undefined, fail: undefined,
  };
  try {
    const result = await new Promise((resolve, reject) => {
      const callback = (err, value) => (err ? reject(err) : resolve(value));
      context.done = callback;
      context.succeed = (value) => resolve(value);
      context.fail = (err) => reject(err);
      let ret;
      try {
        ret = handler(event, context, callback);
      } catch (e) {
        reject(e);
        return;
      }
      // An async handler (or one returning a promise) answers with its promise; a handler
      // of three parameters that returns nothing answers through the callback, as in Lambda.
      if (ret && typeof ret.then === "function") ret.then(resolve, reject);
      else if (handler.length < 3) resolve(ret);
    });
    return [200, JSON.stringify(result ?? null)];
  } catch (e) {
    return [500, JSON.stringify(errorBody(e))];
  }
}

// errorBody is the body Lambda's Node runtime answers for a failed handler.
function errorBody(e) {
  if (e instanceof Error) return { errorType: e.name || "Error", errorMessage: e.message, trace: [] };
  return { errorType: "string", errorMessage: String(e), trace: [] };
}

// handleRequest is one trigger request, whatever the server: method, headers (a get(name)
// function), the raw body (Uint8Array), the handler; it returns [status, body].
export async function handleRequest({ method, header, body, handler, secret, nowSeconds = Math.floor(Date.now() / 1000) }) {
  if (method !== "POST") return [405, JSON.stringify({ errorType: "MethodNotAllowed", errorMessage: "POST the event" })];
  if (body.length > MAX_BODY_BYTES) return [413, JSON.stringify({ errorType: "TooLarge", errorMessage: "event too large" })];
  const why = await verify(secret, header("x-poolgate-timestamp"), header("x-poolgate-signature"), body, nowSeconds);
  if (why !== null) return [401, JSON.stringify({ errorType: "Unauthorized", errorMessage: why })];
  let event;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return [400, JSON.stringify({ errorType: "BadRequest", errorMessage: "the event is not JSON" })];
  }
  return invoke(handler, event, { functionArn: header("x-poolgate-function") ?? "" });
}

// handlerOf finds the handler of a loaded module: `export const handler` (ESM), or
// `exports.handler` / `module.exports = { handler }` (CommonJS, whose exports Node's import()
// gives as the default export).
export function handlerOf(mod, exportName = "handler") {
  const fn = mod?.[exportName] ?? mod?.default?.[exportName] ?? (exportName === "handler" && typeof mod?.default === "function" ? mod.default : undefined);
  if (typeof fn !== "function") throw new Error(`the module exports no function "${exportName}"`);
  return fn;
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
