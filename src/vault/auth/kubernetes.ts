/**
 * `kubernetes`: the pod's service-account JWT and a role, POSTed to
 * `auth/<mount>/login` (the same request as Vault's `jwt` method). The JWT
 * file is read at each login: Kubernetes rotates projected tokens.
 */
import type { VaultTransport } from '../transport.js';
import { type AuthMethod, loginResult, readSecret } from './auth-method.js';

export const DEFAULT_KUBERNETES_JWT_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubernetesSettings {
  readonly mount: string;
  readonly role: string;
  readonly jwtFile: string;
}

export function kubernetesAuth(settings: KubernetesSettings): AuthMethod {
  const path = `auth/${settings.mount}/login`;
  return {
    name: 'kubernetes',
    watchFiles: [],
    async login(transport: VaultTransport) {
      const jwt = await readSecret({ file: settings.jwtFile, key: 'storage.vault.auth.jwt_file' }, 'service account JWT');
      return loginResult('kubernetes', path, await transport.request('POST', path, { body: { role: settings.role, jwt } }), [jwt]);
    },
  };
}
