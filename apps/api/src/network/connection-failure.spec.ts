import { describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { closedPort } from '../../test/support/tcp-proxy.js';
import { connectionFailure } from './connection-failure.js';

const failureOf = async (url: string): Promise<unknown> => {
  try {
    await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
  } catch (error) {
    return error;
  }
  throw new Error(`${url} answered`);
};

describe('connectionFailure', () => {
  it('names a refused connection from the socket error undici wraps', async () => {
    const port = await closedPort();
    expect(connectionFailure(await failureOf(`http://127.0.0.1:${port}/`))).toBe(
      'the connection was refused (ECONNREFUSED)',
    );
  });

  it('names a connection closed before any answer', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(connectionFailure(await failureOf(`http://127.0.0.1:${port}/`))).toMatch(
        /^the connection was (closed|reset) \((UND_ERR_SOCKET|ECONNRESET)\)$/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives an unknown code as it is, and nothing for an error without one', () => {
    expect(connectionFailure(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toBe(
      'EWHATEVER',
    );
    expect(connectionFailure(new Error('no code at all'))).toBeNull();
    // A code is never taken from free text.
    expect(connectionFailure({ code: 'secret in a sentence' })).toBeNull();
  });
});
