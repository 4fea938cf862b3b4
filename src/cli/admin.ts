/**
 * What the `user` and `group` commands share: opening the configured
 * storage for writing (Vault with the server's own connection settings and
 * login, or the YAML user file), finding a service's mount, and the checks
 * made before anything is written.
 */
import type { Config } from '../config/config.js';
import { loadConfigFile } from '../config/load.js';
import { checkAccess, MAX_ENTRIES_PER_ACCESS, readAccess } from '../domain/access.js';
import { MAX_GROUPS_PER_USER } from '../domain/grant.js';
import { checkPathSegment } from '../domain/names.js';
import { ServerEvents } from '../events.js';
import { FileUserAdmin } from '../users/file-user-admin.js';
import { type EntryKind, fieldText, joinAccess, mapLimit, nameProblem, type SecretFields, splitAccess, type UserAdmin } from '../users/user-admin.js';
import { parseGroups } from '../users/user-store.js';
import { systemClock } from '../util/clock.js';
import { KvMountResolver } from '../vault/mounts.js';
import { openVaultClient } from '../vault/open.js';
import { VaultUserAdmin } from '../vault/vault-user-admin.js';
import { CliError, type CliIo, UsageError } from './program.js';

export interface AdminSession {
  readonly admin: UserAdmin;
  readonly config: Config;
  /**
   * The storage mount of a service, checked: configured (when the config
   * lists services), a valid name, and a mount that can hold users.
   */
  mountOf(service: string): Promise<string>;
}

/** Opens the storage of `configFile`, runs `work`, and closes it whatever happens. */
export async function withAdmin<T>(configFile: string, io: CliIo, work: (session: AdminSession) => Promise<T>): Promise<T> {
  const config = loadConfigFile(configFile, io.env);
  const admin = await openAdmin(config);
  try {
    return await work({ admin, config, mountOf: (service) => mountOf(config, admin, service) });
  } finally {
    await admin.close();
  }
}

async function openAdmin(config: Config): Promise<UserAdmin> {
  if (config.storage.kind === 'file') return new FileUserAdmin(config.storage.path);
  const storage = config.storage;
  const vault = await openVaultClient(storage, systemClock, new ServerEvents());
  const mounts = new KvMountResolver(vault, { kvVersion: storage.kvVersion, ttlMs: storage.mountTtlMs, clock: systemClock });
  return new VaultUserAdmin({ vault, mounts, address: storage.address });
}

async function mountOf(config: Config, admin: UserAdmin, service: string): Promise<string> {
  let mount: string;
  if (config.services) {
    const configured = config.services.get(service);
    if (configured === undefined) {
      throw new CliError(`SERVICE: the service ${JSON.stringify(service)} is not configured (services: ${[...config.services.keys()].join(', ')})`);
    }
    mount = configured;
  } else {
    const check = checkPathSegment(service);
    if (!check.ok) throw new CliError(`SERVICE: the service name ${JSON.stringify(service)} ${check.reason}`);
    mount = service;
  }
  await admin.checkMount(mount);
  return mount;
}

/** Throws when the server would refuse the name, naming the argument. */
export function requireName(kind: EntryKind, name: string, argument = 'NAME'): void {
  const problem = nameProblem(kind, name);
  if (problem !== null) throw new CliError(`${argument}: ${problem}`);
}

/** Throws, naming `where` and every bad entry, when an access string (or an entry) does not parse. */
export function requireAccess(text: string, where: string): void {
  const checked = checkAccess(text);
  if (!checked.ok) throw new CliError(`${where}: ${checked.problems.join('; ')}`);
}

/** The entries given on the command line, each argument possibly holding several (`a;b`), without repeats. */
export function entriesOf(args: readonly string[]): string[] {
  return [...new Set(args.flatMap(splitAccess))];
}

/** `--groups devs,ops` → the names, each checked, and each an existing group of the mount. */
export async function requireGroups(session: AdminSession, service: string, mount: string, text: string, where: string): Promise<string[]> {
  const groups = parseGroups(text);
  for (const group of groups) requireName('group', group, where);
  if (groups.length > MAX_GROUPS_PER_USER) throw new CliError(`${where}: ${groups.length} groups: the server reads at most ${MAX_GROUPS_PER_USER} per user`);
  const missing: string[] = [];
  for (const group of groups) if ((await session.admin.getGroup(mount, group)) === null) missing.push(group);
  if (missing.length > 0) {
    const list = missing.map((group) => JSON.stringify(group)).join(', ');
    throw new CliError(
      `${where}: no group ${list} in ${service} (add ${missing.length > 1 ? 'them' : 'it'} first: ${`vault-registry-auth group add ${service} ${missing[0]}`})`,
    );
  }
  return groups;
}

/** The user's or group's fields; throws, naming the argument, when there is none. */
export async function requireEntry(session: AdminSession, kind: EntryKind, service: string, mount: string, name: string): Promise<SecretFields> {
  const fields = kind === 'user' ? await session.admin.getUser(mount, name) : await session.admin.getGroup(mount, name);
  if (fields === null) throw new CliError(`NAME: there is no ${kind} ${JSON.stringify(name)} in ${service}`);
  return fields;
}

/**
 * `grant` and `revoke`, for users and groups alike: entries are compared as
 * written (trimmed). Grant appends the ones not there yet; revoke removes
 * the ones there. Each requested entry gets one line saying what became of
 * it; nothing is written when nothing changes. Either way the access ends
 * as asked, so both succeed (exit 0) when some entries were already so.
 */
export async function editAccess(
  session: AdminSession,
  io: CliIo,
  edit: { kind: EntryKind; mode: 'grant' | 'revoke'; service: string; name: string; args: readonly string[] },
): Promise<void> {
  const { kind, mode, service, name } = edit;
  requireName(kind, name);
  const requested = entriesOf(edit.args);
  if (requested.length === 0) throw new UsageError('ENTRY: no access entry given');
  // Revoking an entry that does not parse must stay possible: only granted ones are checked.
  if (mode === 'grant') requireAccess(joinAccess(requested), 'ENTRY');
  const mount = await session.mountOf(service);
  const fields = await requireEntry(session, kind, service, mount, name);
  const current = splitAccess(fieldText(fields, 'access'));
  const changed = mode === 'grant' ? requested.filter((entry) => !current.includes(entry)) : requested.filter((entry) => current.includes(entry));
  const entries = mode === 'grant' ? [...current, ...changed] : current.filter((entry) => !changed.includes(entry));
  if (entries.length > MAX_ENTRIES_PER_ACCESS) {
    throw new CliError(`ENTRY: the ${kind} would have ${entries.length} access entries: the server reads at most ${MAX_ENTRIES_PER_ACCESS}`);
  }
  if (changed.length > 0) {
    const next = { ...fields, access: joinAccess(entries) };
    if (kind === 'user') await session.admin.putUser(mount, name, next);
    else await session.admin.putGroup(mount, name, next);
  }
  const [done, unchanged] = mode === 'grant' ? ['granted', 'already granted'] : ['revoked', 'not found'];
  for (const entry of requested) io.stdout.write(`${changed.includes(entry) ? done : unchanged}: ${entry}\n`);
}

/** The users of the mount whose `groups` name `group`, sorted. */
export async function membersOf(session: AdminSession, mount: string, group: string): Promise<string[]> {
  const users = await session.admin.listUsers(mount);
  const named = await mapLimit(users, 8, async (user) => {
    const fields = await session.admin.getUser(mount, user);
    return fields !== null && parseGroups(fields.groups).includes(group) ? user : null;
  });
  return named.filter((user): user is string => user !== null);
}

/** `access:` and the entries one per line, those the server ignores marked with the reason. */
export function accessLines(access: string): string[] {
  const entries = splitAccess(access);
  if (entries.length === 0) return ['access:   (none)'];
  const reasons = new Map(readAccess(access).rejected.map(({ entry, reason }) => [entry, reason] as const));
  return ['access:', ...entries.map((entry) => (reasons.has(entry) ? `  ${entry}   (ignored by the server: ${reasons.get(entry)})` : `  ${entry}`))];
}
