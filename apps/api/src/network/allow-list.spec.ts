import { describe, expect, it } from '@jest/globals';
import { NetworkAllowList } from './allow-list.js';

const parsed = (raw: string): NetworkAllowList => {
  const { list, problems } = NetworkAllowList.parse(raw);
  expect(problems).toEqual([]);
  return list;
};

describe('NetworkAllowList', () => {
  it('is empty by default and allows nothing', () => {
    const { list, problems } = NetworkAllowList.parse(undefined);
    expect(problems).toEqual([]);
    expect(list.isEmpty).toBe(true);
    expect(list.allowsAddress('127.0.0.1')).toBe(false);
    expect(list.allowsHost('localhost')).toBe(false);
  });

  it('lets exactly the listed networks through', () => {
    const list = parsed(' 10.0.0.0/8, 192.168.1.7 ,fd00::/8');
    expect(list.allowsAddress('10.255.1.2')).toBe(true);
    expect(list.allowsAddress('11.0.0.1')).toBe(false);
    expect(list.allowsAddress('192.168.1.7')).toBe(true);
    expect(list.allowsAddress('192.168.1.8')).toBe(false);
    expect(list.allowsAddress('fd12::1')).toBe(true);
    expect(list.allowsAddress('fe80::1')).toBe(false);
    expect(list.allowsAddress('127.0.0.1')).toBe(false);
    expect(list.allowsAddress('not-an-address')).toBe(false);
  });

  it('matches listed host names exactly, ignoring case and a trailing dot', () => {
    const list = parsed('llm-proxy.internal,Models.Corp.');
    expect(list.allowsHost('LLM-proxy.internal.')).toBe(true);
    expect(list.allowsHost('models.corp')).toBe(true);
    expect(list.allowsHost('evil.llm-proxy.internal')).toBe(false);
    expect(list.allowsHost('internal')).toBe(false);
    // A name does not allow the addresses it happens to resolve to.
    expect(list.allowsAddress('10.0.0.1')).toBe(false);
  });

  it('names every entry that is not a CIDR, an address or a host name', () => {
    const { problems } = NetworkAllowList.parse(
      '10.0.0.0/33, 10.0.0.0/8, 300.1.1.1/8, 10.0.0/8, 10.0.0.300, ::1/129, 10.0.0.0/x, a b, http://x, 0x7f.1',
    );
    expect(problems.map((problem) => problem.split('"')[1])).toEqual([
      '10.0.0.0/33',
      '300.1.1.1/8',
      '10.0.0/8',
      '10.0.0.300',
      '::1/129',
      '10.0.0.0/x',
      'a b',
      'http://x',
      '0x7f.1',
    ]);
  });
});
