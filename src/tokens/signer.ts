/**
 * Issues the registry's bearer tokens: a compact JWS with `typ`, `alg` and
 * `kid` (and `x5c` when configured) and the claims the registry verifies.
 * It holds a key set with one active key, so that rotation can add keys
 * beside it later.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ResourceScope } from '../domain/scope.js';
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
  /** Every key the server may sign with, the active one first. */
  readonly keys: readonly SigningKey[];
}

export function createSigner(active: SigningKey, options: { x5c: boolean; now?: () => number }): TokenSigner {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const x5c = options.x5c ? active.certificates.map((certificate) => certificate.raw.toString('base64')) : undefined;
  const header = { typ: 'JWT', alg: active.alg, kid: active.kid, ...(x5c ? { x5c } : {}) };

  return {
    keys: [active],
    async sign(request) {
      const issuedAt = now();
      const token = await new SignJWT({
        access: request.access.map(({ type, name, actions }) => ({ type, name, actions: [...actions] })),
      })
        .setProtectedHeader(header)
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
