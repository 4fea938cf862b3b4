/**
 * Key ids, computed exactly as the registry computes the ids of the keys it
 * trusts, so that the `kid` header of our tokens finds our certificate.
 *
 * - `thumbprint` (registry v3): base64url(SHA-256) of a JWK-like JSON text
 *   with members in lexicographic order, where RSA and EC numbers are the
 *   big-endian bytes WITHOUT leading zeros (Go's big.Int.Bytes). For about one
 *   P-256 key in 128 this differs from RFC 7638, whose coordinates are
 *   fixed-length; Ed25519's `x` is the raw 32-byte key either way.
 * - `libtrust` (registry 2.x): SHA-256 of the DER SubjectPublicKeyInfo,
 *   truncated to 240 bits, base32 without padding, in 12 groups of 4 joined
 *   by ':'.
 */
import { createHash, type KeyObject } from 'node:crypto';

export type KeyIdFormat = 'thumbprint' | 'libtrust';

export function keyId(publicKey: KeyObject, format: KeyIdFormat): string {
  return format === 'libtrust' ? libtrustKeyId(publicKey) : thumbprintKeyId(publicKey);
}

export function thumbprintKeyId(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  let text: string;
  switch (jwk.kty) {
    case 'RSA':
      text = `{"e":"${stripLeadingZeros(jwk.e)}","kty":"RSA","n":"${stripLeadingZeros(jwk.n)}"}`;
      break;
    case 'EC':
      text = `{"crv":"${jwk.crv}","kty":"EC","x":"${stripLeadingZeros(jwk.x)}","y":"${stripLeadingZeros(jwk.y)}"}`;
      break;
    case 'OKP':
      if (jwk.crv !== 'Ed25519') throw new TypeError(`unsupported key curve ${String(jwk.crv)}`);
      text = `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`;
      break;
    default:
      throw new TypeError(`unsupported key type ${String(jwk.kty)}`);
  }
  return createHash('sha256').update(text).digest('base64url');
}

export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const digest = createHash('sha256').update(der).digest().subarray(0, 30);
  return (base32(digest).match(/.{4}/gu) ?? []).join(':');
}

/** base64url of a big-endian integer → the same without leading zero bytes. */
function stripLeadingZeros(value: string | undefined): string {
  const bytes = Buffer.from(value ?? '', 'base64url');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return bytes.subarray(start).toString('base64url');
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
