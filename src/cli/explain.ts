/**
 * `explain SERVICE USER SCOPE…`: why a user gets, or does not get, each
 * action — which entry (their own, or which group's) granted it, or why
 * nothing did. It reads the user and their groups exactly as the server does
 * and decides with the same function (src/domain/grant.ts `decide`), so its
 * answer is the server's answer. The password is not checked.
 */
import type { Config } from '../config/config.js';
import { loadConfigFile } from '../config/load.js';
import { formatDecision } from '../domain/explain-format.js';
import { decide } from '../domain/grant.js';
import { checkPathSegment, isReservedName } from '../domain/names.js';
import { formatScope, parseRequestedScopes } from '../domain/scope.js';
import { resolveService } from '../domain/service.js';
import { ServerEvents } from '../events.js';
import { userAccess } from '../users/access-sources.js';
import { FileUserStore } from '../users/file-user-store.js';
import type { UserStore } from '../users/user-store.js';
import { systemClock } from '../util/clock.js';
import { KvMountResolver } from '../vault/mounts.js';
import { openVaultClient } from '../vault/open.js';
import { VaultUserStore } from '../vault/vault-user-store.js';
import { CliError, type RegisterCommand, UsageError, withConfigOption } from './program.js';

interface ExplainOptions {
  readonly config: string;
  readonly json?: boolean;
}

export const registerExplain: RegisterCommand = (program, { io }) => {
  withConfigOption(
    program
      .command('explain')
      .description("show which entry grants each requested action, or why none does (the server's own decision)")
      .argument('<service>', 'the registry service (as in the token request)')
      .argument('<user>', 'the account')
      .argument('<scope...>', 'requested scopes, e.g. repository:team/app:pull,push')
      .option('--json', 'print the decision as JSON, for scripts'),
  ).action(async (service: string, account: string, scopeTexts: string[], options: ExplainOptions) => {
    const parsed = parseRequestedScopes(scopeTexts);
    if (!parsed.ok) throw new UsageError(`SCOPE: ${parsed.reason}`);
    const check = checkPathSegment(account);
    if (!check.ok || isReservedName(account)) throw new CliError(`USER: ${check.ok ? 'names starting with _ are reserved' : `the name ${check.reason}`}`);
    const config = loadConfigFile(options.config, io.env);
    const target = resolveService(service, config.services);
    const users = await openUserStore(config);
    try {
      const user = await users.lookup(target.mount, account);
      if (!user) throw new CliError(`USER: there is no user ${JSON.stringify(account)} in ${target.service}`);
      const { sources, problems } = await userAccess(users, target.mount, user);
      const decision = decide(parsed.scopes, sources, account);
      if (options.json) {
        io.stdout.write(
          `${JSON.stringify({ service: target.service, account, groups: user.groups, problems, ...decision, granted: decision.granted.map(formatScope) }, null, 2)}\n`,
        );
        return;
      }
      const lines = [...problems.map((problem) => `problem: ${problem}`), ...formatDecision(decision)];
      io.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await users.close();
    }
  });
};

/** The user store the server would read, without its cache (explain wants the current state). */
async function openUserStore(config: Config): Promise<UserStore> {
  if (config.storage.kind === 'file') return new FileUserStore(config.storage.path);
  const storage = config.storage;
  const events = new ServerEvents();
  const vault = await openVaultClient(storage, systemClock, events);
  const mounts = new KvMountResolver(vault, { kvVersion: storage.kvVersion, ttlMs: storage.mountTtlMs, clock: systemClock });
  return new VaultUserStore({ vault, mounts, events, timeoutMs: storage.timeoutMs, address: storage.address });
}
