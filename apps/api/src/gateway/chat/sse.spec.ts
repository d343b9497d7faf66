import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { finishReading, readServerSentEvents } from './sse.js';

const limits = { maxBytes: 16, waitMs: 50 };

/** A provider body the test writes to, and whether it was destroyed. */
function providerBody() {
  const body = new PassThrough();
  let destroyed = false;
  const destroy = () => {
    destroyed = true;
    body.destroy();
  };
  return { body, iterator: body[Symbol.asyncIterator](), destroy, destroyed: () => destroyed };
}

describe('readServerSentEvents', () => {
  it('stops at the last event wanted without destroying the body, which finishReading ends', async () => {
    const { body, iterator, destroy, destroyed } = providerBody();
    body.write('data: one\n\ndata: [DONE]\n\n');
    const seen: string[] = [];
    for await (const event of readServerSentEvents(iterator)) {
      seen.push(event.data);
      if (event.data === '[DONE]') break;
    }
    expect(seen).toEqual(['one', '[DONE]']);
    expect(body.destroyed).toBe(false);

    const finished = finishReading(iterator, destroy, limits);
    body.end('\n');
    await finished;
    expect(destroyed()).toBe(false);
    expect(body.readableEnded).toBe(true);
  });
});

describe('finishReading', () => {
  it('cuts a provider that goes on sending after its last event', async () => {
    const { body, iterator, destroy, destroyed } = providerBody();
    const finished = finishReading(iterator, destroy, limits);
    body.write(Buffer.alloc(limits.maxBytes + 1));
    await finished;
    expect(destroyed()).toBe(true);
  });

  it('cuts a provider that does not end its answer soon', async () => {
    const { iterator, destroy, destroyed } = providerBody();
    const started = Date.now();
    await finishReading(iterator, destroy, limits);
    expect(destroyed()).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(limits.waitMs - 5);
  });
});
