/**
 * `keys generate`: a new signing key and its self-signed certificate, for
 * the files (`token.key`, `token.certificate`, `token.published`) or to put
 * into Vault (`vault kv put … key=@FILE certificate=@FILE`). It prints the
 * kid in both formats, so the operator can match it against /jwks, the
 * server's log and the registry's, and never replaces a file without
 * --force: an overwritten key cannot be got back.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { libtrustKeyId, thumbprintKeyId } from '../domain/key-id.js';
import { DEFAULT_VALIDITY_DAYS, generateKey, KEY_TYPES, type KeyType } from '../tokens/generate.js';
import { algorithmFor } from '../tokens/signing-key.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { CliError, type RegisterCommand, UsageError } from './program.js';

interface GenerateOptions {
  readonly key: string;
  readonly certificate: string;
  readonly type: KeyType;
  readonly days: number;
  readonly commonName: string;
  readonly force?: boolean;
}

// A hundred years: beyond that it is a typo.
const MAX_DAYS = 36_500;

function parseDays(value: string): number {
  const days = Number(value);
  if (!/^\d+$/u.test(value) || days < 1 || days > MAX_DAYS) throw new InvalidArgumentError(`must be a whole number of days from 1 to ${MAX_DAYS}`);
  return days;
}

export const registerKeys: RegisterCommand = (program, { io }) => {
  const keys = program.command('keys').description('signing keys');
  keys
    .command('generate')
    .description('make a new signing key (PKCS#8 PEM, mode 0600) and a self-signed certificate for it')
    .requiredOption('--key <file>', 'where to write the private key')
    .requiredOption('--certificate <file>', 'where to write the certificate')
    .addOption(new Option('--type <type>', 'the kind of key').choices(KEY_TYPES).default('p256'))
    .option('--days <n>', 'days the certificate is valid', parseDays, DEFAULT_VALIDITY_DAYS)
    .option('--common-name <cn>', "the certificate's subject CN", 'vault-registry-auth')
    .option('--force', 'replace existing files')
    .action(async (options: GenerateOptions) => {
      if (path.resolve(options.key) === path.resolve(options.certificate)) throw new UsageError('--key and --certificate must be different files');
      if (!options.force) {
        for (const [flag, file] of [
          ['--key', options.key],
          ['--certificate', options.certificate],
        ] as const) {
          if (existsSync(file)) throw new CliError(`${flag}: ${file} exists: pass --force to replace it (nothing was written)`);
        }
      }
      const generated = await generateKey({ type: options.type, commonName: options.commonName, days: options.days });
      const write = async (file: string, content: string, mode: number): Promise<void> => {
        try {
          await mkdir(path.dirname(file), { recursive: true });
          await writeFileAtomic(file, content, { mode, overwrite: options.force === true });
        } catch (error) {
          const { code } = error as NodeJS.ErrnoException;
          if (code === 'EEXIST') throw new CliError(`${file} exists: pass --force to replace it`);
          throw new CliError(`cannot write ${file}: ${code ?? (error as Error).message}`);
        }
      };
      // The certificate first: a key file never exists without its certificate.
      await write(options.certificate, generated.certificatePem, 0o644);
      await write(options.key, generated.keyPem, 0o600);

      const publicKey = generated.certificate.publicKey;
      io.stdout.write(
        [
          `key:              ${options.key} (${algorithmFor(publicKey)}, ${options.type}, mode 0600)`,
          `certificate:      ${options.certificate} (${generated.certificate.subject.replace(/\n/gu, ', ')})`,
          `kid (thumbprint): ${thumbprintKeyId(publicKey)}   registry v3 (token.kid: thumbprint)`,
          `kid (libtrust):   ${libtrustKeyId(publicKey)}   registry 2.x (token.kid: libtrust)`,
          `expires:          ${new Date(generated.certificate.validTo).toISOString()}`,
          '',
        ].join('\n'),
      );
    });
};
