import { describe, expect, it } from '@jest/globals';
import type { Resolver } from '../network/address-classification.js';
import { resolveWebhookTarget, WebhookUrlRefusedError } from './address-policy.js';

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
