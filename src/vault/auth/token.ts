/**
 * `token`: a token given in the config, in VAULT_TOKEN, or in a file that a
 * Vault Agent (or an operator) rewrites; the file is read again at each
 * login and watched for changes. "Logging in" looks the token up, to learn
 * whether it is valid, how long it lives and whether it can be renewed.
 */
import { unavailable } from '../../errors.js';
import type { VaultTransport } from '../transport.js';
import { type AuthMethod, type LoginResult, readSecret, type SecretSource, vaultErrors } from './auth-method.js';

export function tokenAuth(source: SecretSource): AuthMethod {
  return {
    name: 'token',
    watchFiles: 'file' in source ? [source.file] : [],
    async login(transport: VaultTransport): Promise<LoginResult> {
      const token = await readSecret(source, 'Vault token');
      const response = await transport.request('GET', 'auth/token/lookup-self', { token });
      const where = 'file' in source ? `from ${source.file}` : 'from storage.vault.auth_token or VAULT_TOKEN';
      if (response.status === 403) throw unavailable(`the Vault token ${where} is invalid, expired or revoked`);
      if (response.status !== 200) throw unavailable(`looking up the Vault token ${where} failed (${response.status}): ${vaultErrors(response, [token])}`);
      const data = (response.body as { data?: { ttl?: unknown; renewable?: unknown } }).data;
      return { token, ttlSeconds: Number(data?.ttl) || 0, renewable: data?.renewable === true };
    },
  };
}
