// SPDX-License-Identifier: ISC
// provider.mjs - the OpenID provider of mailsift's OAuth2 integration
// tests: Node's oidc-provider (a certified implementation) over HTTPS on
// 127.0.0.1, a free port, issuer https://localhost:PORT.
//
//   node provider.mjs CERT KEY PORTFILE
//
// CERT/KEY: the test CA's server certificate for localhost.  Once
// listening, writes the port to PORTFILE (then the URL to stdout, and a
// line per token request and admin action).  Environment:
// MSX_OIDC_TOKEN_TTL access-token lifetime in seconds (default 20),
// MSX_OIDC_REFRESH_TTL refresh-token lifetime (default 3600),
// MSX_OIDC_MODULES the node_modules holding oidc-provider, MSX_OIDC_PORT
// the port (default: one the kernel picks).
//
// Clients (see CLIENTS below): mailsift-native (public, code + PKCE S256,
// loopback redirects on any port, RFC 8252; also device), mailsift-device
// (public, RFC 8628), mailsift-service / mailsift-service-post
// (confidential, client_credentials, secret in Basic / in the body),
// dovecot (confidential, for introspection only).  Refresh tokens rotate
// on every use (the old one is refused after); offline_access gives one.
// Logins: the dev interactions accept any login name and any password;
// the name becomes the token's "username" (Dovecot's username_attribute).
// A client_credentials token's username is the client's mailbox
// (MAILBOX below).
//
// Admin endpoints (same port, no auth: loopback and tests only):
//   GET  /_admin/stats           {"token": N, "grants": {...}, ...}
//   POST /_admin/reset           counters to zero
//   POST /_admin/down?on=1|0[&mode=503|close]   the token endpoint
//                                answers 503 temporarily_unavailable, or
//                                (close) drops the connection unanswered
//   POST /_admin/revoke?account=NAME   revoke every grant of NAME
//   POST /_admin/revoke?grant=ID       one grant
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// oidc-provider lives where contrib/install-deps-oauth.sh put it (ESM
// ignores NODE_PATH): MSX_OIDC_MODULES, else the checkout's .build/oidc.
const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.MSX_OIDC_MODULES
  || path.join(here, '..', '..', '..', '.build', 'oidc', 'node_modules');
const { default: Provider } = await import(
  pathToFileURL(path.join(modules, 'oidc-provider', 'lib', 'index.js')).href);

const [certFile, keyFile, portFile] = process.argv.slice(2);
if (!certFile || !keyFile || !portFile) {
  process.stderr.write('usage: node provider.mjs CERT KEY PORTFILE\n');
  process.exit(2);
}
const TTL = Number(process.env.MSX_OIDC_TOKEN_TTL || 20);
const REFRESH_TTL = Number(process.env.MSX_OIDC_REFRESH_TTL || 3600);

const MAILBOX = { 'mailsift-service': 'user2', 'mailsift-service-post': 'user2' };
const NATIVE_REDIRECTS = [
  'http://127.0.0.1/', 'http://127.0.0.1/callback',
  'http://[::1]/', 'http://[::1]/callback',
  'http://localhost/', 'http://localhost/callback',
];
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const CLIENTS = [
  {
    client_id: 'mailsift-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', DEVICE],
    response_types: ['code'],
    redirect_uris: NATIVE_REDIRECTS,
  },
  {
    client_id: 'mailsift-device',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'mailsift-service',
    client_secret: 'service-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'mail',
  },
  {
    client_id: 'mailsift-service-post',
    client_secret: 'service-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'mail',
  },
  {
    client_id: 'dovecot',
    client_secret: 'dovecot-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  },
];

function log(line) {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

const stats = {
  token: 0, token_ok: 0, token_failed: 0, by_grant: {},
  introspection: 0, revocation: 0, device_authorization: 0,
};
const grants = new Map();	// grantId -> accountId
let down = false;

const configuration = {
  clients: CLIENTS,
  scopes: ['openid', 'offline_access', 'email', 'profile', 'mail'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true }),
  }),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  pkce: { methods: ['S256'], required: () => true },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: TTL,
    ClientCredentials: TTL,
    AuthorizationCode: 60,
    DeviceCode: 120,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: REFRESH_TTL,
    RefreshToken: REFRESH_TTL,
  },
  // What Dovecot's username_attribute reads from the introspection.
  extraTokenClaims: async (ctx, token) => {
    if (token.kind === 'ClientCredentials') return { username: MAILBOX[token.clientId] || token.clientId };
    return token.accountId ? { username: token.accountId } : undefined;
  },
  cookies: { keys: ['mailsift-test-cookie-key'] },
};

function readyPort(server) {
  return server.address().port;
}

const server = https.createServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
});
server.listen(Number(process.env.MSX_OIDC_PORT || 0), '127.0.0.1', () => {
  const port = readyPort(server);
  const provider = new Provider(`https://localhost:${port}`, configuration);
  provider.proxy = false;

  for (const ev of ['access_token.issued', 'refresh_token.saved', 'authorization_code.saved',
    'device_code.saved']) {
    provider.on(ev, (t) => { if (t.grantId && t.accountId) grants.set(t.grantId, t.accountId); });
  }
  provider.on('grant.success', (ctx) => { stats.token_ok += 1; });
  provider.on('grant.error', (ctx) => { stats.token_failed += 1; });

  // OpenID Connect drops offline_access unless prompt has "consent";
  // Microsoft does not ask for it: a request with offline_access and no
  // prompt is given prompt=consent, so a client needs nothing special.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' && ctx.method === 'GET' && !ctx.query.prompt
        && String(ctx.query.scope || '').split(' ').includes('offline_access')) {
      ctx.query = { ...ctx.query, prompt: 'consent' };
    }
    await next();
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/token') {
      stats.token += 1;
      const g = ctx.request.body?.grant_type || 'unknown';
      if (down) {
        stats.by_grant[`${g}(down)`] = (stats.by_grant[`${g}(down)`] || 0) + 1;
        log(`token request refused: provider down (${down})`);
        if (down === 'close') {
          ctx.respond = false;
          ctx.req.socket.destroy();
          return;
        }
        ctx.status = 503;
        ctx.body = { error: 'temporarily_unavailable', error_description: 'test provider is down' };
        return;
      }
    } else if (ctx.path === '/token/introspection') {
      stats.introspection += 1;
    } else if (ctx.path === '/token/revocation') {
      stats.revocation += 1;
    } else if (ctx.path === '/device/auth') {
      stats.device_authorization += 1;
    }
    await next();
    if (ctx.path === '/token' && ctx.oidc?.params?.grant_type) {
      const g = ctx.oidc.params.grant_type;
      stats.by_grant[g] = (stats.by_grant[g] || 0) + 1;
      // Never a token or a secret: the grant type, the client, the answer.
      log(`token ${g} client=${ctx.oidc.client?.clientId || '-'} -> ${ctx.status}`
        + `${ctx.body?.error ? ` ${ctx.body.error}` : ''}`);
    }
  });

  async function revokeGrant(id) {
    const g = await provider.Grant.find(id);
    if (g) await g.destroy();
    await provider.AccessToken.adapter.revokeByGrantId(id);
    await provider.RefreshToken.adapter.revokeByGrantId(id);
    grants.delete(id);
  }

  async function admin(req, res, url) {
    const answer = (code, obj) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(obj)}\n`);
    };
    const q = url.searchParams;
    if (url.pathname === '/_admin/stats' && req.method === 'GET') {
      return answer(200, { ...stats, down, ttl: TTL, grants: Object.fromEntries(grants) });
    }
    if (req.method !== 'POST') return answer(405, { error: 'POST' });
    if (url.pathname === '/_admin/reset') {
      Object.assign(stats, {
        token: 0, token_ok: 0, token_failed: 0, by_grant: {},
        introspection: 0, revocation: 0, device_authorization: 0,
      });
      return answer(200, { ok: true });
    }
    if (url.pathname === '/_admin/down') {
      down = q.get('on') === '0' ? false : (q.get('mode') || '503');
      log(`admin: down=${down}`);
      return answer(200, { down });
    }
    if (url.pathname === '/_admin/revoke') {
      let ids = [];
      if (q.get('grant')) ids = [q.get('grant')];
      else if (q.get('account')) {
        ids = [...grants].filter(([, a]) => a === q.get('account')).map(([g]) => g);
      }
      for (const id of ids) await revokeGrant(id);
      log(`admin: revoked ${ids.length} grant(s)`);
      return answer(200, { revoked: ids.length });
    }
    return answer(404, { error: 'no such admin endpoint' });
  }

  const callback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url, `https://localhost:${port}`);
    if (url.pathname.startsWith('/_admin/')) {
      admin(req, res, url).catch((e) => { res.writeHead(500); res.end(String(e)); });
      return;
    }
    callback(req, res);
  });
  fs.writeFileSync(`${portFile}.new`, `${port}\n`);
  fs.renameSync(`${portFile}.new`, portFile);
  process.stdout.write(`https://localhost:${port}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
