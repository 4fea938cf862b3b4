/**
 * `explain SERVICE USER SCOPE…`: why a user gets, or does not get, each
 * action — which entry (their own, or which group's) granted it, or why
 * nothing did. It reads the user and their groups exactly as the server does
 * and decides with the same function (src/domain/grant.ts `decide`), so its
 * answer is the server's answer. The password is not checked, unless
 * `--password-stdin` asks to log in through the service's logins as the
 * server does (a directory or CI user's groups come from that login);
 * `--groups` shows a directory user's rights for groups given by hand.
 */
import type { Config } from '../config/config.js';
import { loadConfigFile } from '../config/load.js';
import { formatDecision } from '../domain/explain-format.js';
import { decide } from '../domain/grant.js';
import { checkPathSegment, isReservedName } from '../domain/names.js';
import { formatScope, parseRequestedScopes } from '../domain/scope.js';
import { resolveService, type ServiceTarget } from '../domain/service.js';
import { type LoggedIn, logIn, NO_ENTRY } from '../logins/login-chain.js';
import { serviceLogins } from '../logins/service-logins.js';
import { PasswordVerifier } from '../passwords/verifier.js';
import type { VaultClient } from '../vault/client.js';
import { readNewPassword } from './password.js';
import { ServerEvents } from '../events.js';
import { userAccess } from '../users/access-sources.js';
import { FileUserStore } from '../users/file-user-store.js';
import { parseGroups, type UserRecord, type UserStore } from '../users/user-store.js';
import { systemClock } from '../util/clock.js';
import { KvMountResolver } from '../vault/mounts.js';
import { openVaultClient } from '../vault/open.js';
import { VaultUserStore } from '../vault/vault-user-store.js';
import { CliError, type RegisterCommand, UsageError, withConfigOption } from './program.js';

interface ExplainOptions {
  readonly config: string;
  readonly json?: boolean;
  readonly groups?: string;
  readonly passwordStdin?: boolean;
}

export const registerExplain: RegisterCommand = (program, { io }) => {
  withConfigOption(
    program
      .command('explain')
      .description("show which entry grants each requested action, or why none does (the server's own decision)")
      .argument('<service>', 'the registry service (as in the token request)')
      .argument('<user>', 'the account')
      .argument('<scope...>', 'requested scopes, e.g. repository:team/app:pull,push')
      .option('--groups <names>', 'for a directory user: as if their login made them a member of these groups (comma-separated)')
      .option('--password-stdin', "log in as the server would (the service's logins: kv, directory, CI) with the password or CI token on stdin")
      .option('--json', 'print the decision as JSON, for scripts'),
  ).action(async (service: string, account: string, scopeTexts: string[], options: ExplainOptions) => {
    const parsed = parseRequestedScopes(scopeTexts);
    if (!parsed.ok) throw new UsageError(`SCOPE: ${parsed.reason}`);
    const check = checkPathSegment(account);
    if (!check.ok || isReservedName(account)) throw new CliError(`USER: ${check.ok ? 'names starting with _ are reserved' : `the name ${check.reason}`}`);
    if (options.groups !== undefined && options.passwordStdin) throw new UsageError('--groups and --password-stdin: give one (a login says which groups)');
    const config = loadConfigFile(options.config, io.env);
    const target = resolveService(service, config.services);
    const { users, vault } = await openUserStore(config);
    try {
      const stored = await users.lookup(target.mount, account);
      const who = options.passwordStdin
        ? await logInAsServer(config, vault, { target, account, password: await readNewPassword(io, true), stored })
        : options.groups !== undefined
          ? { user: stored ?? NO_ENTRY, login: { via: 'directory login (--groups)', groups: parseGroups(options.groups), problems: [] } }
          : stored && { user: stored };
      if (!who) {
        throw new CliError(
          `USER: there is no user ${JSON.stringify(account)} in ${target.service}` +
            (config.logins.has(target.service) ? ' (for a directory or CI user: --password-stdin, or --groups with their groups)' : ''),
        );
      }
      const { sources, problems } = await userAccess(users, target.mount, who.user, who.login);
      const decision = decide(parsed.scopes, sources, account);
      const groups = [...who.user.groups, ...(who.login?.groups ?? []).filter((name) => !who.user.groups.includes(name))];
      if (options.json) {
        const login = who.login ? { login: who.login.via } : {};
        io.stdout.write(
          `${JSON.stringify({ service: target.service, account, ...login, groups, problems, ...decision, granted: decision.granted.map(formatScope) }, null, 2)}\n`,
        );
        return;
      }
      const via = who.login ? [`login: ${who.login.via}${who.login.groups.length > 0 ? `, groups ${who.login.groups.join(', ')}` : ', no groups'}`] : [];
      const lines = [...via, ...problems.map((problem) => `problem: ${problem}`), ...formatDecision(decision)];
      io.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await users.close();
      vault?.close();
    }
  });
};

/** The server's own login chain for the service; refused → the 401 the server would answer. */
async function logInAsServer(
  config: Config,
  vault: VaultClient | null,
  attempt: { target: ServiceTarget; account: string; password: string; stored: UserRecord | null },
): Promise<LoggedIn> {
  const verifier = await PasswordVerifier.create({
    dummyAlgorithm: config.passwords.hash,
    rememberMs: 0,
    maxRemembered: 1,
    clock: systemClock,
    onPlaintext: () => {},
  });
  const ways = serviceLogins({
    logins: config.logins,
    verifier,
    vault,
    timeoutMs: config.storage.kind === 'vault' ? config.storage.timeoutMs : 0,
    rememberMs: 0,
    maxRemembered: 1,
    clock: systemClock,
    onRevokeFailed: () => {},
  })(attempt.target.service);
  const loggedIn = await logIn(ways, attempt);
  if (!loggedIn) throw new CliError(`the login of ${JSON.stringify(attempt.account)} to ${attempt.target.service} is refused: the server answers 401`);
  return loggedIn;
}

/** The user store the server would read, without its cache (explain wants the current state), and its Vault client. */
async function openUserStore(config: Config): Promise<{ users: UserStore; vault: VaultClient | null }> {
  if (config.storage.kind === 'file') return { users: new FileUserStore(config.storage.path), vault: null };
  const storage = config.storage;
  const events = new ServerEvents();
  const vault = await openVaultClient(storage, systemClock, events);
  const mounts = new KvMountResolver(vault, { kvVersion: storage.kvVersion, ttlMs: storage.mountTtlMs, clock: systemClock });
  return { users: new VaultUserStore({ vault, mounts, events, timeoutMs: storage.timeoutMs, address: storage.address }), vault };
}
