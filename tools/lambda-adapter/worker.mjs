// lambdaWorker turns a Lambda handler into a Cloudflare Worker that poolgate's Worker reaches
// through a service binding (a Function with "Service" in poolgate's configuration): it
// checks poolgate's signature with the Worker's POOLGATE_TRIGGER_SECRET and runs the handler
// as the Node adapter does. See README.md.
//
//   import { handler } from "./pre-token.mjs";
//   import { lambdaWorker } from "poolgate/tools/lambda-adapter/worker.mjs";
//   export default lambdaWorker(handler);

import { handleRequest, MAX_BODY_BYTES } from "./lambda.mjs";

export function lambdaWorker(handler) {
  return {
    async fetch(request, env) {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > MAX_BODY_BYTES) {
        return json(413, JSON.stringify({ errorType: "TooLarge", errorMessage: "event too large" }));
      }
      const body = new Uint8Array(await request.arrayBuffer());
      const [status, text] = await handleRequest({
        method: request.method, header: (n) => request.headers.get(n), body, handler, secret: env.POOLGATE_TRIGGER_SECRET,
      });
      return json(status, text);
    },
  };
}

function json(status, body) {
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}
