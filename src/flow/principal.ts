/** Who a token is for: a user who proved who they are, or nobody (an anonymous request). */
import type { UserRecord } from '../users/user-store.js';

export type Principal =
  | { readonly kind: 'user'; readonly account: string; readonly user: UserRecord }
  | { readonly kind: 'anonymous'; readonly access: string };
