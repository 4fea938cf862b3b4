/**
 * The "limit" of `npm run bench`: the least a token server can do per
 * request. Koa, a Basic header parsed (never checked), the scopes parsed and
 * all granted, an ES256 token signed with jose with the claims the real
 * server puts in (iss, sub, aud, exp, nbf, iat, jti, access), and the same
 * JSON answer. No user store, no password hash, no logging.
 *
 *   node dist/bench/bare-server.js <port>
 *
 * Prints one JSON line with "listening" and the URL once it accepts requests.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, calculateJwkThumbprint } from 'jose';
import Koa from 'koa';

const port = Number(process.argv[2] ?? 0);
const { privateKey, publicKey } = await generateKeyPair('ES256');
const kid = await calculateJwkThumbprint(await exportJWK(publicKey));

function parseScope(scope: string): { type: string; name: string; actions: string[] } | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path !== '/auth' && ctx.path !== '/auth/token') {
    ctx.status = 404;
    return;
  }
  const header = ctx.get('authorization');
  const decoded = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    ctx.status = 401;
    ctx.set('WWW-Authenticate', 'Basic realm="bare"');
    ctx.body = { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] };
    return;
  }
  const account = decoded.slice(0, colon);
  const service = String(ctx.query.service ?? '');
  const raw = ctx.query.scope;
  const scopes = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((value) => value.split(' ')).filter(Boolean);
  const access = scopes.map(parseScope).filter((scope) => scope !== null);
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresIn = 300;
  const token = await new SignJWT({ access })
    .setProtectedHeader({ typ: 'JWT', alg: 'ES256', kid })
    .setIssuer('vault-registry-auth')
    .setSubject(account)
    .setAudience(service)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + expiresIn)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(privateKey);
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.body = { token, access_token: token, expires_in: expiresIn, issued_at: new Date(issuedAt * 1000).toISOString().replace('.000Z', 'Z') };
});

const server = http.createServer({ keepAliveTimeout: 5_000 }, app.callback());
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ message: 'listening', url: `http://127.0.0.1:${bound}` })}\n`);
});
const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
