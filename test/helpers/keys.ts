/** Signing keys and self-signed certificates of every supported kind, for tests. */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyKind = 'rsa' | 'p256' | 'p384' | 'ed25519';

const ALGORITHMS: Readonly<Record<KeyKind, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm>> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as webcrypto.RsaHashedKeyGenParams,
  p256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as webcrypto.EcKeyGenParams,
  p384: { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } as webcrypto.EcKeyGenParams,
  ed25519: { name: 'Ed25519' },
};

export interface TestKey {
  readonly privateKey: KeyObject;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  readonly certificatePem: string;
}

export async function makeKey(kind: KeyKind, commonName = 'vra-test'): Promise<TestKey> {
  const algorithm = ALGORITHMS[kind];
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return { privateKey, keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, certificatePem: certificate.toString('pem') };
}

/** The same key as PKCS#1 (RSA) or SEC1 (EC) PEM: the "traditional" forms openssl writes. */
export function traditionalPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1' }) as string;
}
