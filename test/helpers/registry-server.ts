/**
 * The real distribution registry (v3), configured for token auth against our
 * server, on a free loopback port. It trusts the certificates of a
 * `rootcertbundle`, the keys of a `jwks` file, or both.
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
    const daemon = startDaemon(binary, ['serve', configFile], { OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' });
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
