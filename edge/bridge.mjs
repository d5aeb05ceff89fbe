// The helpers poolgate's Go program calls through globalThis.__poolgate (see edge/main.go):
// asynchronous calls made in the context of the request they serve, native crypto the Go side
// cannot do quickly on wasm, and an outbound fetch that completes in one JS async function.
// Shared by the Worker glue (worker.mjs) and the test runner (tests/workerd/testworker.mjs),
// so the Go tests exercise exactly these functions.

// makeBridge returns the object the Go program finds at globalThis.__poolgate.
export function makeBridge({ env, instance, register, memoryBytes, goValueCount }) {
  // One Go instance serves many requests at once, and Go runs on the stack of whichever
  // request's event woke it. workerd ties I/O (a KV read, a fetch) and promise continuations
  // to the request on the stack, and cancels them when that request ends. So Go never starts
  // I/O itself: it submits the call with its request's token, the request's own pump (a loop
  // running in that request's context, see open) makes it, and the result goes back to Go by
  // a direct call, from that same context.
  const contexts = new Map(); // token → {jobs, wake, done}
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

  // open starts the pump of a request: call it in the request's own context; close stops it.
  function open(token) {
    const ctx = { jobs: [], wake: null, done: false };
    contexts.set(token, ctx);
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

  return {
    env, instance, register, memoryBytes, goValueCount,
    submit, open, close, setComplete: (fn) => { complete = fn; },
    modexp, rsaRawSign, rsaGenerate, fetchAll,
  };
}

// modexp returns base^exp mod mod for hex operands, as hex ("0" for zero). The Go side has
// checked the operands (odd modulus, sizes). A fixed 4-bit window: 256 squarings and 64
// multiplications for a 256-bit exponent, each reduced by BigInt's native remainder.
export function modexp(baseHex, expHex, modHex) {
  const m = BigInt("0x" + modHex);
  if (m === 1n) return "0";
  let b = BigInt("0x" + baseHex) % m;
  const table = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1] * b) % m);
  let r = 1n;
  const e = expHex.replace(/^0+/, "");
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

// rsaKeys caches imported RSA-RAW CryptoKeys by the SHA-256 of their DER (hex); a deployment
// signs with a handful of keys, so a full cache is simply emptied.
const rsaKeys = new Map();
const maxRSAKeys = 64;

// rsaRawSign computes em^d mod n with workerd's "RSA-RAW" WebCrypto algorithm (BoringSSL's
// raw private-key operation): em is the EMSA-PKCS1-v1_5 encoding the Go side built.
export async function rsaRawSign(id, jwk, em) {
  let key = rsaKeys.get(id);
  if (key === undefined) {
    key = crypto.subtle.importKey("jwk", JSON.parse(jwk), { name: "RSA-RAW" }, false, ["sign"]);
    if (rsaKeys.size >= maxRSAKeys) rsaKeys.clear();
    rsaKeys.set(id, key);
    key.catch(() => rsaKeys.delete(id));
  }
  const sig = await crypto.subtle.sign({ name: "RSA-RAW" }, await key, em);
  return new Uint8Array(sig);
}

// rsaGenerate returns a new RSA private key of the given size as PKCS#8 DER.
export async function rsaGenerate(bits) {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true, ["sign", "verify"]);
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
}

// fetchAll makes one HTTP request and reads the whole response in this async function, so
// no stream crosses between request contexts (workerd refuses that).
export async function fetchAll(url, method, headers, body) {
  const res = await fetch(url, { method, headers, body: body ?? undefined });
  const buf = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: [...res.headers], body: buf };
}
