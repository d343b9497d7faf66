import { API_KEY_PATTERN } from '@keyward/shared';
import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

/** Uniform base62 from a CSPRNG: bytes of 248 and above are dropped to avoid modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      out += BASE62.charAt(byte % 62);
      if (out.length === length) break;
    }
  }
  return out;
}

export function toBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

/** CRC32 of `{prefix}_{random}`, in 6 base62 characters (62^6 > 2^32). */
export function checksumOf(body: string): string {
  return toBase62(crc32(body), CHECKSUM_LENGTH);
}

export interface GeneratedKey {
  plaintext: string;
  hash: string;
  /** First and last 4 characters after the prefix, for display. */
  start: string;
  end: string;
}

export function generateApiKey(prefix: string): GeneratedKey {
  const body = `${prefix}_${randomBase62(RANDOM_LENGTH)}`;
  const plaintext = body + checksumOf(body);
  const secretPart = plaintext.slice(prefix.length + 1);
  return {
    plaintext,
    hash: hashApiKey(plaintext),
    start: secretPart.slice(0, 4),
    end: secretPart.slice(-4),
  };
}

/**
 * Shape and checksum, with no I/O: a typo, a truncated paste or a random string fails here and
 * never reaches a cache or the database.
 */
export function isWellFormedApiKey(candidate: string): boolean {
  if (candidate.length > 12 + 1 + RANDOM_LENGTH + CHECKSUM_LENGTH) return false;
  const match = API_KEY_PATTERN.exec(candidate);
  if (!match) return false;
  const [, prefix = '', random = '', checksum] = match;
  return checksumOf(`${prefix}_${random}`) === checksum;
}

/** SHA-256 of the whole key; the one-shot `crypto.hash` is markedly faster for short inputs. */
export function hashApiKey(plaintext: string): string {
  return hash('sha256', plaintext, 'hex');
}

export function maskApiKey(prefix: string, start: string, end: string): string {
  return `${prefix}_${start}…${end}`;
}
