/**
 * Where lines of JSON go: stdout, stderr or a file, each written
 * asynchronously through sonic-boom (pino's writer). A write from
 * `process.stdout`/`process.stderr` to a pipe or a file is a synchronous
 * system call per line, in the middle of a request; sonic-boom queues the
 * lines written while a write is in flight and writes them together. What
 * is still queued when the process exits is written synchronously then, so
 * no line is lost.
 *
 * Writes are at most PIPE_BUF (4 KiB on Linux), whole lines each: a pipe
 * writes those atomically, so the lines of worker processes sharing one
 * stdout or stderr never cut into each other. A file is opened for append
 * (O_APPEND): each write lands at the end whatever the other processes
 * appending to the same file wrote meanwhile.
 */
import { createRequire } from 'node:module';
import type { SonicBoom as SonicBoomType } from 'sonic-boom';

// sonic-boom is CommonJS (`module.exports = SonicBoom`); its types describe an ES module.
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomType;

const MAX_WRITE = 4096;
/**
 * Lines are held until this many bytes wait, or FLUSH_MS pass: a write per
 * line (each through libuv's thread pool) cost ~200 µs of CPU per token to a
 * pipe, as much as the rest of the token path; a dozen lines per write cost
 * a twelfth of that. Under load the bytes fill first; when it is quiet a
 * line waits at most FLUSH_MS, short enough that whoever watches the log
 * (an operator, a test, a log shipper) sees it at once.
 */
const MIN_LENGTH = 3072;
const FLUSH_MS = 25;
const BATCHED = { sync: false, maxWrite: MAX_WRITE, minLength: MIN_LENGTH, periodicFlush: FLUSH_MS } as const;

export interface LineOutput {
  /** One line, without its newline. */
  write(line: string): void;
  /** Writes what is queued; a file is closed, stdout and stderr stay open for the rest of the process. */
  close(): Promise<void>;
}

const standard = new Map<1 | 2, SonicBoomType>();

/** The one asynchronous writer to fd 1 or 2 of this process (the log and the audit log share it), flushed at exit. */
export function standardStream(fd: 1 | 2): SonicBoomType {
  let stream = standard.get(fd);
  if (!stream) {
    const created = new SonicBoom({ fd, ...BATCHED });
    flushAtExit(created);
    // A closed pipe must not crash the server: the lines are lost, the tokens are not.
    created.on('error', () => undefined);
    standard.set(fd, created);
    stream = created;
  }
  return stream;
}

export function standardOutput(fd: 1 | 2): LineOutput {
  const stream = standardStream(fd);
  return {
    write: (line) => stream.write(`${line}\n`),
    close: () =>
      new Promise<void>((resolve) => {
        // flush() fails when nothing was ever written (or the pipe is gone): nothing to wait for then.
        try {
          stream.flush(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
}

/**
 * A file opened for append (created with its folder if missing, mode 0600:
 * what it says is nobody else's business). Rejects when it cannot be opened,
 * so that start-up says so; later write errors go to `onError`.
 */
export async function openFileOutput(file: string, onError: (error: Error) => void): Promise<LineOutput> {
  const stream = new SonicBoom({ dest: file, append: true, mkdir: true, mode: 0o600, ...BATCHED });
  await new Promise<void>((resolve, reject) => {
    stream.once('ready', resolve);
    stream.once('error', reject);
  });
  stream.on('error', onError);
  const atExit = flushAtExit(stream);
  let closed: Promise<void> | null = null;
  return {
    write: (line) => {
      // After close, a decision still in flight is dropped rather than thrown at its emitter.
      if (!closed) stream.write(`${line}\n`);
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        process.off('exit', atExit);
        stream.once('close', () => resolve());
        stream.end();
      });
      return closed;
    },
  };
}

function flushAtExit(stream: SonicBoomType): () => void {
  const flush = (): void => {
    try {
      stream.flushSync();
    } catch {
      // Gone (a closed pipe, a closed file): nothing more can be written.
    }
  };
  process.once('exit', flush);
  return flush;
}
