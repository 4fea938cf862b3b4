/**
 * The audit log: one JSON line per token decision, from the `token.granted`
 * and `token.denied` events, for whoever must later answer "who got what,
 * when, from where". A separate stream from the access log (stderr by
 * default, the access log being on stdout), so that it can be kept,
 * shipped and retained on its own terms.
 *
 * It holds what the events hold, and they never hold a password or a token:
 * a grant is identified by its `jti`, which the registry sees too.
 */
import type { Logger } from 'winston';
import type { AuditConfig } from '../config/config.js';
import type { ServerEventMap, ServerEvents, TokenDecision } from '../events.js';
import type { Clock } from '../util/clock.js';
import { type LineOutput, openFileOutput, standardOutput } from '../util/line-output.js';
import { onceEach } from '../util/report-once.js';

/** One line of the audit log, field by field (snake_case, as the config and the log). */
export interface AuditRecord {
  readonly time: string;
  readonly request_id: string;
  readonly client: string;
  /** null when the request did not get as far as naming it (a bad request). */
  readonly service: string | null;
  readonly account: string | null;
  readonly grant: TokenDecision['grant'] | null;
  /** A directory or CI login: which (`ldap login`); absent for a KV login. */
  readonly login?: string;
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  /** partial: a token with fewer actions than were asked for (possibly none). */
  readonly outcome: 'granted' | 'partial' | 'denied';
  readonly status: number;
  readonly reason?: string;
  readonly jti?: string;
  readonly expires_at?: string;
}

/** Writes one line per decision to `output`; returns the function that stops listening. `now` is the injected clock's. */
export function auditLog(events: ServerEvents, output: LineOutput, now: () => number): () => void {
  const onGranted = (event: ServerEventMap['token.granted'][0]): void => output.write(JSON.stringify(grantedRecord(event, now())));
  const onDenied = (event: ServerEventMap['token.denied'][0]): void => output.write(JSON.stringify(deniedRecord(event, now())));
  events.on('token.granted', onGranted);
  events.on('token.denied', onDenied);
  return () => {
    events.off('token.granted', onGranted);
    events.off('token.denied', onDenied);
  };
}

export function grantedRecord(event: ServerEventMap['token.granted'][0], nowMs: number): AuditRecord {
  return {
    ...common(event, nowMs),
    outcome: coversEveryAction(event.requested, event.granted) ? 'granted' : 'partial',
    // A token is only ever answered with 200.
    status: 200,
    jti: event.jti,
    expires_at: new Date(event.expiresAt * 1000).toISOString(),
  };
}

export function deniedRecord(event: ServerEventMap['token.denied'][0], nowMs: number): AuditRecord {
  return { ...common(event, nowMs), outcome: 'denied', status: event.status, reason: event.reason };
}

function common(event: TokenDecision, nowMs: number) {
  return {
    time: new Date(nowMs).toISOString(),
    request_id: event.requestId,
    client: event.client,
    service: event.service ?? null,
    account: event.account ?? null,
    grant: event.grant ?? null,
    ...(event.login ? { login: event.login } : {}),
    requested: event.requested,
    granted: event.granted,
  };
}

/**
 * Whether every requested action is in the grant, compared action by action:
 * `repository:a:pull,push` asked and `repository:a:pull` granted is partial,
 * however the scopes were grouped or repeated in the request.
 */
export function coversEveryAction(requested: readonly string[], granted: readonly string[]): boolean {
  const given = new Set(granted.flatMap(actionsOf));
  return requested.flatMap(actionsOf).every((action) => given.has(action));
}

/** `type:name:a,b` → `type:name\0a`, `type:name\0b`. The name may hold a colon (host:port); the actions follow the last one. */
function actionsOf(scope: string): string[] {
  const cut = scope.lastIndexOf(':');
  const resource = scope.slice(0, cut);
  return scope
    .slice(cut + 1)
    .split(',')
    .map((action) => `${resource}\u0000${action}`);
}

export interface RunningAuditLog {
  /** Stops listening and writes what is queued (a file is closed). */
  close(): Promise<void>;
}

/**
 * Opens `audit.output` and listens. A file that cannot be opened rejects
 * (start-up says so); a write that fails later is logged once per kind of
 * failure, and the server goes on serving.
 */
export async function startAuditLog(
  audit: AuditConfig,
  events: ServerEvents,
  { clock, logger }: { readonly clock: Clock; readonly logger: Logger },
): Promise<RunningAuditLog> {
  if (audit.output === 'off') return { close: async () => {} };
  const reportWriteError = onceEach<NodeJS.ErrnoException>(
    (error) => logger.error('cannot write the audit log', { file: audit.output === 'file' ? audit.file : audit.output, reason: error.code ?? error.message }),
    (error) => error.code ?? error.message,
  );
  let output: LineOutput;
  if (audit.output === 'file') {
    try {
      output = await openFileOutput(audit.file, reportWriteError);
    } catch (error) {
      throw new Error(`audit.output: cannot open ${audit.file} for append: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else {
    output = standardOutput(audit.output === 'stdout' ? 1 : 2);
  }
  const stop = auditLog(events, output, () => clock.now());
  return {
    async close() {
      stop();
      await output.close();
    },
  };
}
