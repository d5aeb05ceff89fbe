// The error envelope and the bounds on echoed text, in JavaScript, for the errors the glue
// answers itself (Go may be down): the same rules as internal/awsjson (EnvelopeOf) and
// internal/bound, pinned by the vectors in internal/awsjson/testdata/envelope.json, which
// tests/node/glue.test.mjs runs against this module (and internal/awsjson against Go).
//
//   - clipText: lone surrogates become U+FFFD; a text over max bytes of UTF-8 keeps the
//     longest prefix of whole characters that fits in max - 3 bytes, then "...".
//   - headerText: clipText, then control characters (CR and LF among them) become spaces and
//     characters outside ASCII become "?" (workerd's Headers take only bytes); spaces at
//     either end are trimmed, as HTTP does.

export const maxMessageBytes = 1000;
export const maxLogBytes = 4096;
export const ellipsis = "...";
export const jsonType = "application/x-amz-json-1.1";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// clipText returns s as well-formed text of at most max bytes of UTF-8.
export function clipText(s, max) {
  s = String(s);
  s = typeof s.toWellFormed === "function" ? s.toWellFormed() : s.replace(loneSurrogate, "\uFFFD");
  // A UTF-8 prefix of max bytes holds at most max UTF-16 units: encode no more than that.
  const bytes = encoder.encode(s.length > max ? s.slice(0, max + 1) : s);
  if (s.length <= max && bytes.length <= max) return s;
  let cut = max - ellipsis.length;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return decoder.decode(bytes.subarray(0, cut)) + ellipsis;
}

// headerText returns s clipped to max bytes as a header value: printable ASCII only.
export function headerText(s, max) {
  let out = "";
  for (const ch of clipText(s, max)) {
    const c = ch.codePointAt(0);
    out += c < 0x20 || c === 0x7f ? " " : c > 0x7f ? "?" : ch;
  }
  return out.replace(/^ +| +$/g, "");
}

// clipLog bounds one line of the glue's console logging.
export function clipLog(s) {
  return clipText(s, maxLogBytes);
}

// errorEnvelope is the error as every host sends it: the status (400 unless it is 400..599),
// the content type, x-amzn-ErrorType and x-amzn-ErrorMessage headers, and the JSON body with
// the message clipped to maxMessageBytes. The caller adds request ID, Date and CORS headers.
export function errorEnvelope(status, type, message, reasonCode = "") {
  if (!Number.isInteger(status) || status < 400 || status > 599) status = 400;
  const msg = clipText(message, maxMessageBytes);
  const body = { __type: type, message: msg };
  if (reasonCode !== "") body.reasonCode = clipText(reasonCode, maxMessageBytes);
  return {
    status,
    headers: [
      ["content-type", jsonType],
      ["x-amzn-errortype", `${headerText(type, maxMessageBytes)}:`],
      ["x-amzn-errormessage", headerText(msg, maxMessageBytes)],
    ],
    body: JSON.stringify(body),
  };
}
