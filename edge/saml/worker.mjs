// The SAML companion Worker's glue: one kept-alive Go instance per isolate (edge/saml/main.go),
// reached only through the main Worker's service binding SAML (wrangler.toml [[services]]).
//
// Go starts inside the isolate's first request (the global scope may not generate random
// numbers, and Go's runtime does at start), registers its serve function and blocks; every
// request then calls serve(op, body), which answers synchronously: verifying a SAML response
// is pure computation, with no I/O to wait for. If Go exits or traps, the instance is dropped
// and the next request starts a fresh one.

import "./build/wasm_exec.js";
import program from "./build/saml.wasm";

// maxBody matches internal/federation/samlwire.MaxRequest.
const maxBody = 2 << 20;

let live = null; // Promise of the current instance's serve function

function start() {
  const go = new Go();
  go.argv = ["poolgate-saml"];
  let registered;
  const ready = new Promise((resolve) => (registered = resolve));
  globalThis.__poolgateSAML = { register: (serve) => registered(serve) };
  const instance = (async () => {
    const wasm = await WebAssembly.instantiate(program, go.importObject);
    // run runs main synchronously until it blocks (having registered serve) or exits.
    go.run(wasm).catch(() => {});
    if (go.exited) throw new Error("the SAML engine exited while starting");
    const serve = await ready;
    return (op, body) => {
      if (go.exited) throw new Error("the SAML engine exited");
      return serve(op, body);
    };
  })();
  instance.catch(() => {
    if (live === instance) live = null;
  });
  return instance;
}

function answer(status, body) {
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

function refusal(status, message) {
  return answer(status, JSON.stringify({ error: message }));
}

export default {
  async fetch(request) {
    if (request.method !== "POST") return refusal(405, "POST only");
    const op = new URL(request.url).pathname.slice(1);
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > maxBody) return refusal(413, `request over ${maxBody} bytes`);
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.length > maxBody) return refusal(413, `request over ${maxBody} bytes`);
    live ??= start();
    let serve;
    try {
      serve = await live;
    } catch (e) {
      return refusal(500, `SAML engine: ${String(e).slice(0, 200)}`);
    }
    try {
      const [status, out] = serve(op, body);
      return answer(status, out);
    } catch (e) {
      live = null; // Go exited or trapped: the next request starts a fresh instance
      return refusal(500, `SAML engine: ${String(e).slice(0, 200)}`);
    }
  },
};
