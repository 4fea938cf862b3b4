/**
 * The real distribution registry (v3), configured for token auth against our
 * server, on a free loopback port.
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
  readonly rootCertBundle: string;
}

export class RegistryServer {
  /** host:port, with the host name `localhost` (crane refuses loopback IP realms otherwise). */
  readonly host: string;
  readonly #daemon: Daemon;
  readonly #dir: string;

  private constructor(host: string, daemon: Daemon, dir: string) {
    this.host = host;
    this.#daemon = daemon;
    this.#dir = dir;
  }

  static async start(binary: string, options: RegistryOptions): Promise<RegistryServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vra-registry-'));
    const port = await freePort();
    const config = {
      version: 0.1,
      log: { level: 'info', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: path.join(dir, 'data') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${port}`, secret: 'vra-e2e-http-secret' },
      auth: {
        token: {
          realm: options.realm,
          service: options.service,
          issuer: options.issuer,
          rootcertbundle: options.rootCertBundle,
        },
      },
    };
    const configFile = path.join(dir, 'config.yml');
    await writeFile(configFile, yaml.dump(config));
    const daemon = startDaemon(binary, ['serve', configFile], { OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' });
    const registry = new RegistryServer(`localhost:${port}`, daemon, dir);
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
