/**
 * The command line's frame: the commander program, the streams the commands
 * write to, and the one place where an outcome becomes an exit code and an
 * error becomes a line on stderr.
 *
 * Each command lives in its own file under src/cli/ and exports a
 * `RegisterCommand`; src/cli.ts lists them. Adding a command is one file and
 * one line there.
 *
 * Exit codes: 0 done; 1 failed (refused by Vault, not found, invalid input,
 * storage unavailable); 2 usage (commander's own errors, a missing argument
 * or password source, a configuration file that cannot be used).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, type ConfigEnv } from '../config/load.js';
import { isAppError } from '../errors.js';
import { AdminError } from '../users/user-admin.js';
import { TlsFileError } from '../vault/tls-files.js';

export const PROGRAM_NAME = 'vault-registry-auth';

// dist/src/cli/program.js → the package root, which holds config/.
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The embedded default configuration: the YAML user file, no Vault needed. */
export const DEFAULT_CONFIG = path.join(packageRoot, 'config', 'default.yml');

/** What the commands read and write: the process's own streams, or a test's. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean | undefined };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** The environment the configuration is read with (VAULT_ADDR, VAULT_TOKEN…). */
  readonly env: ConfigEnv;
}

export interface CliContext {
  readonly io: CliIo;
}

/** Adds one top-level command (with its subcommands) to the program. */
export type RegisterCommand = (program: Command, context: CliContext) => void;

/** A failure to report as it is, with its exit code (1 unless said). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The command was called wrongly (exit code 2), found by a command rather than by commander. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The `-c, --config <file>` option every command takes. */
export function withConfigOption(command: Command, description = 'configuration file, as serve reads it (storage and services)'): Command {
  return command.addOption(new Option('-c, --config <file>', description).default(DEFAULT_CONFIG, 'the embedded default, config/default.yml'));
}

/**
 * Runs the command line `args` (without node and the script) and resolves
 * to the exit code. Never throws: every error ends as one line on stderr.
 * A command that keeps running (serve) resolves once it has started.
 */
export async function runCli(args: readonly string[], commands: readonly RegisterCommand[], io: CliIo = processIo()): Promise<number> {
  const program = new Command()
    .name(PROGRAM_NAME)
    .description('A token server for Docker registries, with users and rights kept in HashiCorp Vault')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  const context: CliContext = { io };
  for (const register of commands) register(program, context);
  for (const command of commandTree(program)) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(usageLine(text, command)),
    });
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

function* commandTree(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* commandTree(sub);
}

/** commander's `error: missing required argument 'name'` → one line naming the command's help. */
function usageLine(text: string, command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  const message = text
    .trim()
    .replace(/^error: /u, '')
    .replace(/\s*\n\s*/gu, ' ');
  return `${PROGRAM_NAME}: ${message} (see: ${names.join(' ')} --help)\n`;
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Already written by commander (help, version, or the usage line above).
    return error.exitCode === 0 ? 0 : 2;
  }
  const fail = (message: string, code: number): number => {
    io.stderr.write(`${PROGRAM_NAME}: ${message}\n`);
    return code;
  };
  if (error instanceof CliError) return fail(error.message, error.exitCode);
  // `invalid configuration in <file>:` and its problems, on one line.
  if (error instanceof ConfigError) return fail(`${error.message.split(':\n')[0]}: ${error.problems.join('; ')}`, 2);
  if (error instanceof AdminError || error instanceof TlsFileError || isAppError(error)) return fail(error.message, 1);
  return fail(`unexpected error: ${error instanceof Error ? error.message : String(error)}`, 1);
}
