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
import type { SonicBoom as SonicBoomType } from 'sonic-boom';
import winston from 'winston';
import TransportStream from 'winston-transport';
import type { LogLevel } from './config/config.js';
import { standardStream } from './util/line-output.js';

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

/** The one asynchronous writer to fd 1 of this process (src/util/line-output.ts), flushed when the process exits. */
const stdoutStream = (): SonicBoomType => standardStream(1);
