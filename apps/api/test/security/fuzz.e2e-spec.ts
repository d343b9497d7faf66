import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { fakeKey, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { gatewayUser, type GatewayUser } from '../support/gateway.js';
import { call, signIn, signUp, type SignedIn } from '../support/http.js';
import { createKey } from '../support/keys.js';
import { documentedRoutes, routeName, type DocumentedRoute } from './openapi-routes.js';

const SEED = 20261201;
const RUNS_PER_ROUTE = 20;
const ADMIN = { email: 'admin@keyward.test', password: 'admin-password-for-tests' };

interface FuzzRequest {
  path: string;
  query: [string, string][];
  /** Raw request body (JSON text or deliberately not), sent as application/json when set. */
  body?: string;
  headers: Record<string, string>;
  auth: 'owner' | 'none' | 'garbage';
  /** Past BODY_LIMIT_BYTES: the API answers 413 and may close the connection mid-upload. */
  oversized?: boolean;
}

/** Strings that have broken parsers, databases and loggers before. */
const nastyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\u202e\u0041\u0301',
    '🔑'.repeat(50),
    '\ud800',
    '%00',
    '../../etc/passwd',
    "' OR 1=1 --",
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    '__proto__',
    'constructor',
    '-1',
    '1e308',
    '99999999999999999999999',
    'NaN',
    '',
    ' ',
  ),
  fc.nat({ max: 20_000 }).map((length) => 'x'.repeat(length)),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(
    0,
    -1,
    -0,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 63,
    1.5,
    1e-320,
    999_999_999_999,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, wrong types included, a few levels deep. */
const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('input fuzzing of every documented route', () => {
  let api: ApiProcess;
  let upstream: FakeUpstream;
  let routes: DocumentedRoute[];
  let schemas: Record<string, { properties?: Record<string, unknown> }>;
  let admin: SignedIn;
  let keyUser: GatewayUser;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    api = await startApi({
      env: {
        ...upstream.envFor(),
        LOGIN_MAX_PER_IP_PER_MINUTE: '10000',
        INVALID_KEY_MAX_PER_IP_PER_MINUTE: '10000',
        // Webhook tests and provider checks go nowhere near anything internal.
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false',
        WEBHOOK_TIMEOUT_MS: '1000',
        PROVIDER_VERIFY_TIMEOUT_MS: '1000',
        GATEWAY_UPSTREAM_TIMEOUT_MS: '2000',
      },
    });
    const document = await fetch(`${api.url}/api/openapi.json`);
    schemas = ((await document.json()) as { components: { schemas: typeof schemas } }).components
      .schemas;
    routes = await documentedRoutes(api.url);
    admin = await signIn(api.url, ADMIN.email, ADMIN.password);
    keyUser = await gatewayUser(
      api,
      { openai: 'good', anthropic: 'good' },
      { rateLimit: { limit: 10_000, windowSeconds: 3600 } },
    );
  });
  afterAll(async () => {
    await api.stop();
    await upstream.stop();
  });

  /** Requests for one route: mostly well-formed in shape with hostile values, some not at all. */
  function requestsFor(route: DocumentedRoute): fc.Arbitrary<FuzzRequest> {
    const properties = Object.keys(
      (route.bodySchema && schemas[route.bodySchema]?.properties) ?? {},
    );
    if (route.path === '/v1/chat/completions') properties.push('model', 'messages', 'stream');
    const pathValue = fc.oneof(
      fc.constantFrom('key_01JDUMMY', 'pk_01JDUMMY', 'ntf_1', 'free', 'openai/gpt-4o-mini'),
      nastyString.filter((value) => value.length > 0 && value.length < 300),
    );
    const bodyObject = fc.record(Object.fromEntries(properties.map((name) => [name, nastyValue])), {
      requiredKeys: [],
    });
    const body = fc.oneof(
      { arbitrary: bodyObject.map((value) => JSON.stringify(value)), weight: 6 },
      { arbitrary: nastyValue.map((value) => JSON.stringify(value)), weight: 2 },
      { arbitrary: fc.nat({ max: 3000 }).map(nested), weight: 1 },
      { arbitrary: nastyString, weight: 1 },
    );
    const query = fc.array(
      fc.tuple(
        route.queryParameters.length > 0
          ? fc.oneof(fc.constantFrom(...route.queryParameters), nastyString)
          : nastyString,
        fc.oneof(nastyString, nastyNumber.map(String)),
      ),
      { maxLength: 4 },
    );
    const headers = fc.dictionary(
      fc.constantFrom('user-agent', 'x-forwarded-for', 'accept-language', 'x-request-id', 'accept'),
      fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
      { maxKeys: 3 },
    );
    return fc.record({
      path: route.path.includes('{')
        ? fc
            .oneof(
              pathValue.map((value) =>
                encodeURIComponent(value.replace(/\p{Surrogate}/gu, '\ufffd')),
              ),
              // Sent as they are: broken escapes, encoded traversal and overlong UTF-8.
              fc.constantFrom('%', '%ZZ', '%c0%af', '..%2f..%2fapi', '%00', '%ed%a0%80'),
            )
            .map((segment) => route.path.replace(/\{[^}]+\}/g, segment))
        : fc.constant(route.path),
      query,
      body: route.method === 'GET' || route.method === 'DELETE' ? fc.constant(undefined) : body,
      headers,
      auth: fc.constantFrom<FuzzRequest['auth']>(
        'owner',
        'owner',
        'owner',
        'owner',
        'none',
        'garbage',
      ),
    });
  }

  /** The hand-picked extremes every route gets besides the generated cases. */
  function extremesFor(route: DocumentedRoute): FuzzRequest[] {
    const path = route.path.replace(/\{[^}]+\}/g, 'key_01JDUMMY');
    const base = { path, query: [] as [string, string][], headers: {}, auth: 'owner' as const };
    const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
    const bigHeader = 'h'.repeat(8 * 1024);
    return [
      {
        ...base,
        query: [
          ['page', '1e308'],
          ['pageSize', '999999999999'],
        ],
      },
      {
        ...base,
        query: [
          ['pageSize', '-1'],
          ['page', '0'],
        ],
      },
      {
        ...base,
        query: [
          ['page', '9007199254740993'],
          ['pageSize', '100'],
        ],
      },
      { ...base, headers: { 'user-agent': bigHeader } },
      { ...base, headers: { 'x-custom-padding': bigHeader } },
      { ...base, auth: 'none', headers: { authorization: `Bearer ${bigHeader}` } },
      { ...base, auth: 'none', headers: { 'x-api-key': bigHeader } },
      ...(hasBody
        ? [
            { ...base, body: nested(5000) },
            { ...base, body: `[${'['.repeat(5000)}${']'.repeat(5000)}]` },
            { ...base, body: JSON.stringify({ name: 'x'.repeat(1_100_000) }), oversized: true },
            { ...base, body: '{"__proto__":{"admin":true},"constructor":{"prototype":{}}}' },
            { ...base, body: '{"name":"\\u0000\\ud800"}' },
          ]
        : []),
    ];
  }

  async function send(
    route: DocumentedRoute,
    request: FuzzRequest,
  ): Promise<{ status: number; text: string }> {
    const url = new URL(`${api.url}${request.path}`);
    for (const [name, value] of request.query) url.searchParams.append(name, value);
    const headers: Record<string, string> = { ...request.headers };
    if (request.auth === 'owner') {
      if (route.path.startsWith('/v1/')) headers['x-api-key'] = keyUser.key;
      else headers.authorization = `Bearer ${admin.accessToken}`;
    } else if (request.auth === 'garbage') {
      headers.authorization = 'Bearer kw_garbage.not.a-token';
    }
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, {
      method: route.method,
      headers,
      body: request.body,
      redirect: 'manual',
    });
    return { status: response.status, text: (await response.text()).slice(0, 300) };
  }

  it('answers every generated request without a 5xx and without an unhandled error', async () => {
    // The fuzzed routes must not sign the fuzzer out halfway.
    const fuzzed = routes.filter(
      (route) =>
        !(route.method === 'POST' && route.path === '/api/auth/logout') &&
        !(route.method === 'POST' && route.path === '/api/auth/password'),
    );
    expect(fuzzed.length).toBeGreaterThanOrEqual(45);
    const failures: { route: string; request: FuzzRequest; status: number; cause: string }[] = [];
    let tried = 0;
    for (const [index, route] of fuzzed.entries()) {
      const generated = fc.sample(requestsFor(route), {
        seed: SEED + index,
        numRuns: RUNS_PER_ROUTE,
      });
      for (const request of [...extremesFor(route), ...generated]) {
        // A dropped connection counts as a failure too (status 0), with its cause.
        let cause = '';
        const { status, text } = await send(route, request).catch((error: unknown) => {
          cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
          return { status: 0, text: '' };
        });
        tried += 1;
        const refusedUpload =
          request.oversized === true &&
          (status === 413 || (status === 0 && ['EPIPE', 'ECONNRESET'].includes(cause)));
        if (request.oversized === true && !refusedUpload) {
          failures.push({
            route: routeName(route),
            request,
            status,
            cause: `not refused: ${text}`,
          });
        } else if (!refusedUpload && (status >= 500 || status === 0)) {
          failures.push({ route: routeName(route), request, status, cause: cause || text });
        }
      }
    }
    process.stdout.write(
      `fuzzing: ${tried} requests over ${fuzzed.length} routes, ${failures.length} answered 5xx\n`,
    );
    expect(
      failures.map(({ route, request, status, cause }) => ({
        route,
        status,
        cause,
        request: JSON.stringify(request).slice(0, 400),
      })),
    ).toEqual([]);

    // Still alive and well, and nothing escaped the error filter.
    expect((await fetch(`${api.url}/api/health`)).status).toBe(200);
    const output = api.output();
    expect(output).not.toMatch(/Unhandled|unhandledRejection|uncaughtException/i);
    expect(output).not.toMatch(/\\n\s+at /);
  });

  it('answers a null in place of any one field of a real resource with a 4xx or as "none", never a 5xx', async () => {
    // Real resources of the admin's, so each field reaches the rules behind its route.
    const key = await createKey(api.url, admin.accessToken, { name: 'nulls' });
    const credential = await call<{ id: string }>(api.url, 'POST', '/api/provider-keys', {
      token: admin.accessToken,
      body: { provider: 'openai', name: 'nulls', apiKey: fakeKey('openai', 'good'), verify: false },
    });
    expect(credential.status).toBe(201);
    const member = await signUp(api.url, 'nulls');
    const idFor = (path: string): string =>
      path.startsWith('/api/api-keys/')
        ? key.id
        : path.startsWith('/api/provider-keys/')
          ? credential.body.id
          : path.startsWith('/api/admin/users/')
            ? member.userId
            : path.startsWith('/api/admin/plans/')
              ? 'nulls-plan'
              : 'key_01JDUMMY';
    const skipped = new Set(['POST /api/auth/logout', 'POST /api/auth/password']);
    const failures: string[] = [];
    let tried = 0;
    for (const route of routes) {
      const properties = Object.keys(
        (route.bodySchema && schemas[route.bodySchema]?.properties) ?? {},
      );
      if (skipped.has(routeName(route))) continue;
      const path = route.path.replace(/\{[^}]+\}/g, idFor(route.path));
      for (const property of properties) {
        const { status, text } = await send(route, {
          path,
          query: [],
          headers: {},
          auth: 'owner',
          body: JSON.stringify({ [property]: null }),
        });
        tried += 1;
        if (status >= 500) failures.push(`${routeName(route)} ${property}: ${status} ${text}`);
      }
    }
    process.stdout.write(`nulls: ${tried} requests, ${failures.length} answered 5xx\n`);
    expect(tried).toBeGreaterThan(40);
    expect(failures).toEqual([]);

    // Refused where the field has no "none", with the field's own message...
    const patchKey = (body: Record<string, unknown>) =>
      call<{ message: string; description: string | null }>(
        api.url,
        'PATCH',
        `/api/api-keys/${key.id}`,
        { token: admin.accessToken, body },
      );
    const noScopes = await patchKey({ scopes: null });
    expect(noScopes.status).toBe(400);
    expect(noScopes.body.message).toMatch(/scopes/);
    // ...and taken as "none" where it has one.
    expect((await patchKey({ description: 'described' })).body.description).toBe('described');
    const cleared = await patchKey({ description: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.description).toBeNull();
  });
});
