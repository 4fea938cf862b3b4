/**
 * A signing key with its certificate, read once at start-up from PEM files.
 * PKCS#8, PKCS#1 (RSA) and SEC1 (EC) private keys are all accepted; the JWS
 * algorithm follows from the key; the key id is computed the way the
 * registry computes the ids of the certificates it trusts.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyId, type KeyIdFormat } from '../domain/key-id.js';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface SigningKey {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The certificate chain, leaf first. */
  readonly certificates: readonly X509Certificate[];
}

export class KeyLoadError extends Error {
  override readonly name = 'KeyLoadError';
}

const EC_ALGORITHMS: Readonly<Record<string, SigningAlgorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

export function algorithmFor(key: KeyObject): SigningAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ec': {
      const alg = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (alg) return alg;
      throw new KeyLoadError(`unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'}: use P-256, P-384 or P-521`);
    }
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new KeyLoadError(`unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}: use RSA, EC (P-256/P-384) or Ed25519`);
  }
}

export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

export function signingKeyFromPem(keyPem: string, certificatePem: string, kidFormat: KeyIdFormat): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (error) {
    throw new KeyLoadError(`not a usable PEM private key (PKCS#8, PKCS#1 or SEC1, unencrypted): ${(error as Error).message}`);
  }
  let certificates: X509Certificate[];
  try {
    certificates = parseCertificates(certificatePem);
  } catch (error) {
    throw new KeyLoadError(`not a usable PEM certificate: ${(error as Error).message}`);
  }
  const leaf = certificates[0];
  if (!leaf) throw new KeyLoadError('no PEM certificate found');
  const spki = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });
  if (!spki(leaf.publicKey).equals(spki(createPublicKey(privateKey)))) {
    throw new KeyLoadError('the certificate does not belong to the private key');
  }
  // The registry trusts the certificate's key, so the kid is computed from it.
  return { alg: algorithmFor(privateKey), kid: keyId(leaf.publicKey, kidFormat), privateKey, certificates };
}

export async function loadSigningKey(keyPath: string, certificatePath: string, kidFormat: KeyIdFormat): Promise<SigningKey> {
  const [keyPem, certificatePem] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certificatePath, 'utf8')]);
  return signingKeyFromPem(keyPem, certificatePem, kidFormat);
}
