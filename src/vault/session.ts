/**
 * The server's login to Vault and its token's lifecycle: log in on first
 * need, renew before expiry while the token is renewable, log in again when
 * it expires, is revoked, or its file changes. One login at a time: every
 * caller that needs a token while a login runs waits on that same login.
 *
 * Transitions are emitted as events (logged in, login failed, token will
 * expire), each once, never once per request.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { isAppError, unavailable } from '../errors.js';
import type { ServerEvents } from '../events.js';
import type { Clock } from '../util/clock.js';
import type { AuthMethod, LoginResult } from './auth/auth-method.js';
import { VaultUnreachable, type VaultTransport } from './transport.js';

// Renew when this share of the token's life has passed, as Vault Agent does,
// and at the latest this long before it expires.
const RENEW_AT = 2 / 3;
const RENEW_MARGIN_MS = 1_000;
// A renewal that moves the expiry by less than this has hit the max TTL.
const MIN_EXTENSION_MS = 1_000;
const RETRY_MS = 5_000;
const FILE_POLL_MS = 500;

export class VaultSession {
  readonly #transport: VaultTransport;
  readonly #method: AuthMethod;
  readonly #clock: Clock;
  readonly #events: ServerEvents;
  #token: string | null = null;
  #expiresAt: number | null = null;
  #login: Promise<string> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #logins = 0;
  #failing = false;
  #warnedExpiry: string | null = null;
  #closed = false;

  constructor(transport: VaultTransport, method: AuthMethod, clock: Clock, events: ServerEvents) {
    this.#transport = transport;
    this.#method = method;
    this.#clock = clock;
    this.#events = events;
    for (const file of method.watchFiles) {
      watchFile(file, { interval: FILE_POLL_MS, persistent: false }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) void this.#loginOnce().catch(() => {});
      });
    }
  }

  get method(): string {
    return this.#method.name;
  }

  /** A token believed valid: the current one, or a fresh login's. */
  async token(): Promise<string> {
    if (this.#token !== null && (this.#expiresAt === null || this.#clock.now() < this.#expiresAt)) return this.#token;
    return this.#loginOnce();
  }

  /** Vault refused `bad` as a token: log in again, unless someone already did. */
  async replace(bad: string): Promise<string> {
    if (this.#token !== null && this.#token !== bad) return this.#token;
    if (this.#token === bad) this.#token = null;
    return this.#loginOnce();
  }

  /** Whether Vault still accepts `token` (a 403 on a path may mean the token, or the policy). */
  async accepts(token: string): Promise<boolean> {
    const { status } = await this.#transport.request('GET', 'auth/token/lookup-self', { token });
    if (status === 200) return true;
    if (status === 403) return false;
    throw unavailable(`Vault answered ${status} to a token lookup`);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const file of this.#method.watchFiles) unwatchFile(file);
  }

  #loginOnce(): Promise<string> {
    if (!this.#login) {
      this.#login = this.#logIn().finally(() => {
        this.#login = null;
      });
    }
    return this.#login;
  }

  async #logIn(): Promise<string> {
    let result: LoginResult;
    try {
      result = await this.#method.login(this.#transport);
    } catch (error) {
      const reason = isAppError(error) ? error.message : String(error);
      // Vault out of reach is an outage, reported as such by the client;
      // this reports logins that Vault refused, or secrets that cannot be read.
      if (!this.#failing && !(error instanceof VaultUnreachable)) this.#events.emit('vault.login_failed', { method: this.#method.name, reason });
      this.#failing = !(error instanceof VaultUnreachable);
      throw isAppError(error) ? error : unavailable(reason, { cause: error });
    }
    this.#failing = false;
    const changed = result.token !== this.#token;
    this.#token = result.token;
    this.#expiresAt = result.ttlSeconds > 0 ? this.#clock.now() + result.ttlSeconds * 1000 : null;
    // Reading the same token again (its file did not change) is no news.
    if (changed) {
      this.#logins += 1;
      this.#events.emit('vault.login', { method: this.#method.name, ttlSeconds: result.ttlSeconds, renewable: result.renewable, again: this.#logins > 1 });
    }
    this.#plan(result.ttlSeconds * 1000, result.renewable, false);
    return result.token;
  }

  /** What to do before the current token expires; `maxed` when renewing no longer extends it. */
  #plan(ttlMs: number, renewable: boolean, maxed: boolean): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (ttlMs <= 0 || this.#closed) return;
    if (renewable && !maxed) {
      this.#schedule(Math.min(ttlMs * RENEW_AT, ttlMs - RENEW_MARGIN_MS), () => this.#renew());
      return;
    }
    // Not renewable (any more): a login method logs in again; a given token
    // can only be replaced by its owner, so say once when it will expire,
    // and read it (its file) again when it does.
    if (this.#method.name !== 'token') {
      this.#schedule(Math.min(ttlMs * RENEW_AT, ttlMs - RENEW_MARGIN_MS), () => this.#loginOnce().then(() => {}));
      return;
    }
    const expiresAt = new Date(this.#expiresAt ?? this.#clock.now() + ttlMs).toISOString();
    if (this.#warnedExpiry !== this.#token) {
      this.#warnedExpiry = this.#token;
      const reason = maxed ? 'it has reached its maximum TTL' : 'it is not renewable';
      this.#events.emit('vault.token_expiring', { method: 'token', expiresAt, reason });
    }
    this.#schedule(ttlMs, () => this.#loginOnce().then(() => {}));
  }

  async #renew(): Promise<void> {
    const token = this.#token;
    if (token === null) return;
    const response = await this.#transport.request('POST', 'auth/token/renew-self', { token });
    if (this.#token !== token) return;
    if (response.status === 403) {
      this.#token = null;
      await this.#loginOnce();
      return;
    }
    const auth = (response.body as { auth?: { lease_duration?: unknown; renewable?: unknown } } | null)?.auth;
    if (response.status !== 200 || !auth) throw unavailable(`renewing the Vault token failed (${response.status})`);
    const ttlMs = (Number(auth.lease_duration) || 0) * 1000;
    const before = this.#expiresAt;
    this.#expiresAt = ttlMs > 0 ? this.#clock.now() + ttlMs : null;
    const maxed = before !== null && this.#expiresAt !== null && this.#expiresAt - before < MIN_EXTENSION_MS;
    this.#plan(ttlMs, auth.renewable === true, maxed);
  }

  #schedule(delayMs: number, action: () => Promise<void>): void {
    if (this.#closed) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        action().catch(() => {
          // Vault may be down: try again soon, while the token may still live.
          if (!this.#timer) this.#schedule(RETRY_MS, action);
        });
      },
      Math.max(0, delayMs),
    );
    this.#timer.unref();
  }
}
