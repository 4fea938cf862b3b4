/**
 * Start-up steps that wait on something else (logging in to Vault, checking
 * its mounts, reading the keys) are usually quick, but a slow or distant
 * Vault can hold them for the whole of storage.vault.timeout, or longer
 * with retries. Silence then looks like a hang: after `noticeMs` the step
 * says what it is waiting for, again every `noticeMs` while it lasts, and
 * how long it took once done. Quick steps say nothing.
 */
export interface SlowStepOptions {
  /** The server's logger (winston's, or a test's: only `info` is used). */
  readonly logger: { info(message: string, fields: Record<string, unknown>): unknown };
  /** How long a step may take before it is announced (and between reminders). */
  readonly noticeMs?: number;
}

/** Two seconds: far longer than any of these steps takes normally, short enough for an operator watching. */
export const DEFAULT_NOTICE_MS = 2_000;

/** Runs `step`, logging `<what>: still waiting` while it is slow and `<what>: done` (with the time) if it was. */
export async function announceSlowStep<T>(what: string, step: () => Promise<T>, options: SlowStepOptions): Promise<T> {
  const noticeMs = options.noticeMs ?? DEFAULT_NOTICE_MS;
  // Wall time, not the passed-in clock: this measures real waiting on real
  // I/O, reported with real timers, and says nothing the server decides on.
  const started = Date.now();
  let slow = false;
  const timer = setInterval(() => {
    slow = true;
    options.logger.info(`start-up: still ${what}`, { step: what, elapsed_ms: Date.now() - started });
  }, noticeMs);
  // A slow step must not keep a process that is otherwise done alive.
  timer.unref();
  try {
    return await step();
  } finally {
    clearInterval(timer);
    if (slow) options.logger.info(`start-up: done ${what}`, { step: what, elapsed_ms: Date.now() - started });
  }
}
