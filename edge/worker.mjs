// poolgate's Worker glue: one warm Go instance per isolate.
//
// syumai/workers' stock glue starts a fresh Go instance for every request and lets it exit
// after one response, so Go's start-up and every package init run per request. This glue
// instead starts Go once, inside the isolate's first request (the Worker's global scope may
// not generate random numbers, and Go's runtime does at start), keeps it running (edge/main.go
// blocks in main after registering its request function) and hands it every request.
//
// If Go exits or traps, the instance is dropped and the next request starts a fresh one. A
// request caught in flight by the failure is retried once on the fresh instance when that is
// safe: it had not reached Go yet, or it only reads (GET, or a read-only Cognito action).
//
// Go serves concurrent requests on goroutines of one instance, and runs on the stack of
// whichever request's event woke it, while workerd ties I/O and promise continuations to the
// request on the stack (and cancels them when it ends). So:
//   - Go makes no I/O itself: a request Go does not answer at once gets a pump in its own
//     context that makes the calls Go submits for it and hands the results back
//     (edge/bridge.mjs);
//   - Go answers through respond with plain values; the Response is built in the request's
//     own context;
//   - a request the gateway lets through comes back as a handoff (an Upstream): the glue
//     sends it to the origin with fetch, in the request's own context, streaming both bodies;
//   - a handoff may carry a Reuse (internal/handoff, the rule in edge/reuse.mjs): the gateway's decision for
//     that token, method, URL, Host, Origin and client address, good for a stated time. The
//     glue keeps it and sends a like request on itself, headers rewritten as the Reuse says,
//     without waking Go, until the time is up or Go reports a change (bridge.epoch moves:
//     new routes or keys, a moved test clock); POOLGATE_GATEWAY_REUSE = "off" turns it off;
//   - a request waiting for Go keeps a timer in its own context that pokes Go now and then:
//     workerd cancels a request that waits with nothing pending in its own context ("hung"),
//     and the poke lets Go run timers another request's context had scheduled.

import "./build/wasm_exec.js";
import program from "./build/poolgate.wasm";
import { makeBridge, BodySource, sendUpstream } from "./bridge.mjs";
import { errorEnvelope, clipLog, headerText, maxMessageBytes } from "./envelope.mjs";
import { grantKey, makeGrant, applyReuse } from "./reuse.mjs";
import assetPaths from "./build/assets-manifest.json";

// The store's Durable Object class (one object per shard, see store_do.mjs): wrangler.toml
// binds it as POOLGATE_STORE, and the Worker's main module must export it.
export { PoolgateStore } from "./store_do.mjs";
const maxBody = 2 << 20; // for JSON API calls; the Go side refuses more, awsjson allows 1 MiB
const maxUnreadBody = 16 << 20; // what the glue reads of a body Go left unread (BodySource.discard)
const pokeEvery = 20; // ms between pokes of Go while a request waits for it
const maxGrants = 1024; // gateway decisions kept for reuse per instance

// Cognito actions that only read: a request for one of them may be replayed on a fresh
// instance if the instance serving it died.
const readOnlyActions = new Set([
  "DescribeUserPool", "DescribeUserPoolClient", "ListUserPools", "ListUserPoolClients",
  "ListUsers", "ListGroups", "GetGroup", "ListUsersInGroup", "AdminListGroupsForUser",
  "AdminGetUser", "GetUser", "GetSigningCertificate",
]);

// InstanceDied rejects the requests of a Go instance that stopped; dispatched says whether
// the request had been handed to Go.
class InstanceDied extends Error {
  constructor(reason, dispatched) {
    super(`the Go instance stopped: ${reason}`);
    this.dispatched = dispatched;
  }
}

let live = null; // the current Instance
let started = 0; // instances started in this isolate
let tokens = 0; // request tokens handed to Go
const loaded = Date.now(); // when this isolate loaded the module (global scope has no randomness)

class Instance {
  constructor(env) {
    this.id = ++started;
    this.dead = false;
    this.pending = new Map(); // token → {respond, reject} of requests handed to Go and not answered
    this.grants = new Map(); // grantKey → a gateway decision kept for reuse (see keep)
    this.reused = 0; // requests sent on by a kept decision
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.onFail = reject;
    });
    this.ready.catch(() => {}); // observed by the requests that await it
    this.start(env).catch((e) => this.die(e));
  }

  async start(env) {
    const go = new Go();
    go.argv = ["poolgate-edge"];
    // Goroutines that serve requests live on (edge/app.go dispatch); keep their grown stacks.
    go.env = { GODEBUG: "gcshrinkstackoff=1" };
    go.exit = (code) => {
      this.exitCode = code;
    };
    // Every call into Go goes through _resume. The wrapper notices at once when Go exited
    // (os.Exit, or a panic no one recovered) or trapped: go.run's promise belongs to the
    // first request's context, and workerd drops its continuations once that request is over.
    // It also accumulates the time spent running Go (and the JS Go calls synchronously): the
    // instance's CPU time, which the glue path reports for benchmarks.
    this.busy = 0;
    const resume = go._resume.bind(go);
    go._resume = () => {
      const t0 = performance.now();
      try {
        resume();
      } catch (e) {
        this.die(e);
        throw e;
      } finally {
        this.busy += performance.now() - t0;
        if (go.exited) this.die(`Go exited with code ${this.exitCode}`);
      }
    };
    this.bridge = makeBridge({
      env,
      instance: this.id,
      register: (handle, poke) => {
        this.handle = handle;
        this.poke = poke;
        this.onReady(this);
      },
      // Go answers every request through this one function (no function per request).
      respond: (token, status, headerLines, body) => this.pending.get(token)?.respond(status, headerLines, body),
      memoryBytes: () => (this.wasm ? this.wasm.exports.mem.buffer.byteLength : 0),
      goValueCount: () => go._values.length - go._idPool.length,
    });
    globalThis.__poolgate = this.bridge;
    this.wasm = await WebAssembly.instantiate(program, go.importObject);
    // run runs main synchronously until it blocks (having registered handle) or exits.
    go.run(this.wasm).catch((e) => this.die(e));
    if (go.exited) this.die(`Go exited with code ${this.exitCode} while starting`);
  }

  die(reason) {
    if (this.dead) return;
    this.dead = true;
    if (live === this) live = null;
    const why = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    console.error(clipLog(`poolgate: Go instance ${this.id} stopped: ${why}`));
    this.onFail(new InstanceDied(why, false));
    for (const p of this.pending.values()) p.reject(new InstanceDied(why, true));
    this.pending.clear();
  }

  // keep remembers the gateway's decision for request (an Upstream with a Reuse, made when
  // bridge.epoch was epoch) so that like requests skip Go until it ends.
  keep(request, up, epoch) {
    const r = up.reuse;
    if (epoch !== (this.bridge.epoch ?? 0)) return; // something changed while Go decided
    const key = grantKey(request.method, request.url, request.headers);
    if (key === null) return;
    if (this.grants.size >= maxGrants) this.grants.delete(this.grants.keys().next().value); // the oldest
    this.grants.set(key, {
      up: { ...up, length: -1 }, // a later request's body is its own
      epoch, until: Date.now() + r.ttlMs,
      grant: makeGrant(r),
    });
  }

  // reuse returns the kept decision for request and the headers to send, or null when there
  // is none. The outgoing headers are the request's own minus the dropped ones (and those a
  // Connection header names), plus the kept set: applyReuse (edge/reuse.mjs), the rule of
  // handoff.Reuse.Apply, checked against the same vectors (internal/handoff/testdata).
  reuse(request) {
    const key = grantKey(request.method, request.url, request.headers);
    const g = key === null ? undefined : this.grants.get(key);
    if (g === undefined) return null;
    if (g.epoch !== (this.bridge.epoch ?? 0) || Date.now() >= g.until) {
      this.grants.delete(key);
      return null;
    }
    const pairs = applyReuse(g.grant, request.headers);
    if (pairs === null) return null;
    this.reused++;
    return { up: g.up, headers: new Headers(pairs) };
  }

  // serve hands one request to Go; it resolves with {status, headerLines, body}. Status 0 is
  // a handoff: headerLines is then the Upstream (JSON) to send to the origin, and body the
  // epoch Go saw when the request started (see keep).
  serve(req) {
    if (this.dead) return Promise.reject(new InstanceDied("already stopped", false));
    let entry;
    let answered = false; // Go called respond (while still inside handle, when it needed no I/O)
    const token = ++tokens;
    const promise = new Promise((resolve, reject) => {
      entry = { reject };
      // Go answers respond(token, status, headerLines, body): few values cross, each costs.
      // Go may call it while running for another request, so it only passes plain values on:
      // the Response (a stream) is made in this request's own context, after the await.
      entry.respond = (status, headerLines, body) => {
        answered = true;
        this.pending.delete(token);
        resolve({ status, headerLines, body });
      };
    });
    this.pending.set(token, entry);
    this.bridge.open(token, req.bodySource);
    let timer = null;
    const done = () => {
      if (timer !== null) clearInterval(timer);
      this.bridge.close(token);
    };
    promise.then(done, done);
    try {
      const head = `${req.method}\n${req.url}\n${req.headerLines}`;
      const err = this.handle(token, head, req.body, req.bodySource !== null);
      if (err instanceof Error) throw err;
    } catch (e) {
      this.die(e); // a trap inside Go, or Go had exited
    }
    // Go usually answers within handle when the request needs no I/O. Otherwise start the
    // request's pump for the calls Go submits, and poke Go now and then (see the top).
    if (!answered && !this.dead) {
      this.bridge.pump(token);
      timer = setInterval(() => {
        if (!this.dead) this.poke();
      }, pokeEvery);
    }
    return promise;
  }
}

function instanceFor(env) {
  if (live === null) live = new Instance(env);
  return live.ready;
}

function retriable(req, err) {
  if (req.bodySource !== null && req.bodySource.reader !== null) return false; // Go read part of it
  if (!err.dispatched) return true;
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return true;
  const target = req.target ?? "";
  return readOnlyActions.has(target.slice(target.lastIndexOf(".") + 1));
}

// Headers cross between JS and Go as "name:value" lines: a header name has no colon and a
// value no line break.
function headerLines(headers) {
  let lines = "";
  for (const [name, value] of headers) lines += `${name}:${value}\n`;
  return lines;
}

function parseHeaderLines(lines) {
  const headers = new Headers();
  for (const line of lines.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers.append(line.slice(0, i), line.slice(i + 1));
  }
  return headers;
}

// errorResponse answers with the envelope every host uses (edge/envelope.mjs, the rules of
// internal/awsjson's EnvelopeOf: bounded message and headers), plus request ID, Date and CORS,
// so clients read a glue error like any other.
function errorResponse(request, status, type, message) {
  const env = errorEnvelope(status, type, message);
  const headers = new Headers(env.headers);
  headers.set("x-amzn-requestid", crypto.randomUUID());
  headers.set("date", new Date().toUTCString());
  headers.set("access-control-allow-origin", headerText(request.headers.get("origin") ?? "*", maxMessageBytes));
  headers.set("access-control-expose-headers", "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date");
  return new Response(env.body, { status: env.status, headers });
}

// plainRequest reads what Go is handed. The body of a call to poolgate's JSON APIs (it
// carries X-Amz-Target) is read whole; any other body stays a stream that Go reads on demand
// (a BodySource), so that a request the gateway lets through takes it to the origin unread.
async function plainRequest(request) {
  const req = {
    method: request.method,
    url: request.url,
    headerLines: headerLines(request.headers),
    target: request.headers.get("x-amz-target"),
    body: null,
    bodySource: null,
  };
  if (request.body === null || request.method === "GET" || request.method === "HEAD") return req;
  if (req.target === null) {
    req.bodySource = new BodySource(request.body);
    return req;
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBody) return null;
  const buf = await request.arrayBuffer();
  if (buf.byteLength > maxBody) return null;
  req.body = new Uint8Array(buf);
  return req;
}

// assets are the paths the ASSETS binding may answer (the sign-in app: `make edge` and
// local.Build list them in build/assets-manifest.json); other GETs go to Go without a lookup.
const assets = new Set(["/", "/index.html", ...assetPaths]);

// gluePath answers from JS, without starting Go: readiness probes and the instance count.
const gluePath = "/_poolgate/glue";

export default {
  async fetch(request, env) {
    // A gateway decision kept for this request (see Instance.keep) comes first: only requests
    // that reached Go leave one, so the glue's own paths and the assets never match.
    const reuseOn = env.POOLGATE_GATEWAY_REUSE !== "off";
    if (reuseOn && live !== null && !live.dead && live.grants.size > 0) {
      const kept = live.reuse(request);
      if (kept !== null) return await sendUpstream(kept.up, request.body, kept.headers);
    }
    const path = new URL(request.url).pathname;
    if (path === gluePath) {
      return Response.json({ loaded, instances: started, live: live?.id ?? null, goBusyMs: live?.busy ?? 0, reused: live?.reused ?? 0 },
        { headers: { "cache-control": "no-store" } });
    }
    // Static assets (the sign-in app) for GET and HEAD, as hostsim serves them: a file that
    // exists is answered without Go; anything else falls through to Go.
    if (env.ASSETS && assets.has(path) && (request.method === "GET" || request.method === "HEAD") && !request.headers.has("x-amz-target")) {
      const asset = await env.ASSETS.fetch(request);
      if (asset.status !== 404) return asset;
    }
    const req = await plainRequest(request);
    if (req === null) {
      return errorResponse(request, 400, "SerializationException", `Request body is larger than ${maxBody} bytes.`);
    }
    for (let attempt = 1; ; attempt++) {
      let inst;
      try {
        inst = await instanceFor(env);
      } catch (e) {
        if (attempt < 2) continue;
        return errorResponse(request, 500, "InternalErrorException", `poolgate could not start: ${e.message}`);
      }
      try {
        const res = await inst.serve(req);
        if (res.status === 0) {
          const up = JSON.parse(res.headerLines);
          if (up.reuse && reuseOn) inst.keep(request, up, res.body);
          return await sendUpstream(up, req.bodySource?.whole() ?? null);
        }
        await req.bodySource?.discard(maxUnreadBody).catch(() => {}); // a client gone: nothing to answer
        return new Response(res.body, { status: res.status, headers: parseHeaderLines(res.headerLines) });
      } catch (e) {
        if (!(e instanceof InstanceDied)) throw e;
        if (attempt < 2 && retriable(req, e)) continue;
        return errorResponse(request, 500, "InternalErrorException",
          "The server stopped while handling the request. Retry it if the operation is safe to repeat.");
      }
    }
  },
};
