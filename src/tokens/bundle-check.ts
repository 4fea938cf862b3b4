/**
 * Checks a downloaded key bundle before it becomes a registry's trust
 * anchor (`certs fetch`): a registry given an empty or broken bundle fails
 * to start or trusts nothing, and one given a private key would leak it to
 * everyone who can read its configuration. Strict on purpose: what /certs and
 * /jwks serve passes; anything else is refused with the reason.
 */
import { createPublicKey, type JsonWebKey, X509Certificate } from 'node:crypto';
import { thumbprintKeyId } from '../domain/key-id.js';
import { PRIVATE_JWK_MEMBERS } from './jwk.js';

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/** A PEM bundle: certificates only, each parsing, at least one. Returns each one's thumbprint kid. */
export function checkPemBundle(text: string): string[] {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/gu)];
  const kinds = new Set(blocks.map((block) => block[1]));
  if ([...kinds].some((kind) => kind?.includes('PRIVATE'))) throw new BundleError('it holds a private key: refusing to write it');
  const other = [...kinds].filter((kind) => kind !== 'CERTIFICATE');
  if (other.length > 0) throw new BundleError(`it holds ${other.join(', ')} blocks: only certificates are expected`);
  const outside = blocks.reduce((rest, block) => rest.replace(block[0], ''), text);
  if (outside.trim() !== '') throw new BundleError('it is not a PEM bundle: there is text outside the certificates');
  if (blocks.length === 0) throw new BundleError('it holds no certificate');
  return blocks.map((block, index) => {
    try {
      return thumbprintKeyId(new X509Certificate(block[0]).publicKey);
    } catch (error) {
      throw new BundleError(`certificate ${index + 1} does not parse: ${(error as Error).message}`);
    }
  });
}

const KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

/** A JWK set: public RSA, EC or OKP keys with distinct kids, at least one. Returns the kids. */
export function checkJwks(text: string): string[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new BundleError('it is not JSON');
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new BundleError('it is not a JWK set: no "keys" list');
  if (keys.length === 0) throw new BundleError('it holds no key');
  const kids = keys.map((key: unknown, index) => {
    const where = `key ${index + 1}`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new BundleError(`${where} is not an object`);
    const jwk = key as Record<string, unknown>;
    const secret = PRIVATE_JWK_MEMBERS.filter((member) => member in jwk);
    if (secret.length > 0) throw new BundleError(`${where} has private members (${secret.join(', ')}): refusing to write it`);
    if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new BundleError(`${where} has no kid: the registry finds keys by kid`);
    if (typeof jwk.kty !== 'string' || !KEY_TYPES.has(jwk.kty))
      throw new BundleError(`${where} (${jwk.kid}) has kty ${String(jwk.kty)}: expected RSA, EC or OKP`);
    try {
      createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch (error) {
      throw new BundleError(`${where} (${jwk.kid}) is not a usable public key: ${(error as Error).message}`);
    }
    return jwk.kid;
  });
  const repeated = kids.find((kid, index) => kids.indexOf(kid) !== index);
  if (repeated !== undefined) throw new BundleError(`the kid ${repeated} appears twice`);
  return kids;
}
