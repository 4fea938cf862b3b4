/**
 * The real distribution registry (v3, or 2.8 with `dialect: 'v2'`),
 * configured for token auth against our server, on a free loopback port. It
 * trusts the certificates of a `rootcertbundle`, the keys of a `jwks` file
 * (v3 only), or both.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { freePort, waitFor } from './net.js';
import { startDaemon, type Daemon } from './process.js';

export interface RegistryOptions {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly rootCertBundle?: string;
  /** A JWK set file (registry v3's `auth.token.jwks`). */
  readonly jwks?: string;
  /**
   * The binary's configuration dialect: `v3` (distribution v3, the default)
   * or `v2` (registry 2.8, `registry2`), whose token auth requires
   * `rootcertbundle` and has no `jwks` (2.8 would ignore it without a word).
   */
  readonly dialect?: 'v3' | 'v2';
  /** Share this storage folder with other registries (a second replica); kept on stop. */
  readonly dataDir?: string;
}

export class RegistryServer {
  /** host:port, with the host name `localhost` (crane refuses loopback IP realms otherwise). */
  readonly host: string;
  readonly port: number;
  readonly #daemon: Daemon;
  readonly #dir: string;

  private constructor(port: number, daemon: Daemon, dir: string) {
    this.host = `localhost:${port}`;
    this.port = port;
    this.#daemon = daemon;
    this.#dir = dir;
  }

  static async start(binary: string, options: RegistryOptions): Promise<RegistryServer> {
    const v2 = options.dialect === 'v2';
    if (v2 && options.jwks) throw new Error('registry 2.8 has no auth.token.jwks: it trusts a rootcertbundle only');
    if (v2 && !options.rootCertBundle) throw new Error('registry 2.8 requires auth.token.rootcertbundle');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-registry-'));
    const port = await freePort();
    const config = {
      version: 0.1,
      log: { level: 'info', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: options.dataDir ?? path.join(dir, 'data') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${port}`, secret: 'vra-e2e-http-secret' },
      auth: {
        token: {
          realm: options.realm,
          service: options.service,
          issuer: options.issuer,
          ...(options.rootCertBundle ? { rootcertbundle: options.rootCertBundle } : {}),
          ...(options.jwks ? { jwks: options.jwks } : {}),
        },
      },
    };
    const configFile = path.join(dir, 'config.yml');
    await writeFile(configFile, yaml.dump(config));
    // v3 exports OpenTelemetry traces unless told not to; 2.8 has none.
    const daemon = startDaemon(binary, ['serve', configFile], v2 ? {} : { OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' });
    const registry = new RegistryServer(port, daemon, dir);
    try {
      await waitFor('registry', async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 401);
    } catch (error) {
      await daemon.stop();
      throw new Error(`${(error as Error).message}\n${daemon.output()}`);
    }
    return registry;
  }

  output(): string {
    return this.#daemon.output();
  }

  async stop(): Promise<void> {
    await this.#daemon.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
