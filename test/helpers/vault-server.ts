/**
 * A real Vault server (OpenBao or HashiCorp Vault) in dev mode on a free
 * loopback port, with helpers that speak its HTTP API and run its CLI.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './net.js';
import { run, startDaemon, type Daemon, type RunResult } from './process.js';

export const ROOT_TOKEN = 'vra-test-root-token';

export interface VaultServerOptions {
  /**
   * HCL passed with `-config` next to `-dev`: dev mode merges it into its own
   * configuration, so extra `listener` blocks (TLS, mTLS) come up beside the
   * plain dev listener, which stays the one `address` and the helpers use.
   */
  readonly extraConfig?: string;
  /** Listen on this port (to start Vault again where a stopped one was); a free one by default. */
  readonly port?: number;
}

export class VaultServer {
  readonly address: string;
  readonly #daemon: Daemon;
  readonly #binary: string;
  readonly #dir: string;

  private constructor(binary: string, address: string, daemon: Daemon, dir: string) {
    this.#binary = binary;
    this.address = address;
    this.#daemon = daemon;
    this.#dir = dir;
  }

  static async start(binary: string, options: VaultServerOptions = {}): Promise<VaultServer> {
    const port = options.port ?? (await freePort());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-vault-'));
    const address = `http://127.0.0.1:${port}`;
    const args = ['server', '-dev', `-dev-root-token-id=${ROOT_TOKEN}`, `-dev-listen-address=127.0.0.1:${port}`];
    if (options.extraConfig !== undefined) {
      const configFile = path.join(dir, 'extra.hcl');
      await writeFile(configFile, options.extraConfig);
      args.push(`-config=${configFile}`);
    }
    const daemon = startDaemon(binary, args, {
      HOME: dir,
      VAULT_ADDR: address,
      BAO_ADDR: address,
    });
    const vault = new VaultServer(binary, address, daemon, dir);
    try {
      await waitFor('vault', async () => (await fetch(`${address}/v1/sys/health`)).status === 200);
    } catch (error) {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`${(error as Error).message}\n${daemon.output()}`);
    }
    return vault;
  }

  /** A call to the HTTP API with the root token; returns status and JSON body. */
  async api(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.address}/v1/${apiPath}`, {
      method,
      headers: { 'X-Vault-Token': ROOT_TOKEN, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  async enableKv(mount: string, version: 1 | 2): Promise<void> {
    const { status, body } = await this.api('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: String(version) } });
    if (status !== 204 && status !== 200) throw new Error(`enabling ${mount}: ${status} ${JSON.stringify(body)}`);
  }

  /** The vault (or bao) command line, as an operator would use it. */
  cli(...args: string[]): Promise<RunResult> {
    return run(this.#binary, args, {
      env: { VAULT_ADDR: this.address, VAULT_TOKEN: ROOT_TOKEN, BAO_ADDR: this.address, BAO_TOKEN: ROOT_TOKEN, HOME: this.#dir },
    });
  }

  async cliOk(...args: string[]): Promise<string> {
    const result = await this.cli(...args);
    if (result.code !== 0) throw new Error(`vault ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  }

  /** Writes a user the way the README says: `vault write` (KV v1) or `vault kv put` (KV v2). */
  async putUser(mount: string, version: 1 | 2, user: string, password: string, access: string): Promise<void> {
    const fields = [`password=${password}`, `access=${access}`];
    if (version === 1) await this.cliOk('write', `${mount}/${user}`, ...fields);
    else await this.cliOk('kv', 'put', `${mount}/${user}`, ...fields);
  }

  async deleteUser(mount: string, version: 1 | 2, user: string): Promise<void> {
    if (version === 1) await this.cliOk('delete', `${mount}/${user}`);
    else await this.cliOk('kv', 'delete', `${mount}/${user}`);
  }

  /** The dev server's unseal key, from its start-up banner. */
  unsealKey(): string {
    const match = /Unseal Key: (\S+)/u.exec(this.#daemon.output());
    if (!match) throw new Error('no unseal key in the dev server output');
    return match[1] as string;
  }

  output(): string {
    return this.#daemon.output();
  }

  async stop(): Promise<void> {
    await this.#daemon.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
