/**
 * `groups_from: identity_groups`: the names of the Vault identity groups the
 * login's entity belongs to (directly or through group nesting), read with
 * the server's token: `identity/entity/id/<id>` gives the group ids,
 * `identity/group/id/<id>` each name. The server's policy needs `read` on
 * both paths. An entity or group that cannot be read adds no group; a read
 * the policy denies is a problem for the log, or an operator would never
 * learn why every identity-group user gets nothing.
 */
import { checkPathSegment } from '../domain/names.js';
import type { VaultClient } from '../vault/client.js';

/** More identity groups than a user may have groups (MAX_GROUPS_PER_USER) would be cut anyway. */
const MAX_IDENTITY_GROUPS = 64;

/** A denied read is said (the server's policy lacks identity/), unlike a missing entity or group. */
export const IDENTITY_DENIED =
  "the server's Vault token may not read the login's identity entity: identity groups need read on identity/entity/id/* and identity/group/id/* in its policy";

export async function identityGroupNames(vault: VaultClient, entityId: string): Promise<{ names: string[]; problems: string[] }> {
  if (!checkPathSegment(entityId).ok) return { names: [], problems: [] };
  const entity = await vault.read(`identity/entity/id/${entityId}`);
  if (entity.kind === 'denied') return { names: [], problems: [IDENTITY_DENIED] };
  if (entity.kind !== 'found') return { names: [], problems: [] };
  const data = (entity.body as { data?: { group_ids?: unknown; inherited_group_ids?: unknown } } | null)?.data;
  const ids = [...new Set([...idList(data?.group_ids), ...idList(data?.inherited_group_ids)])].slice(0, MAX_IDENTITY_GROUPS);
  const groups = await Promise.all(ids.map((id) => vault.read(`identity/group/id/${id}`)));
  const names = groups.flatMap((group) => {
    const name = group.kind === 'found' ? (group.body as { data?: { name?: unknown } } | null)?.data?.name : undefined;
    return typeof name === 'string' && name !== '' ? [name] : [];
  });
  return { names, problems: groups.some((group) => group.kind === 'denied') ? [IDENTITY_DENIED] : [] };
}

function idList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string' && checkPathSegment(id).ok) : [];
}
