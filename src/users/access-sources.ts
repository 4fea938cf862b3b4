/**
 * Everything a user's rights come from: their own access string and those of
 * their groups, read from the same store, and, for a user who logged in
 * through Vault (a directory or a CI login), the groups that login made them
 * a member of and the login's own access. The server and `explain` both call
 * this, so they always agree.
 */
import { type AccessSource, MAX_GROUPS_PER_USER, type SourceRef } from '../domain/grant.js';
import { checkPathSegment, isReservedName } from '../domain/names.js';
import type { LoginRights } from '../logins/login-way.js';
import type { UserRecord, UserStore } from './user-store.js';

export interface UserAccess {
  readonly sources: readonly AccessSource[];
  /** What could not be used (a group that does not exist, too many groups), in words for the log. */
  readonly problems: readonly string[];
}

export async function userAccess(users: UserStore, mount: string, user: UserRecord, login?: LoginRights): Promise<UserAccess> {
  const sources: AccessSource[] = [{ source: { kind: 'user' }, access: user.access }];
  const problems: string[] = [...(login?.problems ?? [])];
  // The KV entry's groups first, then the login's; a group named by both is read once, as the entry's.
  const named: { name: string; via?: string }[] = user.groups.map((name) => ({ name }));
  for (const name of login?.groups ?? []) if (!user.groups.includes(name)) named.push({ name, via: login?.via ?? '' });
  if (named.length > MAX_GROUPS_PER_USER) {
    problems.push(
      `more than ${MAX_GROUPS_PER_USER} groups: ${named
        .slice(MAX_GROUPS_PER_USER)
        .map((group) => group.name)
        .join(', ')} ignored`,
    );
  }
  const usable = named.slice(0, MAX_GROUPS_PER_USER).filter(({ name, via }) => {
    const ok = checkPathSegment(name).ok && !isReservedName(name);
    // A directory's group or a policy that is no usable group name is simply not one of ours.
    if (!ok && via === undefined) problems.push(`group ${JSON.stringify(name)} is not a valid group name`);
    return ok;
  });
  const groups = await Promise.all(usable.map(({ name }) => users.lookupGroup(mount, name)));
  usable.forEach(({ name, via }, index) => {
    const group = groups[index];
    const source: SourceRef = via === undefined ? { kind: 'group', name } : { kind: 'group', name, via };
    if (group) sources.push({ source, access: group.access });
    // A login names all the user's directory groups or policies; only some are registry groups.
    else if (via === undefined) problems.push(`group ${JSON.stringify(name)} does not exist`);
  });
  if (login?.access) sources.push(login.access);
  return { sources, problems };
}
