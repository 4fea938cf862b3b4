/**
 * The keys the server knows at one moment: one active key that signs, and
 * published keys that only verify — the next key before a switch (so that
 * every registry trusts it before the first token signed with it), the
 * previous one after it (so that tokens it signed stay valid until they
 * expire). All of them appear in /certs and /jwks; only the active one's
 * private key is held.
 *
 * A key set may change while the server runs (keys in Vault are read again),
 * so callers ask it each time rather than keeping what it returned.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { keyId, type KeyIdFormat } from '../domain/key-id.js';
import { algorithmFor, KeyLoadError, type SigningAlgorithm, type SigningKey } from './signing-key.js';

/** A key that verifies tokens: the public half only. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicKey: KeyObject;
  /** The certificate chain, leaf first (the leaf's key is `publicKey`). */
  readonly certificates: readonly X509Certificate[];
}

export interface KeySet {
  /** The key that signs now. */
  active(): SigningKey;
  /** Every key that verifies, the active one first, each kid once. */
  verifiers(): readonly VerificationKey[];
}

/** A key set the server can stop (the Vault one re-reads on a timer). */
export interface OpenKeySet extends KeySet {
  close(): void;
}

/** The published-only key of one certificate. Throws KeyLoadError for an unsupported algorithm. */
export function verificationKeyOf(certificate: X509Certificate, kidFormat: KeyIdFormat): VerificationKey {
  const publicKey = certificate.publicKey;
  return { kid: keyId(publicKey, kidFormat), alg: algorithmFor(publicKey), publicKey, certificates: [certificate] };
}

/** A fixed key set: the active key first, then each published key whose kid is not already there. */
export function staticKeySet(active: SigningKey, published: readonly VerificationKey[] = []): OpenKeySet {
  const own: VerificationKey = { kid: active.kid, alg: active.alg, publicKey: active.certificates[0]!.publicKey, certificates: active.certificates };
  const verifiers: VerificationKey[] = [];
  // Publishing the active key's certificate again (common mid-rotation) is harmless.
  for (const key of [own, ...published]) if (!verifiers.some((known) => known.kid === key.kid)) verifiers.push(key);
  Object.freeze(verifiers);
  return { active: () => active, verifiers: () => verifiers, close: () => {} };
}

/**
 * Every certificate of a PEM text as a published key: a bundle holds
 * independent keys, not a chain. Throws KeyLoadError when there is none, or
 * saying which one is bad.
 */
export function publishedKeysFromPem(pem: string, kidFormat: KeyIdFormat): VerificationKey[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? [];
  if (blocks.length === 0) throw new KeyLoadError('no PEM certificate found');
  return blocks.map((block, index) => {
    try {
      return verificationKeyOf(new X509Certificate(block), kidFormat);
    } catch (error) {
      throw new KeyLoadError(`certificate ${index + 1}: ${(error as Error).message}`);
    }
  });
}
