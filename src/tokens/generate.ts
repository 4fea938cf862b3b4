/**
 * For the embedded default only: a P-256 key and a self-signed certificate,
 * made on first start when `token.generate` is true and the files are
 * missing. The key file is written readable by its owner only.
 */
import { KeyObject, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const VALIDITY_DAYS = 5 * 365;

export async function generateSigningKeyFiles(keyPath: string, certificatePath: string, commonName: string): Promise<void> {
  // @peculiar/x509 needs the Reflect metadata polyfill; load both only here.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/u, '1'),
    name: `CN=${commonName}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }) as string;

  await mkdir(path.dirname(keyPath), { recursive: true });
  await mkdir(path.dirname(certificatePath), { recursive: true });
  await writeFile(keyPath, keyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(certificatePath, `${certificate.toString('pem')}\n`, { mode: 0o644, flag: 'wx' });
}
