import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { KeyActivityRecorder } from './key-activity.recorder.js';

/** A data source that keeps the daily counts each flush writes, as (key, day, requests) rows. */
function capturingDataSource(): { dataSource: DataSource; written: unknown[] } {
  const written: unknown[] = [];
  const dataSource = {
    query: (sql: string, params: unknown[][]) => {
      if (sql.includes('api_key_daily_usage')) {
        const [keyIds = [], days = [], requests = []] = params;
        keyIds.forEach((keyId, row) => {
          written.push({ key_id: keyId, day: days[row], requests: requests[row] });
        });
      }
      return Promise.resolve([]);
    },
  } as unknown as DataSource;
  return { dataSource, written };
}

const config = { keys: { activityFlushMs: 60_000, lastUsedResolutionSeconds: 60 } } as AppConfig;

describe('KeyActivityRecorder', () => {
  it('counts each request on its own UTC day, across midnight and back in time', async () => {
    const { dataSource, written } = capturingDataSource();
    const recorder = new KeyActivityRecorder(config, dataSource);
    recorder.recordUse('key_a', 'ksv_a', new Date('2026-12-01T23:59:59.999Z'));
    recorder.recordUse('key_a', 'ksv_a', new Date('2026-12-01T23:59:59.999Z'));
    recorder.recordUse('key_a', 'ksv_a', new Date('2026-12-02T00:00:00.000Z'));
    // A request that started before midnight but finished after, recorded late.
    recorder.recordUse('key_a', 'ksv_a', new Date('2026-12-01T12:00:00.000Z'));
    recorder.recordUse('key_b', 'ksv_b', new Date('2026-12-02T10:00:00.000Z'));
    await recorder.flush();
    expect(written).toEqual(
      expect.arrayContaining([
        { key_id: 'key_a', day: '2026-12-01', requests: 3 },
        { key_id: 'key_a', day: '2026-12-02', requests: 1 },
        { key_id: 'key_b', day: '2026-12-02', requests: 1 },
      ]),
    );
    expect(written).toHaveLength(3);
  });

  /**
   * Two flushes: the first fails with `firstError`, the second goes through. Returns the key ids
   * each statement carried, in order.
   */
  async function flushFailingOnce(firstError: Error): Promise<string[][]> {
    const sent: string[][] = [];
    let answer: Error | undefined = firstError;
    const dataSource = {
      query: (_sql: string, params: unknown[][]) => {
        sent.push((params[0] ?? []) as string[]);
        return answer ? Promise.reject(answer) : Promise.resolve([]);
      },
    } as unknown as DataSource;
    const recorder = new KeyActivityRecorder(config, dataSource);
    recorder.recordUse('key_first', 'ksv_first');
    await recorder.flush();
    answer = undefined;
    recorder.recordUse('key_next', 'ksv_next');
    await recorder.flush();
    return sent;
  }

  it('drops a batch the database refused for its values, and goes on with what comes next', async () => {
    const refused = Object.assign(new Error('value out of range'), { code: '22003' });
    // Sent again, the refused batch would have gone first, and failed again, forever.
    expect(await flushFailingOnce(refused)).toEqual([['key_first'], ['key_next']]);
  });

  it('sends a batch the database could not take again, before anything newer', async () => {
    const cut = new Error('Connection terminated');
    expect(await flushFailingOnce(cut)).toEqual([['key_first'], ['key_first'], ['key_next']]);
  });
});
