import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorBody } from '@keyward/shared';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { call, signUp, type HttpResult } from '../support/http.js';

const ALLOWED_ORIGIN = 'https://console.example.test';

interface RawExchange {
  /** Everything the server sent, as text. */
  text: string;
  /** The server closed its side cleanly (FIN) rather than resetting the connection. */
  closedCleanly: boolean;
  /** The socket error the client saw, if any (ECONNRESET for a reset connection). */
  error?: string;
  /** Bytes the client got to send. */
  sent: number;
}

/**
 * Sends bytes on one raw connection and reads until the server closes it: the answers to
 * requests Node's HTTP parser refuses never reach a route, so only the wire shows them.
 */
function rawExchange(url: string, send: (socket: Socket) => void): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    // Half-open allowed: the client goes on sending after the server has closed its side.
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
    let text = '';
    let closedCleanly = false;
    let error: string | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => {
      closedCleanly = true;
    });
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error = failure.code ?? failure.message;
    });
    socket.on('close', () => {
      resolve({ text, closedCleanly, error, sent: socket.bytesWritten });
    });
    socket.on('connect', () => {
      send(socket);
    });
  });
}

/** The status, lower-cased headers and parsed body of a raw HTTP answer. */
function parseRawAnswer(text: string): {
  status: number;
  headers: Map<string, string>;
  body: ErrorBody;
} {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = new Map(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as ErrorBody };
}

describe('security headers, CORS and error bodies', () => {
  let api: ApiProcess;
  let webDist: string;

  beforeAll(async () => {
    // A stand-in console build: what matters is how the API serves it.
    webDist = mkdtempSync(join(tmpdir(), 'keyward-web-'));
    mkdirSync(join(webDist, 'assets'));
    writeFileSync(
      join(webDist, 'index.html'),
      '<!doctype html><title>Keyward console</title><script type="module" src="/assets/app.js"></script>',
    );
    writeFileSync(join(webDist, 'assets', 'app.js'), 'console.log("app")');
    api = await startApi({
      env: {
        WEB_DIST_DIR: webDist,
        CORS_ORIGINS: `${ALLOWED_ORIGIN},https://admin.example.test`,
        LOG_LEVEL: 'debug',
      },
    });
  });
  afterAll(async () => {
    await api.stop();
    rmSync(webDist, { recursive: true, force: true });
  });

  function expectSecurityHeaders(what: string, result: HttpResult): void {
    const header = (name: string): string | null => result.headers.get(name);
    const csp = header('content-security-policy') ?? '';
    expect({ what, nosniff: header('x-content-type-options') }).toEqual({
      what,
      nosniff: 'nosniff',
    });
    expect({ what, frame: header('x-frame-options') }).toEqual({ what, frame: 'SAMEORIGIN' });
    expect({ what, referrer: header('referrer-policy') }).toEqual({
      what,
      referrer: 'no-referrer',
    });
    expect(header('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(header('cross-origin-opener-policy')).toBe('same-origin');
    expect(header('x-powered-by')).toBeNull();
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ]) {
      expect({ what, csp: csp.includes(directive) ? directive : csp }).toEqual({
        what,
        csp: directive,
      });
    }
    // No way around the policy for injected scripts.
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  }

  it('sets them on API answers, errors included, and on the console', async () => {
    const user = await signUp(api.url, 'headers');
    const cases: [string, Promise<HttpResult>][] = [
      ['health', call(api.url, 'GET', '/api/health')],
      ['OpenAPI document', call(api.url, 'GET', '/api/openapi.json')],
      ['signed-in read', call(api.url, 'GET', '/api/api-keys', { token: user.accessToken })],
      ['401', call(api.url, 'GET', '/api/api-keys')],
      ['guarded 401', call(api.url, 'GET', '/v1/models')],
      ['404', call(api.url, 'GET', '/api/no-such-route')],
      ['400', call(api.url, 'POST', '/api/auth/login', { body: { email: 1 } })],
      ['console index', call(api.url, 'GET', '/')],
      ['console route', call(api.url, 'GET', '/keys/key_123')],
      ['console asset', call(api.url, 'GET', '/assets/app.js')],
    ];
    for (const [what, pending] of cases) expectSecurityHeaders(what, await pending);
    const index = await call(api.url, 'GET', '/');
    expect(index.text).toContain('Keyward console');
    expect(index.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers CORS only for the configured origins, preflight and actual request alike', async () => {
    const preflight = (origin: string): Promise<HttpResult> =>
      call(api.url, 'OPTIONS', '/api/api-keys', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    for (const origin of [ALLOWED_ORIGIN, 'https://admin.example.test']) {
      const allowed = await preflight(origin);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      const actual = await call(api.url, 'GET', '/api/health', { headers: { origin } });
      expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
    }
    for (const origin of [
      'https://evil.example.test',
      `${ALLOWED_ORIGIN}.evil.test`,
      'https://console.example.test:8443',
      'http://console.example.test',
      'null',
    ]) {
      const refused = await preflight(origin);
      expect({ origin, allow: refused.headers.get('access-control-allow-origin') }).toEqual({
        origin,
        allow: null,
      });
      const actual = await call(api.url, 'GET', '/api/health', { headers: { origin } });
      const corsHeaders = (result: HttpResult): string[] =>
        [...result.headers.keys()].filter((name) => name.startsWith('access-control-'));
      expect({ origin, preflight: corsHeaders(refused), actual: corsHeaders(actual) }).toEqual({
        origin,
        preflight: [],
        actual: [],
      });
    }
  });

  it('answers every kind of error with the coded body alone, never a stack or a path', async () => {
    const errors: [string, Promise<HttpResult<ErrorBody>>, number][] = [
      ['unknown route', call(api.url, 'GET', '/api/unknown/thing'), 404],
      ['unknown guarded route', call(api.url, 'GET', '/v1/nothing'), 404],
      [
        'malformed JSON',
        call(api.url, 'POST', '/api/auth/login', {
          rawBody: '{"email":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      ],
      [
        'JSON nested 10,000 deep',
        call(api.url, 'POST', '/api/auth/login', {
          rawBody: `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
          headers: { 'content-type': 'application/json' },
        }),
        400,
      ],
      [
        'prototype poisoning',
        call(api.url, 'POST', '/api/auth/login', {
          rawBody: '{"email":"a@example.test","password":"x","__proto__":{"role":"admin"}}',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      ],
      [
        'form post',
        call(api.url, 'POST', '/api/auth/login', {
          rawBody: 'email=a',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        415,
      ],
      [
        'wrong types',
        call(api.url, 'POST', '/api/auth/login', { body: { email: [], password: {} } }),
        400,
      ],
      ['bad token', call(api.url, 'GET', '/api/api-keys', { token: 'a.b.c' }), 401],
      ['bad key', call(api.url, 'GET', '/v1/models', { headers: { 'x-api-key': 'kw_nope' } }), 401],
    ];
    for (const [what, pending, status] of errors) {
      const result = await pending;
      expect({ what, status: result.status }).toEqual({ what, status });
      expect(
        Object.keys(result.body).filter(
          (k) => !['statusCode', 'code', 'message', 'errors', 'error'].includes(k),
        ),
      ).toEqual([]);
      expect(result.body.statusCode).toBe(status);
      expect(typeof result.body.code).toBe('string');
      expect(result.text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\/work\/|dist\/|stack|Error:/);
    }
    // None of them was an unhandled error on the server either.
    expect(api.output()).not.toMatch(/Unhandled error|Maximum call stack/);
  });

  it("says what is wrong with a request body in the API's own words", async () => {
    const user = await signUp(api.url, 'bodies');
    const post = async (path: string, rawBody: string, contentType = 'application/json') => {
      const result = await call<ErrorBody>(api.url, 'POST', path, {
        token: user.accessToken,
        rawBody,
        headers: { 'content-type': contentType },
      });
      return [result.status, result.body.code, result.body.message];
    };
    const notAnObject = [400, 'validation_failed', 'Request body must be a JSON object'];
    expect({
      notJson: await post('/api/api-keys', '{"name":'),
      poisoned: await post('/api/api-keys', '{"name":"a","__proto__":{"role":"admin"}}'),
      array: await post('/api/api-keys', '[]'),
      null: await post('/api/api-keys', 'null'),
      number: await post('/api/api-keys', '5'),
      empty: await post('/api/api-keys', ''),
      form: await post('/api/api-keys', 'name=a', 'application/x-www-form-urlencoded'),
    }).toEqual({
      notJson: [400, 'bad_request', 'Request body is not valid JSON'],
      // It is JSON; its key is what is refused.
      poisoned: [400, 'bad_request', expect.stringContaining('"__proto__"')],
      array: notAnObject,
      null: notAnObject,
      number: notAnObject,
      // No body at all: the fields it lacks are named.
      empty: [400, 'validation_failed', 'name must be a string'],
      form: [415, 'unsupported_media_type', 'Unsupported content type; send application/json'],
    });
    // A route whose body is all optional takes the JSON content type with no body.
    const key = await call<{ id: string }>(api.url, 'POST', '/api/api-keys', {
      token: user.accessToken,
      body: { name: 'regenerated with no body', preset: 'read_only' },
    });
    expect((await post(`/api/api-keys/${key.body.id}/regenerate`, ''))[0]).toBe(200);
  });

  it('refuses requests the HTTP parser cannot take with a coded answer, then closes the connection cleanly', async () => {
    const secret = 'kw_live_secret_in_a_huge_query';
    const hugeUrl = `/api/auth/me?token=${secret}&pad=${'x'.repeat(20_000)}`;
    const chunk = `&more=${'y'.repeat(64 * 1024)}`;
    const cases: [string, (socket: Socket) => void, number, string][] = [
      [
        'URL over the header limit',
        (socket) => socket.end(`GET ${hugeUrl} HTTP/1.1\r\nHost: keyward.test\r\n\r\n`),
        431,
        'headers_too_large',
      ],
      [
        // The server answers long before the client is done: the rest must be read and dropped,
        // not left unread (which would reset the connection and could lose the answer).
        'a client still sending 2 MiB of URL',
        (socket) => {
          socket.write(`GET ${hugeUrl}`);
          let sent = 0;
          const pump = (): void => {
            while (sent < 32) {
              sent += 1;
              if (!socket.write(chunk)) {
                socket.once('drain', pump);
                return;
              }
            }
            socket.end(' HTTP/1.1\r\nHost: keyward.test\r\n\r\n');
          };
          pump();
        },
        431,
        'headers_too_large',
      ],
      [
        'a malformed request line',
        (socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'),
        400,
        'bad_request',
      ],
    ];
    for (const [what, send, status, code] of cases) {
      const exchange = await rawExchange(api.url, send);
      if (what.includes('2 MiB')) expect(exchange.sent).toBeGreaterThan(2 * 1024 * 1024);
      expect({ what, error: exchange.error, closedCleanly: exchange.closedCleanly }).toEqual({
        what,
        error: undefined,
        closedCleanly: true,
      });
      const answer = parseRawAnswer(exchange.text);
      expect({ what, status: answer.status, code: answer.body.code }).toEqual({
        what,
        status,
        code,
      });
      expect(answer.body.statusCode).toBe(status);
      expect(answer.body.message).toEqual(expect.any(String));
      expect(answer.body.error).toEqual({ message: answer.body.message, type: code, code });
      // A client must not send its next request down this connection: it is closing.
      expect({ what, connection: answer.headers.get('connection') }).toEqual({
        what,
        connection: 'close',
      });
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(exchange.text).not.toContain(secret);
    }
    // Refused requests are logged (at debug) without what they carried.
    expect(api.output()).toContain('Refused a malformed request');
    expect(api.output()).not.toContain(secret);

    // The connections are gone and the API answers as before.
    expect((await call(api.url, 'GET', '/api/health')).status).toBe(200);
  });
});
