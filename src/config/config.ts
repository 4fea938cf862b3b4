/** The validated, resolved configuration the rest of the server reads. */
import type { KeyIdFormat } from '../domain/key-id.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface VaultStorageConfig {
  readonly kind: 'vault';
  /** Base address, e.g. http://127.0.0.1:8200 (no trailing slash). */
  readonly address: string;
  readonly token: string;
  readonly kvVersion: 'auto' | 1 | 2;
  readonly timeoutMs: number;
}

export interface FileStorageConfig {
  readonly kind: 'file';
  readonly path: string;
}

export interface Config {
  /** Folder of the config file: relative paths were resolved against it. */
  readonly baseDir: string;
  readonly log: { readonly level: LogLevel; readonly file?: string };
  readonly storage: VaultStorageConfig | FileStorageConfig;
  readonly http: {
    readonly host?: string;
    readonly port: number;
    readonly timeoutMs: number;
    readonly tls?: { readonly certificate: string; readonly key: string };
    readonly realmPaths: readonly string[];
  };
  readonly token: {
    readonly issuer: string;
    readonly expirationSeconds: number;
    readonly certificate: string;
    readonly key: string;
    readonly kid: KeyIdFormat;
    readonly x5c: boolean;
    readonly generate: boolean;
  };
  /** service name → storage mount; null when any service may be asked for. */
  readonly services: ReadonlyMap<string, string> | null;
}
