/**
 * `http.trusted_proxies`: the proxies whose `X-Forwarded-For` is believed.
 * Each entry is an address, a CIDR range, or one of proxy-addr's names for
 * a kind of range (loopback, linklocal, uniquelocal); proxy-addr (Express's
 * own) is what reads them, so it is also what checks them.
 */
import proxyaddr from 'proxy-addr';

export function isTrustedProxy(value: string): boolean {
  try {
    proxyaddr.compile(value);
    return true;
  } catch {
    return false;
  }
}
