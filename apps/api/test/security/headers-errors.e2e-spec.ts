import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorBody } from '@keyward/shared';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { call, signUp, type HttpResult } from '../support/http.js';

const ALLOWED_ORIGIN = 'https://console.example.test';

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
});
