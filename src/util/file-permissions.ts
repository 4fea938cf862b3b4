/**
 * Whether a file that holds a secret (a private key, a Vault token, an
 * AppRole secret id) can be read or written by other users than its owner,
 * and the warning that says so and how to fix it.
 *
 * A warning, never an error: Kubernetes mounts secrets 0644 unless told
 * otherwise, and a server that refuses to start over it would be worse than
 * one that says it at every start.
 *
 * Group read is tolerated on a file owned by root that this process (not
 * root) reads: that is how a secret is handed to a service on purpose —
 * Kubernetes' fsGroup makes a secret volume root:fsGroup 0440, Debian's
 * ssl-cert group does the same for TLS keys — and the owner of such a file
 * is not us, so "chmod 600" would lock us out. Execute bits give nobody the
 * content and are ignored.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'winston';

/** A secret file and the setting that names it (`token.key`, `http.tls.key`…). */
export interface SecretFile {
  readonly setting: string;
  readonly file: string;
}

export interface ExposedFile extends SecretFile {
  /** The permission bits (mode & 0o777). */
  readonly mode: number;
  /** Those of them that expose it (see exposedBits). */
  readonly exposed: number;
}

const GROUP_READ = 0o040;
const READ_WRITE_BY_OTHERS = 0o066;

/** The process's uid, or null where there is none (Windows). */
const processUid = (): number | null => process.getuid?.() ?? null;

/**
 * The bits of `mode` that expose a file owned by `owner` to users other
 * than the one reading it as `uid`; 0 when there are none.
 */
export function exposedBits(mode: number, owner: number, uid: number): number {
  const tolerated = owner === 0 && uid !== 0 ? GROUP_READ : 0;
  return mode & READ_WRITE_BY_OTHERS & ~tolerated;
}

/**
 * The file and its mode when others may read or write it; null when not,
 * when it cannot be looked at (missing: whoever reads it says so), and on
 * Windows, where modes say nothing of who can read a file. Symlinks are
 * followed: a Kubernetes secret is a link to the file whose mode counts.
 */
export async function exposedFile(secret: SecretFile, uid: number | null = processUid()): Promise<ExposedFile | null> {
  if (uid === null || process.platform === 'win32') return null;
  let status: Awaited<ReturnType<typeof stat>>;
  try {
    status = await stat(secret.file);
  } catch {
    return null;
  }
  const mode = status.mode & 0o777;
  const exposed = exposedBits(mode, status.uid, uid);
  return exposed === 0 ? null : { ...secret, mode, exposed };
}

/** `0644`, as chmod and ls write it. */
export const octalMode = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** Who may do what beyond the owner, in words: `readable by group and others, writable by others`. */
function exposure(bits: number): string {
  const who = (group: number, others: number): string[] => [...(bits & group ? ['group'] : []), ...(bits & others ? ['others'] : [])];
  const readers = who(0o040, 0o004);
  const writers = who(0o020, 0o002);
  return [
    ...(readers.length > 0 ? [`readable by ${readers.join(' and ')}`] : []),
    ...(writers.length > 0 ? [`writable by ${writers.join(' and ')}`] : []),
  ].join(', ');
}

/** The warning's text: the setting, the file, its mode, and the command that fixes it. */
export function exposureMessage({ setting, file, mode, exposed }: ExposedFile): string {
  return `${setting} (${file}) holds a secret and is ${exposure(exposed)} (mode ${octalMode(mode)}): chmod 600 ${file}`;
}

/**
 * One warning line for each of `files` that others may read or write.
 * Called once per start and per reload, with the secret files of the
 * configuration (src/config/secret-files.ts).
 */
export async function warnExposedFiles(files: readonly SecretFile[], logger: Logger): Promise<ExposedFile[]> {
  const exposed = (await Promise.all(files.map((file) => exposedFile(file)))).filter((found): found is ExposedFile => found !== null);
  for (const found of exposed) {
    logger.warn(exposureMessage(found), { setting: found.setting, file: found.file, mode: octalMode(found.mode) });
  }
  return exposed;
}
