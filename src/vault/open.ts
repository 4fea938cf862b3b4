/**
 * Makes the one Vault client from the storage config: TLS files read,
 * transport, login session, breaker. The server and the CLI both open Vault
 * through here, so both log in the same way with the same settings.
 */
import type { VaultStorageConfig } from '../config/config.js';
import type { ServerEvents } from '../events.js';
import type { Clock } from '../util/clock.js';
import { authMethodFor } from './auth/index.js';
import { createVaultClient, type VaultClient } from './client.js';
import { VaultSession } from './session.js';
import { readVaultTls } from './tls-files.js';
import { timedTransport } from './timed-transport.js';
import { createVaultTransport } from './transport.js';

/** Throws TlsFileError (naming the setting) when a TLS file cannot be read. */
export async function openVaultClient(storage: VaultStorageConfig, clock: Clock, events: ServerEvents): Promise<VaultClient> {
  const tls = await readVaultTls(storage.tls);
  // Every call told as a `vault.call` event (the metrics listen).
  const transport = timedTransport(createVaultTransport({ address: storage.address, timeoutMs: storage.timeoutMs, namespace: storage.namespace, tls }), events);
  const session = new VaultSession(transport, authMethodFor(storage.auth), clock, events);
  return createVaultClient({ transport, session, breaker: storage.breaker, clock, events });
}
