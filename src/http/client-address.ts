/**
 * The client's address as the throttle, the access log and the audit see
 * it. Without trusted proxies it is the socket's: an `X-Forwarded-For` from
 * anyone else is a claim anybody can make (and would let one client pose as
 * many addresses). With them, proxy-addr walks `X-Forwarded-For` from the
 * right, through trusted hops only, to the first address that is not one.
 */
import proxyaddr from 'proxy-addr';
import { type ClientAddress, socketAddress } from './middleware/request-context.js';

export function clientAddressFrom(trustedProxies: readonly string[]): ClientAddress {
  if (trustedProxies.length === 0) return socketAddress;
  const trust = proxyaddr.compile([...trustedProxies]);
  return (ctx) => proxyaddr(ctx.req, trust);
}
