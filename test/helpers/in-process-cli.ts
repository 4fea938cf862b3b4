/** Runs command lines of the CLI in-process, with their own streams: fast, and the output is the test's. */
import { Readable } from 'node:stream';
import { type CliIo, type RegisterCommand, runCli } from '../../src/cli/program.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One command line; `stdin` is what a pipe would give it (never a terminal). */
export async function runInProcess(commands: readonly RegisterCommand[], args: readonly string[], stdin?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  };
  const code = await runCli(args, commands, io);
  return { code, stdout, stderr };
}
