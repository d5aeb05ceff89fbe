// Preloaded by go_js_wasm_exec (node --import): puts the Worker glue's bridge
// (edge/bridge.mjs) at globalThis.__poolgate for edge's test binary under Node, without
// bindings. Two differences from workerd, for set-up only: edge/store_do.mjs's import of
// "cloudflare:workers" resolves to an empty DurableObject class (hooks.mjs), and rsaRawSign,
// which uses workerd's non-standard "RSA-RAW" WebCrypto algorithm, is Node's raw RSA private
// operation (privateDecrypt without padding: em^d mod n, the same value).

import { register } from "node:module";
import { createPrivateKey, privateDecrypt, constants } from "node:crypto";

register("./hooks.mjs", import.meta.url);
const { makeBridge } = await import("../../../edge/bridge.mjs");

const bridge = makeBridge({ env: {}, instance: 0, register() {}, memoryBytes: () => 0, goValueCount: () => 0 });
bridge.rsaRawSign = async (id, jwk, em) =>
  new Uint8Array(privateDecrypt({ key: createPrivateKey({ key: JSON.parse(jwk), format: "jwk" }), padding: constants.RSA_NO_PADDING }, em));
globalThis.__poolgate = bridge;
