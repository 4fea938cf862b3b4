/**
 * Users and groups written to the embedded YAML user file, the one
 * FileUserStore reads:
 *
 *   <mount>:
 *     <user>: { password, access, groups }
 *     _groups:
 *       <group>: { access }
 *
 * Every write reads the file, changes it, writes the whole of it to a new
 * file in the same folder (mode 0600) and renames that over the old one, so
 * the server (which reads the file again when it changes) sees either the
 * old users or the new ones, never half a file. The comment lines at the top
 * of the file are kept.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { AdminError, checkName, type EntryKind, GROUPS_FOLDER, nameProblem, type SecretFields, sortNames, EntryAdmin } from './user-admin.js';

type Mapping = Record<string, unknown>;

const HEADER = '# Users of vault-registry-auth: service → user → password, access, groups;\n# service → _groups → group → access.\n';

export class FileUserAdmin extends EntryAdmin {
  readonly #file: string;

  constructor(file: string) {
    super();
    this.#file = file;
  }

  describe(): string {
    return `the user file ${this.#file}`;
  }

  async checkMount(): Promise<void> {
    // Any name can hold users in the file: the service's mapping is created on the first write.
  }

  async close(): Promise<void> {}

  protected async listEntries(kind: EntryKind, mount: string): Promise<string[]> {
    const folder = folderOf((await this.#load()).document, mount, kind, false);
    return sortNames(Object.keys(folder ?? {}).filter((name) => nameProblem(kind, name) === null && isMapping(folder?.[name])));
  }

  protected async getEntry(kind: EntryKind, mount: string, name: string): Promise<SecretFields | null> {
    checkName(kind, name);
    const folder = folderOf((await this.#load()).document, mount, kind, false);
    const entry = folder && Object.hasOwn(folder, name) ? folder[name] : undefined;
    return isMapping(entry) ? { ...entry } : null;
  }

  protected async putEntry(kind: EntryKind, mount: string, name: string, fields: SecretFields): Promise<void> {
    checkName(kind, name);
    await this.#update((document) => {
      (folderOf(document, mount, kind, true) as Mapping)[name] = { ...fields };
      return true;
    });
  }

  protected async deleteEntry(kind: EntryKind, mount: string, name: string): Promise<boolean> {
    checkName(kind, name);
    let found = false;
    await this.#update((document) => {
      const folder = folderOf(document, mount, kind, false);
      found = folder !== null && Object.hasOwn(folder, name) && isMapping(folder[name]);
      if (!found || !folder) return false;
      delete folder[name];
      // The last group gone: no empty `_groups` left behind.
      const service = serviceOf(document, mount, false);
      if (kind === 'group' && service && Object.keys(folder).length === 0) delete service[GROUPS_FOLDER];
      return true;
    });
    return found;
  }

  /** The file's document ({} when there is no file yet) and the comment lines at its top. */
  async #load(): Promise<{ document: Mapping; header: string }> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { document: {}, header: HEADER };
      throw new AdminError(`cannot read ${this.describe()}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let document: unknown;
    try {
      document = yaml.load(text, { filename: this.#file });
    } catch (error) {
      throw new AdminError(`${this.describe()} is not valid YAML (${(error as Error).message.split('\n')[0]}): fix it first, nothing was changed`);
    }
    if (document !== undefined && document !== null && !isMapping(document)) {
      throw new AdminError(`${this.describe()} must hold a mapping of services: fix it first, nothing was changed`);
    }
    const header = /^(?:#[^\n]*\n)*/u.exec(text)?.[0] ?? '';
    return { document: (document as Mapping | null | undefined) ?? {}, header };
  }

  /** Reads, changes and atomically replaces the file; nothing is written when `change` returns false. */
  async #update(change: (document: Mapping) => boolean): Promise<void> {
    const { document, header } = await this.#load();
    if (change(document) === false) return;
    const text = header + yaml.dump(document, { lineWidth: -1, noRefs: true });
    const dir = path.dirname(this.#file);
    await mkdir(dir, { recursive: true });
    const temporary = path.join(dir, `.${path.basename(this.#file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        // The mode given to open is reduced by the umask: set it exactly.
        await handle.chmod(0o600);
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.#file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new AdminError(`cannot write ${this.describe()}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
}

/** The service's mapping in the document; created when `create`, else null when absent. */
function serviceOf(document: Mapping, mount: string, create: boolean): Mapping | null {
  const existing = Object.hasOwn(document, mount) ? document[mount] : undefined;
  if (isMapping(existing)) return existing;
  if (existing !== undefined && existing !== null) throw new AdminError(`the service ${mount} in the user file is not a mapping of users: fix it first`);
  if (!create) return null;
  const created: Mapping = {};
  document[mount] = created;
  return created;
}

/** Where a kind of entry lives: the service's mapping (users) or its `_groups` mapping (groups). */
function folderOf(document: Mapping, mount: string, kind: EntryKind, create: boolean): Mapping | null {
  const service = serviceOf(document, mount, create);
  if (kind === 'user' || service === null) return service;
  const existing = Object.hasOwn(service, GROUPS_FOLDER) ? service[GROUPS_FOLDER] : undefined;
  if (isMapping(existing)) return existing;
  if (existing !== undefined && existing !== null) throw new AdminError(`${mount}.${GROUPS_FOLDER} in the user file is not a mapping of groups: fix it first`);
  if (!create) return null;
  const created: Mapping = {};
  service[GROUPS_FOLDER] = created;
  return created;
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
