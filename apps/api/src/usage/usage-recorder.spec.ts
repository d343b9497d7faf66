import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { UsageRecorder, type UsageEvent } from './usage-recorder.js';

const config = {
  dataDir: '/nonexistent',
  instanceId: 'spec',
  // No wait for company: every flush writes what is pending.
  usageRecording: { enabled: true, flushIntervalMs: 0, flushBatchSize: 100, bufferMaxEvents: 1000 },
} as AppConfig;

const withCode = (message: string, code: string): Error =>
  Object.assign(new Error(message), { code });

/**
 * A data source that stores events by id, as the real statement does (a re-sent event is
 * skipped), and answers each statement with what `fail` says for the ids it carries.
 */
function eventStore(fail: (ids: string[]) => Error | undefined): {
  dataSource: DataSource;
  stored: Map<string, number>;
  statements: () => number;
} {
  const stored = new Map<string, number>();
  let statements = 0;
  const dataSource = {
    query: (_sql: string, columns: unknown[][]) => {
      statements += 1;
      const ids = (columns[0] ?? []) as string[];
      const error = fail(ids);
      if (error) return Promise.reject(error);
      for (const id of ids) stored.set(id, (stored.get(id) ?? 0) + 1);
      return Promise.resolve([]);
    },
  } as unknown as DataSource;
  return { dataSource, stored, statements: () => statements };
}

function event(keyId: string, outputTokens = 1): Omit<UsageEvent, 'id'> {
  return {
    occurredAt: new Date(),
    userId: 'usr_spec',
    keyId,
    route: 'POST /v1/chat/completions',
    method: 'POST',
    status: 200,
    success: true,
    latencyMs: 5,
    provider: 'openai',
    model: 'openai/gpt-4o-mini',
    inputTokens: 1,
    outputTokens,
    costMicros: 1,
    clientIp: '127.0.0.1',
    userAgent: null,
    errorCode: null,
    attempts: [],
    billable: true,
  };
}

/** The ids the recorder gave its pending events, in order. */
const pendingIds = (recorder: UsageRecorder): string[] =>
  (recorder as unknown as { pending: UsageEvent[] }).pending.map((pending) => pending.id);

describe('UsageRecorder', () => {
  it('writes the rest of a batch the database refused, dropping only the event it refuses', async () => {
    let poisoned = '';
    const { dataSource, stored, statements } = eventStore((ids) =>
      ids.includes(poisoned)
        ? withCode('value "10000000000000" is out of range for type integer', '22003')
        : undefined,
    );
    const recorder = new UsageRecorder(config, dataSource);
    for (let index = 0; index < 37; index++) recorder.record(event(`key_${index}`));
    const ids = pendingIds(recorder);
    poisoned = ids[13] ?? '';
    await recorder.flush();
    expect([...stored.keys()].sort()).toEqual(ids.filter((id) => id !== poisoned).sort());
    expect([...stored.values()].every((times) => times === 1)).toBe(true);
    expect(recorder.stats).toMatchObject({ backlog: 0, refused: 1, failedWrites: 0 });
    // Halving: two statements per level for the one refused event, not one per event.
    expect(statements()).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(37)));
    // What comes next is written as usual.
    recorder.record(event('key_after'));
    await recorder.flush();
    expect(stored.size).toBe(37);
  });

  it('keeps a whole batch the database could not take, and writes it all once it is back', async () => {
    let away = true;
    const { dataSource, stored, statements } = eventStore(() =>
      away ? withCode('terminating connection due to administrator command', '57P01') : undefined,
    );
    const recorder = new UsageRecorder(config, dataSource);
    for (let index = 0; index < 10; index++) recorder.record(event(`key_${index}`));
    const ids = pendingIds(recorder);
    await recorder.flush();
    // Not split: a database that is away refuses the halves too, and nothing is dropped.
    expect(statements()).toBe(1);
    expect(recorder.stats).toMatchObject({ backlog: 10, refused: 0, failedWrites: 1 });
    away = false;
    // Past the first retry's backoff (500 ms).
    await sleep(600);
    await recorder.flush();
    expect([...stored.keys()].sort()).toEqual([...ids].sort());
    expect(recorder.stats).toMatchObject({ backlog: 0, refused: 0 });
  });
});
