import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

/** Prefixes make an id's kind obvious in logs and support tickets; ULIDs keep them sortable. */
export type IdPrefix =
  'usr' | 'ses' | 'rt' | 'key' | 'ksv' | 'pk' | 'aud' | 'ntf' | 'req' | 'upg' | 'whd' | 'kaf';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid(undefined, pooledRandom).toLowerCase()}`;
}

/**
 * Cryptographic random numbers in [0, 1) drawn from a pooled buffer. ulid's default asks the
 * system for one byte per character (16 calls per id); one call per 4 KiB serves 256 ids, which
 * matters on the hot path (every guarded request gets a usage event id).
 */
const pool = Buffer.alloc(4096);
let poolIndex = pool.length;

function pooledRandom(): number {
  if (poolIndex >= pool.length) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  return (pool[poolIndex++] ?? 0) / 256;
}
