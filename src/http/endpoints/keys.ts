/**
 * GET /certs and GET /jwks: the public half of every key that verifies our
 * tokens (the active one first), for registries to trust — `certs fetch`
 * writes them to the registry's `rootcertbundle` or `jwks` file. Public (no
 * authentication: they hold nothing secret) and answered from the key set
 * as it is now, so a key published in Vault shows here within `token.reload`.
 *
 * /certs holds each key's own certificate only, not its issuers: the
 * registry trusts every key of its bundle, and a CA's key must not become a
 * token-signing key. A leaf in the bundle also verifies an `x5c` chain (Go
 * accepts a chain that ends at a trusted leaf).
 */
import type Router from '@koa/router';
import type { KeySet } from '../../tokens/key-set.js';
import { publicJwk } from '../../tokens/jwk.js';
import type { AppContext, RequestState } from '../context.js';

// Short: a registry or init container polling these sees a rotation soon,
// and a cache in front still spares the server a flood.
const CACHE_CONTROL = 'public, max-age=60';

export function certsBody(keySet: KeySet): string {
  return keySet
    .verifiers()
    .map((key) => key.certificates[0]!.toString())
    .join('');
}

export function jwksBody(keySet: KeySet): { keys: ReturnType<typeof publicJwk>[] } {
  return { keys: keySet.verifiers().map(publicJwk) };
}

export function registerKeyEndpoints(router: Router<RequestState>, keySet: KeySet): void {
  router.get('/certs', (ctx: AppContext) => {
    ctx.set('Cache-Control', CACHE_CONTROL);
    ctx.type = 'application/x-pem-file';
    ctx.body = certsBody(keySet);
  });
  router.get('/jwks', (ctx: AppContext) => {
    ctx.set('Cache-Control', CACHE_CONTROL);
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(jwksBody(keySet));
  });
}
