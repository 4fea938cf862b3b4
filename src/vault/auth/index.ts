/** The configured way of logging in to Vault → its AuthMethod. */
import type { VaultAuthConfig } from '../../config/config.js';
import { appRoleAuth } from './approle.js';
import type { AuthMethod } from './auth-method.js';
import { kubernetesAuth } from './kubernetes.js';
import { tokenAuth } from './token.js';

export function authMethodFor(auth: VaultAuthConfig): AuthMethod {
  switch (auth.method) {
    case 'token':
      return tokenAuth(auth.token);
    case 'approle':
      return appRoleAuth({ mount: auth.mount, roleId: auth.roleId, secretId: auth.secretId });
    case 'kubernetes':
      return kubernetesAuth({ mount: auth.mount, role: auth.role, jwtFile: auth.jwtFile });
  }
}
