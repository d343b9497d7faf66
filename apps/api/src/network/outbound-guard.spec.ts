import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import type { Resolver } from './address-classification.js';
import { NetworkAllowList } from './allow-list.js';
import {
  isSpelledInternal,
  OutboundAddressGuard,
  OutboundAddressRefused,
  refusalIn,
} from './outbound-guard.js';

const allowing = (raw: string): NetworkAllowList => NetworkAllowList.parse(raw).list;

/** A resolver answering from a table, counting how often each name was asked for. */
function fakeDns(table: Record<string, string[][]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (name: string) => {
    asked.push(name);
    const answers = table[name];
    const answer =
      answers?.[Math.min(asked.filter((n) => n === name).length - 1, answers.length - 1)];
    if (!answer) {
      return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve(
      answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const),
    );
  };
  return Object.assign(resolve, { asked });
}

describe('outbound address guard', () => {
  it('refuses a name resolving to loopback, and names the host and address', async () => {
    const refusals: OutboundAddressRefused[] = [];
    const guard = new OutboundAddressGuard({
      allowList: NetworkAllowList.empty,
      resolve: fakeDns({ 'api.provider.test': [['127.0.0.1']] }),
      onRefused: (refusal) => refusals.push(refusal),
    });
    await expect(guard.resolveAllowed('API.provider.test.')).rejects.toThrow(
      OutboundAddressRefused,
    );
    expect(refusals.map(({ host, addresses }) => [host, addresses])).toEqual([
      ['api.provider.test', ['127.0.0.1']],
    ]);
  });

  it('keeps only the allowed addresses of a name, refusing when none is left', async () => {
    const guard = new OutboundAddressGuard({
      allowList: NetworkAllowList.empty,
      resolve: fakeDns({
        mixed: [['10.0.0.7', '93.184.215.14', '::1']],
        internal: [['169.254.169.254', 'fd00::1', '::ffff:127.0.0.1']],
      }),
    });
    await expect(guard.resolveAllowed('mixed')).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
    await expect(guard.resolveAllowed('internal')).rejects.toThrow(/not a public internet/);
    await expect(guard.resolveAllowed('missing')).rejects.toThrow(/not found/);
  });

  it('checks every resolution anew, so re-pointing a name (DNS rebinding) is refused', async () => {
    const dns = fakeDns({ rebind: [['93.184.215.14'], ['127.0.0.1']] });
    const guard = new OutboundAddressGuard({ allowList: NetworkAllowList.empty, resolve: dns });
    await expect(guard.resolveAllowed('rebind')).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
    await expect(guard.resolveAllowed('rebind')).rejects.toThrow(OutboundAddressRefused);
  });

  it('lets listed networks and listed names through, and nothing else', async () => {
    const dns = fakeDns({ proxy: [['10.1.2.3']], other: [['10.1.2.3']], near: [['10.1.3.1']] });
    const guard = new OutboundAddressGuard({ allowList: allowing('10.1.2.0/24'), resolve: dns });
    await expect(guard.resolveAllowed('proxy')).resolves.toHaveLength(1);
    await expect(guard.resolveAllowed('near')).rejects.toThrow(OutboundAddressRefused);
    const byName = new OutboundAddressGuard({ allowList: allowing('proxy'), resolve: dns });
    await expect(byName.resolveAllowed('proxy')).resolves.toHaveLength(1);
    await expect(byName.resolveAllowed('other')).rejects.toThrow(OutboundAddressRefused);
  });

  it('refuses internal URL hosts by their spelling, unless allow-listed', () => {
    const internal = [
      'http://127.0.0.1:8080',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://0177.0.0.1/',
      'http://127.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/latest',
      'http://10.2.3.4/',
      'http://localhost:11434/',
      'http://models.LOCALHOST./',
      'http://0.0.0.0/',
    ];
    for (const url of internal) {
      expect([url, isSpelledInternal(new URL(url), NetworkAllowList.empty)]).toEqual([url, true]);
    }
    for (const url of ['https://api.openai.com/v1', 'http://8.8.8.8/', 'http://llm.corp/']) {
      expect([url, isSpelledInternal(new URL(url), NetworkAllowList.empty)]).toEqual([url, false]);
    }
    const loopback = allowing('127.0.0.0/8');
    expect(isSpelledInternal(new URL('http://2130706433/'), loopback)).toBe(false);
    expect(isSpelledInternal(new URL('http://localhost:1/'), loopback)).toBe(false);
    expect(isSpelledInternal(new URL('http://[::1]/'), loopback)).toBe(true);
    expect(isSpelledInternal(new URL('http://10.0.0.1/'), loopback)).toBe(true);
    expect(isSpelledInternal(new URL('http://localhost/'), allowing('localhost'))).toBe(false);
  });

  describe('as the connector of an HTTP client', () => {
    let server: Server;
    let port: number;
    let received = 0;

    beforeAll(async () => {
      server = createServer((_req, res) => {
        received++;
        res.end('reached');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    async function fetchWith(guard: OutboundAddressGuard, url: string): Promise<string> {
      const agent = new Agent({ connect: guard.connector({ timeout: 2_000 }) });
      try {
        const answer = await request(url, { dispatcher: agent });
        return await answer.body.text();
      } finally {
        await agent.close();
      }
    }

    it('never opens a connection to a refused name or literal', async () => {
      const guard = new OutboundAddressGuard({
        allowList: NetworkAllowList.empty,
        resolve: fakeDns({ 'provider.test': [['127.0.0.1']] }),
      });
      const before = received;
      for (const url of [`http://provider.test:${port}/`, `http://127.0.0.1:${port}/`]) {
        const error = await fetchWith(guard, url).catch((caught: unknown) => caught);
        expect(refusalIn(error)).toBeInstanceOf(OutboundAddressRefused);
      }
      expect(received).toBe(before);
    });

    it('connects an allowed name to exactly the address it checked, resolving it once', async () => {
      // The system resolver does not know this name: reaching the listener proves the socket went
      // to the checked address and was not looked up again.
      const dns = fakeDns({ 'provider.test': [['127.0.0.1']] });
      const guard = new OutboundAddressGuard({ allowList: allowing('127.0.0.0/8'), resolve: dns });
      await expect(fetchWith(guard, `http://provider.test:${port}/`)).resolves.toBe('reached');
      expect(dns.asked).toEqual(['provider.test']);
    });
  });
});
