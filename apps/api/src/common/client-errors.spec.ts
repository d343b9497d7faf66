import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import pino from 'pino';
import { clientErrorHandler } from './client-errors.js';

const HEADERS_TIMEOUT_MS = 300;

describe('clientErrorHandler', () => {
  it('answers slow headers 408 and lets no request through once it has', async () => {
    let routed = 0;
    const server = createServer(
      { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0, connectionsCheckingInterval: 50 },
      (_request, response) => {
        routed += 1;
        response.end('routed');
      },
    );
    server.on(
      'clientError',
      clientErrorHandler({ 'x-content-type-options': 'nosniff' }, pino({ level: 'silent' })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          received += chunk;
          // Told 408, the client finishes its request all the same, before the linger ends.
          if (received.includes('\r\n\r\n')) socket.end('Host: keyward.test\r\n\r\n');
        });
        socket.on('error', reject);
        socket.on('close', () => {
          resolve(received);
        });
        socket.write('GET /slow HTTP/1.1\r\n');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string };
      expect(body.code).toBe('request_timeout');
      expect(routed).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
