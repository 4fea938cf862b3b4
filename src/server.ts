/**
 * Puts the pieces together for `serve`: logger, user store, signing key and
 * the HTTP(S) server with its timeouts. Everything slow or fallible (files,
 * keys) happens here, once, before the first request.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import type { Config } from './config/config.js';
import { createApp } from './http/app.js';
import { createLogger } from './logger.js';
import { generateSigningKeyFiles } from './tokens/generate.js';
import { createSigner } from './tokens/signer.js';
import { loadSigningKey } from './tokens/signing-key.js';
import { createUserFileIfMissing } from './users/bootstrap.js';
import { FileUserStore } from './users/file-user-store.js';
import type { UserStore } from './users/user-store.js';
import { VaultUserStore } from './vault/vault-user-store.js';

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Where a one-time message for the operator (the bootstrap password) goes. */
  readonly announce?: (text: string) => void;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log);
  const announce = options.announce ?? ((text: string) => process.stdout.write(`${text}\n`));

  // The key first: a start that fails on it must not have created users.
  const signingKey = await prepareSigningKey(config, logger);
  const users = await openUserStore(config, logger, announce);
  const signer = createSigner(signingKey, { x5c: config.token.x5c });
  const app = createApp({ config, users, signer, logger });

  const server = config.http.tls ? https.createServer(await readTls(config.http.tls), app.callback()) : http.createServer(app.callback());
  // Bounded everywhere: a slow or silent client cannot hold a connection.
  // The idle timeout also covers the wait for Vault, so a slow Vault ends in
  // our 503 rather than in a connection cut first.
  const storageTimeoutMs = config.storage.kind === 'vault' ? config.storage.timeoutMs : 0;
  server.requestTimeout = config.http.timeoutMs;
  server.headersTimeout = Math.min(config.http.timeoutMs, 60_000);
  server.keepAliveTimeout = 5_000;
  server.setTimeout(Math.max(config.http.timeoutMs, storageTimeoutMs + 1_000));

  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(new StartupError(`http.addr: cannot listen on ${config.http.host ?? ''}:${config.http.port}: ${error.code ?? error.message}`));
    server.once('error', fail);
    server.listen(config.http.port, config.http.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${config.http.tls ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info('listening', {
    url,
    realm: config.http.realmPaths,
    users: users.describe(),
    alg: signingKey.alg,
    kid: signingKey.kid,
  });

  return {
    url,
    server,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await users.close();
    },
  };
}

async function openUserStore(config: Config, logger: Logger, announce: (text: string) => void): Promise<UserStore> {
  if (config.storage.kind === 'vault') {
    if (config.services === null) {
      logger.warn('no services list configured: any KV mount the Vault token can read is reachable as a service');
    }
    return new VaultUserStore(config.storage, logger);
  }
  const firstService = config.services ? [...config.services.values()][0] : 'registry';
  const created = await createUserFileIfMissing(config.storage.path, firstService ?? 'registry');
  if (created) {
    announce(
      `Created ${config.storage.path} with the user "${created.username}" and the password:\n\n    ${created.password}\n\n` +
        'It is shown only this once. Edit that file to add users.',
    );
  }
  return new FileUserStore(config.storage.path);
}

async function prepareSigningKey(config: Config, logger: Logger) {
  const { key, certificate, generate, kid } = config.token;
  if (generate && !existsSync(key) && !existsSync(certificate)) {
    await generateSigningKeyFiles(key, certificate, config.token.issuer);
    logger.info('generated a signing key and certificate', { key, certificate });
  }
  try {
    return await loadSigningKey(key, certificate, kid);
  } catch (error) {
    throw new StartupError(`token.key and token.certificate (${key}, ${certificate}): ${describeFileError(error)}`);
  }
}

async function readTls(tls: { certificate: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certificate), key: await readFile(tls.key) };
  } catch (error) {
    throw new StartupError(`http.tls.certificate and http.tls.key (${tls.certificate}, ${tls.key}): ${describeFileError(error)}`);
  }
}

function describeFileError(error: unknown): string {
  const { code, path: file } = error as NodeJS.ErrnoException;
  return code === 'ENOENT' ? `no such file: ${file}` : (error as Error).message;
}

/** A start-up failure whose message is meant for the operator as it is. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
