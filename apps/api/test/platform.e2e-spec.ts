import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorBody, HealthResponse } from '@keyward/shared';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type ApiProcess } from './support/api-process.js';
import { call } from './support/http.js';

describe('HTTP platform', () => {
  let api: ApiProcess;
  let webDist: string;

  beforeAll(async () => {
    // A stand-in console build, so SPA serving is tested whether or not the real one was built.
    webDist = mkdtempSync(join(tmpdir(), 'keyward-web-'));
    mkdirSync(join(webDist, 'assets'));
    writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>Keyward console</title>');
    writeFileSync(join(webDist, 'assets', 'app-abc123.js'), 'console.log("app")');
    api = await startApi({
      env: {
        WEB_DIST_DIR: webDist,
        CORS_ORIGINS: 'https://console.example.test',
        BODY_LIMIT_BYTES: '2048',
      },
    });
  });
  afterAll(async () => {
    await api.stop();
    rmSync(webDist, { recursive: true, force: true });
  });

  it('reports the database and Redis state on /api/health', async () => {
    const health = await call<HealthResponse>(api.url, 'GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body.database).toBe('up');
    expect(health.body.redis).toBe(process.env.TEST_REDIS_URL ? 'up' : 'disabled');
    expect(health.body.status).toBe('ok');
  });

  it('publishes an OpenAPI document and a browsable UI', async () => {
    const document = await call<{ openapi: string; paths: Record<string, unknown> }>(
      api.url,
      'GET',
      '/api/openapi.json',
    );
    expect(document.status).toBe(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/auth/login',
        '/api/auth/refresh',
        '/api/admin/users',
        '/api/health',
      ]),
    );
    // Request schemas come from the same class-validator rules the API enforces.
    const full = document.body as unknown as {
      components: {
        schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
      };
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string; in: string }[]; responses?: Record<string, unknown> }
        >
      >;
    };
    const createKey = full.components.schemas.CreateApiKeyRequest;
    expect(Object.keys(createKey?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'name',
        'scopes',
        'preset',
        'expiresInDays',
        'rateLimit',
        'allowedModels',
      ]),
    );
    expect(createKey?.required).toContain('name');
    expect(full.components.schemas.LoginRequest?.required?.sort()).toEqual(['email', 'password']);
    const listParameters = full.paths['/api/api-keys']?.get?.parameters?.map(
      (parameter) => parameter.name,
    );
    expect(listParameters).toEqual(expect.arrayContaining(['status', 'name', 'page', 'pageSize']));
    // The generation routes answer 200, as OpenAI's do, not the 201 a POST is given by default.
    for (const path of ['/v1/chat/completions', '/v1/models/{path}']) {
      expect([path, Object.keys(full.paths[path]?.post?.responses ?? {})]).toEqual([path, ['200']]);
    }
    expect(full.paths['/v1/models/{path}']?.post?.parameters).toEqual([
      expect.objectContaining({ name: 'path', in: 'path', required: true }),
    ]);
    const ui = await call(api.url, 'GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('sets security headers on API responses and the console', async () => {
    for (const path of ['/api/health', '/', '/keys/some-client-route']) {
      const result = await call(api.url, 'GET', path);
      expect(result.headers.get('x-content-type-options')).toBe('nosniff');
      expect(result.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(result.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(result.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('serves the console with history fallback, but never for API paths', async () => {
    const deep = await call(api.url, 'GET', '/api-keys/key_123?tab=usage');
    expect(deep.status).toBe(200);
    expect(deep.text).toContain('Keyward console');
    const asset = await call(api.url, 'GET', '/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missingApi = await call<ErrorBody>(api.url, 'GET', '/api/does-not-exist');
    expect(missingApi.status).toBe(404);
    expect(missingApi.body.code).toBe('not_found');
    const missingV1 = await call<ErrorBody>(api.url, 'GET', '/v1/nothing-here');
    expect(missingV1.status).toBe(404);
  });

  it('answers an unknown route in the error shape of its API, never echoing the query', async () => {
    // Without a console build the SPA fallback is absent and Nest's own not-found handler answers.
    const apiOnly = await startApi({ env: { WEB_DIST_DIR: join(webDist, 'absent') } });
    try {
      for (const [server, method] of [
        [api, 'GET'],
        [api, 'POST'],
        [apiOnly, 'GET'],
        [apiOnly, 'DELETE'],
      ] as const) {
        const query = '?api_key=kw_notreallysecret&token=t0ps3cret';
        const v1 = await call<ErrorBody>(server.url, method, `/v1/nothing${query}`);
        expect({ method, status: v1.status, body: v1.body }).toEqual({
          method,
          status: 404,
          body: {
            statusCode: 404,
            code: 'not_found',
            message: `Cannot ${method} /v1/nothing`,
            error: {
              message: `Cannot ${method} /v1/nothing`,
              type: 'not_found',
              code: 'not_found',
            },
          },
        });
        const console = await call<ErrorBody>(server.url, method, `/api/nothing${query}`);
        expect({ method, status: console.status, body: console.body }).toEqual({
          method,
          status: 404,
          body: { statusCode: 404, code: 'not_found', message: `Cannot ${method} /api/nothing` },
        });
      }
    } finally {
      await apiOnly.stop();
    }
  });

  it('answers CORS preflights only for configured origins', async () => {
    const allowed = await call(api.url, 'OPTIONS', '/api/auth/login', {
      headers: { origin: 'https://console.example.test', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.test');
    const refused = await call(api.url, 'OPTIONS', '/api/auth/login', {
      headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'POST' },
    });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('turns malformed and oversized bodies into coded 4xx errors without stack traces', async () => {
    const badJson = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      rawBody: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe('bad_request');

    const tooLarge = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      body: { email: 'a@example.test', password: 'x'.repeat(4096) },
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('payload_too_large');
    expect(tooLarge.body.message).toBe('Request body is too large');

    const wrongType = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      rawBody: 'email=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);

    const wrongShape = await call<ErrorBody>(api.url, 'POST', '/api/auth/login', {
      body: [1, 2, 3],
    });
    expect(wrongShape.status).toBe(400);

    for (const result of [badJson, tooLarge, wrongType, wrongShape]) {
      expect(result.text).not.toMatch(/at .+\.(js|ts):\d+/);
    }
  });
});
