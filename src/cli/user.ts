/**
 * `user add | passwd | grant | revoke | groups | rm | list | show`: the users
 * of a service, in Vault or in the YAML user file, as the server reads them.
 * Passwords are hashed (argon2id unless `--hash bcrypt`) and never printed,
 * nor are their hashes: `show` says only how the password is kept.
 */
import { type Command, Option } from 'commander';
import { type HashAlgorithm, passwordKind } from '../passwords/formats.js';
import { hashPassword } from '../passwords/hash.js';
import { fieldText, joinAccess, joinGroups, type SecretFields, splitAccess } from '../users/user-admin.js';
import { parseGroups } from '../users/user-store.js';
import { accessLines, editAccess, requireAccess, requireEntry, requireGroups, requireName, withAdmin } from './admin.js';
import { readNewPassword } from './password.js';
import { CliError, type RegisterCommand, withConfigOption } from './program.js';

interface ConfigOptions {
  readonly config: string;
}
interface PasswordOptions extends ConfigOptions {
  readonly passwordStdin?: boolean;
  readonly hash: HashAlgorithm;
}
interface AddOptions extends PasswordOptions {
  readonly access?: string;
  readonly groups?: string;
}

/** The fields shown by name in `show`; any other field is only listed by name. */
const KNOWN_FIELDS = new Set(['password', 'access', 'groups']);

export const registerUser: RegisterCommand = (program, { io }) => {
  const out = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };
  const user = program.command('user').description("manage a service's users (in Vault or the user file, as configured)");
  const sub = (name: string, description: string): Command =>
    withConfigOption(user.command(name).description(description).argument('<service>', 'the service, as clients name it in token requests'));

  sub('add', 'add a user, with a password asked twice (or read from stdin)')
    .argument('<name>', 'the user name')
    .option('--access <access>', 'access entries separated by ";", e.g. "repository:team/app:pull,push;repository:team/*:pull"')
    .option('--groups <groups>', 'groups the user belongs to, comma-separated (each must exist)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .addOption(hashOption())
    .action(async (service: string, name: string, options: AddOptions) => {
      requireName('user', name);
      requireAccess(options.access ?? '', '--access');
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        const groups = options.groups === undefined ? [] : await requireGroups(session, service, mount, options.groups, '--groups');
        if ((await session.admin.getUser(mount, name)) !== null) {
          throw new CliError(`NAME: the user ${JSON.stringify(name)} already exists in ${service} (change it with user passwd, grant, revoke or groups)`);
        }
        const password = await hashPassword(await readNewPassword(io, options.passwordStdin === true), options.hash);
        const fields = { password, access: joinAccess(splitAccess(options.access ?? '')), ...(groups.length > 0 ? { groups: joinGroups(groups) } : {}) };
        await session.admin.putUser(mount, name, fields);
        out(`added user ${name} to ${service}`);
      });
    });

  sub('passwd', "set a user's password, asked twice (or read from stdin)")
    .argument('<name>', 'the user name')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .addOption(hashOption())
    .action(async (service: string, name: string, options: PasswordOptions) => {
      requireName('user', name);
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        const fields = await requireEntry(session, 'user', service, mount, name);
        const password = await hashPassword(await readNewPassword(io, options.passwordStdin === true), options.hash);
        await session.admin.putUser(mount, name, { ...fields, password });
        out(`changed the password of user ${name} in ${service}`);
      });
    });

  for (const mode of ['grant', 'revoke'] as const) {
    sub(mode, mode === 'grant' ? 'add access entries to a user' : "remove access entries from a user (as written in the user's access)")
      .argument('<name>', 'the user name')
      .argument('<entries...>', 'access entries, type:name:actions (e.g. repository:team/app:pull,push)')
      .action(async (service: string, name: string, args: string[], options: ConfigOptions) => {
        await withAdmin(options.config, io, (session) => editAccess(session, io, { kind: 'user', mode, service, name, args }));
      });
  }

  sub('groups', "set a user's groups")
    .argument('<name>', 'the user name')
    .requiredOption('--set <groups>', 'the groups, comma-separated (each must exist); "" for none')
    .action(async (service: string, name: string, options: ConfigOptions & { set: string }) => {
      requireName('user', name);
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        const groups = await requireGroups(session, service, mount, options.set, '--set');
        const { groups: _old, ...rest } = await requireEntry(session, 'user', service, mount, name);
        await session.admin.putUser(mount, name, groups.length > 0 ? { ...rest, groups: joinGroups(groups) } : rest);
        out(`groups of user ${name} in ${service}: ${groups.length > 0 ? groups.join(', ') : '(none)'}`);
      });
    });

  sub('rm', 'remove a user completely')
    .argument('<name>', 'the user name')
    .action(async (service: string, name: string, options: ConfigOptions) => {
      requireName('user', name);
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        if (!(await session.admin.deleteUser(mount, name))) throw new CliError(`NAME: there is no user ${JSON.stringify(name)} in ${service}`);
        out(`removed user ${name} from ${service}`);
      });
    });

  sub('list', "list a service's users, one per line").action(async (service: string, options: ConfigOptions) => {
    await withAdmin(options.config, io, async (session) => {
      for (const name of await session.admin.listUsers(await session.mountOf(service))) out(name);
    });
  });

  sub('show', 'show a user: how the password is kept (never the password or its hash), groups, access')
    .argument('<name>', 'the user name')
    .action(async (service: string, name: string, options: ConfigOptions) => {
      requireName('user', name);
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        const fields = await requireEntry(session, 'user', service, mount, name);
        const groups = parseGroups(fields.groups);
        const missing = new Set<string>();
        for (const group of groups) if ((await session.admin.getGroup(mount, group)) === null) missing.add(group);
        out(`name:     ${name}`);
        out(`service:  ${service}`);
        out(`password: ${describePassword(fields)}`);
        out(`groups:   ${groups.length > 0 ? groups.map((group) => (missing.has(group) ? `${group} (no such group)` : group)).join(', ') : '(none)'}`);
        for (const line of accessLines(fieldText(fields, 'access'))) out(line);
        const others = Object.keys(fields).filter((key) => !KNOWN_FIELDS.has(key));
        if (others.length > 0) out(`other fields (values not shown): ${others.join(', ')}`);
      });
    });
};

function hashOption(): Option {
  return new Option('--hash <algorithm>', 'how the password is hashed').choices(['argon2id', 'bcrypt']).default('argon2id');
}

function describePassword(fields: SecretFields): string {
  const stored = fieldText(fields, 'password');
  if (stored.length === 0) return '(none: the user cannot log in)';
  switch (passwordKind(stored)) {
    case 'argon2':
      return 'hashed (argon2)';
    case 'bcrypt':
      return 'hashed (bcrypt)';
    case 'plaintext':
      return 'plaintext (not hashed: set it again with user passwd to hash it)';
  }
}
