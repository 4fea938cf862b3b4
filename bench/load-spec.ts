/** The jobs bench/load-worker.ts runs and what it answers, shared with the harness (bench/run.ts). */

/** Users `${prefix}${index × stride, padded}` with password `${passwordPrefix}${same}`, or one given user. */
export type UserSpec =
  | { readonly user: string; readonly password: string }
  | { readonly prefix: string; readonly passwordPrefix: string; readonly pad: number; readonly count: number; readonly stride?: number };

export interface LoadJob {
  readonly mode: 'load';
  readonly url: string;
  readonly service: string;
  readonly users: UserSpec;
  /** Scopes of each request; `{user}` is replaced with the account name. */
  readonly scopes: readonly string[];
  readonly connections: number;
  readonly durationSeconds?: number;
  readonly amount?: number;
}

export interface TimingJob {
  readonly mode: 'timing';
  readonly url: string;
  readonly service: string;
  /** Existing users, asked with a wrong password (round-robin). */
  readonly known: UserSpec;
  /** Names that do not exist (round-robin); absent: a new name every time. */
  readonly unknown?: UserSpec;
  /** Each pair is one unknown user and one wrong password. */
  readonly pairs: number;
  readonly scope: string;
}

export type Job = LoadJob | TimingJob;

export interface LoadOutput {
  readonly mode: 'load';
  readonly durationSeconds: number;
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
}

export interface TimingSide {
  readonly count: number;
  readonly statuses: Record<string, number>;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly meanMs: number;
}

export interface TimingOutput {
  readonly mode: 'timing';
  readonly unknownUser: TimingSide;
  readonly wrongPassword: TimingSide;
}

export function userAt(spec: UserSpec, index: number): { user: string; password: string } {
  if ('user' in spec) return { user: spec.user, password: spec.password };
  const suffix = String((index % spec.count) * (spec.stride ?? 1)).padStart(spec.pad, '0');
  return { user: `${spec.prefix}${suffix}`, password: `${spec.passwordPrefix}${suffix}` };
}

export function userCount(spec: UserSpec): number {
  return 'user' in spec ? 1 : spec.count;
}

export function requestPath(base: string, service: string, user: string, scopes: readonly string[]): string {
  const query = new URLSearchParams({ service, account: user });
  for (const scope of scopes) query.append('scope', scope.replaceAll('{user}', user));
  return `${new URL(base).pathname.replace(/\/$/u, '')}/auth?${query.toString()}`;
}
