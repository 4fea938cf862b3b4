/** What the GET and POST token answers share. */
import type { Context } from 'koa';

/** Tokens must never be cached by a proxy or a browser. */
export function noStore(ctx: Pick<Context, 'set'>): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}

/** Seconds since the epoch → `2026-11-25T18:00:00Z` (an epoch number breaks docker, containerd and podman). */
export function rfc3339(seconds: number): string {
  // Every token of the same second has the same issued_at: format it once.
  if (seconds !== last.seconds) last = { seconds, text: new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') };
  return last.text;
}

let last = { seconds: Number.NaN, text: '' };
