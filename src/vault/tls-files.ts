/**
 * Reads the TLS material of the Vault connection once, at start-up: CA
 * certificates from a file and from every file of a folder (as Vault's
 * VAULT_CAPATH), a client certificate and key. Errors name the setting.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { VaultTlsConfig } from '../config/config.js';
import type { VaultTls } from './transport.js';

export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu;

export async function readVaultTls(config: VaultTlsConfig): Promise<VaultTls> {
  const cas: string[] = [];
  if (config.caCert) cas.push(...certificatesIn(await read(config.caCert.file, config.caCert.key), config.caCert.file, config.caCert.key));
  if (config.caPath) {
    const { dir, key } = config.caPath;
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
    } catch (error) {
      throw new TlsFileError(`${key}: cannot read the folder ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const name of names.sort()) cas.push(...((await read(path.join(dir, name), key)).match(PEM_CERTIFICATE) ?? []));
    if (cas.length === 0) throw new TlsFileError(`${key}: no PEM certificate in ${dir}`);
  }
  if (Boolean(config.clientCert) !== Boolean(config.clientKey)) {
    throw new TlsFileError('storage.vault.tls.client_cert and client_key (VAULT_CLIENT_CERT, VAULT_CLIENT_KEY) go together: give both or neither');
  }
  return {
    ...(cas.length > 0 ? { ca: cas.join('\n') } : {}),
    ...(config.clientCert ? { cert: await read(config.clientCert.file, config.clientCert.key) } : {}),
    ...(config.clientKey ? { key: await read(config.clientKey.file, config.clientKey.key) } : {}),
    ...(config.serverName ? { serverName: config.serverName } : {}),
  };
}

async function read(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new TlsFileError(`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function certificatesIn(text: string, file: string, key: string): string[] {
  const found = text.match(PEM_CERTIFICATE) ?? [];
  if (found.length === 0) throw new TlsFileError(`${key}: no PEM certificate in ${file}`);
  return found;
}
