/**
 * Small administrative steps on a test Vault, done with the root token as an
 * operator would: load the project's minimal policy (config/vault-policy.hcl),
 * create tokens, enable auth methods, set up AppRole roles, and look up or
 * revoke the tokens a server got.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VaultServer } from './vault-server.js';

/** config/vault-policy.hcl of the repository (this file runs from dist/test/helpers/). */
export const POLICY_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../config/vault-policy.hcl');

/** A call that must succeed (2xx); its JSON body. */
export async function apiOk(vault: VaultServer, method: string, apiPath: string, body?: unknown): Promise<any> {
  const answer = await vault.api(method, apiPath, body);
  if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${apiPath}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Writes config/vault-policy.hcl as the ACL policy `name`. */
export async function writeProjectPolicy(vault: VaultServer, name: string): Promise<string> {
  const policy = await readFile(POLICY_FILE, 'utf8');
  await apiOk(vault, 'PUT', `sys/policies/acl/${name}`, { policy });
  return policy;
}

export interface CreatedToken {
  readonly token: string;
  readonly accessor: string;
}

/** auth/token/create with the given fields (policies, ttl, renewable, explicit_max_ttl, no_default_policy…). */
export async function createToken(vault: VaultServer, fields: Record<string, unknown>): Promise<CreatedToken> {
  const body = await apiOk(vault, 'POST', 'auth/token/create', fields);
  return { token: body.auth.client_token, accessor: body.auth.accessor };
}

/** Enables an auth method of `type` at `mountPath` (sys/auth/<path>). */
export async function enableAuth(vault: VaultServer, mountPath: string, type: string): Promise<void> {
  await apiOk(vault, 'POST', `sys/auth/${mountPath}`, { type });
}

/** An AppRole role at `mount` with the given settings, and its role_id and a fresh secret_id. */
export async function createAppRole(
  vault: VaultServer,
  mount: string,
  role: string,
  settings: Record<string, unknown>,
): Promise<{ roleId: string; secretId: string }> {
  await apiOk(vault, 'POST', `auth/${mount}/role/${role}`, settings);
  const roleId: string = (await apiOk(vault, 'GET', `auth/${mount}/role/${role}/role-id`)).data.role_id;
  const secretId: string = (await apiOk(vault, 'POST', `auth/${mount}/role/${role}/secret-id`, {})).data.secret_id;
  return { roleId, secretId };
}

export interface TokenInfo {
  readonly accessor: string;
  readonly path: string;
  readonly policies: readonly string[];
  readonly expire_time: string | null;
  readonly ttl: number;
  readonly renewable: boolean;
  readonly [key: string]: unknown;
}

/** What Vault knows of a token, by its accessor (null when it no longer exists). */
export async function lookupAccessor(vault: VaultServer, accessor: string): Promise<TokenInfo | null> {
  const answer = await vault.api('POST', 'auth/token/lookup-accessor', { accessor });
  if (answer.status !== 200) return null;
  return (answer.body as { data: TokenInfo }).data;
}

/** The live tokens that a login at `loginPath` (e.g. auth/approle/login) created. */
export async function tokensFromLogin(vault: VaultServer, loginPath: string): Promise<TokenInfo[]> {
  const listed = await vault.api('GET', 'auth/token/accessors?list=true');
  const accessors = (listed.body as { data?: { keys?: string[] } } | null)?.data?.keys ?? [];
  const found: TokenInfo[] = [];
  for (const accessor of accessors) {
    const info = await lookupAccessor(vault, accessor);
    if (info?.path === loginPath) found.push(info);
  }
  return found;
}

/** Revokes the token with this accessor (and its children), at once. */
export async function revokeAccessor(vault: VaultServer, accessor: string): Promise<void> {
  await apiOk(vault, 'POST', 'auth/token/revoke-accessor', { accessor });
}
