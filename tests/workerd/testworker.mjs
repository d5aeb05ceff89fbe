// Runs edge's Go test binary (GOOS=js GOARCH=wasm go test -c ./edge) inside workerd, with the
// same bridge the Worker glue gives the server (edge/bridge.mjs) and a local KV namespace.
// POST {"args": ["-test.run", "..."]} answers {"code": exit code, "output": the test output}.
// POST /sendUpstream with an Upstream (internal/gateway) answers what the glue's sendUpstream
// makes of it (no body sent). Any other request answers 405 (internal/native/edgelocal's readiness probe
// only needs an answer).

import "./build/wasm_exec.js";
import testProgram from "./build/edge_test.wasm";
import { makeBridge, sendUpstream } from "../../edge/bridge.mjs";

export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("POST {\"args\": [...]}\n", { status: 405 });
    if (new URL(request.url).pathname === "/sendUpstream") return sendUpstream(await request.json(), null);
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
