// The Worker glue's own copies of decisions made in Go, run against the test vectors the Go
// side runs too (node --test; tests/node/glue_test.go starts it), so that the copies cannot
// drift:
//   - the error envelope and text bounds (edge/envelope.mjs) against
//     internal/awsjson/testdata/envelope.json (internal/awsjson TestEnvelopeVectors);
//   - the reuse rule of gateway decisions (edge/reuse.mjs) against
//     internal/handoff/testdata/reuse.json (internal/handoff TestReuseVectors).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clipText, headerText, clipLog, errorEnvelope, maxMessageBytes, maxLogBytes, ellipsis } from "../../edge/envelope.mjs";
import { grantKey, makeGrant, applyReuse } from "../../edge/reuse.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readJSON = (path) => JSON.parse(readFileSync(root + path, "utf8"));

// text expands a vector text: a string, or parts (strings and {repeat, times}).
function text(t) {
  if (typeof t === "string") return t;
  return t.map((p) => (typeof p === "string" ? p : p.repeat.repeat(p.times))).join("");
}

const envelope = readJSON("internal/awsjson/testdata/envelope.json");

test("envelope limits match the Go side", () => {
  assert.equal(maxMessageBytes, envelope.maxMessageBytes);
  assert.equal(maxLogBytes, envelope.maxLogBytes);
  assert.equal(ellipsis, envelope.ellipsis);
});

test("error envelopes", () => {
  assert.ok(envelope.envelopes.length > 0);
  for (const c of envelope.envelopes) {
    const env = errorEnvelope(c.in.status, c.in.type, text(c.in.message), c.in.reasonCode ?? "");
    const headers = new Headers(env.headers); // also proves each value is a valid header value
    const got = {
      status: env.status,
      contentType: headers.get("content-type"),
      errorType: headers.get("x-amzn-errortype"),
      errorMessage: headers.get("x-amzn-errormessage"),
      body: JSON.parse(env.body),
    };
    assert.deepEqual(got, c.want, c.name);
  }
});

test("clipped text and header values", () => {
  assert.ok(envelope.clips.length > 0);
  for (const c of envelope.clips) {
    assert.equal(clipText(text(c.in), c.max), c.string, `${c.name}: clipText`);
    assert.equal(headerText(text(c.in), c.max), c.header, `${c.name}: headerText`);
  }
  const line = clipLog("x".repeat(1 << 20));
  assert.equal(new TextEncoder().encode(line).length, maxLogBytes);
});

const reuse = readJSON("internal/handoff/testdata/reuse.json");

test("reuse: headers sent, or back to Go", () => {
  assert.ok(reuse.apply.some((c) => c.want === null) && reuse.apply.some((c) => c.want !== null));
  for (const c of reuse.apply) {
    const grant = makeGrant(reuse.reuses[c.reuse]);
    const out = applyReuse(grant, new Headers(c.header));
    // As Headers lists them: lower case, values joined, sorted.
    const got = out === null ? null : [...new Headers(out)];
    assert.deepEqual(got, c.want, c.name);
  }
});

test("reuse: keys", () => {
  for (const c of reuse.keys) {
    const headers = new Headers(c.header);
    if (c.clientAddr !== "") headers.set("cf-connecting-ip", c.clientAddr);
    assert.equal(grantKey(c.method, c.url, headers), c.want, c.name);
  }
});
