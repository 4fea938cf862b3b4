/**
 * Issues the registry's bearer tokens: a compact JWS with `typ`, `alg` and
 * `kid` (and `x5c` when configured) and the claims the registry verifies.
 * It signs with the key set's active key at the moment of signing, so a key
 * switch (keys reloaded from Vault) applies to the next token.
 *
 * Headers per registry configuration: `kid` is the thumbprint (registry v3,
 * `rootcertbundle` or `jwks`) or the libtrust id (registry 2.x), as the key
 * set computed it; `x5c` only where the registry has a `rootcertbundle` —
 * registry v3 rejects an x5c it cannot verify and never falls back to `kid`.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ResourceScope } from '../domain/scope.js';
import { type KeySet, staticKeySet } from './key-set.js';
import type { SigningKey } from './signing-key.js';

export interface TokenRequest {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  readonly access: readonly ResourceScope[];
  readonly expiresInSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresIn: number;
}

export interface TokenSigner {
  sign(request: TokenRequest): Promise<IssuedToken>;
  /** The keys it signs with (active) and that verify (published): /certs and /jwks answer from it. */
  readonly keySet: KeySet;
  /** The key that signs now, as a list (kept for callers written before key sets). */
  readonly keys: readonly SigningKey[];
}

export interface SignerOptions {
  readonly x5c: boolean;
  readonly now?: () => number;
}

/** A single SigningKey is taken as a key set of one. */
export function createSigner(keys: KeySet | SigningKey, options: SignerOptions): TokenSigner {
  const keySet = 'active' in keys ? keys : staticKeySet(keys);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

  return {
    keySet,
    get keys() {
      return [keySet.active()];
    },
    async sign(request) {
      // Read once: the header and the signature must come from the same key.
      const active = keySet.active();
      const x5c = options.x5c ? active.certificates.map((certificate) => certificate.raw.toString('base64')) : undefined;
      const issuedAt = now();
      const token = await new SignJWT({
        access: request.access.map(({ type, name, actions }) => ({ type, name, actions: [...actions] })),
      })
        .setProtectedHeader({ typ: 'JWT', alg: active.alg, kid: active.kid, ...(x5c ? { x5c } : {}) })
        .setIssuer(request.issuer)
        .setSubject(request.subject)
        .setAudience(request.audience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + request.expiresInSeconds)
        .setJti(randomBytes(16).toString('base64url'))
        .sign(active.privateKey);
      return { token, issuedAt, expiresIn: request.expiresInSeconds };
    },
  };
}
