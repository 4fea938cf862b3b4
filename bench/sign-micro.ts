/**
 * A micro-benchmark of the signing step alone: jose's SignJWT (WebCrypto
 * underneath) against node:crypto's synchronous `sign` with the protected
 * header encoded once, for the keys the server signs with (ES256 first).
 * Both produce the same compact JWS layout; each token is verified with jose.
 *
 *   npm run build && node dist/bench/sign-micro.js [iterations]
 */
import { generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { compactVerify, SignJWT } from 'jose';

const iterations = Number(process.argv[2] ?? 20_000);
const rounds = 5;

interface Case {
  readonly alg: 'ES256' | 'RS256' | 'EdDSA';
  readonly digest: string | null;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const cases: Case[] = [
  { alg: 'ES256', digest: 'sha256', ...generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) },
  { alg: 'RS256', digest: 'sha256', ...generateKeyPairSync('rsa', { modulusLength: 2048 }) },
  { alg: 'EdDSA', digest: null, ...generateKeyPairSync('ed25519') },
];

const kid = 'ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ23:4567:ABCD:EFGH:IJKL:MNOP';
const access = [{ type: 'repository', name: 'hot-001/app', actions: ['pull', 'push'] }];

function claims(issuedAt: number) {
  return {
    access,
    iss: 'vault-registry-auth',
    sub: 'hot-001',
    aud: 'registry',
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + 300,
    jti: randomBytes(16).toString('base64url'),
  };
}

async function viaJose(c: Case): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ access })
    .setProtectedHeader({ typ: 'JWT', alg: c.alg, kid })
    .setIssuer('vault-registry-auth')
    .setSubject('hot-001')
    .setAudience('registry')
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + 300)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(c.privateKey);
}

function viaCrypto(c: Case, encodedHeader: string): string {
  const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims(Math.floor(Date.now() / 1000)))).toString('base64url')}`;
  const signature = cryptoSign(c.digest, Buffer.from(input), { key: c.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

async function measure(label: string, count: number, run: () => Promise<unknown> | unknown): Promise<void> {
  const perSecond: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) await run();
    perSecond.push(count / ((performance.now() - started) / 1000));
  }
  perSecond.sort((a, b) => a - b);
  const median = perSecond[Math.floor(rounds / 2)] ?? 0;
  process.stdout.write(
    `${label.padEnd(24)} median ${Math.round(median).toLocaleString('en-US').padStart(8)} signs/s  (${(1e6 / median).toFixed(1)} µs each)\n`,
  );
}

for (const c of cases) {
  const encodedHeader = Buffer.from(JSON.stringify({ typ: 'JWT', alg: c.alg, kid })).toString('base64url');
  // Both must verify with jose, with the same header.
  for (const token of [await viaJose(c), viaCrypto(c, encodedHeader)]) {
    const { protectedHeader } = await compactVerify(token, c.publicKey);
    if (protectedHeader.kid !== kid || protectedHeader.alg !== c.alg) throw new Error(`${c.alg}: wrong header`);
  }
  // RSA signing is an order of magnitude slower: fewer iterations.
  const count = c.alg === 'RS256' ? Math.ceil(iterations / 10) : iterations;
  await measure(`${c.alg} jose SignJWT`, count, () => viaJose(c));
  await measure(`${c.alg} node:crypto sign`, count, () => viaCrypto(c, encodedHeader));
}
