/**
 * The wire side of the HTTP fuzz suite: a request's parts read back from
 * what was sent (method, path, query, headers, body, raw bytes included),
 * and a server's answers read from raw bytes (interim 1xx skipped, bodies
 * by Content-Length, chunked, or up to the close; none for HEAD).
 */
import type { FuzzCase } from './fuzz-requests.js';

export interface FuzzResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface FuzzAnswer {
  readonly id: number;
  /** From the first byte sent to the last byte of the last answer read. */
  readonly ms: number;
  /** What went wrong when no complete answer came: a timeout (a hang), a reset, a close. */
  readonly error?: string;
  readonly responses: readonly FuzzResponse[];
}

export interface RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Lower-case names, every value in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

/** The first request of a case, as the server got it. */
export function requestFacts(c: FuzzCase): RequestFacts {
  if (c.via !== 'raw') {
    const headers = new Map<string, string[]>();
    for (const [name, value] of Object.entries(c.headers ?? {})) headers.set(name.toLowerCase(), typeof value === 'string' ? [value] : [...value]);
    return { method: c.method, ...splitTarget(c.target), headers, body: Buffer.from(c.body ?? new Uint8Array()) };
  }
  const data = Buffer.from(c.bytes ?? new Uint8Array());
  const end = data.indexOf('\r\n\r\n');
  const head = data.subarray(0, end < 0 ? data.length : end).toString('latin1');
  const [line = '', ...lines] = head.split('\r\n');
  const [method = '', target = ''] = line.split(' ');
  const headers = new Map<string, string[]>();
  for (const text of lines) {
    const colon = text.indexOf(':');
    if (colon <= 0) continue;
    const name = text.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), text.slice(colon + 1).trim()]);
  }
  let body: Buffer = end < 0 ? Buffer.alloc(0) : data.subarray(end + 4);
  if (headers.get('transfer-encoding')?.[0]?.toLowerCase() === 'chunked') body = dechunk(body).body;
  return { method, ...splitTarget(target), headers, body };
}

/** Path and query of a request target (origin or absolute form); the fragment dropped. */
function splitTarget(target: string): { path: string; query: string } {
  const origin = /^https?:\/\/[^/?#]*/iu.exec(target);
  const rest = origin ? target.slice(origin[0].length) || '/' : target;
  const hash = rest.indexOf('#');
  const noHash = hash < 0 ? rest : rest.slice(0, hash);
  const question = noHash.indexOf('?');
  return question < 0 ? { path: noHash, query: '' } : { path: noHash.slice(0, question), query: noHash.slice(question + 1) };
}

/** The answers in `data`, in order; `heads` says which requests were HEAD (no body follows). */
export function parseResponses(data: Buffer, heads: readonly boolean[]): FuzzResponse[] {
  const out: FuzzResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [line = '', ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/u.exec(line)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const text of lines) {
      const colon = text.indexOf(':');
      if (colon <= 0) continue;
      const name = text.slice(0, colon).toLowerCase();
      const value = text.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    at = end + 4;
    if (status >= 100 && status < 200) continue;
    let body: Buffer;
    if (heads[out.length]) {
      body = Buffer.alloc(0);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = data.subarray(at, at + length);
      at += length;
    } else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const read = dechunk(data.subarray(at));
      body = read.body;
      at += read.used;
    } else {
      body = data.subarray(at);
      at = data.length;
    }
    out.push({ status, headers, body });
  }
  return out;
}

function dechunk(data: Buffer): { body: Buffer; used: number } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) break;
    at = lineEnd + 2;
    if (size === 0) {
      at += 2;
      break;
    }
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
  return { body: Buffer.concat(parts), used: at };
}
