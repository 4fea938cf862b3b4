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
 *
 * The token is the JWS jose's SignJWT makes (same header and claims, in the
 * same order; ECDSA signatures as r‖s, RFC 7518), signed with node:crypto's
 * synchronous `sign`: the protected header is encoded once per key, and
 * there is no WebCrypto round trip per token (bench/sign-micro.ts measures
 * the difference). jose stays for keys, JWKs and verification.
 */
import { sign as cryptoSign } from 'node:crypto';
import { randomId } from '../util/random-id.js';
import type { ResourceScope } from '../domain/scope.js';
import { type KeySet, staticKeySet } from './key-set.js';
import type { SigningAlgorithm, SigningKey } from './signing-key.js';

export interface TokenRequest {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  readonly access: readonly ResourceScope[];
  readonly expiresInSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  /** The token's `jti`, for the audit log. */
  readonly jti: string;
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
  // Per signer: the header depends on its x5c option.
  const cache = new WeakMap<SigningKey, Prepared>();

  return {
    keySet,
    get keys() {
      return [keySet.active()];
    },
    async sign(request) {
      // Read once: the header and the signature must come from the same key.
      const active = keySet.active();
      const prepared = preparedFor(active);
      const issuedAt = now();
      const claims = {
        access: request.access.map(({ type, name, actions }) => ({ type, name, actions: [...actions] })),
        iss: request.issuer,
        sub: request.subject,
        aud: request.audience,
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + request.expiresInSeconds,
        jti: randomId(),
      };
      const input = `${prepared.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const signature = cryptoSign(prepared.digest, Buffer.from(input), { key: active.privateKey, dsaEncoding: 'ieee-p1363' });
      return { token: `${input}.${signature.toString('base64url')}`, jti: claims.jti, issuedAt, expiresIn: request.expiresInSeconds };
    },
  };

  /** The encoded protected header and the digest, once per key (a key set's keys are kept as they are). */
  function preparedFor(key: SigningKey): Prepared {
    let prepared = cache.get(key);
    if (!prepared) {
      if (key.alg === 'RS256' && (key.privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        // What jose refused when it signed.
        throw new TypeError('RS256 requires key modulusLength to be 2048 bits or larger');
      }
      const x5c = options.x5c ? key.certificates.map((certificate) => certificate.raw.toString('base64')) : undefined;
      const header = { typ: 'JWT', alg: key.alg, kid: key.kid, ...(x5c ? { x5c } : {}) };
      prepared = { header: Buffer.from(JSON.stringify(header)).toString('base64url'), digest: DIGESTS[key.alg] };
      cache.set(key, prepared);
    }
    return prepared;
  }
}

interface Prepared {
  readonly header: string;
  readonly digest: string | null;
}

/** The hash each JWS algorithm signs with (EdDSA hashes by itself). */
const DIGESTS: Readonly<Record<SigningAlgorithm, string | null>> = {
  RS256: 'sha256',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
};
