import { describe, expect, it } from '@jest/globals';
import {
  isPublicAddress,
  resolveWebhookTarget,
  WebhookUrlRefusedError,
  type Resolver,
} from './address-policy.js';

const resolvesTo =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const),
    );
const strict = (resolve: Resolver = resolvesTo('93.184.215.14')) => ({
  allowPrivateNetworks: false,
  resolve,
});

describe('webhook address policy', () => {
  it('refuses loopback, private, link-local, CGNAT, metadata and reserved IPv4', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '192.0.2.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    }
  });

  it('refuses loopback, ULA, link-local, mapped and embedded IPv6', () => {
    for (const address of [
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:8.8.8.8',
      '64:ff9b::a00:1',
      '2002:a00:1::1',
      'ff02::1',
      '2001:db8::1',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    }
  });

  it('accepts public addresses, and nothing that is not an address', () => {
    for (const address of [
      '8.8.8.8',
      '93.184.215.14',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, true]);
    }
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });

  it('refuses IP literals in any spelling the URL parser accepts', async () => {
    for (const url of [
      'http://127.0.0.1/hook',
      'http://2130706433/hook',
      'http://0x7f000001/hook',
      'http://0x7f.1/hook',
      'http://0177.0.0.1/hook',
      'http://017700000001/hook',
      'http://127.1/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[fe80::1]/hook',
      'https://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3:8080/',
    ]) {
      await expect(resolveWebhookTarget(url, strict())).rejects.toThrow(WebhookUrlRefusedError);
    }
  });

  it('refuses names that are, or resolve to, internal addresses', async () => {
    await expect(resolveWebhookTarget('http://localhost:3000/', strict())).rejects.toThrow(
      WebhookUrlRefusedError,
    );
    await expect(resolveWebhookTarget('http://api.localhost./', strict())).rejects.toThrow(
      WebhookUrlRefusedError,
    );
    await expect(
      resolveWebhookTarget('https://hooks.example.com/', strict(resolvesTo('10.0.0.5'))),
    ).rejects.toThrow(/public internet/);
    // One internal address among public ones is enough: the client may pick any of them.
    await expect(
      resolveWebhookTarget(
        'https://hooks.example.com/',
        strict(resolvesTo('93.184.215.14', '127.0.0.1')),
      ),
    ).rejects.toThrow(WebhookUrlRefusedError);
    await expect(
      resolveWebhookTarget(
        'https://nowhere.example/',
        strict(() => Promise.reject(new Error('ENOTFOUND'))),
      ),
    ).rejects.toThrow(/could not be resolved/);
  });

  it('refuses schemes other than http and https', async () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'x']) {
      await expect(resolveWebhookTarget(url, strict())).rejects.toThrow(WebhookUrlRefusedError);
    }
  });

  it('pins a public name to the address it was checked at', async () => {
    const target = await resolveWebhookTarget(
      'https://hooks.example.com/in?x=1',
      strict(resolvesTo('93.184.215.14', '2606:4700::1')),
    );
    expect(target).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(target.url.hostname).toBe('hooks.example.com');
  });

  it('lets an operator allow private networks, still refusing other schemes', async () => {
    const open = { allowPrivateNetworks: true, resolve: resolvesTo('127.0.0.1') };
    await expect(resolveWebhookTarget('http://127.0.0.1:9/x', open)).resolves.toMatchObject({
      address: '127.0.0.1',
    });
    await expect(resolveWebhookTarget('http://localhost:9/x', open)).resolves.toMatchObject({
      address: '127.0.0.1',
    });
    await expect(resolveWebhookTarget('ftp://127.0.0.1/', open)).rejects.toThrow(
      WebhookUrlRefusedError,
    );
  });
});
