/**
 * What the HTTP fuzz suite (test/integration/fuzz-http.test.ts) seeds in
 * Vault, and an oracle of what each user may have, written independently of
 * the server's access strings and globs: the fuzzer checks every token it
 * gets against it. The oracle may be more permissive than the server where
 * a pattern's edge is debatable (empty segments), never less: a grant it
 * refuses is a finding.
 */

export interface FuzzService {
  readonly name: string;
  readonly mount: string;
  readonly version: 1 | 2;
}

export const FUZZ_SERVICES: readonly FuzzService[] = [
  { name: 'registry', mount: 'fuzzv1', version: 1 },
  { name: 'registry2', mount: 'fuzzv2', version: 2 },
];

/** A KV mount nobody maps: any read of it is a finding. */
export const UNMAPPED_MOUNT = 'fuzzother';

/** Anonymous access, configured for `registry` only. */
export const FUZZ_ANONYMOUS: Readonly<Record<string, string>> = { registry: 'repository:public/**:pull' };

export interface FuzzUser {
  readonly service: string;
  readonly name: string;
  readonly password: string;
  /** How the password is stored: argon2id and bcrypt as the CLI and htpasswd write them, plaintext as Godoauth did. */
  readonly stored: 'argon2id' | 'bcrypt' | 'plaintext';
  readonly access: string;
  readonly groups?: string;
}

export const FUZZ_USERS: readonly FuzzUser[] = [
  {
    service: 'registry',
    name: 'alice',
    password: 'alice-Secret-1',
    stored: 'argon2id',
    access: 'repository:team/app:pull,push;repository:users/${account}/**:*',
    groups: 'devs',
  },
  { service: 'registry', name: 'bob', password: 'bob-Secret-1', stored: 'bcrypt', access: 'repository:team/app:pull', groups: 'devs,ghost' },
  { service: 'registry', name: 'plain', password: 'plain-Secret-1', stored: 'plaintext', access: 'repository:legacy/*:pull' },
  { service: 'registry', name: 'ci.bot@example', password: 'ci:pass:with:colons', stored: 'argon2id', access: 'repository:ci/*:pull,push' },
  { service: 'registry2', name: 'alice', password: 'alice-Secret-2', stored: 'argon2id', access: 'repository:v2/app:*;registry:catalog:*' },
  {
    service: 'registry2',
    name: 'carol',
    password: 'carol-Secret-2',
    stored: 'bcrypt',
    access: 'repository:carol/*:pull;repository:shared:pull,push,delete',
    groups: 'ops',
  },
  { service: 'registry2', name: 'zoë', password: 'zoë-Sécret-2', stored: 'argon2id', access: 'repository:zoe/app:pull' },
];

export const FUZZ_GROUPS: readonly { service: string; name: string; access: string }[] = [
  { service: 'registry', name: 'devs', access: 'repository:team/**:pull,push;registry:catalog:*' },
  { service: 'registry2', name: 'ops', access: 'repository:ops/**:*' },
];

/** A user of the unmapped mount, with a password the fuzzer also tries on the mapped services. */
export const UNMAPPED_USER = { name: 'mallory', password: 'mallory-Secret-0', access: 'repository:**:*' };

export function userOf(service: string, name: string): FuzzUser | undefined {
  return FUZZ_USERS.find((user) => user.service === service && user.name === name);
}

// `**` at the end covers one segment at least; `*` stays within one segment (and may match nothing).
const inside = (name: string, prefix: string): boolean => name.startsWith(prefix) && name.length > prefix.length;
const oneLevel = (name: string, prefix: string): boolean => name.startsWith(prefix) && !name.slice(prefix.length).includes('/');

/**
 * Whether `account` ('' for anonymous) may have `action` on `type:name` in
 * `service`: the seeded access strings above, rewritten by hand.
 */
export function mayHave(service: string, account: string, type: string, name: string, action: string): boolean {
  const pullPush = action === 'pull' || action === 'push';
  const repo = type === 'repository';
  const devs = (repo && inside(name, 'team/') && pullPush) || (type === 'registry' && name === 'catalog');
  switch (`${service}/${account}`) {
    case 'registry/':
      return repo && inside(name, 'public/') && action === 'pull';
    case 'registry/alice':
      return devs || (repo && name === 'team/app' && pullPush) || (repo && inside(name, 'users/alice/'));
    case 'registry/bob':
      return devs || (repo && name === 'team/app' && action === 'pull');
    case 'registry/plain':
      return repo && oneLevel(name, 'legacy/') && action === 'pull';
    case 'registry/ci.bot@example':
      return repo && oneLevel(name, 'ci/') && pullPush;
    case 'registry2/alice':
      return (repo && name === 'v2/app') || (type === 'registry' && name === 'catalog');
    case 'registry2/carol':
      return (
        (repo && oneLevel(name, 'carol/') && action === 'pull') ||
        (repo && name === 'shared' && ['pull', 'push', 'delete'].includes(action)) ||
        (repo && inside(name, 'ops/'))
      );
    case 'registry2/zoë':
      return repo && name === 'zoe/app' && action === 'pull';
    default:
      return false;
  }
}
