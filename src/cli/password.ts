/**
 * A new password for `user add` and `user passwd`: typed twice on the
 * terminal without echo, or the first line of stdin (`--password-stdin`, as
 * `docker login` reads it). It is never written anywhere but to the hash.
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { CliError, type CliIo, UsageError } from './program.js';

/** More than any password: stdin is not read past this. */
const MAX_STDIN_BYTES = 64 * 1024;

export async function readNewPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const password = firstLine(await readStdin(io.stdin));
    if (password.length === 0) throw new CliError('--password-stdin: the first line of stdin is empty: no password given');
    return password;
  }
  if (!io.stdin.isTTY) throw new UsageError('no terminal to ask for the password on: pass it on stdin with --password-stdin');
  const password = await promptHidden(io, 'Password: ');
  if (password.length === 0) throw new CliError('no password given');
  if ((await promptHidden(io, 'Password again: ')) !== password) throw new CliError('the two passwords differ: nothing was changed');
  return password;
}

function firstLine(text: string): string {
  const end = text.search(/\r?\n/u);
  return end < 0 ? text : text.slice(0, end);
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buffer);
    size += buffer.length;
    // The password is the first line: stop at its end, or when stdin is far too long for one.
    if (buffer.includes(0x0a) || size > MAX_STDIN_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks on stderr (stdout may be redirected) and reads a line from the terminal, echoing nothing. */
async function promptHidden(io: CliIo, question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) io.stderr.write(chunk.toString());
      done();
    },
  });
  const lines = createInterface({ input: io.stdin, output, terminal: true });
  const cancel = new AbortController();
  // Ctrl-C and Ctrl-D end the prompt (the terminal is set back by close()).
  lines.on('SIGINT', () => cancel.abort());
  lines.on('close', () => cancel.abort());
  try {
    const answer = lines.question(question, { signal: cancel.signal });
    muted = true;
    return await answer;
  } catch {
    throw new CliError('no password given: cancelled');
  } finally {
    muted = false;
    io.stderr.write('\n');
    lines.close();
  }
}
