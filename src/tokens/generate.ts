/**
 * New signing keys with a self-signed certificate: for `keys generate`, and
 * for the embedded default (made on first start when `token.generate` is
 * true and the files are missing). The key is written readable by its owner
 * only; nothing here ever prints or logs it.
 */
import { KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

export const KEY_TYPES = ['p256', 'p384', 'rsa2048', 'rsa3072', 'rsa4096', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const DEFAULT_VALIDITY_DAYS = 5 * 365;

type GenerateAlgorithm = webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm;

const RSA = (modulusLength: number): webcrypto.RsaHashedKeyGenParams => ({
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
});

// The certificate is signed with the same algorithm the tokens will use.
const ALGORITHMS: Readonly<Record<KeyType, GenerateAlgorithm>> = {
  p256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as webcrypto.EcKeyGenParams,
  p384: { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } as webcrypto.EcKeyGenParams,
  rsa2048: RSA(2048),
  rsa3072: RSA(3072),
  rsa4096: RSA(4096),
  ed25519: { name: 'Ed25519' },
};

export interface GenerateOptions {
  readonly type?: KeyType;
  readonly commonName: string;
  readonly days?: number;
  readonly now?: Date;
}

export interface GeneratedKey {
  /** PKCS#8 PEM: stays in the process until written to the key file. */
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly certificate: X509Certificate;
}

export async function generateKey({ type = 'p256', commonName, days = DEFAULT_VALIDITY_DAYS, now = new Date() }: GenerateOptions): Promise<GeneratedKey> {
  // @peculiar/x509 needs the Reflect metadata polyfill; load both only here.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

  const algorithm = ALGORITHMS[type];
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  // A minute in the past: a registry whose clock is slightly behind still sees it valid.
  const notBefore = new Date(now.getTime() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial (high bit clear), random so that two certificates never look alike.
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/u, '1'),
    name: `CN=${commonName}`,
    notBefore,
    notAfter: new Date(now.getTime() + days * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }) as string;
  const certificatePem = `${certificate.toString('pem')}\n`;
  return { keyPem, certificatePem, certificate: new X509Certificate(certificatePem) };
}

/** The embedded default's first start: a P-256 key and its certificate, never over existing files. */
export async function generateSigningKeyFiles(keyPath: string, certificatePath: string, commonName: string): Promise<void> {
  const { keyPem, certificatePem } = await generateKey({ commonName });
  await mkdir(path.dirname(keyPath), { recursive: true });
  await mkdir(path.dirname(certificatePath), { recursive: true });
  await writeFile(keyPath, keyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(certificatePath, certificatePem, { mode: 0o644, flag: 'wx' });
}
