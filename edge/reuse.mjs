// The reuse rule of a gateway decision (internal/handoff: Reuse, Reuse.Apply, ReuseKeyHeaders)
// in JavaScript, for the Worker glue, which sends like requests on without waking Go. It is a
// security decision kept in two languages, so both copies run the same vectors
// (internal/handoff/testdata/reuse.json: Go in internal/handoff, this module in
// tests/node/glue.test.mjs).

// grantKey is what a kept decision is for: the method, the URL, and the headers it depends on
// (handoff.ReuseKeyHeaders: the token, Host, Origin) plus the client's address
// (CF-Connecting-IP; the request's RemoteAddr in Go, edge/httpjs.go). Requests without a
// token have none (null).
export function grantKey(method, url, headers) {
  const authz = headers.get("authorization");
  if (authz === null) return null;
  return `${method}\n${url}\n${authz}\n${headers.get("host") ?? ""}\n${headers.get("origin") ?? ""}\n${headers.get("cf-connecting-ip") ?? ""}`;
}

// makeGrant prepares an Upstream's reuse for applyReuse.
export function makeGrant(reuse) {
  return {
    drop: new Set(reuse.drop ?? []),
    prefix: reuse.dropPrefix,
    unless: new Set(reuse.unless ?? []),
    set: reuse.set ?? [],
  };
}

// applyReuse returns the headers to send for a later request with headers (a Headers) under
// grant, as [name, value] pairs, or null when the grant does not cover the request (it
// carries a header named in unless) and it must go to Go: the request's own headers minus
// those in drop, starting with prefix, or named in a Connection header (a comma-separated
// list; names trimmed of spaces and tabs, compared without case), then the set pairs.
export function applyReuse(grant, headers) {
  const listed = new Set();
  for (const [name, value] of headers) {
    if (grant.unless.has(name)) return null;
    if (name === "connection") {
      for (const n of value.split(",")) listed.add(trimSpaceTab(n));
    }
  }
  const out = [];
  for (const [name, value] of headers) {
    if (grant.drop.has(name) || name.startsWith(grant.prefix) || listed.has(name)) continue;
    out.push([name, value]);
  }
  for (const [name, value] of grant.set) out.push([name.toLowerCase(), value]);
  return out;
}

// trimSpaceTab lower-cases a header name from a list and trims spaces and tabs around it
// (as Go's strings.Trim(name, " \t") in Reuse.Apply).
function trimSpaceTab(s) {
  let i = 0;
  let j = s.length;
  while (i < j && (s[i] === " " || s[i] === "\t")) i++;
  while (j > i && (s[j - 1] === " " || s[j - 1] === "\t")) j--;
  return s.slice(i, j).toLowerCase();
}
