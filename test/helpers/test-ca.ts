/**
 * A throwaway certificate authority for TLS tests: a CA certificate and leaf
 * certificates it signs (a server's, named by IP and DNS names; a client's,
 * for mTLS). Everything is PEM, keys as PKCS#8, as Vault and Node read them.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as webcrypto.EcKeyGenParams;

export interface Issued {
  readonly certificatePem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

export interface ServerNames {
  /** Default ['localhost']. */
  readonly dns?: readonly string[];
  /** Default ['127.0.0.1']; [] for a certificate that names no address. */
  readonly ip?: readonly string[];
}

export interface TestCa extends Issued {
  server(names?: ServerNames): Promise<Issued>;
  client(commonName?: string): Promise<Issued>;
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

// Positive, unique serials: two CAs of one run must never issue look-alikes.
const serial = (): string => `01${randomBytes(8).toString('hex')}`;
const validity = () => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });

export async function makeCa(commonName = 'vra-test-ca'): Promise<TestCa> {
  const caKeys = await generateKeys();
  const caCertificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    ...validity(),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  async function issue(subject: string, extensions: x509.Extension[]): Promise<Issued> {
    const keys = await generateKeys();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${subject}`,
      issuer: caCertificate.subject,
      ...validity(),
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        // ECDSA keys sign the handshake; they never encipher keys.
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ...extensions,
      ],
    });
    return { certificatePem: certificate.toString('pem'), keyPem: await keyPem(keys) };
  }

  return {
    certificatePem: caCertificate.toString('pem'),
    keyPem: await keyPem(caKeys),
    server({ dns = ['localhost'], ip = ['127.0.0.1'] } = {}) {
      const names = [...dns.map((value) => ({ type: 'dns' as const, value })), ...ip.map((value) => ({ type: 'ip' as const, value }))];
      return issue(dns[0] ?? ip[0] ?? 'server', [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ]);
    },
    client(commonName = 'vra-test-client') {
      return issue(commonName, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
    },
  };
}
