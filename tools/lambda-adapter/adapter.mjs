#!/usr/bin/env node
// poolgate's Lambda adapter: serves Lambda handler modules (ESM or CommonJS) as poolgate
// trigger endpoints. Each module is served at POST /<name>; requests must carry poolgate's
// signature (POOLGATE_TRIGGER_SECRET). See README.md.
//
//   POOLGATE_TRIGGER_SECRET=... node tools/lambda-adapter/adapter.mjs [--port 9000] [--host 127.0.0.1] \
//       pre-signup=./pre-signup.mjs  ./pre-token.cjs  name=./file.mjs#exportName
//
// A module given without "name=" is served under its file name without extension. Once
// listening it prints one line, "poolgate-lambda-adapter listening on http://HOST:PORT".

import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { handleRequest, handlerOf, MAX_BODY_BYTES } from "./lambda.mjs";

export async function loadHandlers(specs) {
  const handlers = new Map();
  for (const spec of specs) {
    let [name, file] = spec.includes("=") ? spec.split(/=(.*)/s, 2) : [null, spec];
    let exportName = "handler";
    if (file.includes("#")) [file, exportName] = file.split("#", 2);
    name ??= path.basename(file).replace(/\.[^.]*$/, "");
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad function name ${JSON.stringify(name)}`);
    const mod = await import(pathToFileURL(path.resolve(file)).href);
    handlers.set(name, handlerOf(mod, exportName));
  }
  return handlers;
}

// serve listens on host:port (0: a free one) and resolves to the server once it listens.
export function serve({ handlers, secret, host = "127.0.0.1", port = 0 }) {
  const server = http.createServer(async (req, res) => {
    const answer = (status, body) => {
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    const name = decodeURIComponent(new URL(req.url, "http://x").pathname.slice(1));
    const handler = handlers.get(name) ?? (handlers.size === 1 && name === "" ? [...handlers.values()][0] : undefined);
    if (!handler) {
      answer(404, JSON.stringify({ errorType: "ResourceNotFoundException", errorMessage: `no function ${name}` }));
      return;
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        answer(413, JSON.stringify({ errorType: "TooLarge", errorMessage: "event too large" }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    try {
      const [status, body] = await handleRequest({
        method: req.method, header: (n) => req.headers[n], body: new Uint8Array(Buffer.concat(chunks)), handler, secret,
      });
      answer(status, body);
    } catch (e) {
      answer(500, JSON.stringify({ errorType: "AdapterError", errorMessage: String(e?.message ?? e) }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function main(argv) {
  let port = 9000;
  let host = "127.0.0.1";
  const specs = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--port") port = Number(argv[++i]);
    else if (argv[i] === "--host") host = argv[++i];
    else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log("usage: POOLGATE_TRIGGER_SECRET=... node adapter.mjs [--port N] [--host H] [name=]module.mjs[#export] ...");
      return;
    } else specs.push(argv[i]);
  }
  const secret = process.env.POOLGATE_TRIGGER_SECRET;
  if (!secret) throw new Error("set POOLGATE_TRIGGER_SECRET (poolgate prints it at start; hostsim: Server.TriggerSecret())");
  if (specs.length === 0) throw new Error("name at least one handler module");
  const handlers = await loadHandlers(specs);
  const server = await serve({ handlers, secret, host, port });
  const addr = server.address();
  console.log(`poolgate-lambda-adapter listening on http://${addr.address}:${addr.port} (${[...handlers.keys()].map((n) => "/" + n).join(", ")})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`poolgate-lambda-adapter: ${e.message}`);
    process.exit(1);
  });
}
