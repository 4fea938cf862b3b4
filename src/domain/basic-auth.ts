/**
 * HTTP Basic credentials (RFC 7617). The decoded pair is split at the FIRST
 * colon: user names cannot hold one, passwords may.
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export function parseBasicAuth(header: string | undefined): Credentials | null {
  if (header === undefined) return null;
  const match = /^basic[ \t]+([A-Za-z0-9+/=_-]+)[ \t]*$/iu.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
