/**
 * The requests of the HTTP fuzz suite (test/integration/fuzz-http.test.ts),
 * generated from a seed by a small PRNG: the same seed gives the same
 * requests in the same order, so a failing run is replayed with FUZZ_SEED.
 *
 * Three ways to send, because fetch and undici refuse much of what an
 * attacker can put on the wire:
 * - `pool`: undici over keep-alive connections, bounded concurrency (the bulk);
 * - `burst`: the same, 200 at once;
 * - `raw`: bytes on a socket of their own (node:net): NUL and control
 *   characters in the request line and headers, invalid UTF-8 bytes, bad
 *   methods, duplicate headers, no Host, CONNECT, Expect, pipelining, and
 *   slow clients that trickle their bytes.
 *
 * A case may say exactly what must be answered (`expect`); every case is
 * also checked against the invariants of test/helpers/fuzz-check.ts.
 */
import { FUZZ_SERVICES, FUZZ_USERS, type FuzzUser, UNMAPPED_USER, userOf } from './fuzz-world.js';

/** sfc32: small, fast, and the same on every platform. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i += 1) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** One of `choices`, by weight. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let at = this.next() * total;
    for (const [weight, value] of choices) {
      at -= weight;
      if (at < 0) return value;
    }
    return (choices[choices.length - 1] as readonly [number, T])[1];
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

/** What a case must be answered, exactly, when the generator knows it. */
export interface Expectation {
  readonly status: number;
  /** The error body's code (Docker's `code`, or OAuth2's `error`). */
  readonly code?: string;
  /** Answered by Node's parser, before any route is known (src/http/client-error.ts): Docker's shape, whatever the path. */
  readonly edge?: boolean;
}

export interface FuzzCase {
  readonly id: number;
  /** What kind of input it is, for the figures and for reading a failure. */
  readonly category: string;
  readonly via: 'pool' | 'burst' | 'raw';
  readonly method: string;
  /** The request target as sent (pool, burst), or as written in `bytes` (raw). */
  readonly target: string;
  /** pool and burst: header name → value, or values (sent as repeated headers). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Uint8Array;
  /** raw: the request's bytes (requests, when pipelined). */
  readonly bytes?: Uint8Array;
  /** raw: how many requests `bytes` holds (pipelining), and which are HEAD (no body in their answer). */
  readonly heads?: readonly boolean[];
  /** A slow client: the `first` bytes at once, then `chunk` bytes every `everyMs`. Its time is its own. */
  readonly drip?: { readonly first?: number; readonly chunk: number; readonly everyMs: number };
  /** Raw only: the server is right to close without (or after) an answer here (a request too large to read). */
  readonly mayClose?: boolean;
  readonly expect?: Expectation;
}

/** Tokens the fuzzer got before the flood, to replay and to tamper with. */
export interface FuzzTokens {
  /** Refresh tokens: alice of `registry` (GET) and carol of `registry2` (POST). */
  readonly refresh: readonly { readonly service: string; readonly account: string; readonly token: string }[];
  /** An access token (never a refresh token). */
  readonly access: string;
}

const te = new TextEncoder();
const bytes = (text: string): Uint8Array => te.encode(text);

/** Percent-encodes every byte of the UTF-8 form but the unreserved ones (lone surrogates become U+FFFD). */
export function pct(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/u.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const basicBytes = (raw: Uint8Array): string => `Basic ${Buffer.from(raw).toString('base64')}`;

// --- the pools of hostile text ---

/** Text that must never become a path, a service or a user (as it is, then encoded). */
const HOSTILE_TEXT = [
  '..',
  '.',
  '../sys',
  'a/../../sys',
  '/',
  'a/b',
  '\\',
  '%',
  '?',
  '#',
  '&',
  '=',
  ';',
  ',',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  '\u0001',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200e',
  '\u202e',
  '\ufeff',
  '\ufffd',
  '\u2215',
  '\uff0f',
  '\uff0e\uff0e',
  '\u2024\u2024',
  '\ud800',
  '\udfff',
  '😀',
  'ｒｅｇｉｓｔｒｙ',
  'reg\u0456stry',
  'r\u0435gistry',
  'REGISTRY',
  'Registry',
  'registry ',
  ' registry',
  'registry\u0000',
  'registry\n',
  'registry/../registry2',
  'registry;registry2',
  'registry,registry2',
  'fuzzv1',
  'fuzzv2',
  'fuzzother',
  'sys',
  'sys/mounts',
  'auth',
  'identity',
  'cubbyhole',
  'secret',
  'alice',
  'ALICE',
  'alic\u0435',
  'ali\u0441e',
  'zoe\u0308',
  'zo\u00eb',
  'z\u043e\u00eb',
  '_groups',
  '_anonymous',
  '_groups/devs',
  'mallory',
  '${account}',
  '*',
  '**',
  'a'.repeat(257),
  'a'.repeat(3000),
  '\u00e9'.repeat(200),
];

/** Wire text inserted as it is: encodings of `..` and `/`, invalid and overlong UTF-8, broken escapes. */
const HOSTILE_WIRE = [
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%252e%252e',
  '%2f',
  '%2F',
  '..%2f',
  '%2e%2e%2f%2e%2e%2fsys',
  '%5c',
  '%00',
  '%0a',
  '%0d%0a',
  '%C0%AE%C0%AE',
  '%C0%AF',
  '%E0%80%AE',
  '%ED%A0%80',
  '%FF',
  '%FE%FF',
  '%F4%90%80%80',
  '%C3',
  '%ZZ',
  '%',
  '%%',
  '%2',
  '+',
  '%20',
  '%2B',
  'registry%00',
  'registry%2f..%2fsys',
  'registry%26service%3Dregistry2',
  'fuzzv1%2f..%2ffuzzother',
  'alice%00',
  'reg%C4%B1stry',
];

/** Scopes a real client would send, for every user's rights and some nobody has. */
const GOOD_SCOPES = [
  'repository:team/app:pull',
  'repository:team/app:pull,push',
  'repository:team/app:push,pull,delete',
  'repository:team/db:pull,push',
  'repository:team/a/b/c:pull',
  'repository:users/alice/tools:*',
  'repository:users/alice/x:pull,delete',
  'repository:users/bob/x:pull',
  'registry:catalog:*',
  'registry:catalog:pull',
  'repository:public/lib:pull',
  'repository:public/lib:pull,push',
  'repository:legacy/app:pull',
  'repository:legacy/a/b:pull',
  'repository:ci/build:pull,push',
  'repository:v2/app:pull,push,delete',
  'repository:v2/app:*',
  'repository:carol/tools:pull,push',
  'repository:shared:delete',
  'repository:ops/x/y:*',
  'repository:zoe/app:pull',
  'repository:localhost:5000/team/app:pull',
  'repository(plugin):team/app:pull',
  'repository:team/app:pull,pull',
  'repository:other:pull',
];

const ACTION_MUTATIONS = ['PULL', 'pull;push', 'pull ,push', '', '*,pull', 'pull,', ',', 'p\u0000ull', 'pull\u202e', 'pu ll', 'pull,push,' + 'x,'.repeat(300)];
const TYPE_MUTATIONS = ['Repository', 'repo sitory', 'registry(', 'repository()', '', 'repository(plugin', '\u0000', 'r\u0435pository'];

const METHODS_ALL = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'];
/** Methods Node's parser knows but nothing here serves. */
const METHODS_ODD = ['PROPFIND', 'MKCOL', 'QUERY', 'SEARCH', 'LINK', 'PURGE', 'REPORT', 'LOCK', 'MOVE', 'COPY', 'NOTIFY', 'SUBSCRIBE'];

const ENDPOINTS = ['/certs', '/jwks', '/healthz', '/readyz', '/metrics'];
const REALMS = ['/auth', '/auth/token'];
/** Paths no route has, and realm look-alikes (the router matches without case and with a trailing slash). */
const ODD_PATHS = [
  '/',
  '/v2/',
  '/auth/x',
  '/auth/token/x',
  '/AUTH',
  '/auth/',
  '/Auth/Token/',
  '//auth',
  '/%61uth',
  '/auth%2Ftoken',
  '/..%2fauth',
  '/auth;x',
  '/auth%00',
  '/auth/%2e%2e/healthz',
  '/certs/../jwks',
  '/favicon.ico',
  '/metrics/',
  '/HEALTHZ',
  '/healthz?x=1',
  '/%',
  '/%zz',
  `/${'a'.repeat(8000)}`,
  '/auth#frag',
];

// --- what a generated realm request holds ---

type Pair = readonly [string, string];

interface Built {
  readonly category: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string | readonly string[]>;
  readonly body?: Uint8Array;
  readonly expect?: Expectation;
}

export class FuzzGenerator {
  readonly #rng: Rng;
  readonly #tokens: FuzzTokens;
  #next = 0;

  constructor(seed: number, tokens: FuzzTokens) {
    this.#rng = new Rng(seed);
    this.#tokens = tokens;
  }

  /**
   * `count` cases in all: bursts of 200, raw and slow ones, and the rest
   * through the pool. The order within each way of sending is the seed's.
   */
  generate(count: number, options: { bursts: number; raw: number; slow: number }): FuzzCase[] {
    const cases: FuzzCase[] = [];
    for (let b = 0; b < options.bursts; b += 1) cases.push(...this.#burst(b));
    for (let i = 0; i < options.slow; i += 1) cases.push(this.#slow(i));
    for (let i = 0; i < options.raw; i += 1) cases.push(this.#raw());
    while (cases.length < count) cases.push(this.#pooled());
    return cases;
  }

  #id(): number {
    this.#next += 1;
    return this.#next;
  }

  #case(via: FuzzCase['via'], built: Built): FuzzCase {
    return { id: this.#id(), via, ...built };
  }

  // --- the pool: most of the run ---

  #pooled(): FuzzCase {
    const r = this.#rng;
    const kind = r.weighted<() => Built>([
      [30, () => this.#realmGet()],
      [22, () => this.#realmPost()],
      [14, () => this.#clean()],
      [8, () => this.#endpoint()],
      [5, () => this.#realmMethod()],
      [6, () => this.#oversized()],
      [6, () => this.#refresh()],
      [6, () => this.#duplicates()],
      [1, () => this.#wrongPassword()],
      [1.5, () => this.#vaultNames()],
    ]);
    return this.#case('pool', kind());
  }

  /** A GET (or HEAD) of the realm with a fuzzed query and Authorization. */
  #realmGet(): Built {
    const r = this.#rng;
    const method = r.chance(0.1) ? 'HEAD' : 'GET';
    const user = r.pick(FUZZ_USERS);
    const pairs = this.#fuzzedParameters('get', this.#serviceFor(user));
    const headers: Record<string, string> = {};
    const auth = this.#authorization(user);
    if (auth !== undefined) headers.authorization = auth;
    this.#proxyHeaders(headers);
    return { category: 'realm-get', method, target: `${r.pick(REALMS)}${this.#query(pairs)}`, headers };
  }

  /** A POST of the OAuth2 form, fuzzed field by field, with a fuzzed content type, now and then raw bytes. */
  #realmPost(): Built {
    const r = this.#rng;
    const user = r.pick(FUZZ_USERS);
    const fields = this.#fuzzedParameters('post', this.#serviceFor(user));
    const grant = r.weighted<string | null>([
      [6, 'password'],
      [3, 'refresh_token'],
      [1, null],
      [1, ''],
      [1, 'PASSWORD'],
      [1, 'client_credentials'],
      [1, 'authorization_code'],
      [1, 'password\u0000'],
    ]);
    const extra: Pair[] = [];
    if (grant !== null) extra.push(['grant_type', pct(grant)]);
    if (r.chance(0.85)) extra.push(['client_id', r.chance(0.9) ? 'fuzz' : pct(r.pick(HOSTILE_TEXT))]);
    if (grant === 'password' || r.chance(0.2)) {
      // Each wrong user or password costs a password hash (failures are never remembered): few of them.
      if (r.chance(0.95)) extra.push(['username', this.#fuzzedText(user.name, 0.08)]);
      if (r.chance(0.95)) extra.push(['password', this.#fuzzedText(user.password, 0.04)]);
    }
    if (grant === 'refresh_token' || r.chance(0.1)) extra.push(['refresh_token', pct(this.#someRefreshToken())]);
    if (r.chance(0.2)) extra.push(['access_type', r.pick(['offline', 'online', 'OFFLINE', ''])]);
    const pairs = r.shuffle([...fields, ...extra]);
    let body: Uint8Array = bytes(this.#join(pairs));
    if (r.chance(0.1)) body = this.#withRawBytes(body);
    const headers: Record<string, string> = { 'content-type': this.#contentType() };
    if (r.chance(0.1)) headers.authorization = this.#authorization(user) ?? '';
    this.#proxyHeaders(headers);
    const query = r.chance(0.1) ? this.#query(this.#fuzzedParameters('get', r.pick(FUZZ_SERVICES).name)) : '';
    return { category: 'realm-post', method: 'POST', target: `${r.pick(REALMS)}${query}`, headers, body };
  }

  /** A request a real client sends, with the right credentials: must be a 200, its grant checked exactly. */
  #clean(): Built {
    const r = this.#rng;
    const scopes = Array.from({ length: 1 + r.int(3) }, () => r.pick(GOOD_SCOPES));
    const who = r.weighted<'user' | 'anonymous' | 'refresh'>([
      [7, 'user'],
      [2, 'anonymous'],
      [2, 'refresh'],
    ]);
    const realm = r.pick(REALMS);
    if (who === 'anonymous') {
      const query = this.#join([['service', 'registry'], ...scopes.map((scope): Pair => ['scope', pct(scope)])]);
      return { category: 'clean-anonymous', method: 'GET', target: `${realm}?${query}`, headers: {}, expect: { status: 200 } };
    }
    if (who === 'refresh') {
      const { service, token } = r.pick(this.#tokens.refresh);
      if (r.chance(0.5)) {
        const query = this.#join([['service', service], ...scopes.map((scope): Pair => ['scope', pct(scope)])]);
        return {
          category: 'clean-refresh-get',
          method: 'GET',
          target: `${realm}?${query}`,
          headers: { authorization: basic('', token) },
          expect: { status: 200 },
        };
      }
      const form = this.#join([
        ['grant_type', 'refresh_token'],
        ['client_id', 'fuzz'],
        ['service', service],
        ['refresh_token', token],
        ['scope', pct(scopes.join(' '))],
      ]);
      return {
        category: 'clean-refresh-post',
        method: 'POST',
        target: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bytes(form),
        expect: { status: 200 },
      };
    }
    const user = r.pick(FUZZ_USERS);
    if (r.chance(0.55)) {
      const pairs: Pair[] = [['service', user.service], ...scopes.map((scope): Pair => ['scope', pct(scope)])];
      if (r.chance(0.2)) pairs.push(['account', pct(user.name)]);
      if (r.chance(0.15)) pairs.push(['offline_token', 'true']);
      return {
        category: 'clean-password-get',
        method: 'GET',
        target: `${realm}?${this.#join(r.shuffle(pairs))}`,
        headers: { authorization: basic(user.name, user.password) },
        expect: { status: 200 },
      };
    }
    const fields: Pair[] = [
      ['grant_type', 'password'],
      ['client_id', 'fuzz'],
      ['service', user.service],
      ['username', pct(user.name)],
      ['password', pct(user.password)],
      ['scope', pct(scopes.join(' '))],
    ];
    if (r.chance(0.15)) fields.push(['access_type', 'offline']);
    return {
      category: 'clean-password-post',
      method: 'POST',
      target: realm,
      headers: { 'content-type': r.pick(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8']) },
      body: bytes(this.#join(r.shuffle(fields))),
      expect: { status: 200 },
    };
  }

  /** The other endpoints and unknown paths, with every method undici can send. */
  #endpoint(): Built {
    const r = this.#rng;
    const path = r.chance(0.6) ? r.pick(ENDPOINTS) : r.pick(ODD_PATHS);
    const method = r.chance(0.85) ? r.pick(METHODS_ALL) : r.pick(METHODS_ODD);
    const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? bytes('a=b') : undefined;
    const headers: Record<string, string> = body ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
    this.#proxyHeaders(headers);
    return { category: 'endpoint', method, target: path, headers, ...(body ? { body } : {}) };
  }

  /** Every method on the realm: only GET, HEAD and POST are served there; OPTIONS lists them. */
  #realmMethod(): Built {
    const r = this.#rng;
    const method = r.pick([...METHODS_ALL.filter((m) => !['GET', 'HEAD', 'POST'].includes(m)), ...METHODS_ODD]);
    const user = r.pick(FUZZ_USERS);
    const expect: Expectation = method === 'OPTIONS' ? { status: 200 } : { status: 405, code: 'METHOD_NOT_ALLOWED' };
    return {
      category: 'realm-method',
      method,
      target: `${r.pick(REALMS)}?service=${user.service}&scope=repository:team/app:pull`,
      headers: { authorization: basic(user.name, user.password) },
      expect,
    };
  }

  /** Long query strings, many parameters, thousands of scopes, big bodies and headers. */
  #oversized(): Built {
    const r = this.#rng;
    const user = r.pick(FUZZ_USERS);
    const auth = { authorization: basic(user.name, user.password) };
    const realm = r.pick(REALMS);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const post = (body: string, category: string, expect?: Expectation): Built => ({
      category,
      method: 'POST',
      target: realm,
      headers: form,
      body: bytes(body),
      ...(expect ? { expect } : {}),
    });
    const base = `service=${user.service}`;
    const variant = r.int(13);
    switch (variant) {
      case 0:
        return {
          category: 'long-query',
          method: 'GET',
          target: `${realm}?${base}&scope=${'a'.repeat(8200 + r.int(4000))}`,
          headers: auth,
          expect: { status: 414, code: 'URI_TOO_LONG' },
        };
      case 1:
        return {
          category: 'many-parameters',
          method: 'GET',
          target: `${realm}?${base}${'&x'.repeat(129 + r.int(3000))}`,
          headers: auth,
          expect: { status: 400, code: 'INVALID_REQUEST' },
        };
      case 2: {
        // Thousands of scopes in one value, within 8 KiB.
        const count = 65 + r.int(1200);
        return {
          category: 'thousands-of-scopes',
          method: 'GET',
          target: `${realm}?${base}&scope=${'r:a:p+'.repeat(count)}`,
          headers: auth,
          expect: { status: 400, code: 'INVALID_SCOPE' },
        };
      }
      case 3: {
        const count = 65 + r.int(60);
        const scopes = Array.from({ length: count }, (_, i) => `scope=repository:team/app${i}:pull`).join('&');
        return {
          category: 'thousands-of-scopes',
          method: 'GET',
          target: `${realm}?${base}&${scopes}`,
          headers: auth,
          expect: { status: 400, code: 'INVALID_SCOPE' },
        };
      }
      case 4:
        return post(
          `grant_type=password&client_id=x&${base}&username=${pct(user.name)}&password=${pct(user.password)}&scope=${'r:a:p+'.repeat(65 + r.int(2000))}`,
          'thousands-of-scopes-form',
          { status: 400, code: 'invalid_scope' },
        );
      case 5:
        return post(`${base}&scope=${'a'.repeat(16 * 1024 + 1 + r.int(100_000))}`, 'long-form', { status: 400, code: 'invalid_request' });
      case 6:
        return post(`${base}${'&x'.repeat(129 + r.int(4000))}`, 'many-form-fields', { status: 400, code: 'invalid_request' });
      case 7: {
        // A huge Authorization within the header limit: a user name beyond any limit.
        const size = 2000 + r.int(10_000);
        return {
          category: 'huge-authorization',
          method: 'GET',
          target: `${realm}?${base}`,
          headers: { authorization: basic('u'.repeat(size), 'p') },
          expect: { status: 401, code: 'UNAUTHORIZED' },
        };
      }
      case 8: {
        const size = 2000 + r.int(10_000);
        return {
          category: 'huge-authorization',
          method: 'GET',
          target: `${realm}?${base}`,
          headers: { authorization: `Basic ${'QUFB'.repeat(size / 4)}!` },
          expect: { status: 401, code: 'UNAUTHORIZED' },
        };
      }
      case 9: {
        // A long password for a real user: wrong, whatever its length (not a bcrypt user's: 50 ms a check).
        const size = 1000 + r.int(8000);
        const hashed = r.pick(FUZZ_USERS.filter((u) => u.stored !== 'bcrypt'));
        return {
          category: 'huge-authorization',
          method: 'GET',
          target: `${realm}?service=${hashed.service}`,
          headers: { authorization: basic(hashed.name, `${hashed.password}${'x'.repeat(size)}`) },
          expect: { status: 401, code: 'UNAUTHORIZED' },
        };
      }
      case 11:
        // The query of a POST is not read, but it is bounded all the same, and refused in OAuth2's shape.
        return {
          ...post(`grant_type=password&client_id=x&${base}`, 'long-query-post', { status: 414, code: 'invalid_request' }),
          target: `${realm}?${'a'.repeat(8200 + r.int(4000))}`,
        };
      case 12:
        return {
          ...post(`grant_type=password&client_id=x&${base}`, 'many-parameters-post', { status: 400, code: 'invalid_request' }),
          target: `${realm}?${'&x'.repeat(129 + r.int(3000))}`,
        };
      default: {
        const path = `${realm}?${base}&scope=${'repository:team/app:pull+'.repeat(2 + r.int(60))}`;
        return { category: 'long-query', method: 'GET', target: path.slice(0, 8000), headers: auth };
      }
    }
  }

  /** Refresh tokens: valid, for another service, tampered with, forged, in the wrong field. */
  #refresh(): Built {
    const r = this.#rng;
    const real = r.pick(this.#tokens.refresh);
    const other = FUZZ_SERVICES.find((s) => s.name !== real.service)?.name ?? 'registry';
    const token = this.#tamperedToken(real.token);
    const service = r.chance(0.8) ? real.service : other;
    const scope = pct(r.pick(GOOD_SCOPES));
    if (r.chance(0.5)) {
      const user = r.chance(0.1) ? real.account : '';
      return {
        category: 'refresh-get',
        method: 'GET',
        target: `${r.pick(REALMS)}?service=${service}&scope=${scope}`,
        headers: { authorization: basic(user, token) },
      };
    }
    const form = `grant_type=refresh_token&client_id=fuzz&service=${service}&scope=${scope}&refresh_token=${pct(token)}`;
    return {
      category: 'refresh-post',
      method: 'POST',
      target: r.pick(REALMS),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: bytes(form),
    };
  }

  /** The same parameter twice, equal or conflicting, in the query, the form, and both; and duplicate headers. */
  #duplicates(): Built {
    const r = this.#rng;
    const user = r.pick(FUZZ_USERS);
    const other = r.pick(FUZZ_SERVICES).name;
    const realm = r.pick(REALMS);
    const auth = basic(user.name, user.password);
    switch (r.int(7)) {
      case 0:
        return {
          category: 'duplicate-service',
          method: 'GET',
          target: `${realm}?service=${user.service}&service=${r.chance(0.5) ? user.service : other}&scope=repository:team/app:pull`,
          headers: { authorization: auth },
          expect: { status: 400, code: 'INVALID_REQUEST' },
        };
      case 1:
        return {
          category: 'duplicate-account',
          method: 'GET',
          target: `${realm}?service=${user.service}&account=${pct(user.name)}&account=${r.chance(0.5) ? pct(user.name) : 'mallory'}`,
          headers: { authorization: auth },
          expect: { status: 400, code: 'INVALID_REQUEST' },
        };
      case 2:
        return {
          category: 'conflicting-account',
          method: 'GET',
          target: `${realm}?service=${user.service}&account=${pct(r.pick(['mallory', 'alice', 'bob', 'ALICE', '..', `${user.name} `]))}`,
          headers: { authorization: auth },
        };
      case 3:
        return {
          category: 'duplicate-form',
          method: 'POST',
          target: realm,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: bytes(
            `grant_type=password&grant_type=${r.pick(['password', 'refresh_token'])}&client_id=x&service=${user.service}&username=${pct(user.name)}&password=${pct(user.password)}`,
          ),
          expect: { status: 400, code: 'invalid_request' },
        };
      case 4: {
        const field = r.pick(['username', 'password', 'service', 'client_id']);
        const values: Record<string, string> = {
          grant_type: 'password',
          client_id: 'x',
          service: user.service,
          username: pct(user.name),
          password: pct(user.password),
        };
        const form = `${Object.entries(values)
          .map(([k, v]) => `${k}=${v}`)
          .join('&')}&${field}=${r.chance(0.5) ? values[field] : 'other'}`;
        return {
          category: 'duplicate-form',
          method: 'POST',
          target: realm,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: bytes(form),
          expect: { status: 400, code: 'invalid_request' },
        };
      }
      case 5:
        // The query of a POST is not its form: the form's service counts.
        return {
          category: 'query-and-form',
          method: 'POST',
          target: `${realm}?service=${other}&username=mallory&password=x&grant_type=refresh_token`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: bytes(`grant_type=password&client_id=x&service=${user.service}&username=${pct(user.name)}&password=${pct(user.password)}`),
          expect: { status: 200 },
        };
      default: {
        // Two Authorization headers: which one would a proxy in front have checked?
        const second = r.chance(0.5) ? auth : basic('mallory', UNMAPPED_USER.password);
        return {
          category: 'duplicate-authorization',
          method: 'GET',
          target: `${realm}?service=${user.service}&scope=repository:team/app:pull`,
          headers: { authorization: r.chance(0.5) ? [auth, second] : [second, auth] },
          expect: { status: 400, code: 'INVALID_REQUEST' },
        };
      }
    }
  }

  /** Wrong passwords and unknown users: each costs a password hash, so there are few. */
  #wrongPassword(): Built {
    const r = this.#rng;
    const user = r.pick(FUZZ_USERS.filter((u) => u.stored !== 'bcrypt'));
    const name = r.weighted<string>([
      [3, user.name],
      [1, 'mallory'],
      [1, r.pick(HOSTILE_TEXT)],
      [1, `${user.name.toUpperCase()}`],
    ]);
    const password = r.pick([`${user.password}x`, '', user.password.toUpperCase(), UNMAPPED_USER.password, r.pick(HOSTILE_TEXT)]);
    const correct = userOf(user.service, name)?.password === password;
    return {
      category: 'wrong-password',
      method: 'GET',
      target: `${r.pick(REALMS)}?service=${user.service}&scope=repository:team/app:pull`,
      headers: { authorization: basic(name, password) },
      ...(correct ? {} : { expect: { status: 401, code: 'UNAUTHORIZED' } }),
    };
  }

  /**
   * User names that are one valid path segment yet look like something else
   * (look-alikes, dots, stars, placeholders, Vault's own words, a user of
   * the unmapped mount), most of them new: each is read from Vault (a cache
   * miss), so its audit log shows where such names lead. Wrong passwords:
   * each costs a hash.
   */
  #vaultNames(): Built {
    const r = this.#rng;
    const service = r.pick(FUZZ_SERVICES).name;
    const base = r.pick([
      'alic\u0435',
      'ALICE',
      'zoe\u0308',
      'z\u043e\u00eb',
      '\uff41lice',
      'a\u2215b',
      'a\u2044b',
      '\uff0e\uff0e',
      '.a',
      'a.',
      '.x.',
      '*',
      '**',
      '${account}',
      'data',
      'metadata',
      'config',
      'sys',
      'fuzzother',
      'mallory',
      'alice\u200b',
      'a b',
      'a+b',
      'a;b',
      'a:b',
      '\u202eecila',
      '😀',
      '\u00e9'.repeat(100),
    ]);
    const name = r.chance(0.8) ? `${base}-${this.#next}` : base;
    return {
      category: 'vault-names',
      method: 'GET',
      target: `${r.pick(REALMS)}?service=${service}&scope=repository:team/app:pull`,
      headers: { authorization: basic(name, UNMAPPED_USER.password) },
      expect: { status: 401, code: 'UNAUTHORIZED' },
    };
  }

  // --- bursts of 200 at once ---

  #burst(index: number): FuzzCase[] {
    const r = this.#rng;
    const out: FuzzCase[] = [];
    for (let i = 0; i < 200; i += 1) {
      let built: Built;
      switch (index % 5) {
        case 0: {
          // One robot account, 200 runners at once: one hash, 200 tokens.
          const query = `service=registry&scope=${pct(r.pick(GOOD_SCOPES))}`;
          built = {
            category: 'burst-same-user',
            method: 'GET',
            target: `/auth?${query}`,
            headers: { authorization: basic('alice', 'alice-Secret-1') },
            expect: { status: 200 },
          };
          break;
        }
        case 1:
          built = {
            category: 'burst-anonymous',
            method: 'GET',
            target: `/auth?service=registry&scope=${pct(r.pick(GOOD_SCOPES))}`,
            headers: {},
            expect: { status: 200 },
          };
          break;
        case 2:
          built = this.#clean();
          break;
        case 3:
          built = r.chance(0.5) ? this.#realmGet() : this.#endpoint();
          break;
        default:
          built = r.chance(0.5) ? this.#oversized() : this.#duplicates();
      }
      out.push(this.#case('burst', { ...built, category: built.category.startsWith('burst') ? built.category : `burst/${built.category}` }));
    }
    return out;
  }

  // --- raw bytes ---

  #raw(): FuzzCase {
    const r = this.#rng;
    const user = r.pick(FUZZ_USERS);
    const auth = basic(user.name, user.password);
    const realm = r.pick(REALMS);
    const good = `service=${user.service}&scope=repository:team/app:pull`;
    const req = (line: string, headers: string[], body = ''): string => `${line}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`;
    const raw = (category: string, text: string | Uint8Array, expect: Expectation, extra: Partial<FuzzCase> = {}): FuzzCase => {
      const data = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
      return { id: this.#id(), category, via: 'raw', method: 'RAW', target: realm, bytes: data, expect, ...extra };
    };
    const notHttp: Expectation = { status: 400, code: 'INVALID_REQUEST', edge: true };
    const form = `grant_type=password&client_id=x&service=${user.service}&username=${pct(user.name)}&password=${pct(user.password)}`;
    const post = (headers: string[]): string =>
      req(`POST ${realm} HTTP/1.1`, [...headers, 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${form.length}`], form);
    const control = r.pick(['\u0000', '\u0001', '\u0007', '\u000b', '\u000c', '\u001b', '\u007f']);
    switch (r.int(25)) {
      case 0:
        return raw('raw/control-in-request-line', req(`GET ${realm}?service=reg${control}istry HTTP/1.1`, ['Host: x']), notHttp);
      case 1:
        return raw(
          'raw/control-in-header',
          req(`GET ${realm}?${good} HTTP/1.1`, ['Host: x', `Authorization: ${auth.slice(0, 8)}${control}${auth.slice(8)}`]),
          notHttp,
        );
      case 2: {
        // Invalid UTF-8 bytes in the request target: Node's parser refuses bytes above 0x7e there.
        const line = Buffer.concat([
          Buffer.from(`GET ${realm}?service=`),
          Buffer.from([r.pick([0xff, 0xc0, 0x80, 0xed, 0xfe])]),
          Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        ]);
        return raw('raw/invalid-utf8-in-target', line, notHttp);
      }
      case 3: {
        // Invalid UTF-8 in a header value (read as latin1): bad credentials, never a crash.
        const value = Buffer.concat([Buffer.from('Basic '), Buffer.from([0xff, 0xfe, 0xc3, 0x28])]);
        const data = Buffer.concat([
          Buffer.from(`GET ${realm}?${good} HTTP/1.1\r\nHost: x\r\nAuthorization: `),
          value,
          Buffer.from('\r\nConnection: close\r\n\r\n'),
        ]);
        return raw('raw/invalid-utf8-in-header', data, { status: 401, code: 'UNAUTHORIZED' });
      }
      case 4: {
        // Credentials whose decoded bytes are not UTF-8.
        const user2 = Buffer.concat([Buffer.from('ali'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(':alice-Secret-1')]);
        return raw('raw/invalid-utf8-credentials', req(`GET ${realm}?${good} HTTP/1.1`, ['Host: x', `Authorization: ${basicBytes(user2)}`]), {
          status: 401,
          code: 'UNAUTHORIZED',
        });
      }
      case 5:
        return raw('raw/bad-method', req(`${r.pick(['FOO', 'get', 'G ET', 'GET\u0000', 'BREW', '123'])} ${realm} HTTP/1.1`, ['Host: x']), notHttp);
      case 6:
        return raw('raw/connect', req(`CONNECT ${r.pick(['example.com:443', '127.0.0.1:8200', realm])} HTTP/1.1`, ['Host: example.com:443']), {
          status: 405,
          code: 'METHOD_NOT_ALLOWED',
        });
      case 7:
        return raw('raw/no-host', req(`GET ${realm}?${good} HTTP/1.1`, [`Authorization: ${auth}`]), { status: 400, code: 'INVALID_REQUEST' });
      case 8:
        return raw('raw/duplicate-host', req(`GET ${realm}?${good} HTTP/1.1`, ['Host: a', 'Host: b', `Authorization: ${auth}`]), {
          status: 400,
          code: 'INVALID_REQUEST',
        });
      case 9:
        return raw(
          'raw/duplicate-authorization',
          req(`GET ${realm}?${good} HTTP/1.1`, ['Host: x', `Authorization: ${auth}`, `Authorization: ${basic('mallory', 'x')}`]),
          {
            status: 400,
            code: 'INVALID_REQUEST',
          },
        );
      case 10:
        return raw(
          'raw/conflicting-content-length',
          req(`POST ${realm} HTTP/1.1`, ['Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 3', 'Content-Length: 4'], 'abcd'),
          notHttp,
        );
      case 11:
        return raw(
          'raw/content-length-and-chunked',
          req(
            `POST ${realm} HTTP/1.1`,
            ['Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Content-Length: 5', 'Transfer-Encoding: chunked'],
            '0\r\n\r\n',
          ),
          notHttp,
        );
      case 12:
        return raw(
          'raw/bad-chunk',
          req(`POST ${realm} HTTP/1.1`, ['Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Transfer-Encoding: chunked'], 'zz\r\nabc\r\n0\r\n\r\n'),
          notHttp,
        );
      case 13: {
        const form = `grant_type=password&client_id=x&service=${user.service}&username=${pct(user.name)}&password=${pct(user.password)}&scope=repository:team/app:pull`;
        const half = Math.floor(form.length / 2);
        const chunked = `${half.toString(16)}\r\n${form.slice(0, half)}\r\n${(form.length - half).toString(16)}\r\n${form.slice(half)}\r\n0\r\n\r\n`;
        return raw(
          'raw/chunked-form',
          Buffer.from(
            req(`POST ${realm} HTTP/1.1`, ['Host: x', 'Content-Type: application/x-www-form-urlencoded', 'Transfer-Encoding: chunked'], chunked),
            'utf8',
          ),
          { status: 200 },
        );
      }
      case 14:
        return raw(
          'raw/expect',
          req(`GET ${realm}?${good} HTTP/1.1`, ['Host: x', `Expect: ${r.pick(['foo', '200-ok', '100-continue, x'])}`, `Authorization: ${auth}`]),
          {
            status: 417,
            code: 'EXPECTATION_FAILED',
          },
        );
      case 15: {
        const form = `grant_type=password&client_id=x&service=${user.service}&username=${pct(user.name)}&password=${pct(user.password)}`;
        return raw(
          'raw/expect-100-continue',
          req(
            `POST ${realm} HTTP/1.1`,
            ['Host: x', 'Expect: 100-continue', 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${form.length}`],
            form,
          ),
          { status: 200 },
        );
      }
      case 16:
        return raw(
          'raw/header-too-large',
          req(`GET ${realm}?${good} HTTP/1.1`, ['Host: x', `X-Pad: ${'a'.repeat(16 * 1024 + r.int(2000))}`]),
          { status: 431, code: 'INVALID_REQUEST', edge: true },
          { mayClose: true },
        );
      case 17:
        return raw('raw/http-1.0', `GET ${realm}?${good} HTTP/1.0\r\nAuthorization: ${auth}\r\n\r\n`, { status: 200 });
      case 18:
        return raw('raw/absolute-form', req(`GET http://evil.example${realm}?${good} HTTP/1.1`, ['Host: x', `Authorization: ${auth}`]), { status: 200 });
      case 19: {
        // Three requests in one write: three answers, in order.
        const first = `GET ${realm}?${good} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`;
        const second = `HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n`;
        const third = req('GET /nope HTTP/1.1', ['Host: x']);
        return raw('raw/pipelined', first + second + third, { status: 200 }, { heads: [false, true, false] });
      }
      case 21:
        return raw('raw/post-no-host', post([]), { status: 400, code: 'invalid_request' });
      case 22:
        return raw('raw/post-expect', post(['Host: x', 'Expect: foo']), { status: 417, code: 'invalid_request' });
      case 23:
        return raw('raw/post-duplicate-host', post(['Host: a', 'Host: b']), { status: 400, code: 'invalid_request' });
      case 20:
        return raw('raw/obs-fold', req(`GET ${realm}?${good} HTTP/1.1`, ['Host: x', `Authorization: ${auth}`, ' folded']), notHttp);
      default:
        return raw('raw/lf-only', `GET ${realm}?${good} HTTP/1.1\nHost: x\nConnection: close\n\n`, notHttp);
    }
  }

  /**
   * Slow clients: headers or a body trickled past http.timeout, or half a
   * request and then silence (each a 408), or a whole request trickled
   * within the timeout (answered).
   */
  #slow(index: number): FuzzCase {
    const user = this.#rng.pick(FUZZ_USERS);
    const auth = basic(user.name, user.password);
    const good = `service=${user.service}&scope=repository:team/app:pull`;
    const slow = (category: string, text: string, drip: FuzzCase['drip'], expect: Expectation): FuzzCase => ({
      id: this.#id(),
      category,
      via: 'raw',
      method: 'RAW',
      target: '/auth',
      bytes: Buffer.from(text, 'utf8'),
      drip,
      expect,
    });
    const timeout = { status: 408, code: 'INVALID_REQUEST', edge: true };
    switch (index % 5) {
      case 3:
        return slow(
          'slow/silent-headers',
          `GET /auth?${good} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.slice(0, 12)}`,
          { chunk: 1 << 20, everyMs: 1000 },
          timeout,
        );
      case 4:
        return slow(
          'slow/silent-body',
          `POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\ngrant_type=password&client_id=x`,
          { chunk: 1 << 20, everyMs: 1000 },
          timeout,
        );
      case 0:
        // Headers that never end: 5 bytes every 250 ms, past the timeout.
        return slow('slow/headers', `GET /auth?${good} HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`, { chunk: 5, everyMs: 250 }, timeout);
      case 1: {
        // A body that never ends in time.
        const form = `grant_type=password&client_id=x&service=${user.service}&username=${pct(user.name)}&password=${pct(user.password)}&pad=${'a'.repeat(400)}`;
        const head = `POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n`;
        return slow('slow/body', head + form, { first: head.length, chunk: 5, everyMs: 250 }, timeout);
      }
      default:
        // A whole request in 1 s, within the timeout: answered as any other.
        return slow(
          'slow/in-time',
          `GET /auth?${good} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nConnection: close\r\n\r\n`,
          { chunk: 12, everyMs: 50 },
          { status: 200 },
        );
    }
  }

  // --- the parts ---

  /** The parameters of a token request, each valid, missing, doubled, hostile or encoded oddly. */
  #fuzzedParameters(kind: 'get' | 'post', service: string): Pair[] {
    const r = this.#rng;
    const pairs: Pair[] = [];
    const serviceCount = r.weighted<number>([
      [20, 1],
      [2, 0],
      [2, 2],
    ]);
    for (let i = 0; i < serviceCount; i += 1) pairs.push(['service', this.#fuzzedText(i === 0 ? service : r.pick(FUZZ_SERVICES).name, 0.3)]);
    const scopeCount = r.weighted<number>([
      [3, 0],
      [10, 1],
      [4, 2],
      [2, 3 + r.int(6)],
    ]);
    for (let i = 0; i < scopeCount; i += 1) pairs.push(['scope', this.#fuzzedScope()]);
    if (r.chance(0.1)) pairs.push(['account', this.#fuzzedText(r.pick(FUZZ_USERS).name, 0.5)]);
    if (kind === 'get' && r.chance(0.08)) pairs.push(['offline_token', r.pick(['true', 'TRUE', 'false', '1', ''])]);
    if (r.chance(0.15)) {
      const junk: Pair[] = [
        ['__proto__', 'x'],
        ['constructor', '1'],
        ['scope[]', 'repository:team/app:pull'],
        ['service[]', 'registry'],
        ['', ''],
        ['a', '%'],
        ['%', '%'],
        [pct('\u0000'), pct('\u0000')],
        ['toString', 'x'],
        ['hasOwnProperty', 'x'],
      ];
      pairs.push(r.pick(junk));
    }
    return r.shuffle(pairs);
  }

  /** A value as is (percent-encoded), or with a hostile part swapped in, or raw hostile wire text. */
  #fuzzedText(plain: string, hostility: number): string {
    const r = this.#rng;
    if (!r.chance(hostility)) return pct(plain);
    return r.weighted<() => string>([
      [4, () => pct(r.pick(HOSTILE_TEXT))],
      [3, () => r.pick(HOSTILE_WIRE)],
      [2, () => `${pct(plain)}${r.pick(HOSTILE_WIRE)}`],
      [2, () => pct(`${plain}${r.pick(HOSTILE_TEXT)}`)],
      [1, () => `${r.pick(HOSTILE_WIRE)}${pct(plain)}`],
      [1, () => pct(plain).replace(/[a-z]/u, (c) => r.pick([c.toUpperCase(), '%C4%B1', '%D0%B5', '%EF%BD%81']))],
    ])();
  }

  /** A scope parameter's value as wire text: good scopes, mutated ones, several joined by spaces. */
  #fuzzedScope(): string {
    const r = this.#rng;
    const one = (): string => {
      const scope = r.pick(GOOD_SCOPES);
      if (!r.chance(0.45)) return pct(scope);
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      const [type, name, actions] = [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
      return r.weighted<() => string>([
        [3, () => pct(`${type}:${r.pick(HOSTILE_TEXT)}:${actions}`)],
        [3, () => `${pct(`${type}:`)}${r.pick(HOSTILE_WIRE)}${pct(`:${actions}`)}`],
        [2, () => pct(`${type}:${name}/${r.pick(['..', '../../admin', '.', '', '%2e%2e', '\u2215..'])}/x:${actions}`)],
        [2, () => pct(`${type}:${name}:${r.pick(ACTION_MUTATIONS)}`)],
        [1, () => pct(`${r.pick(TYPE_MUTATIONS)}:${name}:${actions}`)],
        [1, () => pct(`${type}:${name.replace(/[a-z]/u, (c) => r.pick(['\u0435', '\u0456', c.toUpperCase(), '\uff41']))}:${actions}`)],
        [1, () => pct(`${type}:${'n/'.repeat(200 + r.int(400))}x:${actions}`)],
        [1, () => pct(`${type}${r.pick(['', ':', '::'])}`)],
        [1, () => pct(`${type}:${name}:${actions}${r.pick(HOSTILE_TEXT)}`)],
      ])();
    };
    const count = r.weighted<number>([
      [8, 1],
      [2, 2 + r.int(4)],
    ]);
    const separator = r.pick(['+', '%20', '%20%20', '+%09+', '%0A']);
    return Array.from({ length: count }, one).join(separator);
  }

  /**
   * An Authorization header value for `user`, or none (undefined): right
   * most often, else broken in one of many ways. Broken ones that still
   * parse cost a password hash each (an unknown user is checked against a
   * dummy hash): they are a few in a hundred.
   */
  #authorization(user: FuzzUser): string | undefined {
    const r = this.#rng;
    const right = basic(user.name, user.password);
    const b64 = right.slice(6);
    return r.weighted<() => string | undefined>([
      [30, () => right],
      [3, () => undefined],
      [1, () => ''],
      [1, () => '   '],
      [1, () => `${r.pick(['basic', 'BASIC', 'bAsIc'])} ${b64}`],
      [1, () => `Basic${r.pick(['  ', '\t', ' \t '])}${b64}${r.pick(['', ' ', '\t'])}`],
      [1, () => `Basic ${b64.replace(/=+$/u, '')}`],
      [1, () => `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64url')}`],
      [1, () => 'Basic'],
      [1, () => 'Basic '],
      [1, () => `Bearer ${b64}`],
      [1, () => `Digest ${b64}`],
      [1, () => `Basic ${b64}${r.pick(['!', '.', '@', '*', '%', '~'])}`],
      [1, () => `Basic ${b64} ${b64}`],
      [1, () => `Basic ${b64}, Basic ${b64}`],
      [1, () => `Basic ${Buffer.from(user.name).toString('base64')}`],
      [1, () => `Basic ${Buffer.from(':').toString('base64')}`],
      [1, () => basic('', r.pick(['', 'x', 'e30.e30.', this.#tokens.access]))],
      [1, () => `Basic \u00e9\u00ff${b64}`],
      [
        2,
        () =>
          r.pick<() => string>([
            () => basic(r.pick(HOSTILE_TEXT), 'x'),
            () => basic(`${user.name}${r.pick(HOSTILE_TEXT)}`, user.password),
            () => basicBytes(Buffer.concat([Buffer.from(user.name), Buffer.from([0xff, 0x00, 0xc0]), Buffer.from(`:${user.password}`)])),
            () => basic('_groups', 'x'),
            () => basic('mallory', UNMAPPED_USER.password),
            () => `Basic ${b64.slice(0, 4)}=${b64.slice(4)}`,
            () => basic(user.name, `${user.password}${r.pick(['!', ' ', '\u0000', 'é'])}`),
          ])(),
      ],
    ])();
  }

  /** The user's service most often; the other one now and then (where the user is unknown, or has another password). */
  #serviceFor(user: FuzzUser): string {
    return this.#rng.chance(0.9) ? user.service : (FUZZ_SERVICES.find((s) => s.name !== user.service)?.name ?? user.service);
  }

  #someRefreshToken(): string {
    return this.#tamperedToken(this.#rng.pick(this.#tokens.refresh).token);
  }

  /** A refresh token as issued, or changed: cut, a byte of its payload changed, its signature dropped, `alg: none`, padded, an access token. */
  #tamperedToken(token: string): string {
    const r = this.#rng;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flip = (text: string): string => {
      const at = 1 + r.int(Math.max(1, text.length - 4));
      const char = text[at] === 'A' ? 'B' : 'A';
      return `${text.slice(0, at)}${char}${text.slice(at + 1)}`;
    };
    return r.weighted<() => string>([
      [5, () => token],
      [1, () => token.slice(0, r.int(token.length))],
      [1, () => `${header}.${flip(payload)}.${signature}`],
      [1, () => `${flip(header)}.${payload}.${signature}`],
      [1, () => `${header}.${payload}.`],
      [1, () => `${header}.${payload}`],
      [1, () => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'vra-refresh+jwt' })).toString('base64url')}.${payload}.`],
      [1, () => `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'vra-refresh+jwt' })).toString('base64url')}.${payload}.${signature}`],
      [1, () => ` ${token} `],
      [1, () => `${token}${'A'.repeat(5000)}`],
      [1, () => this.#tokens.access],
      [1, () => `${token}.${token}`],
    ])();
  }

  /** Now and then, what a client may claim through a proxy: X-Forwarded-For (trusted from loopback here) and X-Request-Id (echoed when sane). */
  #proxyHeaders(headers: Record<string, string>): void {
    const r = this.#rng;
    if (r.chance(0.15)) {
      headers['x-forwarded-for'] = r.pick([
        '203.0.113.7',
        '203.0.113.7, 198.51.100.1',
        '2001:db8::1',
        '[2001:db8::1]:443',
        '::ffff:203.0.113.7',
        '999.999.999.999',
        'garbage',
        'unknown',
        ',,, ,',
        '',
        '127.0.0.1',
        Array.from({ length: 300 }, (_, i) => `10.0.${i % 256}.${i % 200}`).join(', '),
        `${'1'.repeat(3000)}`,
        '203.0.113.7\u00ff',
      ]);
    }
    if (r.chance(0.15)) {
      headers['x-request-id'] = r.pick([
        'fuzz-1.2_3',
        'a'.repeat(64),
        'a'.repeat(65),
        'x y',
        '../../etc/passwd',
        '<script>',
        'id\u00e9',
        '',
        '%0d%0aSet-Cookie: x=1',
        '\t',
      ]);
    }
  }

  #contentType(): string {
    return this.#rng.weighted<string>([
      [20, 'application/x-www-form-urlencoded'],
      [4, 'application/x-www-form-urlencoded; charset=utf-8'],
      [1, 'APPLICATION/X-WWW-FORM-URLENCODED'],
      [1, 'application/x-www-form-urlencoded;charset=latin1'],
      [1, 'application/json'],
      [1, 'text/plain'],
      [1, 'multipart/form-data; boundary=x'],
      [1, ''],
      [1, 'application/x-www-form-urlencodedX'],
      [1, 'application/x-www-form-urlencoded\u00e9'],
    ]);
  }

  /** Raw bytes in a form body: NUL, control characters and invalid UTF-8, unencoded. */
  #withRawBytes(body: Uint8Array): Uint8Array {
    const r = this.#rng;
    const at = r.int(body.length + 1);
    const junk = Buffer.from(r.pick([[0x00], [0xff, 0xfe], [0xc0, 0xae], [0xed, 0xa0, 0x80], [0x1b, 0x5b], [0x0a, 0x0d], [0x7f], [0xe2, 0x80, 0xae]]));
    return Buffer.concat([body.subarray(0, at), junk, body.subarray(at)]);
  }

  #query(pairs: readonly Pair[]): string {
    const r = this.#rng;
    if (pairs.length === 0) return r.pick(['', '?', '?&', '?=']);
    return `?${r.chance(0.05) ? '&' : ''}${this.#join(pairs)}${r.chance(0.05) ? '&&' : ''}`;
  }

  #join(pairs: readonly Pair[]): string {
    const r = this.#rng;
    return pairs.map(([key, value]) => (value === '' && r.chance(0.3) ? key : `${key}=${value}`)).join('&');
  }
}
