/**
 * Winston, as the config says: JSON lines on stdout, and in a file when
 * `log.file` is set. A last line of defence drops any field whose name says
 * it holds a secret, should one ever be passed to a log call.
 *
 * Stdout is written through sonic-boom, asynchronously: on Linux a write to
 * a pipe (docker, systemd, kubectl logs) or a file from `process.stdout` is
 * a synchronous system call per line, in the middle of every request once
 * the access log is on. sonic-boom queues the lines written while a write is
 * in flight and writes them together; what is still queued when the process
 * exits is written synchronously then, so no line is lost.
 */
import { createRequire } from 'node:module';
import type { SonicBoom as SonicBoomType } from 'sonic-boom';
import winston from 'winston';
import TransportStream from 'winston-transport';
import type { LogLevel } from './config/config.js';

// sonic-boom is CommonJS (`module.exports = SonicBoom`); its types describe an ES module.
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomType;

const SECRET_FIELD = /pass(word)?|token|secret|authorization|cookie|private/iu;

const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key !== 'message' && key !== 'level' && SECRET_FIELD.test(key)) info[key] = '[redacted]';
  }
  return info;
});

export function createLogger(options: { level: LogLevel; file?: string; silent?: boolean }): winston.Logger {
  const format = winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.json());
  const transports: winston.transport[] = [new StdoutTransport(stdoutStream())];
  if (options.file) transports.push(new winston.transports.File({ filename: options.file }));
  return winston.createLogger({ level: options.level, format, transports, silent: options.silent ?? false });
}

/** winston's formatted line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/** Each formatted line to sonic-boom (winston's Stream transport wants a Node stream, which sonic-boom is not). */
class StdoutTransport extends TransportStream {
  readonly #out: SonicBoomType;

  constructor(out: SonicBoomType) {
    super();
    this.#out = out;
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.#out.write(`${String(info[MESSAGE])}\n`);
    next();
  }
}

let stdout: SonicBoomType | null = null;

/** One asynchronous writer to fd 1 per process, flushed when the process exits. */
function stdoutStream(): SonicBoomType {
  if (!stdout) {
    // Writes of at most PIPE_BUF (4 KiB on Linux), whole lines each: a pipe
    // writes those atomically, so the lines of worker processes sharing one
    // stdout never cut into each other.
    const stream = new SonicBoom({ fd: 1, sync: false, maxWrite: 4096 });
    process.once('exit', () => {
      try {
        stream.flushSync();
      } catch {
        // stdout is gone (a closed pipe): nothing more can be written.
      }
    });
    // A closed pipe must not crash the server: the lines are lost, the tokens are not.
    stream.on('error', () => undefined);
    stdout = stream;
  }
  return stdout;
}
