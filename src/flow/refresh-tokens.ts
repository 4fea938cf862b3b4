/**
 * Refresh tokens: long-lived, never rotated (the docker engine does not save
 * a rotated one, moby#39718), bound to the user and the service, signed with
 * our keys and verified without server-side state, so any replica accepts
 * them. A refresh token is a JWT that a registry can never take for an
 * access token: its audience is not a service, and its `typ` is its own.
 *
 * It stops working as soon as the user's stored password changes: it carries
 * a fingerprint, HMAC(key = the stored password field; the service, the
 * account and the token's jti). For a bcrypt or argon2 hash the key holds a
 * random salt, so the fingerprint reveals nothing about the password. (A
 * plaintext password would make it an offline guessing oracle: such users
 * get no refresh token, and clients keep sending the password instead.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { KeySet } from '../tokens/key-set.js';
import { randomId } from '../util/random-id.js';

/** The server's key set: the active key signs refresh tokens, every published key verifies them. */
export type RefreshKeys = KeySet;

export const REFRESH_AUDIENCE = 'vault-registry-auth:refresh';
const REFRESH_TYPE = 'vra-refresh+jwt';

/**
 * How far in the future a token's `iat` may be: replicas' clocks differ a
 * little, and a client may use a token at once on another replica. jose
 * checks `iat` only with maxTokenAge, so this bound is checked here: a token
 * "issued" later than that was not issued by us as it stands.
 */
export const ISSUED_AT_SKEW_SECONDS = 60;

export interface RefreshClaims {
  readonly service: string;
  readonly account: string;
  readonly jti: string;
  readonly fingerprint: string;
}

export async function makeRefreshToken(
  keys: RefreshKeys,
  request: { issuer: string; service: string; account: string; storedPassword: string; expiresInSeconds: number; nowSeconds: number },
): Promise<string> {
  const key = keys.active();
  const jti = randomId();
  return new SignJWT({ svc: request.service, pwf: fingerprint(request.storedPassword, request.service, request.account, jti) })
    .setProtectedHeader({ typ: REFRESH_TYPE, alg: key.alg, kid: key.kid })
    .setIssuer(request.issuer)
    .setSubject(request.account)
    .setAudience(REFRESH_AUDIENCE)
    .setIssuedAt(request.nowSeconds)
    .setExpirationTime(request.nowSeconds + request.expiresInSeconds)
    .setJti(jti)
    .sign(key.privateKey);
}

/**
 * The claims of a refresh token we issued and that is still valid, or null:
 * the key is found by `kid` among ours and verified with that key's own
 * algorithm only (never `none`, never an HMAC with a public key as secret).
 */
export async function readRefreshToken(keys: RefreshKeys, token: string, expected: { issuer: string; nowSeconds: number }): Promise<RefreshClaims | null> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return null;
  }
  const key = keys.verifiers().find((candidate) => candidate.kid === kid);
  if (!key) return null;
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: expected.issuer,
      audience: REFRESH_AUDIENCE,
      typ: REFRESH_TYPE,
      currentDate: new Date(expected.nowSeconds * 1000),
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    });
    const { sub, jti, svc, pwf, iat } = payload as { sub?: unknown; jti?: unknown; svc?: unknown; pwf?: unknown; iat?: unknown };
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof svc !== 'string' || typeof pwf !== 'string') return null;
    if (typeof iat !== 'number' || iat > expected.nowSeconds + ISSUED_AT_SKEW_SECONDS) return null;
    return { service: svc, account: sub, jti, fingerprint: pwf };
  } catch {
    return null;
  }
}

/** Whether the token was issued against the password stored now. */
export function fingerprintMatches(claims: RefreshClaims, storedPassword: string): boolean {
  const expected = Buffer.from(fingerprint(storedPassword, claims.service, claims.account, claims.jti));
  const given = Buffer.from(claims.fingerprint);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function fingerprint(storedPassword: string, service: string, account: string, jti: string): string {
  return createHmac('sha256', storedPassword).update(`vra-refresh\u0000${service}\u0000${account}\u0000${jti}`).digest('base64url');
}
