import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  associatedData,
  DecryptionError,
  maskSecret,
  openSecret,
  rewrapSecret,
  sealSecret,
  type MasterKeys,
  type SealedSecret,
} from './envelope.js';

const keysWith = (...versions: string[]): MasterKeys => ({
  current: versions[0]!,
  keys: Object.fromEntries(versions.map((version) => [version, randomBytes(32)])),
});
const SECRET = 'sk-proj-marker-0123456789abcdef';
const aad = associatedData('usr_a', 'pk_1', 'openai');

function flip(buffer: Buffer, index: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe('envelope encryption', () => {
  it('round-trips, and the ciphertext contains no trace of the secret', () => {
    const keys = keysWith('v1');
    const sealed = sealSecret(SECRET, aad, keys);
    expect(openSecret(sealed, aad, keys)).toBe(SECRET);
    expect(sealed.keyVersion).toBe('v1');
    expect(sealed.ciphertext.toString('latin1')).not.toContain('marker');
    expect(sealed.ciphertext.length).toBe(12 + 16 + Buffer.byteLength(SECRET));
  });

  it('fails loudly on a flipped bit in the nonce, the tag or the ciphertext, of either layer', () => {
    const keys = keysWith('v1');
    const sealed = sealSecret(SECRET, aad, keys);
    const tampered: SealedSecret[] = [];
    for (const index of [0, 11, 12, 27, 28, sealed.ciphertext.length - 1]) {
      tampered.push({ ...sealed, ciphertext: flip(sealed.ciphertext, index) });
    }
    for (const index of [0, 12, 28, sealed.wrappedKey.length - 1]) {
      tampered.push({ ...sealed, wrappedKey: flip(sealed.wrappedKey, index) });
    }
    tampered.push({ ...sealed, ciphertext: sealed.ciphertext.subarray(0, 20) });
    for (const bad of tampered) expect(() => openSecret(bad, aad, keys)).toThrow(DecryptionError);
  });

  it('refuses a ciphertext moved to another owner, credential or provider', () => {
    const keys = keysWith('v1');
    const sealed = sealSecret(SECRET, aad, keys);
    for (const other of [
      associatedData('usr_b', 'pk_1', 'openai'),
      associatedData('usr_a', 'pk_2', 'openai'),
      associatedData('usr_a', 'pk_1', 'anthropic'),
    ]) {
      expect(() => openSecret(sealed, other, keys)).toThrow(DecryptionError);
    }
  });

  it('refuses the wrong master key, an unknown version, and a relabelled version', () => {
    const keys = keysWith('v1');
    const sealed = sealSecret(SECRET, aad, keys);
    expect(() => openSecret(sealed, aad, keysWith('v1'))).toThrow(DecryptionError);
    expect(() => openSecret({ ...sealed, keyVersion: 'v9' }, aad, keys)).toThrow(
      /v9 is not configured/,
    );
    const two: MasterKeys = { current: 'v1', keys: { v1: keys.keys.v1!, v2: keys.keys.v1! } };
    expect(() => openSecret({ ...sealed, keyVersion: 'v2' }, aad, two)).toThrow(DecryptionError);
  });

  it('rewraps under a new master key without touching the secret ciphertext', () => {
    const old = keysWith('v1');
    const sealed = sealSecret(SECRET, aad, old);
    const rotated: MasterKeys = { current: 'v2', keys: { v2: randomBytes(32), v1: old.keys.v1! } };
    const rewrapped = rewrapSecret(sealed, aad, rotated);
    expect(rewrapped.keyVersion).toBe('v2');
    expect(rewrapped.ciphertext.equals(sealed.ciphertext)).toBe(true);
    expect(openSecret(rewrapped, aad, { current: 'v2', keys: { v2: rotated.keys.v2! } })).toBe(
      SECRET,
    );
    expect(rewrapSecret(rewrapped, aad, rotated)).toBe(rewrapped);
  });

  it('never repeats a nonce over 100,000 encryptions', () => {
    const keys = keysWith('v1');
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i += 1) {
      const sealed = sealSecret('s', aad, keys);
      seen.add(sealed.ciphertext.subarray(0, 12).toString('hex'));
      seen.add(sealed.wrappedKey.subarray(0, 12).toString('hex'));
    }
    expect(seen.size).toBe(100_000);
  });

  it('masks to the first three and last four characters', () => {
    expect(maskSecret('sk-proj-abcdefghijkl1234')).toBe('sk-...1234');
    expect(maskSecret('short')).toBe('...rt');
  });
});
