/**
 * Vault's own file audit device: the record of every path a token touched,
 * so tests see what the server really read (no fake in between).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { VaultServer } from './vault-server.js';

/** One line of Vault's file audit log, as far as the tests read it. */
export interface AuditEntry {
  readonly type: 'request' | 'response';
  readonly auth?: { readonly accessor?: string };
  readonly request?: { readonly path?: string; readonly data?: Record<string, unknown> };
  readonly response?: { readonly auth?: { readonly accessor?: string } };
}

export class VaultAudit {
  readonly file: string;

  private constructor(file: string) {
    this.file = file;
  }

  static async enable(vault: VaultServer): Promise<VaultAudit> {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'vra-audit-')), 'audit.log');
    const { status } = await vault.api('PUT', 'sys/audit/file', { type: 'file', options: { file_path: file, hmac_accessor: 'false' } });
    if (status !== 204) throw new Error(`enabling the audit device: ${status}`);
    return new VaultAudit(file);
  }

  /** Every line written so far, in order. */
  async entries(): Promise<AuditEntry[]> {
    return (await readFile(this.file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);
  }

  /** The paths requested with the token whose accessor is given, in order. */
  async paths(accessor: string): Promise<string[]> {
    return (await readFile(this.file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; auth?: { accessor?: string }; request?: { path?: string } })
      .filter((entry) => entry.type === 'request' && entry.auth?.accessor === accessor)
      .map((entry) => entry.request?.path ?? '');
  }

  async remove(): Promise<void> {
    await rm(path.dirname(this.file), { recursive: true, force: true });
  }
}

/** A token for the server, with its accessor (to find its requests in the audit log). */
export async function serverToken(vault: VaultServer, policies: string[] = ['root']): Promise<{ token: string; accessor: string }> {
  const created = await vault.api('POST', 'auth/token/create', { policies });
  const auth = (created.body as { auth: { client_token: string; accessor: string } }).auth;
  return { token: auth.client_token, accessor: auth.accessor };
}
