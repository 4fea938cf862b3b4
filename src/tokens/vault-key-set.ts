/**
 * The key set kept in a Vault KV secret (`token.vault_path`), read through
 * the server's one Vault client and read again every `token.reload`: a
 * rotation written once to Vault reaches every replica without a restart.
 *
 * Fields: `key` (PEM private key, the active one), `certificate` (its PEM
 * certificate or chain, leaf first) and optionally `published` (a PEM bundle
 * of the certificates of keys that only verify).
 *
 * The first read must succeed — a server without a key cannot sign — and its
 * failure is a start-up error naming `token.vault_path`. After that, a read
 * that fails (Vault down, secret gone, policy changed, content broken) keeps
 * the keys already loaded and is logged once until it is fixed: a bad write
 * to Vault must not take every replica down at once.
 *
 * The private key lives in this process's memory and in Vault, nowhere else:
 * it is never logged, and only a hash of the secret is kept to notice changes.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'winston';
import type { KeyIdFormat } from '../domain/key-id.js';
import type { VaultClient } from '../vault/client.js';
import { type KeySet, type OpenKeySet, publishedKeysFromPem, staticKeySet, type VerificationKey } from './key-set.js';
import { type SigningKey, signingKeyFromPem } from './signing-key.js';

export interface VaultKeySetOptions {
  readonly vault: Pick<VaultClient, 'read'>;
  /** The secret's API path, as `vault read` takes it: `secret/data/registry-token` for KV v2. */
  readonly path: string;
  readonly reloadMs: number;
  readonly kidFormat: KeyIdFormat;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** The first read failed: the message names `token.vault_path` and says what to fix. */
export class VaultKeySetError extends Error {
  override readonly name = 'VaultKeySetError';
}

/** Why one read gave no usable key set; `outage` when Vault could not answer. */
class ReadProblem extends Error {
  readonly outage: boolean;
  constructor(message: string, outage = false) {
    super(message);
    this.outage = outage;
  }
}

interface Loaded {
  readonly keys: KeySet;
  /** SHA-256 of the secret's fields: a read that changed nothing parses nothing. */
  readonly fingerprint: string;
}

export async function openVaultKeySet(options: VaultKeySetOptions): Promise<VaultKeySet> {
  try {
    return new VaultKeySet(options, parse(await readSecret(options), options.kidFormat));
  } catch (error) {
    throw new VaultKeySetError(`token.vault_path (${options.path}): ${(error as Error).message}`);
  }
}

export class VaultKeySet implements OpenKeySet {
  readonly #options: VaultKeySetOptions;
  #loaded: Loaded;
  #reading: Promise<void> | null = null;
  /** The problem last logged, so that one problem is logged once, not every reload. */
  #problem: string | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(options: VaultKeySetOptions, first: Loaded) {
    this.#options = options;
    this.#loaded = first;
    // unref: the timer alone does not keep the process alive.
    this.#timer = setInterval(() => void this.reload(), options.reloadMs).unref();
  }

  active() {
    return this.#loaded.keys.active();
  }

  verifiers() {
    return this.#loaded.keys.verifiers();
  }

  /** Reads the secret again now (the timer calls this); never throws. Concurrent calls share one read. */
  reload(): Promise<void> {
    this.#reading ??= this.#reload().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #reload(): Promise<void> {
    const { path, logger } = this.#options;
    let loaded: Loaded | null = null;
    try {
      const secret = await readSecret(this.#options);
      if (secret.fingerprint !== this.#loaded.fingerprint) loaded = parse(secret, this.#options.kidFormat);
    } catch (error) {
      const message = `token.vault_path (${path}): ${(error as Error).message}; keeping the signing keys loaded before`;
      if (message !== this.#problem) {
        this.#problem = message;
        if (error instanceof ReadProblem && error.outage) logger.warn(message);
        else logger.error(message);
      }
      return;
    }
    if (this.#problem !== null) {
      this.#problem = null;
      logger.info('the signing keys in Vault can be read again', { path });
    }
    if (loaded === null) return;
    this.#loaded = loaded;
    const [active, ...published] = loaded.keys.verifiers();
    logger.info('signing keys reloaded from Vault', { path, active: active?.kid, published: published.map((key) => key.kid) });
  }
}

interface Secret {
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly publishedPem: string | null;
  /** SHA-256 of the fields: a read that changed nothing parses nothing. */
  readonly fingerprint: string;
}

/** One read of the secret: its fields, checked to be there. Throws ReadProblem. */
async function readSecret({ vault, path }: VaultKeySetOptions): Promise<Secret> {
  let answer: Awaited<ReturnType<VaultClient['read']>>;
  try {
    answer = await vault.read(path);
  } catch (error) {
    throw new ReadProblem(`Vault cannot be read: ${(error as Error).message}`, true);
  }
  if (answer.kind === 'denied') throw new ReadProblem(`permission denied: the Vault token's policy must allow "read" on ${path}`);
  if (answer.kind === 'missing') {
    throw new ReadProblem(`no secret there (status ${answer.status}): write one with the fields key and certificate (PEM), and optionally published`);
  }
  const fields = kvFields(answer.body);
  const text = (name: string): string | null => {
    const value = fields[name];
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') throw new ReadProblem(`the field ${name} must be PEM text`);
    return value;
  };
  const keyPem = text('key');
  const certificatePem = text('certificate');
  const publishedPem = text('published');
  if (keyPem === null) throw new ReadProblem('the field key (the active PEM private key) is missing');
  if (certificatePem === null) throw new ReadProblem('the field certificate (the PEM certificate of key) is missing');
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([keyPem, certificatePem, publishedPem]))
    .digest('base64url');
  return { keyPem, certificatePem, publishedPem, fingerprint };
}

/** The key set of a secret. Throws ReadProblem naming the field. */
function parse({ keyPem, certificatePem, publishedPem, fingerprint }: Secret, kidFormat: KeyIdFormat): Loaded {
  let active: SigningKey;
  try {
    active = signingKeyFromPem(keyPem, certificatePem, kidFormat);
  } catch (error) {
    throw new ReadProblem(`the fields key and certificate: ${(error as Error).message}`);
  }
  let published: VerificationKey[] = [];
  try {
    if (publishedPem !== null) published = publishedKeysFromPem(publishedPem, kidFormat);
  } catch (error) {
    throw new ReadProblem(`the field published: ${(error as Error).message}`);
  }
  return { keys: staticKeySet(active, published), fingerprint };
}

/** The secret's fields: KV v2 answers `{data: {data, metadata}}`, KV v1 `{data}`. */
function kvFields(body: unknown): Record<string, unknown> {
  const data = (body as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null) return {};
  const inner = data as { data?: unknown; metadata?: unknown };
  if (typeof inner.data === 'object' && inner.data !== null && inner.metadata !== undefined) return inner.data as Record<string, unknown>;
  return data as Record<string, unknown>;
}
