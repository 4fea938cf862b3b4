/**
 * A small Vault client over node-vault: one keep-alive connection pool, a
 * deadline on every call, and Vault's failure modes turned into AppErrors
 * (503 when Vault cannot answer). It reads; it never writes.
 */
import http from 'node:http';
import https from 'node:https';
import nodeVault from 'node-vault';
import { unavailable } from '../errors.js';

export interface VaultClientOptions {
  readonly address: string;
  readonly token: string;
  readonly timeoutMs: number;
}

export type VaultRead = { found: true; body: unknown } | { found: false; status: number; errors: readonly string[] };

export interface VaultReader {
  /** GET /v1/<path>. Found on 200; not found on 400/403/404; throws a 503 AppError otherwise. */
  read(path: string): Promise<VaultRead>;
  close(): void;
}

// Vault answers these when the path is not there or not for us; anything else
// (5xx, a sealed or standby node, a network failure) means Vault is unavailable.
const NOT_FOUND_STATUSES = new Set([400, 403, 404, 405]);

export function createVaultClient(options: VaultClientOptions): VaultReader {
  const agentOptions = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: options.timeoutMs };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const vault = nodeVault({
    endpoint: options.address,
    token: options.token,
    requestOptions: { httpAgent, httpsAgent, timeout: options.timeoutMs },
  });

  return {
    async read(path) {
      try {
        const body: unknown = await withDeadline(vault.read(path), options.timeoutMs);
        return { found: true, body };
      } catch (error) {
        const response = (error as { response?: { statusCode?: number; body?: { errors?: unknown } } }).response;
        const status = response?.statusCode;
        if (typeof status === 'number' && NOT_FOUND_STATUSES.has(status)) {
          const errors = Array.isArray(response?.body?.errors) ? response.body.errors.map(String) : [];
          return { found: false, status, errors };
        }
        throw unavailable(describeFailure(status, error), error);
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

class DeadlineError extends Error {
  readonly code = 'DEADLINE';
}

/** Settles like `promise`, or rejects when `ms` pass first: Vault never hangs a request. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function describeFailure(status: number | undefined, error: unknown): string {
  if (status === 503) return 'Vault is sealed or unavailable';
  if (typeof status === 'number') return `Vault answered with status ${status}`;
  const code = (error as { code?: unknown }).code;
  if (code === 'DEADLINE' || code === 'ECONNABORTED' || code === 'ETIMEDOUT') return 'Vault did not answer in time';
  return 'Vault cannot be reached';
}
