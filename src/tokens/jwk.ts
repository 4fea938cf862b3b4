/**
 * Public keys as JWKs (RFC 7517), for /jwks and the registry's `jwks` file.
 * Members are copied from an allow-list per key type, never by removing
 * private ones: whatever KeyObject comes in (even a private one), only
 * public numbers go out.
 */
import { createPublicKey } from 'node:crypto';
import type { VerificationKey } from './key-set.js';

export interface PublicJwk {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly [member: string]: string;
}

/** Members that carry private key material in any JWK (RFC 7518 §6, RFC 8037); `k` is a symmetric key. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const PUBLIC_MEMBERS: Readonly<Record<PublicJwk['kty'], readonly string[]>> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

export function publicJwk(key: Pick<VerificationKey, 'kid' | 'alg' | 'publicKey'>): PublicJwk {
  // Given a private KeyObject by mistake, export its public half only.
  const publicKey = key.publicKey.type === 'private' ? createPublicKey(key.publicKey) : key.publicKey;
  const exported = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kty = exported.kty as PublicJwk['kty'];
  const members = PUBLIC_MEMBERS[kty];
  if (!members) throw new TypeError(`unsupported key type ${String(kty)}`);
  const jwk: Record<string, string> = { kty };
  for (const member of members) jwk[member] = String(exported[member]);
  return { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' } as PublicJwk;
}
