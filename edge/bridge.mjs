// The helpers poolgate's Go program calls through globalThis.__poolgate (see edge/main.go):
// asynchronous calls made in the context of the request they serve, native crypto the Go side
// cannot do quickly on wasm, and an outbound fetch that completes in one JS async function.
// Shared by the Worker glue (worker.mjs) and the test runner (tests/workerd/testworker.mjs),
// so the Go tests exercise exactly these functions.

import { clipLog } from "./envelope.mjs";
import { StoreClient } from "./store_do.mjs";

// makeBridge returns the object the Go program finds at globalThis.__poolgate.
export function makeBridge({ env, instance, register, respond, memoryBytes, goValueCount }) {
  // One Go instance serves many requests at once, and Go runs on the stack of whichever
  // request's event woke it. workerd ties I/O (a store call, a fetch) and promise continuations
  // to the request on the stack, and cancels them when that request ends. So Go never starts
  // I/O itself: it submits the call with its request's token, the request's own pump (a loop
  // running in that request's context, see open) makes it, and the result goes back to Go by
  // a direct call, from that same context.
  const contexts = new Map(); // token → {jobs, wake, done, body}
  let complete = null; // Go's complete(id, ok, value)

  // submit calls target[method](...args) for Go and hands the (awaited) result to complete.
  function submit(token, id, target, method, args) {
    const run = () => {
      let p;
      try {
        p = Promise.resolve(target[method](...args));
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then((v) => complete(id, true, v), (e) => complete(id, false, e));
    };
    const ctx = contexts.get(token);
    if (ctx === undefined) {
      run(); // outside a request (tests, or after it was answered): this context
      return;
    }
    ctx.jobs.push(run);
    if (ctx.wake !== null) {
      const wake = ctx.wake;
      ctx.wake = null;
      wake();
    }
  }

  // open registers a request's context: call it in the request's own context before handing
  // the request to Go. body is the request's kept body (a BodySource) when Go reads it on
  // demand, else null. Calls Go submits wait until pump starts the request's loop; a request
  // Go answers at once (no I/O) never needs one.
  function open(token, body = null) {
    contexts.set(token, { jobs: [], wake: null, done: false, pumping: false, body });
  }

  // pump starts the loop that makes a request's calls: call it in the request's own context.
  function pump(token) {
    const ctx = contexts.get(token);
    if (ctx === undefined || ctx.pumping) return;
    ctx.pumping = true;
    (async () => {
      while (!ctx.done) {
        if (ctx.jobs.length === 0) {
          await new Promise((resolve) => {
            ctx.wake = resolve;
          });
          continue;
        }
        for (const run of ctx.jobs.splice(0)) run();
      }
    })();
  }

  function close(token) {
    const ctx = contexts.get(token);
    if (ctx === undefined) return;
    contexts.delete(token);
    ctx.done = true;
    for (const run of ctx.jobs.splice(0)) run(); // submitted last moment: run them here
    if (ctx.wake !== null) ctx.wake();
  }

  // readBody returns the next chunk of a request's kept body (null at its end); Go calls it
  // through submit, so the read happens in the request's own context.
  function readBody(token) {
    const body = contexts.get(token)?.body;
    if (!body) throw new Error("poolgate: the request has no pending body");
    return body.read();
  }

  // The store's Durable Objects (edge/store_do.mjs), when the binding is there.
  const store = env?.POOLGATE_STORE ? new StoreClient(env.POOLGATE_STORE) : null;

  return {
    env, instance, register, respond, memoryBytes, goValueCount, store,
    submit, open, pump, close, setComplete: (fn) => { complete = fn; },
    modexp, rsaRawSign, rsaGenerate, ecdsaSign, ecdsaVerify, fetchAll, readBody,
    fetchBinding: (name, path, method, headers, body) => fetchBinding(env, name, path, method, headers, body),
  };
}

// BodySource is a request body Go reads on demand. It keeps the chunks Go read, so that a
// request handed to the origin (sendUpstream) still sends the whole body: untouched, the
// original stream goes as it is; otherwise the kept chunks, then the rest of the stream.
export class BodySource {
  constructor(stream) {
    this.stream = stream;
    this.reader = null;
    this.kept = [];
    this.ended = false;
  }

  async read() {
    if (this.ended) return null;
    if (this.reader === null) this.reader = this.stream.getReader();
    const { value, done } = await this.reader.read();
    if (done) {
      this.ended = true;
      return null;
    }
    const chunk = value instanceof Uint8Array ? value : new Uint8Array(value);
    this.kept.push(chunk);
    return chunk;
  }

  // discard reads what Go left of the body, at most limit bytes, before the answer goes out:
  // an answer sent over a body still arriving leaves the client's connection stuck (wrangler
  // dev: the next request on it hung), and a client still sending sees a reset. Past limit the
  // body is cancelled.
  async discard(limit) {
    if (this.ended) return;
    if (this.reader === null) this.reader = this.stream.getReader();
    this.kept = [];
    for (let n = 0; n <= limit; ) {
      const { value, done } = await this.reader.read();
      if (done) {
        this.ended = true;
        return;
      }
      n += value.byteLength;
    }
    await this.reader.cancel("request body too large");
    this.ended = true;
  }

  // whole returns the body to send on: call it once, after Go has finished with the request.
  whole() {
    if (this.reader === null) return this.stream;
    const kept = this.kept.splice(0);
    const reader = this.reader;
    const ended = this.ended;
    return new ReadableStream({
      async pull(controller) {
        if (kept.length > 0) {
          controller.enqueue(kept.shift());
          return;
        }
        if (ended) {
          controller.close();
          return;
        }
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
  }
}

// Hop-by-hop headers (RFC 9110 §7.6.1): never passed on by a proxy.
const hopByHop = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate",
  "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

// timedOut marks the origin's time running out in sendUpstream.
const timedOut = Symbol("timed out");

function answer(a) {
  return new Response(a.status === 204 || a.status === 304 ? null : a.body, { status: a.status, headers: a.header ?? [] });
}

// sendUpstream sends a request the gateway let through (its Upstream, see
// internal/handoff) to the origin with the request's body as a stream, and returns
// the origin's response, its body streamed back: hop-by-hop headers removed, the origin's
// CORS headers too when the route answers CORS itself, the gateway's response headers added.
// An origin that cannot be reached, or whose response head does not come in time, gets the
// gateway's prebuilt answers. headers, when given, replace up.header (a reused decision,
// worker.mjs). Call it in the request's own context.
export async function sendUpstream(up, body, headers = new Headers(up.header ?? [])) {
  if (up.host) headers.set("host", up.host); // workerd sends the URL's host whatever this says
  const init = { method: up.method, headers, redirect: "manual" };
  if (up.method !== "GET" && up.method !== "HEAD" && up.length !== 0 && body !== null) init.body = body;
  // The origin has timeoutMs to send its response head. A fetch that loses the race is not
  // aborted: workerd drops it with the request (an AbortSignal on every fetch costs more).
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, up.timeoutMs, timedOut);
  });
  let res;
  try {
    res = await Promise.race([fetch(up.url, init), timeout]);
  } catch (e) {
    console.error(clipLog(`poolgate: ${up.method} ${new URL(up.url).origin}: ${e.message}`));
    return answer(up.unreachable);
  } finally {
    clearTimeout(timer);
  }
  if (res === timedOut) {
    console.error(clipLog(`poolgate: ${up.method} ${new URL(up.url).origin}: no answer in time`));
    return answer(up.timedOut);
  }
  if (!up.stripCORS && !(up.responseHeader?.length > 0) && !hopByHop.some((name) => res.headers.has(name))) {
    return res; // nothing to edit: the origin's response as it is (workerd streams it)
  }
  const out = new Headers(res.headers);
  for (const name of (out.get("connection") ?? "").split(",")) {
    if (name.trim() !== "") out.delete(name.trim());
  }
  for (const name of hopByHop) out.delete(name);
  if (up.stripCORS) {
    for (const name of [...out.keys()]) {
      if (name.startsWith("access-control-")) out.delete(name);
    }
  }
  for (const [name, value] of up.responseHeader ?? []) out.append(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
}

// modexp returns base^exp mod mod for hex operands, as hex ("0" for zero). The Go side has
// checked the operands (odd modulus, sizes). A fixed 4-bit window: 256 squarings and 64
// multiplications for a 256-bit exponent, each reduced by BigInt's native remainder. A short
// exponent (at most 32 bits: an RSA public exponent, as in every RS256 verification) goes bit
// by bit instead: 65537 takes 16 squarings and one multiplication, where the window's table
// alone costs 14. fixed says the base and modulus are SRP's generator and group, which every
// verifier and server session exponentiates: those come from a table of the base's powers
// (fixedPowers), one multiplication per hex digit of the exponent.
export function modexp(baseHex, expHex, modHex, fixed) {
  const m = BigInt("0x" + modHex);
  if (m === 1n) return "0";
  let b = BigInt("0x" + baseHex) % m;
  const e = expHex.replace(/^0+/, "");
  if (fixed) return modexpFixed(b, e, m);
  if (e.length <= 8) return modexpShort(b, parseInt(e || "0", 16), m).toString(16);
  const table = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1] * b) % m);
  let r = 1n;
  for (let i = 0; i < e.length; i++) {
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * r) % m;
    const nibble = parseInt(e[i], 16);
    if (nibble !== 0) r = (r * table[nibble]) % m;
  }
  return r.toString(16);
}

// fixedPowers is the isolate's table of one base's powers modulo one modulus (SRP's generator
// and group; the Go side sends no other): row i holds b^(j·16^i) mod m for j < 16, built a row
// at a time as exponents need them (64 rows for a 256-bit exponent, 393 KB).
let fixedPowers = null;

// modexpFixed is b^e mod m for b < m and e in hex without leading zeros, from fixedPowers: the
// product of one entry per hex digit.
function modexpFixed(b, e, m) {
  if (fixedPowers === null || fixedPowers.b !== b || fixedPowers.m !== m) {
    fixedPowers = { b, m, rows: [] };
  }
  const rows = fixedPowers.rows;
  while (rows.length < e.length) {
    const row = [1n, rows.length === 0 ? b : (rows[rows.length - 1][15] * rows[rows.length - 1][1]) % m];
    for (let j = 2; j < 16; j++) row.push((row[j - 1] * row[1]) % m);
    rows.push(row);
  }
  let r = 1n;
  for (let i = 0; i < e.length; i++) {
    const digit = parseInt(e[e.length - 1 - i], 16);
    if (digit !== 0) r = (r * rows[i][digit]) % m;
  }
  return r.toString(16);
}

// modexpShort is b^e mod m for b < m and 0 ≤ e < 2^32, left to right, bit by bit.
function modexpShort(b, e, m) {
  if (e === 0) return 1n;
  let r = b;
  for (let bit = 31 - Math.clz32(e) - 1; bit >= 0; bit--) {
    r = (r * r) % m;
    if ((e >>> bit) & 1) r = (r * b) % m;
  }
  return r;
}

// importedKeys caches imported CryptoKeys (promises of them) by the id the Go side gives:
// the hex SHA-256 of the key's kind and DER. A deployment uses a handful of keys, so a full
// cache is simply emptied; a failed import is forgotten.
const importedKeys = new Map();
const maxImportedKeys = 64;

function importCached(id, doImport) {
  let key = importedKeys.get(id);
  if (key === undefined) {
    key = doImport();
    if (importedKeys.size >= maxImportedKeys) importedKeys.clear();
    importedKeys.set(id, key);
    key.catch(() => importedKeys.delete(id));
  }
  return key;
}

// rsaRawSign computes em^d mod n with workerd's "RSA-RAW" WebCrypto algorithm (BoringSSL's
// raw private-key operation): em is the EMSA-PKCS1-v1_5 encoding the Go side built.
export async function rsaRawSign(id, jwk, em) {
  const key = importCached(id, () => crypto.subtle.importKey("jwk", JSON.parse(jwk), { name: "RSA-RAW" }, false, ["sign"]));
  const sig = await crypto.subtle.sign({ name: "RSA-RAW" }, await key, em);
  return new Uint8Array(sig);
}

// P-256 ECDSA with SHA-256 (ES256); WebCrypto hashes the message and writes r||s.
const es256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

// ecdsaSign signs msg with a P-256 private key given as PKCS#8 DER.
export async function ecdsaSign(id, pkcs8, msg) {
  const key = importCached(id, () => crypto.subtle.importKey("pkcs8", pkcs8, es256, false, ["sign"]));
  return new Uint8Array(await crypto.subtle.sign(es256, await key, msg));
}

// ecdsaVerify checks an r||s signature of msg with a P-256 public key given as
// SubjectPublicKeyInfo DER.
export async function ecdsaVerify(id, spki, msg, sig) {
  const key = importCached(id, () => crypto.subtle.importKey("spki", spki, es256, false, ["verify"]));
  return crypto.subtle.verify(es256, await key, sig, msg);
}

// rsaGenerate returns a new RSA private key of the given size as PKCS#8 DER.
export async function rsaGenerate(bits) {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true, ["sign", "verify"]);
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
}

// fetchAll makes one HTTP request and reads the whole response in this async function, so
// no stream crosses between request contexts (workerd refuses that). A redirect is answered
// as it is: Go's http.Client decides whether to follow it (internal/federation never does).
// fetchBinding is fetchAll through a service binding of the Worker (wrangler.toml
// [[services]] binding = name): a trigger function that is another Worker, with no public URL.
// The URL's host is a name of poolgate's own; the bound Worker sees the path.
export async function fetchBinding(env, name, path, method, headers, body) {
  const svc = env?.[name];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || svc === null || typeof svc?.fetch !== "function") {
    throw new Error(`poolgate: no service binding ${name} (wrangler.toml [[services]])`);
  }
  const res = await svc.fetch(new Request(`https://${name.toLowerCase()}.binding.poolgate${path || "/"}`,
    { method, headers, body: body ?? undefined, redirect: "manual" }));
  const buf = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: [...res.headers], body: buf };
}

export async function fetchAll(url, method, headers, body) {
  const res = await fetch(url, { method, headers, body: body ?? undefined, redirect: "manual" });
  const buf = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: [...res.headers], body: buf };
}
