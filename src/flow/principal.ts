/** Who a token is for: a user who proved who they are, or nobody (an anonymous request). */
import type { LoginRights } from '../logins/login-way.js';
import type { UserRecord } from '../users/user-store.js';

/**
 * `user` is the KV entry (for a directory or CI login, the entry if there is
 * one, else an empty one); `login` is what a login through Vault added.
 */
export type Principal =
  | { readonly kind: 'user'; readonly account: string; readonly user: UserRecord; readonly login?: LoginRights }
  | { readonly kind: 'anonymous'; readonly access: string };
