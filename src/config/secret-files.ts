/**
 * The files of a configuration that hold secrets, each with the setting
 * that names it: what src/util/file-permissions.ts checks at every start
 * and reload. Certificates, CA bundles and the role_id are public; the
 * Kubernetes service-account JWT is left out on purpose: the kubelet
 * writes it (0644 by default in projected volumes), we cannot change its
 * mode, and it lives an hour.
 */
import type { Config } from './config.js';
import type { SecretFile } from '../util/file-permissions.js';

export function secretFilesOf(config: Config): SecretFile[] {
  const files: SecretFile[] = [];
  if (config.token.keys.from === 'files') files.push({ setting: 'token.key', file: config.token.keys.key });
  if (config.http.tls) files.push({ setting: 'http.tls.key', file: config.http.tls.key });
  if (config.storage.kind === 'vault') {
    const { auth, tls } = config.storage;
    const secret = auth.method === 'token' ? auth.token : auth.method === 'approle' ? auth.secretId : null;
    if (secret && 'file' in secret) files.push({ setting: secret.key, file: secret.file });
    if (tls.clientKey) files.push({ setting: tls.clientKey.key, file: tls.clientKey.file });
  }
  return files;
}
