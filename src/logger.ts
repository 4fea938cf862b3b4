/**
 * Winston, as the config says: JSON lines on stdout, and in a file when
 * `log.file` is set. A last line of defence drops any field whose name says
 * it holds a secret, should one ever be passed to a log call.
 */
import winston from 'winston';
import type { LogLevel } from './config/config.js';

const SECRET_FIELD = /pass(word)?|token|secret|authorization|cookie|private/iu;

const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key !== 'message' && key !== 'level' && SECRET_FIELD.test(key)) info[key] = '[redacted]';
  }
  return info;
});

export function createLogger(options: { level: LogLevel; file?: string; silent?: boolean }): winston.Logger {
  const format = winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.json());
  const transports: winston.transport[] = [new winston.transports.Console()];
  if (options.file) transports.push(new winston.transports.File({ filename: options.file }));
  return winston.createLogger({ level: options.level, format, transports, silent: options.silent ?? false });
}
