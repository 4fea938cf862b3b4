/** `approle`: role_id and secret_id, POSTed to `auth/<mount>/login`. */
import type { VaultTransport } from '../transport.js';
import { type AuthMethod, loginResult, readSecret, type SecretSource } from './auth-method.js';

export interface AppRoleSettings {
  readonly mount: string;
  readonly roleId: SecretSource;
  readonly secretId: SecretSource;
}

export function appRoleAuth(settings: AppRoleSettings): AuthMethod {
  const path = `auth/${settings.mount}/login`;
  return {
    name: 'approle',
    watchFiles: [],
    async login(transport: VaultTransport) {
      const body = { role_id: await readSecret(settings.roleId, 'AppRole role_id'), secret_id: await readSecret(settings.secretId, 'AppRole secret_id') };
      return loginResult('approle', path, await transport.request('POST', path, { body }), [body.secret_id, body.role_id]);
    },
  };
}
