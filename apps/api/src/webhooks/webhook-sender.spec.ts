import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_SIGNATURE_HEADER } from '@keyward/shared';
import { sendWebhook } from './webhook-sender.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const SECRET = 'whsec_sender-spec';
const open = { timeoutMs: 500, allowPrivateNetworks: true };

describe('sending a webhook', () => {
  let server: Server;
  let base = '';
  const seen: { path: string; signature: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const path = req.url ?? '/';
        seen.push({ path, signature: String(req.headers[WEBHOOK_SIGNATURE_HEADER]), body });
        if (path === '/redirect') res.writeHead(302, { location: `${base}/ok` }).end();
        else if (path === '/slow') {
          setTimeout(() => res.writeHead(200).end(), 2_000).unref();
        } else if (path === '/late') {
          setTimeout(() => res.writeHead(200).end(), 300).unref();
        } else if (path === '/huge') {
          res.writeHead(200);
          // Far more than a receiver's answer is ever read; the sender stops early.
          const chunk = Buffer.alloc(64 * 1024, 'x');
          const write = (left: number): void => {
            if (left === 0 || res.destroyed) {
              res.end();
              return;
            }
            res.write(chunk, () => {
              write(left - 1);
            });
          };
          write(1_000);
        } else res.writeHead(path === '/down' ? 503 : 200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the body with a signature the receiver can verify', async () => {
    const body = JSON.stringify({ id: 'ntf_1', kind: 'key_leaked' });
    await expect(sendWebhook(`${base}/ok`, SECRET, body, open)).resolves.toEqual({
      delivered: true,
      httpStatus: 200,
    });
    const received = seen.find((entry) => entry.path === '/ok');
    expect(received?.body).toBe(body);
    expect(verifyWebhookSignature(SECRET, body, received?.signature)).toBe(true);
  });

  it('reports an error status, and does not follow redirects', async () => {
    await expect(sendWebhook(`${base}/down`, SECRET, '{}', open)).resolves.toMatchObject({
      delivered: false,
      httpStatus: 503,
    });
    const before = seen.filter((entry) => entry.path === '/ok').length;
    await expect(sendWebhook(`${base}/redirect`, SECRET, '{}', open)).resolves.toMatchObject({
      delivered: false,
      httpStatus: 302,
      error: expect.stringContaining('not followed') as unknown,
    });
    expect(seen.filter((entry) => entry.path === '/ok')).toHaveLength(before);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const started = Date.now();
    await expect(sendWebhook(`${base}/slow`, SECRET, '{}', open)).resolves.toMatchObject({
      delivered: false,
      httpStatus: null,
      error: expect.stringContaining('500 ms') as unknown,
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('counts a host name lookup that never answers against the deadline', async () => {
    const started = Date.now();
    const hanging = { ...open, resolve: () => new Promise<never>(() => undefined) };
    await expect(
      sendWebhook('http://receiver.test/hook', SECRET, '{}', hanging),
    ).resolves.toMatchObject({
      delivered: false,
      httpStatus: null,
      error: expect.stringContaining('500 ms') as unknown,
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('gives the lookup and the answer one deadline between them', async () => {
    const port = new URL(base).port;
    const after = (ms: number) => ({
      ...open,
      resolve: () =>
        new Promise<{ address: string; family: 4 }[]>((resolve) =>
          setTimeout(() => {
            resolve([{ address: '127.0.0.1', family: 4 }]);
          }, ms),
        ),
    });
    // An answer 300 ms after the request is in time on its own...
    await expect(
      sendWebhook(`http://receiver.test:${port}/late`, SECRET, '{}', after(0)),
    ).resolves.toEqual({ delivered: true, httpStatus: 200 });
    // ...but not after a lookup that took 300 ms of the 500.
    await expect(
      sendWebhook(`http://receiver.test:${port}/late`, SECRET, '{}', after(300)),
    ).resolves.toMatchObject({
      delivered: false,
      error: expect.stringContaining('500 ms') as unknown,
    });
  });

  it('does not read a huge answer to its end', async () => {
    await expect(sendWebhook(`${base}/huge`, SECRET, '{}', open)).resolves.toEqual({
      delivered: true,
      httpStatus: 200,
    });
  });

  it('refuses a private address at send time unless allowed, sending nothing', async () => {
    const count = seen.length;
    await expect(
      sendWebhook(`${base}/ok`, SECRET, '{}', { ...open, allowPrivateNetworks: false }),
    ).resolves.toMatchObject({ delivered: false, httpStatus: null });
    expect(seen).toHaveLength(count);
  });

  it('reports a refused connection without the URL', async () => {
    const outcome = await sendWebhook('http://127.0.0.1:1/hook?token=abc', SECRET, '{}', open);
    expect(outcome).toMatchObject({ delivered: false, httpStatus: null });
    expect(JSON.stringify(outcome)).not.toContain('token=abc');
  });
});
