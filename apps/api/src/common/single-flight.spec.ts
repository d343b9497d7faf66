import { describe, expect, it } from '@jest/globals';
import { SingleFlight } from './single-flight.js';

/** A read the test answers when it likes, counting how many were started. */
function reads() {
  const pending: ((value: string) => void)[] = [];
  const failing: ((error: Error) => void)[] = [];
  let started = 0;
  const read = () => {
    started += 1;
    return new Promise<string>((resolve, reject) => {
      pending.push(resolve);
      failing.push(reject);
    });
  };
  return {
    read,
    started: () => started,
    answer: (value: string) => pending.shift()?.(value),
    fail: (error: Error) => failing.shift()?.(error),
  };
}

describe('SingleFlight', () => {
  it('shares one read among callers of the same generation, and starts anew once it lands', async () => {
    const flights = new SingleFlight<string, string>();
    const source = reads();
    const first = flights.run('k', 0, source.read);
    const second = flights.run('k', 0, source.read);
    expect(source.started()).toBe(1);
    source.answer('v1');
    expect(await Promise.all([first, second])).toEqual(['v1', 'v1']);
    const third = flights.run('k', 0, source.read);
    expect(source.started()).toBe(2);
    source.answer('v2');
    expect(await third).toBe('v2');
  });

  it('gives a caller of a later generation a read of its own', async () => {
    const flights = new SingleFlight<string, string>();
    const source = reads();
    const before = flights.run('k', 0, source.read);
    const after = flights.run('k', 1, source.read);
    expect(source.started()).toBe(2);
    source.answer('old');
    source.answer('new');
    expect(await before).toBe('old');
    expect(await after).toBe('new');
  });

  it('hands a failure to every caller sharing the read, and forgets it', async () => {
    const flights = new SingleFlight<string, string>();
    const source = reads();
    const one = flights.run('k', 0, source.read);
    const two = flights.run('k', 0, source.read);
    source.fail(new Error('away'));
    await expect(one).rejects.toThrow('away');
    await expect(two).rejects.toThrow('away');
    void flights.run('k', 0, source.read);
    expect(source.started()).toBe(2);
  });
});
