import { afterEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import { InvalidationChannel, UNHEARD_MAX_AGE_MS } from './invalidation-channel.js';

/** Just enough of an ioredis client: a main connection and the subscriber it duplicates. */
function fakeRedis() {
  const subscriber = Object.assign(new EventEmitter(), {
    subscribe: () => Promise.resolve(1),
    ping: (): Promise<string> => Promise.resolve('PONG'),
    /** How each disconnect was asked for: true when a reconnect should follow. */
    disconnects: [] as boolean[],
    disconnect: (reconnect = false) => {
      subscriber.disconnects.push(reconnect);
    },
  });
  const published: string[] = [];
  const main = Object.assign(new EventEmitter(), {
    status: 'ready',
    duplicate: () => subscriber,
    publish: (_channel: string, id: string) => {
      if (main.status !== 'ready') return Promise.reject(new Error('Connection is closed.'));
      published.push(id);
      return Promise.resolve(1);
    },
  });
  return { main, subscriber, published, redis: main as unknown as Redis };
}

/** Lets the subscriber's `subscribe` promise settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('InvalidationChannel', () => {
  const started: InvalidationChannel[] = [];
  /** A channel over `redis`, started, and stopped after the test. */
  const channelOver = (redis: Redis) => {
    const channel = new InvalidationChannel(redis, 'test', () => undefined);
    channel.start();
    started.push(channel);
    return channel;
  };
  afterEach(() => {
    for (const channel of started.splice(0)) channel.stop();
  });
  /** A channel whose subscription has been confirmed, a few milliseconds ago. */
  const subscribedChannel = async () => {
    const fake = fakeRedis();
    const channel = channelOver(fake.redis);
    fake.subscriber.emit('ready');
    await settle();
    // Values read in the very millisecond of a (re)subscription are not trusted: wait past it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { ...fake, channel };
  };

  it('trusts every value without Redis: one process, nothing to miss', () => {
    const channel = new InvalidationChannel(null, 'test', () => undefined);
    expect(channel.hasCoveredSince(0)).toBe(true);
  });

  it('distrusts what was read before it lost the subscription, and again before it came back', async () => {
    const { subscriber, channel } = await subscribedChannel();
    const beforeLoss = Date.now();
    expect(channel.hasCoveredSince(beforeLoss)).toBe(true);

    subscriber.emit('close');
    expect(channel.hasCoveredSince(beforeLoss)).toBe(false);
    // Read while deaf: trusted for a moment only.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const whileDeaf = Date.now();
    expect(channel.hasCoveredSince(whileDeaf)).toBe(true);
    expect(channel.hasCoveredSince(Date.now() - UNHEARD_MAX_AGE_MS - 1)).toBe(false);

    // Back: changes made while deaf were never heard, so what was read meanwhile goes too.
    await new Promise((resolve) => setTimeout(resolve, 5));
    subscriber.emit('ready');
    await settle();
    expect(channel.hasCoveredSince(whileDeaf)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(channel.hasCoveredSince(Date.now() - 1)).toBe(true);
  });

  it('counts a subscription whose PING goes unanswered as lost, and connects afresh', async () => {
    const { subscriber, channel } = await subscribedChannel();
    const beforeSilence = Date.now();
    expect(channel.hasCoveredSince(beforeSilence)).toBe(true);
    // The connection stays open but nothing comes back: a partition, a frozen server.
    subscriber.ping = () => Promise.reject(new Error('Command timed out'));
    // Lost once nothing has answered for 1.5 s, judged every 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(channel.hasCoveredSince(beforeSilence)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(channel.hasCoveredSince(beforeSilence)).toBe(false);
    expect(subscriber.disconnects).toEqual([true]);
  });

  it('sends what it could not send once its connection is back, each id once', async () => {
    const { main, published, redis } = fakeRedis();
    const channel = channelOver(redis);
    main.status = 'reconnecting';
    await channel.publish(['key-1', 'key-2']);
    await channel.publish(['key-1']);
    expect(published).toEqual([]);
    main.status = 'ready';
    main.emit('ready');
    await settle();
    expect(published.sort()).toEqual(['key-1', 'key-2']);
    await channel.publish(['key-3']);
    expect(published.sort()).toEqual(['key-1', 'key-2', 'key-3']);
  });

  it('keeps an id whose send failed for the next connect', async () => {
    const { main, published, redis } = fakeRedis();
    const channel = channelOver(redis);
    const publish = main.publish;
    main.publish = () => Promise.reject(new Error('Command timed out'));
    await channel.publish(['key-1']);
    main.publish = publish;
    main.emit('ready');
    await settle();
    expect(published).toEqual(['key-1']);
  });
});
