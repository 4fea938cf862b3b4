/**
 * Secrets hygiene: every endpoint and every command, at the debug log level,
 * with known and distinctive secrets — passwords, the Vault tokens, the
 * AppRole role and secret ids, private keys, password hashes, the access and
 * refresh tokens the server issues, Authorization headers — and not one of
 * them, in any form (as sent, URL- or form-encoded, JSON-escaped, base64),
 * in any log line, audit line, HTTP answer (headers and body), metric or
 * command output. The only place a token may appear is the token fields of
 * a successful token answer.
 *
 * Against a real Vault dev server (behind test/helpers/tcp-proxy.ts, to cut
 * it): `serve` as an operator runs it (AppRole, two workers, log file, audit
 * file), a server in-process logging in with a token and reading its keys
 * from Vault, servers whose own Vault credentials are wrong, and every CLI
 * command, in-process and built, their error paths included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SignJWT } from 'jose';
import yaml from 'js-yaml';
import { registerCerts } from '../../src/cli/certs.js';
import { registerExplain } from '../../src/cli/explain.js';
import { registerGroup } from '../../src/cli/group.js';
import { registerKeys } from '../../src/cli/keys.js';
import { type CliIo, runCli } from '../../src/cli/program.js';
import { registerUser } from '../../src/cli/user.js';
import { CLI, serve } from '../helpers/cli.js';
import type { CliResult } from '../helpers/in-process-cli.js';
import { makeKey } from '../helpers/keys.js';
import { waitFor } from '../helpers/net.js';
import { requirePeers } from '../helpers/peers.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { basic, startTestServer } from '../helpers/token-server.js';
import { apiOk, createToken, enableAuth, writeProjectPolicy } from '../helpers/vault-admin.js';
import { ROOT_TOKEN, VaultServer } from '../helpers/vault-server.js';

const peers = requirePeers('vault');

const POLICY = 'vault-registry-auth';
const KEYS_POLICY = 'vra-keys';
const KEYS_PATH = 'secret/data/registry-token';
const unique = (): string => randomBytes(6).toString('hex');

/** Every secret holds S3CR3T, so that a leak in a form not listed still shows (see the last test). */
const MARK = 'S3CR3T';
const PW = {
  alice: `pw-${MARK}-alice-${unique()}`,
  // Characters that URL, form and JSON encodings all change.
  carol: `pw-${MARK}-carol &+/%"é-${unique()}`,
  bob: `pw-${MARK}-bob-plaintext-${unique()}`,
  dave: `pw-${MARK}-dave-${unique()}`,
  daveNew: `pw-${MARK}-dave-new-${unique()}`,
  erin: `pw-${MARK}-erin-${unique()}`,
  frank: `pw-${MARK}-frank-${unique()}`,
  wrong: `pw-${MARK}-wrong-${unique()}`,
  unknown: `pw-${MARK}-nobody-${unique()}`,
  noColon: `pw-${MARK}-no-colon-${unique()}`,
};
const ROLE_ID = `role-${MARK}-${unique()}`;
const SECRET_ID = `sid-${MARK}-${unique()}`;
const WRONG_SECRET_ID = `sid-${MARK}-wrong-${unique()}`;
const SERVER_TOKEN = `vra-${MARK}-server-${unique()}`;
const WRONG_TOKEN = `hvs.${MARK}-wrong-${unique()}`;

/** The known secrets and everything the tests saw, and the search of one in the other. */
class Ledger {
  /** form → what it is (`alice's password, base64`). */
  readonly #forms = new Map<string, string>();
  readonly #outputs: { where: string; text: string }[] = [];

  /** A secret, in every form it may travel in. */
  secret(label: string, value: string): void {
    const forms: [string, string][] = [
      ['as is', value],
      ['URL-encoded', encodeURIComponent(value)],
      ['form-encoded', new URLSearchParams({ v: value }).toString().slice(2)],
      ['JSON-escaped', JSON.stringify(value).slice(1, -1)],
      ['base64', Buffer.from(value).toString('base64').replace(/=+$/u, '')],
      ['base64url', Buffer.from(value).toString('base64url')],
    ];
    for (const [how, form] of forms) if (form.length >= 8 && !this.#forms.has(form)) this.#forms.set(form, `${label} (${how})`);
  }

  /** A password: also as its Basic credentials and Authorization header. */
  password(user: string, password: string): void {
    this.secret(`${user}'s password`, password);
    this.secret(`${user}'s Basic credentials`, `${user}:${password}`);
    this.#forms.set(basic(user, password), `${user}'s Authorization header`);
  }

  /** A token the server issued or was sent: whole, and its signature alone. */
  token(label: string, token: string): void {
    this.#forms.set(token, label);
    const signature = token.split('.')[2];
    if (signature && signature.length >= 16) this.#forms.set(signature, `${label} (signature)`);
  }

  /**
   * A private key: every 40-character window of its PEM body, each line of
   * it, and its private JWK member. A PKCS#8 EC key ends with its public
   * key, which /certs rightly serves: windows found in the public forms
   * (the certificate's PEM, the SPKI's) are not secrets.
   */
  privateKey(label: string, pem: string, certificatePem: string): void {
    const bodyOf = (text: string): string => text.replace(/-----[^-]+-----/gu, '').replace(/\s+/gu, '');
    const key = createPrivateKey(pem);
    const spki = createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
    const publicBodies = [bodyOf(certificatePem), bodyOf(spki)];
    const secret = (text: string): boolean => !publicBodies.some((body) => body.includes(text));
    const body = bodyOf(pem);
    for (let at = 0; at + 40 <= body.length; at += 1) {
      const window = body.slice(at, at + 40);
      if (secret(window)) this.#forms.set(window, `${label} (PEM body at ${at})`);
    }
    for (const line of pem.split('\n')) if (line.length >= 40 && !line.startsWith('-----') && secret(line)) this.#forms.set(line, `${label} (a PEM line)`);
    const jwk = key.export({ format: 'jwk' });
    if (jwk.d) this.#forms.set(jwk.d, `${label} (JWK d)`);
  }

  output(where: string, text: string): void {
    this.#outputs.push({ where, text });
  }

  /** Each secret found, where. */
  leaks(): string[] {
    const found: string[] = [];
    for (const { where, text } of this.#outputs) {
      for (const [form, label] of this.#forms) if (text.includes(form)) found.push(`${label} in ${where}`);
    }
    return found;
  }

  /** The outputs holding the mark every secret of these tests holds. */
  marked(): string[] {
    return this.#outputs.filter(({ text }) => text.toUpperCase().includes(MARK)).map(({ where, text }) => `${where}: ${text.slice(0, 300)}`);
  }

  get outputCount(): number {
    return this.#outputs.length;
  }
}

const COMMANDS = [registerUser, registerGroup, registerExplain, registerKeys, registerCerts];

describe('secrets hygiene', { skip: peers.skip }, () => {
  const ledger = new Ledger();
  let vault: VaultServer;
  let proxy: TcpProxy;
  let dir: string;
  /** The CLI's configuration: Vault directly, its token from VAULT_TOKEN. */
  let cliConfig: string;
  let serverAKey: string;
  let forgedRefresh: string;

  before(async () => {
    vault = await VaultServer.start(peers.paths.vault);
    proxy = await TcpProxy.start(Number(new URL(vault.address).port));
    dir = await mkdtemp(path.join(os.tmpdir(), 'vra-hygiene-'));
    await vault.enableKv('registry', 2);
    await writeProjectPolicy(vault, POLICY);
    await apiOk(vault, 'PUT', `sys/policies/acl/${KEYS_POLICY}`, { policy: `path "${KEYS_PATH}" { capabilities = ["read"] }` });
    await enableAuth(vault, 'approle', 'approle');
    await apiOk(vault, 'POST', 'auth/approle/role/vra', { token_policies: [POLICY], token_ttl: '1h' });
    // Chosen role and secret ids (Vault allows both), so that they are known and marked.
    await apiOk(vault, 'POST', 'auth/approle/role/vra/role-id', { role_id: ROLE_ID });
    await apiOk(vault, 'POST', 'auth/approle/role/vra/custom-secret-id', { secret_id: SECRET_ID });
    await createToken(vault, { id: SERVER_TOKEN, policies: [POLICY, KEYS_POLICY], ttl: '1h' });
    // A Godoauth user: a plaintext password, written as `vault kv put` would.
    await apiOk(vault, 'POST', 'registry/data/bob', { data: { password: PW.bob, access: 'repository:team/app:pull' } });

    for (const [user, password] of Object.entries(PW)) ledger.password(user, password);
    ledger.password('nobody', PW.unknown);
    ledger.password('mallory', PW.wrong);
    ledger.password('alice', PW.wrong);
    ledger.secret('the no-colon credentials', PW.noColon);
    for (const [label, value] of Object.entries({ ROLE_ID, SECRET_ID, WRONG_SECRET_ID, SERVER_TOKEN, WRONG_TOKEN, ROOT_TOKEN })) ledger.secret(label, value);

    cliConfig = path.join(dir, 'cli.yml');
    await writeFile(
      cliConfig,
      yaml.dump({
        storage: { vault: { addr: vault.address, timeout: '3s' } },
        token: { issuer: 'vra-test', expiration: 300, key: 'token.key', certificate: 'token.pem' },
        services: [{ name: 'registry', anonymous: 'repository:library/**:pull' }],
      }),
    );
    // A refresh token signed by a key the server does not have, with the claims of a real one.
    const forger = await makeKey('p256');
    forgedRefresh = await new SignJWT({ access: [], typ: 'refresh' })
      .setProtectedHeader({ alg: 'ES256', kid: 'forged' })
      .setIssuer('vra-test')
      .setSubject('alice')
      .setAudience('registry')
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti(`forged-${unique()}`)
      .sign(forger.privateKey);
    ledger.token('the forged refresh token', forgedRefresh);
  });

  after(async () => {
    await proxy?.close();
    await vault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** One command line in-process, its output kept; the environment holds the admin's VAULT_TOKEN unless said. */
  async function cli(args: readonly string[], options: { stdin?: string; env?: CliIo['env'] } = {}): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: options.env ?? { VAULT_TOKEN: ROOT_TOKEN },
    };
    const code = await runCli(args, COMMANDS, io);
    ledger.output(`\`${args.slice(0, 3).join(' ')}\` (exit ${code})`, `${stdout}\n${stderr}`);
    return { code, stdout, stderr };
  }

  async function cliOk(args: readonly string[], options: { stdin?: string; env?: CliIo['env'] } = {}): Promise<string> {
    const result = await cli(args, options);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  /** The built command, with stdin piped to it, as a script runs it. */
  function builtCli(args: readonly string[], stdin: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VAULT_TOKEN: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        ledger.output(`built \`${args.slice(0, 3).join(' ')}\` (exit ${code})`, `${stdout}\n${stderr}`);
        resolve({ code: code ?? 1, stdout, stderr });
      });
      child.stdin.end(stdin);
    });
  }

  /** An HTTP call whose answer is kept; the token fields of a successful token answer become secrets instead. */
  async function call(where: string, url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(url, init);
    const text = await response.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // a PEM bundle, the metrics, …
    }
    let kept = text;
    if (response.status === 200 && body !== null && typeof body === 'object' && ('token' in body || 'access_token' in body)) {
      const rest = { ...body };
      for (const field of ['token', 'access_token', 'refresh_token']) {
        if (typeof rest[field] !== 'string') continue;
        ledger.token(`the ${field} answered to ${where}`, rest[field]);
        delete rest[field];
      }
      kept = JSON.stringify(rest);
    }
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    ledger.output(`the answer to ${where} (${response.status})`, `${headers}\n\n${kept}`);
    return { status: response.status, body };
  }

  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const auth = (user: string, password: string): RequestInit => ({ headers: { Authorization: basic(user, password) } });
  const SCOPE = 'service=registry&scope=repository:team/app:pull,push';

  /** Every endpoint, with good and bad credentials of every kind, each answer checked for its status. */
  async function driveEndpoints(name: string, url: string): Promise<void> {
    const realm = `${url}/auth`;
    const expect = async (what: string, status: number, target: string, init?: RequestInit): Promise<any> => {
      const answer = await call(`${name}: ${what}`, target, init);
      assert.equal(answer.status, status, `${name}: ${what}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    await expect('GET with a password', 200, `${realm}?${SCOPE}`, auth('alice', PW.alice));
    const offline = await expect('GET offline_token', 200, `${realm}?${SCOPE}&offline_token=true&client_id=docker`, auth('alice', PW.alice));
    assert.equal(typeof offline.refresh_token, 'string');
    await expect('GET a wrong password', 401, `${realm}?${SCOPE}`, auth('alice', PW.wrong));
    await expect('GET an unknown user', 401, `${realm}?${SCOPE}`, auth(`nobody-${unique()}`, PW.unknown));
    await expect('GET anonymous', 200, `${realm}?service=registry&scope=repository:library/busybox:pull`);
    await expect('GET a refresh token as the password', 200, `${realm}?${SCOPE}`, auth('', offline.refresh_token));
    await expect('GET a forged refresh token', 401, `${realm}?${SCOPE}`, auth('', forgedRefresh));
    await expect('GET a plaintext password', 200, `${realm}?${SCOPE}`, auth('bob', PW.bob));
    await expect('GET offline_token, plaintext password', 200, `${realm}?${SCOPE}&offline_token=true&client_id=docker`, auth('bob', PW.bob));
    await expect('GET special characters', 200, `${realm}?${SCOPE}`, auth('carol', PW.carol));
    await expect('GET the changed password', 200, `${realm}?${SCOPE}`, auth('dave', PW.daveNew));
    await expect('GET the old password', 401, `${realm}?${SCOPE}`, auth('dave', PW.dave));
    await expect('GET another account', 400, `${realm}?${SCOPE}&account=carol`, auth('alice', PW.alice));
    await expect('GET Basic without a colon', 401, `${realm}?${SCOPE}`, {
      headers: { Authorization: `Basic ${Buffer.from(PW.noColon).toString('base64')}` },
    });
    await expect('GET Basic not base64', 401, `${realm}?${SCOPE}`, { headers: { Authorization: `Basic !!${PW.noColon}!!` } });
    await expect('GET a Bearer token', 401, `${realm}?${SCOPE}`, { headers: { Authorization: `Bearer ${forgedRefresh}` } });
    await expect('GET a bad scope', 400, `${realm}?service=registry&scope=junk`, auth('alice', PW.alice));
    // Guessing until throttled: the 6th wrong password of one account is a 429.
    const mallory = `mallory-${unique()}`;
    for (let attempt = 1; attempt <= 5; attempt += 1) await expect(`GET guess ${attempt}`, 401, `${realm}?${SCOPE}`, auth(mallory, PW.wrong));
    await expect('GET a throttled guess', 429, `${realm}?${SCOPE}`, auth(mallory, PW.wrong));

    const grant = { grant_type: 'password', client_id: 'docker', service: 'registry', scope: 'repository:team/app:pull' };
    const posted = await expect('POST a password grant', 200, realm, form({ ...grant, username: 'alice', password: PW.alice, access_type: 'offline' }));
    assert.equal(typeof posted.refresh_token, 'string');
    await expect('POST special characters', 200, realm, form({ ...grant, username: 'carol', password: PW.carol }));
    await expect('POST a wrong password', 401, realm, form({ ...grant, username: 'alice', password: PW.wrong }));
    const refresh = { grant_type: 'refresh_token', client_id: 'docker', service: 'registry', scope: 'repository:team/app:pull' };
    await expect('POST a refresh grant', 200, realm, form({ ...refresh, refresh_token: posted.refresh_token }));
    await expect('POST a forged refresh grant', 401, realm, form({ ...refresh, refresh_token: forgedRefresh }));
    await expect('POST without client_id', 400, realm, form({ grant_type: 'password', service: 'registry', username: 'alice', password: PW.alice }));
    await expect('POST an unknown grant_type', 400, realm, form({ ...grant, grant_type: 'client_credentials', username: 'alice', password: PW.alice }));
    await expect('POST not a form', 400, realm, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: `password=${PW.alice}` });

    for (const [endpoint, status] of [
      ['/certs', 200],
      ['/jwks', 200],
      ['/healthz', 200],
      ['/readyz', 200],
      ['/metrics', 200],
      ['/no-such-endpoint', 404],
    ] as const) {
      await expect(`GET ${endpoint}`, status, `${url}${endpoint}`, auth('alice', PW.alice));
    }
    await expect('PUT on the realm', 405, realm, { method: 'PUT', ...auth('alice', PW.alice) });
  }

  /** Vault cut: 503s for what is not cached, Vault's outage in the log, /readyz and /metrics saying so; then Vault back. */
  async function driveOutage(name: string, url: string): Promise<void> {
    proxy.set('cut');
    try {
      const unknown = await call(`${name}: GET during the outage`, `${url}/auth?${SCOPE}`, auth(`nobody-${unique()}`, PW.unknown));
      assert.equal(unknown.status, 503);
      const posted = await call(
        `${name}: POST during the outage`,
        `${url}/auth`,
        form({
          grant_type: 'password',
          client_id: 'docker',
          service: 'registry',
          username: `nobody-${unique()}`,
          password: PW.unknown,
        }),
      );
      assert.equal(posted.status, 503);
      await call(`${name}: GET alice during the outage`, `${url}/auth?${SCOPE}`, auth('alice', PW.alice));
      await call(`${name}: /readyz during the outage`, `${url}/readyz`);
      await call(`${name}: /metrics during the outage`, `${url}/metrics`);
    } finally {
      proxy.set('forward');
    }
    await waitFor(
      `${name}: Vault back`,
      async () => (await call(`${name}: GET after the outage`, `${url}/auth?${SCOPE}`, auth(`nobody-${unique()}`, PW.unknown))).status === 401,
      15_000,
    );
  }

  test('the CLI: keys, groups, users (passwords on stdin), explain; and their error paths', async () => {
    const serverA = path.join(dir, 'a');
    serverAKey = path.join(serverA, 'token.key');
    const generated = await cliOk(['keys', 'generate', '--key', serverAKey, '--certificate', path.join(serverA, 'token.pem')]);
    assert.match(generated, /mode 0600/u);
    ledger.privateKey('the signing key of serve', await readFile(serverAKey, 'utf8'), await readFile(path.join(serverA, 'token.pem'), 'utf8'));
    const other = path.join(dir, 'other.key');
    await cliOk(['keys', 'generate', '--type', 'ed25519', '--key', other, '--certificate', path.join(dir, 'other.pem')]);
    ledger.privateKey('an ed25519 key', await readFile(other, 'utf8'), await readFile(path.join(dir, 'other.pem'), 'utf8'));
    assert.equal((await cli(['keys', 'generate', '--key', other, '--certificate', path.join(dir, 'other.pem')])).code, 1);

    const c = ['-c', cliConfig];
    await cliOk(['group', 'add', 'registry', 'devs', '--access', 'repository:team/**:pull', ...c]);
    await cliOk(['group', 'grant', 'registry', 'devs', 'repository:team/tools:push', ...c]);
    await cliOk(['group', 'revoke', 'registry', 'devs', 'repository:team/tools:push', ...c]);
    await cliOk(['group', 'show', 'registry', 'devs', ...c]);
    await cliOk(['group', 'list', 'registry', ...c]);
    await cliOk(['group', 'add', 'registry', 'gone', '--access', 'repository:old/*:pull', ...c]);
    await cliOk(['group', 'rm', 'registry', 'gone', ...c]);
    await cliOk(['user', 'add', 'registry', 'alice', '--password-stdin', '--access', 'repository:team/app:pull,push', ...c], { stdin: `${PW.alice}\n` });
    await cliOk(['user', 'add', 'registry', 'carol', '--password-stdin', '--hash', 'bcrypt', '--groups', 'devs', ...c], { stdin: `${PW.carol}\n` });
    await cliOk(['user', 'add', 'registry', 'dave', '--password-stdin', ...c], { stdin: `${PW.dave}\r\nignored line` });
    await cliOk(['user', 'passwd', 'registry', 'dave', '--password-stdin', ...c], { stdin: `${PW.daveNew}\n` });
    await cliOk(['user', 'grant', 'registry', 'dave', 'repository:team/app:pull', 'repository:team/db:pull', ...c]);
    await cliOk(['user', 'revoke', 'registry', 'dave', 'repository:team/db:pull', ...c]);
    await cliOk(['user', 'groups', 'registry', 'dave', '--set', 'devs', ...c]);
    await cliOk(['user', 'add', 'registry', 'erin', '--password-stdin', ...c], { stdin: PW.erin });
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) await cliOk(['user', 'show', 'registry', user, ...c]);
    await cliOk(['user', 'list', 'registry', ...c]);
    await cliOk(['user', 'rm', 'registry', 'erin', ...c]);
    await cliOk(['explain', ...c, 'registry', 'carol', 'repository:team/app:pull,push,delete', 'repository:other:pull']);
    await cliOk(['explain', ...c, '--json', 'registry', 'bob', 'repository:team/app:pull']);
    // The built command, a password piped to it.
    const built = await builtCli(['user', 'add', 'registry', 'frank', '--password-stdin', ...c], `${PW.frank}\n`, { VAULT_TOKEN: ROOT_TOKEN });
    assert.deepEqual([built.code, built.stderr], [0, '']);

    // The stored hashes are secrets too: no command prints one.
    for (const user of ['alice', 'carol', 'dave', 'frank']) {
      const stored = (await apiOk(vault, 'GET', `registry/data/${user}`)).data.data.password as string;
      assert.match(stored, /^\$(?:argon2id|2[aby])\$/u);
      ledger.secret(`${user}'s password hash`, stored);
    }

    // Error paths, a password on stdin each time.
    const failing: [string, readonly string[], CliIo['env'], RegExp][] = [
      ['an existing user', ['user', 'add', 'registry', 'alice', '--password-stdin', ...c], { VAULT_TOKEN: ROOT_TOKEN }, /already/u],
      ['a wrong Vault token', ['user', 'add', 'registry', 'gina', '--password-stdin', ...c], { VAULT_TOKEN: WRONG_TOKEN }, /invalid, expired or revoked/u],
      ['a wrong Vault token (passwd)', ['user', 'passwd', 'registry', 'alice', '--password-stdin', ...c], { VAULT_TOKEN: WRONG_TOKEN }, /invalid/u],
      ['a wrong token (explain)', ['explain', ...c, 'registry', 'alice', 'repository:team/app:pull'], { VAULT_TOKEN: WRONG_TOKEN }, /invalid/u],
    ];
    for (const [what, args, env, message] of failing) {
      const result = await cli(args, { stdin: `${PW.wrong}\n`, env });
      assert.equal(result.code, 1, `${what}: ${result.stderr}`);
      assert.match(result.stderr, message, what);
    }
    const empty = await cli(['user', 'add', 'registry', 'gina', '--password-stdin', ...c], { stdin: '' });
    assert.equal(empty.code, 1, empty.stderr);

    // AppRole with a wrong secret id, and a Vault that cannot be reached.
    const approleConfig = path.join(dir, 'cli-approle.yml');
    await writeFile(
      approleConfig,
      yaml.dump({
        storage: { vault: { addr: vault.address, timeout: '3s', auth: { method: 'approle', role_id: ROLE_ID } } },
        token: { issuer: 'vra-test', expiration: 300, key: 'token.key', certificate: 'token.pem' },
      }),
    );
    const refused = await cli(['user', 'add', 'registry', 'gina', '--password-stdin', '-c', approleConfig], {
      stdin: `${PW.wrong}\n`,
      env: { VAULT_SECRET_ID: WRONG_SECRET_ID },
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /approle login at auth\/approle\/login was refused \(\d+\): invalid secret id\n$/u);
    const unreachableConfig = path.join(dir, 'cli-unreachable.yml');
    await writeFile(
      unreachableConfig,
      yaml.dump({
        storage: { vault: { addr: `http://127.0.0.1:${proxy.port}`, timeout: '2s' } },
        token: { issuer: 'vra-test', expiration: 300, key: 'token.key', certificate: 'token.pem' },
      }),
    );
    proxy.set('cut');
    try {
      const unreachable = await cli(['user', 'add', 'registry', 'gina', '--password-stdin', '-c', unreachableConfig], {
        stdin: `${PW.wrong}\n`,
        env: { VAULT_TOKEN: SERVER_TOKEN },
      });
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stderr, /Vault cannot be reached/u);
    } finally {
      proxy.set('forward');
    }
  });

  test('a configuration file that is not valid YAML: the error never quotes its lines (auth_token, role_id)', async () => {
    const broken = path.join(dir, 'broken.yml');
    await writeFile(broken, `storage:\n  vault:\n    addr: ${vault.address}\n    auth_token: ${SERVER_TOKEN}\n    namespace: [unclosed\n`);
    const result = await builtCli(['serve', '--config', broken], '', {});
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `vault-registry-auth: invalid configuration in ${broken}:\n  - not valid YAML: unexpected end of the stream within a flow collection (line 6, column 1)\n`,
    );
    const userAdd = await cli(['user', 'add', 'registry', 'gina', '--password-stdin', '-c', broken], { stdin: `${PW.wrong}\n` });
    assert.equal(userAdd.code, 2);
  });

  test('serve with AppRole and two workers, debug log in a file, audit in a file: every endpoint, a refused reload, Vault cut', async () => {
    const serverDir = path.join(dir, 'a');
    const configFile = path.join(serverDir, 'config.yml');
    await writeFile(path.join(serverDir, 'secret-id'), `${SECRET_ID}\n`, { mode: 0o600 });
    const document = {
      log: { level: 'debug', file: 'server.log' },
      storage: {
        vault: {
          addr: `http://127.0.0.1:${proxy.port}`,
          timeout: '2s',
          auth: { method: 'approle', role_id: ROLE_ID, secret_id_file: 'secret-id' },
          circuit_breaker: { failures: 3, cooldown: '1s' },
        },
      },
      http: { addr: '127.0.0.1:0', workers: 2 },
      token: { issuer: 'vra-test', expiration: 300, key: 'token.key', certificate: 'token.pem' },
      services: [{ name: 'registry', anonymous: 'repository:library/**:pull' }],
      audit: { output: 'audit.log' },
      metrics: { enabled: true },
    };
    const text = yaml.dump(document);
    await writeFile(configFile, text);
    const { daemon, url } = await serve(configFile, { VAULT_TOKEN: '', VAULT_ROLE_ID: '', VAULT_SECRET_ID: '' });
    const lines = () => daemon.output().split('\n');
    try {
      await driveEndpoints('serve', url);
      await driveOutage('serve', url);
      // A config edit that is not valid YAML, right after the AppRole lines: refused, and the log line quotes none of them.
      await writeFile(configFile, text.replace(`role_id: ${ROLE_ID}`, `role_id: ${ROLE_ID}\n      extra: [${SECRET_ID}`));
      daemon.child.kill('SIGHUP');
      await waitFor('the refused reload', async () => lines().some((line) => line.includes('reload refused')), 15_000);
      assert.match(
        lines().find((line) => line.includes('reload refused')) ?? '',
        /"message":"reload refused, the running configuration keeps serving: invalid configuration in [^"]+: not valid YAML: [a-z ]+ \(line \d+, column \d+\)","reason"/u,
      );
      await writeFile(configFile, text);
      daemon.child.kill('SIGHUP');
      await waitFor('the reload', async () => lines().filter((line) => line.includes('"message":"reloaded"')).length >= 2, 15_000);
      await call('serve: GET after the reload', `${url}/auth?${SCOPE}`, auth('alice', PW.alice));

      // certs fetch from this server, and from a path that is no key bundle.
      await cliOk(['certs', 'fetch', '--url', `${url}/certs`, '--out', path.join(dir, 'bundle.pem')]);
      await cliOk(['certs', 'fetch', '--url', `${url}/jwks`, '--out', path.join(dir, 'jwks.json'), '--format', 'jwks']);
      assert.equal((await cli(['certs', 'fetch', '--url', `${url}/auth?${SCOPE}`, '--out', path.join(dir, 'x.pem'), '--attempts', '1'])).code, 1);
      ledger.output('the fetched PEM bundle', await readFile(path.join(dir, 'bundle.pem'), 'utf8'));
      ledger.output('the fetched JWKS', await readFile(path.join(dir, 'jwks.json'), 'utf8'));
    } finally {
      await daemon.stop();
    }
    ledger.output('serve: stdout and stderr', daemon.output());
    const log = await readFile(path.join(serverDir, 'server.log'), 'utf8');
    const audit = await readFile(path.join(serverDir, 'audit.log'), 'utf8');
    ledger.output('serve: log.file', log);
    ledger.output('serve: the audit file', audit);
    // What was said: the paths above ran.
    for (const message of [
      '"message":"logged in to Vault"',
      '"message":"Vault lost',
      '"message":"Vault back"',
      '"message":"request"',
      'is stored in plaintext',
    ]) {
      assert.ok(log.includes(message), `no ${message} line in the log`);
    }
    assert.ok(audit.includes('"outcome":"denied"'), 'denied decisions are audited');
  });

  test('a server logging in with a Vault token, keys from Vault, no cache: every endpoint, Vault cut, a broken key secret', async () => {
    const key = await makeKey('p256');
    ledger.privateKey('the signing key in Vault', key.keyPem, key.certificatePem);
    await apiOk(vault, 'POST', KEYS_PATH, { data: { key: key.keyPem, certificate: key.certificatePem } });
    const auditFile = path.join(dir, 'b-audit.log');
    const server = await startTestServer(
      {
        log: { level: 'debug' },
        storage: {
          vault: { addr: `http://127.0.0.1:${proxy.port}`, timeout: '2s', auth_token: SERVER_TOKEN, circuit_breaker: { failures: 3, cooldown: '1s' } },
        },
        cache: { ttl: 0 },
        token: { vault_path: KEYS_PATH, reload: '300ms' },
        services: [{ name: 'registry', anonymous: 'repository:library/**:pull' }],
        audit: { output: auditFile },
        metrics: { enabled: true },
      },
      { env: {} },
    );
    const unused = await Promise.all(['token.key', 'token.pem'].map((file) => readFile(path.join(server.dir, file), 'utf8')));
    ledger.privateKey("the test server's unused key file", unused[0] as string, unused[1] as string);
    try {
      await driveEndpoints('token login', server.url);
      await driveOutage('token login', server.url);
      // A mistyped key secret (the fields swapped): refused, logged, the old keys kept.
      await apiOk(vault, 'POST', KEYS_PATH, { data: { key: key.certificatePem, certificate: key.keyPem } });
      await waitFor('the refused key secret', async () => server.logs().includes('keeping the signing keys loaded before'), 10_000);
      await call('token login: GET with the keys kept', `${server.url}/auth?${SCOPE}`, auth('alice', PW.alice));
    } finally {
      await server.close();
    }
    ledger.output('token login: the log', server.logs());
    ledger.output('token login: the audit file', await readFile(auditFile, 'utf8'));
  });

  test("servers whose own Vault credentials are wrong (secret id, token, service-account JWT): 503, and Vault's reason without them", async () => {
    // A Kubernetes-shaped login (Vault's jwt method) with a service-account JWT signed by a key Vault does not trust.
    await enableAuth(vault, 'kubernetes', 'jwt');
    const trusted = await makeKey('p256');
    await apiOk(vault, 'POST', 'auth/kubernetes/config', {
      jwt_validation_pubkeys: [createPublicKey(trusted.privateKey).export({ type: 'spki', format: 'pem' })],
    });
    await apiOk(vault, 'POST', 'auth/kubernetes/role/vra', { role_type: 'jwt', bound_audiences: ['vault'], user_claim: 'sub', token_policies: [POLICY] });
    const jwt = await new SignJWT({ note: MARK })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('system:serviceaccount:registry:vra')
      .setAudience('vault')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign((await makeKey('p256')).privateKey);
    ledger.token('the service-account JWT', jwt);
    const jwtFile = path.join(dir, 'sa-token');
    await writeFile(jwtFile, jwt, { mode: 0o600 });

    for (const [what, vaultSettings, env] of [
      ['a wrong secret id', { auth: { method: 'approle', role_id: ROLE_ID } }, { VAULT_SECRET_ID: WRONG_SECRET_ID }],
      ['a wrong token', { auth_token: WRONG_TOKEN }, {}],
      ['an untrusted service-account JWT', { auth: { method: 'kubernetes', role: 'vra', jwt_file: jwtFile } }, {}],
    ] as const) {
      const server = await startTestServer(
        {
          log: { level: 'debug' },
          storage: { vault: { addr: vault.address, timeout: '2s', ...vaultSettings } },
          services: [{ name: 'registry' }],
          audit: { output: path.join(dir, 'c-audit.log') },
        },
        { env },
      );
      try {
        const answer = await call(`${what}: GET`, `${server.url}/auth?${SCOPE}`, auth('alice', PW.alice));
        assert.equal(answer.status, 503);
        await call(
          `${what}: POST`,
          `${server.url}/auth`,
          form({ grant_type: 'password', client_id: 'x', service: 'registry', username: 'alice', password: PW.alice }),
        );
        await call(`${what}: /readyz`, `${server.url}/readyz`);
        await call(`${what}: /metrics`, `${server.url}/metrics`);
      } finally {
        await server.close();
      }
      assert.match(server.logs(), /cannot log in to Vault/u, what);
      ledger.output(`${what}: the log`, server.logs());
    }
    ledger.output('wrong credentials: the audit file', await readFile(path.join(dir, 'c-audit.log'), 'utf8'));
  });

  test('no secret in any output: logs, audit, answers, metrics, command output', () => {
    // The Vault tokens the servers used, as they went on the wire (the AppRole logins' tokens among them).
    const vaultTokens = new Set([...proxy.sent().matchAll(/x-vault-token: ([^\r\n]+)/giu)].map((match) => match[1] as string));
    assert.ok(vaultTokens.has(SERVER_TOKEN), 'the token login went through the proxy');
    assert.ok(vaultTokens.size >= 2, 'the AppRole login got a token of its own');
    for (const token of vaultTokens) ledger.secret('a Vault token the server used', token);
    assert.ok(ledger.outputCount > 100, `only ${ledger.outputCount} outputs`);
    assert.deepEqual(ledger.leaks(), []);
    assert.deepEqual(ledger.marked(), []);
  });
});
