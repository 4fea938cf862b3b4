/**
 * `certs fetch`: the registry's init-container step. Downloads the keys the
 * token server publishes (/certs as a PEM bundle for `rootcertbundle`, or
 * /jwks for `jwks`), checks them, and writes the file atomically: the
 * registry finds the old file or the whole new one, never a part, and after
 * any failure no file is left behind (an existing one is left as it was).
 */
import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import { BundleError, checkJwks, checkPemBundle } from '../tokens/bundle-check.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkDownloadUrl, download, DownloadError } from '../util/download.js';
import { CliError, type RegisterCommand } from './program.js';

interface FetchOptions {
  readonly url: string;
  readonly out: string;
  readonly format: 'pem' | 'jwks';
  readonly ca?: string;
}

const TIMEOUT_MS = 15_000;
// Far more than any key set: a larger answer is not one.
const MAX_BYTES = 1024 * 1024;

export const registerCerts: RegisterCommand = (program, { io }) => {
  const certs = program.command('certs').description("the token server's public keys, for registries");
  certs
    .command('fetch')
    .description('download the published keys (GET /certs or /jwks) and write them for the registry, atomically')
    .requiredOption('--url <url>', 'e.g. https://auth.example.com/certs (or /jwks with --format jwks)')
    .requiredOption('--out <file>', "the registry's rootcertbundle (pem) or jwks file")
    .addOption(new Option('--format <format>', 'pem: a certificate bundle; jwks: a JWK set').choices(['pem', 'jwks']).default('pem'))
    .option('--ca <file>', 'PEM CA certificate(s) to verify the server with, instead of the system CAs')
    .action(async (options: FetchOptions) => {
      const url = asCliError(() => checkDownloadUrl(options.url));
      let ca: string | undefined;
      if (options.ca !== undefined) {
        ca = await readFile(options.ca, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`--ca: cannot read ${options.ca}: ${error.code ?? error.message}`);
        });
      }
      const accept = options.format === 'jwks' ? 'application/json' : 'application/x-pem-file';
      const body = await download(url, { ...(ca ? { ca } : {}), timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, accept }).catch((error: unknown) => {
        throw error instanceof DownloadError ? new CliError(error.message) : error;
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
