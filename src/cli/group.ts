/**
 * `group add | grant | revoke | rm | list | show`: a service's groups, each
 * an access string that the users naming it in their `groups` get too. A
 * group still named by users is not removed unless `--force`, which also
 * takes it out of those users' groups (so that a new group of the same name
 * later does not give them rights by surprise).
 */
import type { Command } from 'commander';
import { fieldText, joinAccess, joinGroups, splitAccess } from '../users/user-admin.js';
import { parseGroups } from '../users/user-store.js';
import { accessLines, editAccess, membersOf, requireAccess, requireEntry, requireName, withAdmin } from './admin.js';
import { CliError, type RegisterCommand, withConfigOption } from './program.js';

interface ConfigOptions {
  readonly config: string;
}

export const registerGroup: RegisterCommand = (program, { io }) => {
  const out = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };
  const group = program.command('group').description("manage a service's groups (access shared by the users naming them)");
  const sub = (name: string, description: string): Command =>
    withConfigOption(group.command(name).description(description).argument('<service>', 'the service, as clients name it in token requests'));

  sub('add', 'add a group')
    .argument('<name>', 'the group name')
    .option('--access <access>', 'access entries separated by ";", e.g. "repository:team/*:pull"')
    .action(async (service: string, name: string, options: ConfigOptions & { access?: string }) => {
      requireName('group', name);
      requireAccess(options.access ?? '', '--access');
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        if ((await session.admin.getGroup(mount, name)) !== null) {
          throw new CliError(`NAME: the group ${JSON.stringify(name)} already exists in ${service} (change it with group grant or revoke)`);
        }
        await session.admin.putGroup(mount, name, { access: joinAccess(splitAccess(options.access ?? '')) });
        out(`added group ${name} to ${service}`);
      });
    });

  for (const mode of ['grant', 'revoke'] as const) {
    sub(mode, mode === 'grant' ? 'add access entries to a group' : "remove access entries from a group (as written in the group's access)")
      .argument('<name>', 'the group name')
      .argument('<entries...>', 'access entries, type:name:actions (e.g. repository:team/*:pull)')
      .action(async (service: string, name: string, args: string[], options: ConfigOptions) => {
        await withAdmin(options.config, io, (session) => editAccess(session, io, { kind: 'group', mode, service, name, args }));
      });
  }

  sub('rm', 'remove a group (refused while users name it, unless --force)')
    .argument('<name>', 'the group name')
    .option('--force', 'remove it even while users name it, and take it out of their groups')
    .action(async (service: string, name: string, options: ConfigOptions & { force?: boolean }) => {
      requireName('group', name);
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        await requireEntry(session, 'group', service, mount, name);
        const members = await membersOf(session, mount, name);
        if (members.length > 0 && options.force !== true) {
          throw new CliError(
            `NAME: the group ${JSON.stringify(name)} is still named by the user${members.length > 1 ? 's' : ''} ${members.join(', ')}: ` +
              'change their groups first (user groups … --set), or use --force to take it out of them',
          );
        }
        // The users first: should this stop half way, the group is still there and a second run finishes.
        for (const member of members) {
          const fields = await requireEntry(session, 'user', service, mount, member);
          const { groups: old, ...rest } = fields;
          const groups = parseGroups(old).filter((g) => g !== name);
          await session.admin.putUser(mount, member, groups.length > 0 ? { ...rest, groups: joinGroups(groups) } : rest);
        }
        await session.admin.deleteGroup(mount, name);
        out(`removed group ${name} from ${service}`);
        if (members.length > 0) out(`taken out of the groups of: ${members.join(', ')}`);
      });
    });

  sub('list', "list a service's groups, one per line").action(async (service: string, options: ConfigOptions) => {
    await withAdmin(options.config, io, async (session) => {
      for (const name of await session.admin.listGroups(await session.mountOf(service))) out(name);
    });
  });

  sub('show', 'show a group: its users and its access')
    .argument('<name>', 'the group name')
    .action(async (service: string, name: string, options: ConfigOptions) => {
      requireName('group', name);
      await withAdmin(options.config, io, async (session) => {
        const mount = await session.mountOf(service);
        const fields = await requireEntry(session, 'group', service, mount, name);
        const members = await membersOf(session, mount, name);
        out(`name:     ${name}`);
        out(`service:  ${service}`);
        out(`users:    ${members.length > 0 ? members.join(', ') : '(none)'}`);
        for (const line of accessLines(fieldText(fields, 'access'))) out(line);
      });
    });
};
