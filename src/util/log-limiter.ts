/**
 * Rate limits the log lines a client can cause (a user name Vault refuses, an
 * unknown mount): at most `perWindow` lines of one kind per window, then a
 * single line saying how many were suppressed. A client must not be able to
 * write the log at will.
 */
import type { Clock } from './clock.js';

/** Calls `write` unless this kind has used up its lines in the current window. */
export type LimitedLog = (kind: string, write: () => void) => void;

export function limitedLog(clock: Clock, onSuppressed: (kind: string, count: number) => void, perWindow = 10, windowMs = 60_000): LimitedLog {
  const windows = new Map<string, { start: number; written: number; suppressed: number }>();
  return (kind, write) => {
    const now = clock.now();
    let window = windows.get(kind);
    if (!window || now - window.start >= windowMs) {
      if (window && window.suppressed > 0) onSuppressed(kind, window.suppressed);
      // Kinds are a fixed set chosen by the code, so this map stays small.
      window = { start: now, written: 0, suppressed: 0 };
      windows.set(kind, window);
    }
    if (window.written < perWindow) {
      window.written += 1;
      write();
    } else {
      window.suppressed += 1;
    }
  };
}
