// Runs edge's Go test binary (GOOS=js GOARCH=wasm go test -c ./edge) inside workerd, with the
// same bridge the Worker glue gives the server (edge/bridge.mjs), the store's Durable Objects
// and a local KV namespace.
// POST {"args": ["-test.run", "..."]} answers {"code": exit code, "output": the test output}.
// POST /sendUpstream with an Upstream (internal/gateway) answers what the glue's sendUpstream
// makes of it (no body sent). POST /store makes one call to a store object (see storeCall),
// POST /kv one to the KV namespace (kvCall). Any other request answers 405 (internal/native/edgelocal's readiness probe
// only needs an answer).

import "./build/wasm_exec.js";
import testProgram from "./build/edge_test.wasm";
import { makeBridge, sendUpstream } from "../../edge/bridge.mjs";
import { StoreClient } from "../../edge/store_do.mjs";

export { PoolgateStore } from "../../edge/store_do.mjs";

export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("POST {\"args\": [...]}\n", { status: 405 });
    const path = new URL(request.url).pathname;
    if (path === "/sendUpstream") return sendUpstream(await request.json(), null);
    if (path === "/store") return storeCall(env, await request.json());
    if (path === "/kv") return kvCall(env, await request.json());
    const { args } = await request.json();
    const decoder = new TextDecoder();
    let output = "";
    globalThis.fs.writeSync = (fd, buf) => {
      output += decoder.decode(buf, { stream: true });
      return buf.length;
    };
    const go = new Go();
    go.argv = ["edge.test", ...args];
    go.env = {};
    let code = 0;
    go.exit = (c) => {
      code = c;
    };
    globalThis.__poolgate = makeBridge({
      env,
      instance: 0,
      register() {},
      memoryBytes: () => 0,
      goValueCount: () => go._values.length - go._idPool.length,
    });
    const instance = await WebAssembly.instantiate(testProgram, go.importObject);
    await go.run(instance);
    return Response.json({ code, output });
  },
};

// storeCall makes one call to a store object for tests/workerd's race test, each in its own
// request: POST /store {"shard", "method", "args"} answers {"result"}. Byte values cross as
// {"b64": base64} both ways.
async function storeCall(env, { shard, method, args }) {
  const result = await new StoreClient(env.POOLGATE_STORE).call(shard, method, ...decode(args));
  return Response.json({ result: encode(result) });
}

// kvCall makes one call to the KV namespace, as storeCall to a store object (for
// tests/workerd's BenchmarkStoreLatency): POST /kv {"method", "args"} answers {"result"}.
async function kvCall(env, { method, args }) {
  const result = await env.POOLGATE_KV[method](...decode(args));
  return Response.json({ result: encode(result ?? null) });
}

function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    if (typeof v.b64 === "string") return Uint8Array.from(atob(v.b64), (c) => c.charCodeAt(0));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

function encode(v) {
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return { b64: btoa(String.fromCharCode(...bytes)) };
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}
