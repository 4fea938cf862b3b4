/**
 * The HTTPS server's certificate and key (`http.tls`): read and checked as a
 * pair, and read again when either file changes, without a restart. A
 * certificate renewed by certbot, cert-manager (a Kubernetes secret's
 * symlink swap) or by hand is served on the next connection; connections
 * already open keep the one they were made with.
 *
 * A new pair that does not work (a file that is not PEM, a key that does
 * not belong to the certificate, a file missing) is refused with one log
 * line and the pair already loaded keeps being served: a half-done renewal
 * must not take the server down.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import type https from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'winston';
import type { HttpTlsConfig } from '../config/config.js';

export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** What the log says of it: serial number, subject, expiry. */
  readonly serial: string;
  readonly notAfter: string;
}

/** A pair that cannot be used, with the reason in words. */
export class TlsPairError extends Error {
  override readonly name = 'TlsPairError';
}

/** Reads both files and checks they make a pair (Node accepts an empty certificate and a key of another one without a word). */
export async function loadTlsPair(tls: Pick<HttpTlsConfig, 'certificate' | 'key'>): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readPem(tls.certificate), readPem(tls.key)]);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new TlsPairError(`${tls.certificate} is not a PEM certificate`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsPairError(`${tls.key} is not a PEM private key (an unencrypted one)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new TlsPairError(`${tls.key} is not the key of the certificate in ${tls.certificate}`);
  return { cert, key, serial: certificate.serialNumber, notAfter: new Date(certificate.validTo).toISOString() };
}

async function readPem(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TlsPairError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${code ?? (error as Error).message}`);
  }
}

/** The options of the server's secure context: the pair and the lowest TLS version. */
export function secureContextOptions(pair: TlsPair, tls: Pick<HttpTlsConfig, 'minVersion'>): SecureContextOptions {
  return { cert: pair.cert, key: pair.key, minVersion: tls.minVersion };
}

export interface TlsWatchOptions {
  /** How often the files' status is read (fs.watchFile polls: it works on every file system, and through symlinks). */
  readonly intervalMs?: number;
}

/**
 * Watches both files; on a change, loads the pair and gives it to the
 * server. Certificate and key are rarely replaced in the same instant: a
 * pair that does not match is looked at again after another interval
 * before it is called broken, so a renewal that writes one file, then the
 * other, is not reported as a failure. Returns the function that stops
 * watching.
 */
export function watchTlsPair(server: https.Server, tls: HttpTlsConfig, loaded: TlsPair, logger: Logger, options: TlsWatchOptions = {}): () => void {
  const intervalMs = options.intervalMs ?? 1_000;
  let current = loaded;
  let running = false;
  let again = false;
  let retry: NodeJS.Timeout | undefined;
  let reported = '';

  const check = async (confirming: boolean): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const pair = await loadTlsPair(tls);
      if (pair.cert.equals(current.cert) && pair.key.equals(current.key)) return;
      server.setSecureContext(secureContextOptions(pair, tls));
      current = pair;
      reported = '';
      logger.info('http.tls: serving the new certificate', { certificate: tls.certificate, serial: pair.serial, not_after: pair.notAfter });
    } catch (error) {
      const reason = (error as Error).message;
      if (!confirming) {
        clearTimeout(retry);
        retry = setTimeout(() => void check(true), intervalMs * 2);
        retry.unref();
        return;
      }
      // One line per broken state, not one per look at it.
      if (reason === reported) return;
      reported = reason;
      logger.error('http.tls: the new certificate and key are refused; the previous ones are still served', {
        certificate: tls.certificate,
        key: tls.key,
        reason,
        serial: current.serial,
      });
    } finally {
      running = false;
      if (again) {
        again = false;
        void check(false);
      }
    }
  };

  const onChange = (): void => void check(false);
  for (const file of [tls.certificate, tls.key]) watchFile(file, { interval: intervalMs, persistent: false }, onChange);
  return () => {
    clearTimeout(retry);
    for (const file of [tls.certificate, tls.key]) unwatchFile(file, onChange);
  };
}
