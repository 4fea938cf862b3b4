/**
 * `certs fetch`: the registry's init-container step. Downloads the keys the
 * token server publishes (/certs as a PEM bundle for `rootcertbundle`, or
 * /jwks for `jwks`), checks them, and writes the file atomically: the
 * registry finds the old file or the whole new one, never a part, and after
 * any failure no file is left behind (an existing one is left as it was).
 *
 * An init container often starts together with the token server, so a
 * failure that may pass (refused, reset, timed out, a 5xx) is tried again,
 * waiting longer each time, and each retry is said on stderr: the attempt,
 * the reason and the wait. Anything else fails at once.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import { parseDurationMs } from '../domain/duration.js';
import { BundleError, checkJwks, checkPemBundle } from '../tokens/bundle-check.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkDownloadUrl, download, DownloadError } from '../util/download.js';
import { formatWait, type RetryPolicy, withRetries } from '../util/retry.js';
import { CliError, type RegisterCommand } from './program.js';

interface FetchOptions {
  readonly url: string;
  readonly out: string;
  readonly format: 'pem' | 'jwks';
  readonly ca?: string;
  readonly attempts: number;
  readonly retryWait: number;
}

const TIMEOUT_MS = 15_000;
// Far more than any key set: a larger answer is not one.
const MAX_BYTES = 1024 * 1024;
// 1 + 2 + 4 + 8 + 16 s: half a minute for a token server starting beside it.
const DEFAULT_ATTEMPTS = 6;
const DEFAULT_RETRY_WAIT = '1s';
const MAX_WAIT_MS = 30_000;

function attemptsOption(value: string): number {
  const attempts = Number(value);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) throw new InvalidArgumentError('It must be a whole number from 1 to 100.');
  return attempts;
}

function waitOption(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === null || ms > MAX_WAIT_MS) throw new InvalidArgumentError('It must be a duration (250ms, 1s, 5s) of at most 30s.');
  return ms;
}

export const registerCerts: RegisterCommand = (program, { io }) => {
  const certs = program.command('certs').description("the token server's public keys, for registries");
  certs
    .command('fetch')
    .description('download the published keys (GET /certs or /jwks) and write them for the registry, atomically')
    .requiredOption('--url <url>', 'e.g. https://auth.example.com/certs (or /jwks with --format jwks)')
    .requiredOption('--out <file>', "the registry's rootcertbundle (pem) or jwks file")
    .addOption(new Option('--format <format>', 'pem: a certificate bundle; jwks: a JWK set').choices(['pem', 'jwks']).default('pem'))
    .option('--ca <file>', 'PEM CA certificate(s) to verify the server with, instead of the system CAs')
    .addOption(
      new Option('--attempts <n>', 'attempts in all when the server is unreachable, times out or answers 5xx (1: no retry)')
        .argParser(attemptsOption)
        .default(DEFAULT_ATTEMPTS),
    )
    .addOption(
      new Option('--retry-wait <duration>', 'the wait before the first retry; it doubles each time, up to 30s')
        .argParser(waitOption)
        .default(parseDurationMs(DEFAULT_RETRY_WAIT), DEFAULT_RETRY_WAIT),
    )
    .action(async (options: FetchOptions) => {
      const url = asCliError(() => checkDownloadUrl(options.url));
      let ca: string | undefined;
      if (options.ca !== undefined) {
        ca = await readFile(options.ca, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`--ca: cannot read ${options.ca}: ${error.code ?? error.message}`);
        });
      }
      const accept = options.format === 'jwks' ? 'application/json' : 'application/x-pem-file';
      const policy: RetryPolicy = { attempts: options.attempts, firstWaitMs: options.retryWait, maxWaitMs: MAX_WAIT_MS };
      const body = await withRetries(() => download(url, { ...(ca ? { ca } : {}), timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, accept }), policy, {
        retryable: (error) => error instanceof DownloadError && error.retryable,
        onRetry: ({ attempt, attempts, waitMs, error }) =>
          io.stderr.write(`certs fetch: attempt ${attempt} of ${attempts} failed: ${(error as Error).message}; trying again in ${formatWait(waitMs)}\n`),
      }).catch((error: unknown) => {
        if (!(error instanceof DownloadError)) throw error;
        // Say that it was retried, so the operator knows it was not a blip.
        const gaveUp = error.retryable && policy.attempts > 1 ? ` (gave up after ${policy.attempts} attempts)` : '';
        throw new CliError(`${error.message}${gaveUp}`);
      });
      const kids = asCliError(() => (options.format === 'jwks' ? checkJwks(body) : checkPemBundle(body)), `${url.href}: `);
      await writeFileAtomic(options.out, body, { mode: 0o644, overwrite: true }).catch((error: NodeJS.ErrnoException) => {
        throw new CliError(`--out: cannot write ${options.out}: ${error.code ?? error.message}`);
      });
      // PEM certificates carry no kid: their v3 thumbprints are what the registry computes.
      const [what, ids] = options.format === 'jwks' ? ['key', 'kid'] : ['certificate', 'thumbprint'];
      io.stdout.write(`wrote ${options.out}: ${kids.length} ${what}${kids.length === 1 ? '' : 's'} (${ids} ${kids.join(', ')})\n`);
    });
};

/** Runs `check`; its DownloadError or BundleError becomes a CliError (exit 1) with `prefix`. */
function asCliError<T>(check: () => T, prefix = ''): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof DownloadError || error instanceof BundleError) throw new CliError(`${prefix}${error.message}`);
    throw error;
  }
}
