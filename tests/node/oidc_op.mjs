// An OpenID Provider (the unmodified `oidc-provider` package) for the federation tests
// (internal/federation): it listens on 127.0.0.1 on a free port, registers the clients given
// in OP_CLIENTS (a JSON array of client metadata), and completes every login and consent
// programmatically for the current account, so a Go HTTP client can drive the code flow
// without a browser. It prints one JSON line {"issuer": ...} once it listens, and exits when
// its standard input closes.
//
// Clients named in OP_NO_PKCE (comma-separated) may leave PKCE out (plain OAuth 2.0 clients
// such as Facebook's flow); every other client must use S256.
//
// The current account starts as OP_ACCOUNT (JSON: {"sub", ...claims}); PUT /_test/account
// with such a body replaces it, so a test can sign in as another user or with changed claims.
//
// OP_ID_TOKEN_ALG=ES256 gives the provider a P-256 key as its only key and has every client's
// ID tokens signed ES256 (a relying party must then verify ECDSA); without it the key is an
// RSA one and ID tokens are RS256.
//
// OP_NOW (milliseconds since the epoch) stops the provider's clock at that instant, for a
// relying party on a test clock (the end-to-end servers run at a fixed time far from the wall
// clock); PUT /_test/clock with {"now": ms} moves it. Without OP_NOW the clock is the real one.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const realNow = Date.now;
let frozenNow = process.env.OP_NOW ? Number(process.env.OP_NOW) : undefined;
// oidc-provider reads time only through Date.now (its epochTime helper, cookie expiry).
Date.now = () => (frozenNow === undefined ? realNow() : frozenNow);

let account = JSON.parse(process.env.OP_ACCOUNT || '{"sub":"user-1"}');
const es256 = process.env.OP_ID_TOKEN_ALG === 'ES256';
const clients = JSON.parse(process.env.OP_CLIENTS || '[]')
  .map((c) => (es256 ? { ...c, id_token_signed_response_alg: 'ES256' } : c));
const noPKCE = (process.env.OP_NO_PKCE || '').split(',').filter(Boolean);

const jwk = es256
  ? { ...crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'op-key-ec', use: 'sig', alg: 'ES256' }
  : { ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'op-key-1', use: 'sig', alg: 'RS256' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  pkce: { methods: ['S256'], required: (ctx, client) => !noPKCE.includes(client.clientId) },
  // ID tokens carry the claims of the scopes granted, so attributes can come from the ID
  // token alone (providers without a user info endpoint) or from /me.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'locale'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ ...account, sub: id }),
  }),
});

// The interaction route: log the current account in, then grant what was asked.
provider.use(async (ctx, next) => {
  if (ctx.method === 'PUT' && ctx.path === '/_test/account') {
    const chunks = [];
    for await (const c of ctx.req) chunks.push(c);
    account = JSON.parse(Buffer.concat(chunks).toString());
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'PUT' && ctx.path === '/_test/clock') {
    const chunks = [];
    for await (const c of ctx.req) chunks.push(c);
    frozenNow = JSON.parse(Buffer.concat(chunks).toString()).now;
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      result = { login: { accountId: account.sub } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    return;
  }
  await next();
});

server.on('request', provider.callback());
process.stdout.write(JSON.stringify({ issuer }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
