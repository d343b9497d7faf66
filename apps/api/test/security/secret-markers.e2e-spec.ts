import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  PROVIDER_IDS,
  type CreatedApiKeyResponse,
  type LoginResponse,
  type ProviderId,
  type ProviderInfo,
  type ProviderKeyResponse,
  type RegeneratedApiKeyResponse,
  type WebhookTestResponse,
  type WebhookWithSecretResponse,
} from '@keyward/shared';
import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { checksumOf } from '../../src/keys/key-format.js';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { createScratchDatabase, queryDatabase } from '../support/database.js';
import {
  keyCarrying,
  startFakeUpstream,
  type FakeUpstream,
  type Marker,
} from '../support/fake-upstream.js';
import { call, refreshCookie, uniqueEmail, type RequestOptions } from '../support/http.js';

/**
 * Unique marker strings stand in for every kind of secret Keyward handles (operator settings,
 * passwords, provider keys, API keys, webhook secrets); every flow that touches them runs at trace
 * level, including provider errors that echo a key. Then the process output, every response, the
 * metrics, every database row and the process's Redis keys are searched for each marker in every
 * form it could plausibly leak in. A secret shown once may appear in that one response only.
 */

const digits = (count: number): string =>
  Array.from({ length: count }, () => randomInt(10)).join('');
/** `KWMARK<LABEL><digits>`: no lowercase, so no word the fake upstream reacts to. */
const markerCore = (label: string, length = 28): string =>
  `KWMARK${label}${digits(length - 6 - label.length)}`;

interface Secret {
  label: string;
  value: string;
  /** The value and its encodings: any of them appearing is a leak. */
  forms: string[];
}

function formsOf(value: string, cores: string[]): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    value,
    ...cores,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
  return [...new Set(forms)];
}

/** One thing searched: a response, the log, a table, the metrics text. */
interface Sink {
  label: string;
  text: string;
  /** Labels of secrets this sink may carry (the response that shows a secret once). */
  allows: string[];
}

interface Receiver {
  url: string;
  received: string[];
  stop(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      received.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${raw}`);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Every value under the process's Redis prefix, as text. */
async function redisDump(url: string, prefix: string): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: unknown;
        if (type === 'string') value = await redis.get(key);
        else if (type === 'hash') value = await redis.hgetall(key);
        else if (type === 'set') value = await redis.smembers(key);
        else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
        else if (type === 'list') value = await redis.lrange(key, 0, -1);
        else value = `(${type})`;
        out.push(`${key} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
    return out;
  } finally {
    redis.disconnect();
  }
}

const CHAT_PROVIDERS: ProviderId[] = PROVIDER_IDS.filter((id) => id !== 'runway');

describe('secrets never leak', () => {
  const secrets = new Map<string, Secret>();
  const sinks: Sink[] = [];
  const flows = new Set<string>();
  /** Set once every flow ran and every store was read. */
  let collected = false;
  let upstream: FakeUpstream;
  let receiver: Receiver;
  let api: ApiProcess;
  let redisUrl: string | undefined;
  let scratch: { url: string; drop(): Promise<void> } | undefined;

  /** Registers a secret; `cores` are distinctive parts worth finding on their own. */
  const secret = (label: string, value: string, cores: string[] = []): string => {
    secrets.set(label, { label, value, forms: formsOf(value, cores) });
    return value;
  };
  const marker = (label: string, length?: number): string => {
    const value = markerCore(label, length);
    return secret(label, value);
  };
  const providerKey = (label: string, provider: ProviderId, behaviour: Marker): string => {
    const core = markerCore(label);
    return secret(label, keyCarrying(provider, behaviour, core), [core]);
  };
  /** A key or webhook secret the API made: a secret from the moment it is shown. */
  const shown = (label: string, value: string): string => {
    const tail = value.slice(value.indexOf('_') + 1);
    return secret(label, value, tail.length >= 20 ? [tail.slice(0, 32)] : []);
  };

  /** Sends a request and keeps its whole answer (status, headers, body) for the search. */
  const send = async <T = unknown>(
    flow: string,
    method: string,
    path: string,
    options: RequestOptions = {},
    allows: string[] = [],
  ) => {
    flows.add(flow);
    const result = await call<T>(api.url, method, path, options);
    const headers = [...result.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    sinks.push({
      label: `${flow}: ${method} ${path} → ${result.status}`,
      text: `${result.status}\n${headers}\n\n${result.text}`,
      allows,
    });
    return result;
  };
  const expectStatus = (result: { status: number; text: string }, status: number): void => {
    if (result.status !== status) {
      throw new Error(`expected ${status}, got ${result.status}: ${result.text.slice(0, 500)}`);
    }
  };

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    receiver = await startReceiver();
    const encryptionKey = markerCore('ENC', 32);
    const encryptionKeyBase64 = Buffer.from(encryptionKey).toString('base64');
    secret('ENCRYPTION_KEYS', encryptionKeyBase64, [encryptionKey]);
    const env: Record<string, string> = {
      ...upstream.envFor(),
      LOG_LEVEL: 'trace',
      JWT_SECRET: marker('JWT', 40),
      ADMIN_PASSWORD: marker('ADMINPW'),
      METRICS_TOKEN: marker('METRICS'),
      LEAK_REPORT_TOKEN: marker('LEAKTOKEN'),
      ENCRYPTION_KEYS: `v7:${encryptionKeyBase64}`,
      PROVIDER_VERIFY_TIMEOUT_MS: '3000',
    };
    // The database and Redis passwords: PostgreSQL here trusts local connections and Redis's
    // default user takes any password, so a marker there is accepted and must stay unprinted.
    if (process.env.TEST_DATABASE_URL) {
      // A database of its own: the first admin is created with the marker password only in an
      // empty one, and every row read back afterwards is this test's.
      scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL);
      const url = new URL(scratch.url);
      url.password = marker('DBPW');
      env.DATABASE_URL = url.toString();
    }
    if (process.env.TEST_REDIS_URL) {
      const url = new URL(process.env.TEST_REDIS_URL);
      url.username = 'default';
      url.password = marker('REDISPW');
      redisUrl = url.toString();
      env.REDIS_URL = redisUrl;
    }
    // PGlite's first start (migrations) is slow on a busy machine.
    // The data directory outlives the process: the embedded database is read after the stop.
    api = await startApi({ env, startTimeoutMs: 90_000, cleanup: false });
  });

  afterAll(async () => {
    // Jest runs this even when the start failed.
    const started = api as ApiProcess | undefined;
    if (started) {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        await started.stop();
      }
      rmSync(started.dataDir, { recursive: true, force: true });
    }
    await upstream.stop();
    await receiver.stop();
    await scratch?.drop();
  });

  it('runs every secret-bearing flow', async () => {
    // Passwords: registration, logins right and wrong, a change, a refused oversize one.
    const email = uniqueEmail('markers');
    const password = `${marker('PW')} p@ss/wörd+?&=`;
    secret('PW', password, [password.slice(0, 28)]);
    expectStatus(
      await send('register', 'POST', '/api/auth/register', { body: { email, password } }),
      201,
    );
    const tooLong = marker('LONGPW', 300);
    expectStatus(
      await send('register refused', 'POST', '/api/auth/register', {
        body: { email: uniqueEmail('long'), password: tooLong },
      }),
      400,
    );
    expectStatus(
      await send('login', 'POST', '/api/auth/login', { body: { email, password } }),
      200,
    );
    const wrong = marker('WRONGPW');
    expectStatus(
      await send('failed login', 'POST', '/api/auth/login', { body: { email, password: wrong } }),
      401,
    );
    let login = await send<LoginResponse>('login', 'POST', '/api/auth/login', {
      body: { email, password },
    });
    const newPassword = marker('NEWPW');
    expectStatus(
      await send('change password refused', 'POST', '/api/auth/password', {
        token: login.body.accessToken,
        body: { currentPassword: wrong, newPassword },
      }),
      403,
    );
    expectStatus(
      await send('change password', 'POST', '/api/auth/password', {
        token: login.body.accessToken,
        body: { currentPassword: password, newPassword },
      }),
      204,
    );
    login = await send<LoginResponse>('login', 'POST', '/api/auth/login', {
      body: { email, password: newPassword },
    });
    expectStatus(login, 200);
    const token = login.body.accessToken;
    const cookie = refreshCookie(login);

    const adminEmail = api.env.ADMIN_EMAIL ?? '';
    expectStatus(
      await send('admin login', 'POST', '/api/auth/login', {
        body: { email: adminEmail, password: api.env.ADMIN_PASSWORD },
      }),
      200,
    );
    expectStatus(
      await send('failed admin login', 'POST', '/api/auth/login', {
        body: { email: adminEmail, password: marker('WRONGADMIN') },
      }),
      401,
    );

    // Provider credentials: one working key per provider, verified, tested and one replaced.
    const catalogue = await send<ProviderInfo[]>('catalogue', 'GET', '/api/providers', { token });
    const chatModel = (provider: ProviderId): string => {
      const info = catalogue.body.find((entry) => entry.id === provider);
      const model = info?.models.find((candidate) => candidate.capabilities.includes('chat'));
      if (!model) throw new Error(`no chat model for ${provider}`);
      return model.id;
    };
    const credentialIds: string[] = [];
    for (const provider of PROVIDER_IDS) {
      const added = await send<ProviderKeyResponse>(
        'add provider key',
        'POST',
        '/api/provider-keys',
        {
          token,
          body: {
            provider,
            name: `${provider} marker`,
            apiKey: providerKey(`PK${provider.toUpperCase()}`, provider, 'good'),
          },
        },
      );
      expectStatus(added, 201);
      expect(added.body.status).toBe('valid');
      credentialIds.push(added.body.id);
      expectStatus(
        await send('test provider key', 'POST', `/api/provider-keys/${added.body.id}/test`, {
          token,
        }),
        200,
      );
    }
    expectStatus(
      await send('replace provider key', 'PUT', `/api/provider-keys/${credentialIds[0]}`, {
        token,
        body: { apiKey: providerKey('PKREPLACED', 'openai', 'good') },
      }),
      200,
    );
    await send('list provider keys', 'GET', '/api/provider-keys', { token });
    await send('provider status', 'GET', '/api/providers/status', { token });

    // Keys the providers refuse, echoing them whole in their error (as OpenAI does), through
    // verification and the test route.
    const echoLogin = await registerAndLogin('echo');
    for (const provider of PROVIDER_IDS) {
      const added = await send<ProviderKeyResponse>(
        'add refused provider key',
        'POST',
        '/api/provider-keys',
        {
          token: echoLogin,
          body: {
            provider,
            name: `${provider} echo`,
            apiKey: providerKey(`PKECHO${provider.toUpperCase()}`, provider, 'echo'),
          },
        },
      );
      expectStatus(added, 201);
      expect(added.body.status).toBe('invalid');
      await send('test refused provider key', 'POST', `/api/provider-keys/${added.body.id}/test`, {
        token: echoLogin,
      });
    }

    // API keys: created (shown once), used, regenerated (shown once), revoked, and wrong ones.
    const created = await send<CreatedApiKeyResponse>(
      'create API key',
      'POST',
      '/api/api-keys',
      { token, body: { name: 'markers', preset: 'full_access' } },
      ['APIKEY'],
    );
    expectStatus(created, 201);
    const apiKey = shown('APIKEY', created.body.key);
    expectStatus(
      await send('whoami', 'GET', '/v1/whoami', { headers: { 'x-api-key': apiKey } }),
      200,
    );
    for (const provider of CHAT_PROVIDERS) {
      const model = chatModel(provider);
      const messages = [{ role: 'user', content: 'hello markers' }];
      const body =
        provider === 'anthropic' ? { model, messages, max_tokens: 50 } : { model, messages };
      expectStatus(
        await send('chat', 'POST', '/v1/chat/completions', {
          headers: { 'x-api-key': apiKey },
          body,
        }),
        200,
      );
      expectStatus(
        await send('streamed chat', 'POST', '/v1/chat/completions', {
          token: apiKey,
          body: { ...body, stream: true, stream_options: { include_usage: true } },
        }),
        200,
      );
    }
    const regenerated = await send<RegeneratedApiKeyResponse>(
      'regenerate API key',
      'POST',
      `/api/api-keys/${created.body.id}/regenerate`,
      { token, body: { gracePeriodSeconds: 0 } },
      ['APIKEY2'],
    );
    expectStatus(regenerated, 200);
    const apiKey2 = shown('APIKEY2', regenerated.body.key);
    expectStatus(
      await send('replaced API key', 'GET', '/v1/whoami', { headers: { 'x-api-key': apiKey } }),
      401,
    );
    expectStatus(await send('whoami', 'GET', '/v1/whoami', { token: apiKey2 }), 200);
    await send('list API keys', 'GET', '/api/api-keys', { token });
    expectStatus(
      await send('revoke API key', 'DELETE', `/api/api-keys/${created.body.id}`, { token }),
      204,
    );
    for (const presented of [
      apiKey2,
      marker('WRONGKEY', 40),
      secret('WELLFORMED', wellFormedKey(markerCore('WELLFORMED', 32))),
    ]) {
      expectStatus(
        await send('refused API key', 'GET', '/v1/whoami', { headers: { 'x-api-key': presented } }),
        401,
      );
      expectStatus(
        await send('refused API key', 'POST', '/v1/chat/completions', {
          token: presented,
          body: { model: chatModel('openai'), messages: [{ role: 'user', content: 'x' }] },
        }),
        401,
      );
    }

    // Secrets where they do not belong: in a query string, on an unknown route, in a body that is
    // not JSON, in a header a console route does not read.
    const misplaced = marker('QUERYKEY');
    for (const name of ['api_key', 'key', 'token', 'access_token', 'password']) {
      await send('key in the query string', 'GET', `/v1/whoami?${name}=${misplaced}`);
      await send('key on an unknown route', 'GET', `/v1/nowhere?${name}=${misplaced}`);
    }
    const inPath = secret('PATHKEY', wellFormedKey(markerCore('PATHKEY', 32)));
    await send('key in the path', 'GET', `/api/api-keys/${inPath}`, { token });
    await send('key under another query name', 'GET', `/api/api-keys?q=${inPath}`, { token });
    const unparsable = marker('BADJSONPW');
    for (const rawBody of [
      `{"email":"${email}","password":"${unparsable}"`,
      `{"email":"${email}","password":"${unparsable}",}`,
      `password=${unparsable}`,
    ]) {
      const refused = await send('body that is not JSON', 'POST', '/api/auth/login', {
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(refused.status).toBe(400);
    }
    await send('key on a console route', 'GET', '/api/api-keys', {
      headers: { 'x-api-key': misplaced },
    });

    // Chat through credentials the provider refuses with the key in its error, plain and streamed.
    const echoChatToken = await registerAndLogin('echochat');
    for (const provider of CHAT_PROVIDERS) {
      expectStatus(
        await send('add unverified provider key', 'POST', '/api/provider-keys', {
          token: echoChatToken,
          body: {
            provider,
            name: `${provider} echo chat`,
            apiKey: providerKey(`PKCHAT${provider.toUpperCase()}`, provider, 'echo'),
            verify: false,
          },
        }),
        201,
      );
    }
    const echoCreated = await send<CreatedApiKeyResponse>(
      'create API key',
      'POST',
      '/api/api-keys',
      { token: echoChatToken, body: { name: 'echo chat', preset: 'full_access' } },
      ['ECHOAPIKEY'],
    );
    const echoKey = shown('ECHOAPIKEY', echoCreated.body.key);
    for (const provider of CHAT_PROVIDERS) {
      const model = chatModel(provider);
      const messages = [{ role: 'user', content: 'hello' }];
      const body =
        provider === 'anthropic' ? { model, messages, max_tokens: 50 } : { model, messages };
      const plain = await send('chat refused upstream', 'POST', '/v1/chat/completions', {
        headers: { 'x-api-key': echoKey },
        body,
      });
      expect(plain.status).toBeGreaterThanOrEqual(400);
      const streamed = await send(
        'streamed chat refused upstream',
        'POST',
        '/v1/chat/completions',
        {
          headers: { 'x-api-key': echoKey },
          body: { ...body, stream: true },
        },
      );
      expect(streamed.status).toBeGreaterThanOrEqual(400);
    }

    // The webhook: its secret is shown when set and when rotated, and signs test deliveries.
    const set = await send<WebhookWithSecretResponse>(
      'set webhook',
      'PUT',
      '/api/settings/webhook',
      { token, body: { url: `${receiver.url}/hook` } },
      ['WEBHOOK'],
    );
    expectStatus(set, 200);
    shown('WEBHOOK', set.body.secret);
    const tested = await send<WebhookTestResponse>(
      'test webhook',
      'POST',
      '/api/settings/webhook/test',
      {
        token,
      },
    );
    expect(tested.body.delivered).toBe(true);
    const rotated = await send<WebhookWithSecretResponse>(
      'rotate webhook secret',
      'POST',
      '/api/settings/webhook/rotate-secret',
      { token },
      ['WEBHOOK2'],
    );
    expectStatus(rotated, 200);
    shown('WEBHOOK2', rotated.body.secret);
    expect(
      (
        await send<WebhookTestResponse>('test webhook', 'POST', '/api/settings/webhook/test', {
          token,
        })
      ).body.delivered,
    ).toBe(true);
    await send('get webhook', 'GET', '/api/settings/webhook', { token });

    // A leak report quoting a key: the scanner's protocol has the answer repeat the token it sent.
    const leaked = await send<CreatedApiKeyResponse>(
      'create API key',
      'POST',
      '/api/api-keys',
      { token, body: { name: 'to leak', preset: 'full_access' } },
      ['LEAKEDKEY'],
    );
    const leakedKey = shown('LEAKEDKEY', leaked.body.key);
    const report = [
      {
        token: leakedKey,
        type: 'keyward_api_key',
        url: 'https://github.com/o/r',
        source: 'content',
      },
    ];
    expectStatus(
      await send(
        'leak report',
        'POST',
        '/api/leaks',
        { body: report, headers: { authorization: `Bearer ${api.env.LEAK_REPORT_TOKEN}` } },
        ['LEAKEDKEY'],
      ),
      200,
    );
    expectStatus(
      await send('refused leak report', 'POST', '/api/leaks', {
        body: report,
        headers: { authorization: `Bearer ${marker('WRONGLEAK')}` },
      }),
      401,
    );
    await send('notifications', 'GET', '/api/notifications?pageSize=100', { token });
    await send('audit log', 'GET', '/api/audit?pageSize=100', { token });
    await send('usage', 'GET', '/api/usage/summary', { token });

    // Metrics, with the token and a wrong one.
    const metrics = await send('metrics', 'GET', '/metrics', { token: api.env.METRICS_TOKEN });
    expectStatus(metrics, 200);
    expectStatus(
      await send('refused metrics', 'GET', '/metrics', { token: marker('WRONGMETRICS') }),
      401,
    );

    // The session ends: refresh, logout, refresh after logout.
    const refreshed = await send('refresh', 'POST', '/api/auth/refresh', { cookie });
    expectStatus(refreshed, 200);
    const latest = refreshCookie(refreshed) ?? cookie;
    expectStatus(await send('logout', 'POST', '/api/auth/logout', { cookie: latest }), 204);
    expectStatus(
      await send('refresh after logout', 'POST', '/api/auth/refresh', { cookie: latest }),
      401,
    );

    // Flows the brief of each secret needs really happened.
    expect(receiver.received).toHaveLength(2);
    const upstreamSaw = JSON.stringify(upstream.requests.map((request) => request.headers));
    for (const label of secrets.keys()) {
      if (label.startsWith('PK')) expect(upstreamSaw).toContain(secrets.get(label)?.value);
    }

    // The stores, once everything is written: Redis while the process runs, then the database
    // after a clean stop (buffers flushed; the embedded database admits one process).
    if (redisUrl) {
      const prefix = api.env.REDIS_KEY_PREFIX ?? '';
      const values = await redisDump(redisUrl, prefix);
      sinks.push({ label: `Redis under ${prefix}`, text: values.join('\n'), allows: [] });
    }
    expect(await api.stop()).toBe(0);
    sinks.push({ label: 'process output', text: api.output(), allows: [] });
    sinks.push({
      label: 'webhook deliveries received',
      text: receiver.received.join('\n'),
      allows: [],
    });
    const tables = await queryDatabase<{ name: string }>(
      api,
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining([
        'audit_events',
        'usage_events',
        'notifications',
        'webhook_deliveries',
      ]),
    );
    for (const { name } of tables) {
      const rows = await queryDatabase<{ row: string }>(
        api,
        `SELECT t::text AS row FROM "${name}" t`,
      );
      sinks.push({ label: `table ${name}`, text: rows.map((r) => r.row).join('\n'), allows: [] });
    }
    collected = true;
  });

  async function registerAndLogin(label: string): Promise<string> {
    const email = uniqueEmail(label);
    const password = marker(`PW${label.toUpperCase()}`);
    await send('register', 'POST', '/api/auth/register', { body: { email, password } });
    const login = await send<LoginResponse>('login', 'POST', '/api/auth/login', {
      body: { email, password },
    });
    expectStatus(login, 200);
    return login.body.accessToken;
  }

  it('finds no marker anywhere but in the one response that shows it', () => {
    expect(collected).toBe(true);
    const leaks: string[] = [];
    for (const sink of sinks) {
      for (const entry of secrets.values()) {
        if (sink.allows.includes(entry.label)) continue;
        const form = entry.forms.find((candidate) => sink.text.includes(candidate));
        if (form !== undefined) leaks.push(`${entry.label} in ${sink.label} (as "${form}")`);
      }
    }
    expect(leaks).toEqual([]);

    // The shown-once responses do carry their secret: the search would have found it.
    for (const sink of sinks) {
      for (const label of sink.allows) {
        expect(sink.text).toContain(secrets.get(label)?.value);
      }
    }
    const bytes = sinks.reduce((sum, sink) => sum + Buffer.byteLength(sink.text), 0);
    const forms = [...secrets.values()].reduce((sum, entry) => sum + entry.forms.length, 0);
    console.log(
      `secret markers: ${secrets.size} secrets (${forms} forms) over ${flows.size} flows, ` +
        `${sinks.filter((sink) => sink.label.includes('→')).length} responses, ` +
        `${sinks.filter((sink) => sink.label.startsWith('table ')).length} tables, ` +
        `${(bytes / 1024).toFixed(0)} KiB searched; 0 found`,
    );
  });
});

/** A key of Keyward's exact shape and checksum carrying a marker, that no account holds. */
function wellFormedKey(core: string): string {
  const body = `kw_${core}`;
  return body + checksumOf(body);
}
