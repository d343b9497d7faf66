import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/app-config.js';
import type { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { KeyCache } from './key-cache.js';
import { generateApiKey } from './key-format.js';
import { KeyVerificationService } from './key-verification.service.js';

const config = {
  redisKeyPrefix: 'test:',
  keys: { cacheTtlSeconds: 30, invalidKeyMaxPerIpPerMinute: 1_000 },
} as AppConfig;

/** The row the lookup query returns for a key, revoked or not. */
const keyRow = (revokedAt: Date | null) => ({
  key_id: 'key_1',
  secret_id: 'ksv_1',
  user_id: 'usr_1',
  name: 'busy',
  scopes: ['models:read'],
  rate_limit: 100,
  rate_window_seconds: 60,
  allowed_models: [],
  monthly_budget_micros: null,
  plan_id: 'free',
  expires_at: null,
  revoked_at: revokedAt,
  secret_expires_at: null,
  role: 'user',
  disabled: false,
});

/**
 * A database whose lookups wait until `answer` is called, so the test decides which requests
 * arrive while one is in flight.
 */
function heldDatabase(): {
  dataSource: DataSource;
  queries: () => number;
  /** Answers the oldest lookup still waiting. */
  answer: (rows: unknown[]) => void;
} {
  const waiting: ((rows: unknown[]) => void)[] = [];
  let sent = 0;
  const dataSource = {
    query: () => {
      sent += 1;
      return new Promise((resolve) => waiting.push(resolve));
    },
  } as unknown as DataSource;
  return {
    dataSource,
    queries: () => sent,
    answer: (rows) => {
      waiting.shift()?.(rows);
    },
  };
}

function service(dataSource: DataSource): {
  verification: KeyVerificationService;
  cache: KeyCache;
} {
  const cache = new KeyCache(config, null);
  const limiter = {
    hit: () => Promise.resolve({ allowed: true, limit: 1_000, remaining: 999 }),
  } as unknown as RateLimiterService;
  const audit = { recordInBackground: () => undefined } as unknown as AuditService;
  return {
    verification: new KeyVerificationService(config, dataSource, cache, limiter, audit),
    cache,
  };
}

/**
 * `count` requests presenting one new key at once, the database answering `rows` to the first
 * lookup: how each request ended, and how many queries were sent.
 */
async function burst(count: number, rows: unknown[]) {
  const database = heldDatabase();
  const { verification } = service(database.dataSource);
  const { plaintext } = generateApiKey('kw');
  const requests = Array.from({ length: count }, () => verification.verify(plaintext, '10.0.0.1'));
  await Promise.resolve();
  database.answer(rows);
  const outcomes = await Promise.allSettled(requests);
  return {
    outcomes,
    queries: database.queries,
    verify: () => verification.verify(plaintext, '10.0.0.1'),
  };
}

describe('KeyVerificationService lookups', () => {
  it('reads a key presented by many requests at once with one query', async () => {
    const { outcomes, queries, verify } = await burst(20, [keyRow(null)]);
    expect(queries()).toBe(1);
    const keyIds = outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value.keyId : 'refused',
    );
    expect(new Set(keyIds)).toEqual(new Set(['key_1']));
    // Now cached: no further query.
    await verify();
    expect(queries()).toBe(1);
  });

  it('reads an unknown key once for a burst, and refuses every request of it', async () => {
    const { outcomes, queries } = await burst(10, []);
    expect(queries()).toBe(1);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
  });

  it('does not hand a request that arrives after a revoke the answer read before it', async () => {
    const database = heldDatabase();
    const { verification, cache } = service(database.dataSource);
    const { plaintext } = generateApiKey('kw');
    const before = verification.verify(plaintext, '10.0.0.1');
    await Promise.resolve();
    // The key is revoked (and evicted) while the first lookup is out.
    await cache.invalidate(['key_1']);
    const after = verification.verify(plaintext, '10.0.0.1');
    await Promise.resolve();
    expect(database.queries()).toBe(2);
    database.answer([keyRow(null)]);
    await before;
    // The second lookup's row: the revoked key.
    database.answer([keyRow(new Date())]);
    await expect(after).rejects.toMatchObject({ code: 'key_revoked' });
  });
});
