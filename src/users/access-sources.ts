/**
 * Everything a user's rights come from: their own access string and those of
 * their groups, read from the same store. The server and `explain` both call
 * this, so they always agree.
 */
import { type AccessSource, MAX_GROUPS_PER_USER } from '../domain/grant.js';
import { checkPathSegment, isReservedName } from '../domain/names.js';
import type { UserRecord, UserStore } from './user-store.js';

export interface UserAccess {
  readonly sources: readonly AccessSource[];
  /** What could not be used (a group that does not exist, too many groups), in words for the log. */
  readonly problems: readonly string[];
}

export async function userAccess(users: UserStore, mount: string, user: UserRecord): Promise<UserAccess> {
  const sources: AccessSource[] = [{ source: { kind: 'user' }, access: user.access }];
  const problems: string[] = [];
  const named = user.groups.slice(0, MAX_GROUPS_PER_USER);
  if (user.groups.length > MAX_GROUPS_PER_USER) {
    problems.push(`more than ${MAX_GROUPS_PER_USER} groups: ${user.groups.slice(MAX_GROUPS_PER_USER).join(', ')} ignored`);
  }
  const usable = named.filter((name) => {
    const ok = checkPathSegment(name).ok && !isReservedName(name);
    if (!ok) problems.push(`group ${JSON.stringify(name)} is not a valid group name`);
    return ok;
  });
  const groups = await Promise.all(usable.map((name) => users.lookupGroup(mount, name)));
  usable.forEach((name, index) => {
    const group = groups[index];
    if (group) sources.push({ source: { kind: 'group', name }, access: group.access });
    else problems.push(`group ${JSON.stringify(name)} does not exist`);
  });
  return { sources, problems };
}
