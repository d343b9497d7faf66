import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DAY_MS,
  type ApiKeyUsageResponse,
  type ErrorBody,
  type KeyUsageResponse,
  type Page,
  type UsageBreakdownResponse,
  type UsageDailyResponse,
  type UsageEventResponse,
  type UsageSummaryResponse,
} from '@keyward/shared';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startApi, type ApiProcess } from './support/api-process.js';
import { queryDatabase } from './support/database.js';
import { expectedReply, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { eventually, gatewayUser, type GatewayUser } from './support/gateway.js';
import { call, signIn, signUp, type SignedIn } from './support/http.js';
import { createKey, withKey } from './support/keys.js';

/** gpt-4o-mini's catalogue prices, in micro-dollars per token. */
const PRICE = { input: 0.15, output: 0.6 };
const costOf = (input: number, output: number): number =>
  Math.ceil(input * PRICE.input + output * PRICE.output - 1e-9);
const prompt = (words: number): string =>
  Array.from({ length: words }, (_, index) => `w${index}`).join(' ');
const utcDay = (time: Date): string => time.toISOString().slice(0, 10);
/** A user agent a spreadsheet would run as a formula, with a comma and quotes to escape too. */
const EVIL_AGENT = '=HYPERLINK("http://evil.test","open"),x';
const CHAT = 'POST /v1/chat/completions';
const MODELS = 'GET /v1/models';
const MODEL = 'openai/gpt-4o-mini';
/** More events than the export reads per batch (1,000). */
const BURST = 2_345;

/** RFC 4180 reader for the export: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index++;
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

interface Traffic {
  user: GatewayUser;
  /** A second key of the same user, with a budget and its own rate limit. */
  second: { key: string; id: string };
  inputTokens: number;
  outputTokens: number;
  cost: number;
  secondCost: number;
  secondTokens: { input: number; output: number };
}

describe('usage analytics', () => {
  let upstream: FakeUpstream;
  let api: ApiProcess;
  let traffic: Traffic;
  let stranger: GatewayUser;

  const get = <T>(who: SignedIn | string, path: string) =>
    call<T & ErrorBody>(
      api.url,
      'GET',
      path,
      typeof who === 'string' ? { headers: withKey(who) } : { token: who.accessToken },
    );
  const chat = (key: string, words: number, headers: Record<string, string> = {}) =>
    call(api.url, 'POST', '/v1/chat/completions', {
      headers: { ...withKey(key), ...headers },
      body: { model: MODEL, messages: [{ role: 'user', content: prompt(words) }] },
    });
  const expectedFor = (words: number) =>
    expectedReply({ messages: [{ role: 'user', content: prompt(words) }] });
  const events = (who: SignedIn, query: string) =>
    get<Page<UsageEventResponse>>(who, `/api/usage/events?${query}`);

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    api = await startApi({ env: { ...upstream.envFor(), USAGE_FLUSH_INTERVAL_MS: '100' } });

    // Known traffic: three requests by the first key (one refused as malformed, one with a
    // hostile user agent), three by the second (one listing models).
    const user = await gatewayUser(api, { openai: 'good' });
    const second = await createKey(api.url, user.accessToken, {
      name: 'second',
      monthlyBudgetMicros: 1_000,
      rateLimit: { limit: 500, windowSeconds: 60 },
    });
    let inputTokens = 0;
    let outputTokens = 0;
    let cost = 0;
    let secondCost = 0;
    const secondTokens = { input: 0, output: 0 };
    for (const [key, words, headers] of [
      [user.key, 3, {}],
      [user.key, 5, { 'user-agent': EVIL_AGENT }],
      [second.key, 8, {}],
      [second.key, 13, {}],
    ] as const) {
      expect((await chat(key, words, headers)).status).toBe(200);
      const expected = expectedFor(words);
      const price = costOf(expected.promptTokens, expected.completionTokens);
      inputTokens += expected.promptTokens;
      outputTokens += expected.completionTokens;
      cost += price;
      if (key === second.key) {
        secondCost += price;
        secondTokens.input += expected.promptTokens;
        secondTokens.output += expected.completionTokens;
      }
    }
    const refused = await call(api.url, 'POST', '/v1/chat/completions', {
      headers: withKey(user.key),
      body: { model: MODEL, messages: [] },
    });
    expect(refused.status).toBe(400);
    expect((await get(second.key, '/v1/models')).status).toBe(200);
    traffic = {
      user,
      second: { key: second.key, id: second.id },
      inputTokens,
      outputTokens,
      cost,
      secondCost,
      secondTokens,
    };
    // Another user, with traffic of their own that must never show up in the first one's numbers.
    stranger = await gatewayUser(api, { openai: 'good' });
    expect((await chat(stranger.key, 2)).status).toBe(200);
    await eventually(
      () => get<UsageSummaryResponse>(user, '/api/usage/summary?days=1'),
      (r) => r.body.totals.requests === 6,
    );
    await eventually(
      () => get<UsageSummaryResponse>(stranger, '/api/usage/summary?days=1'),
      (r) => r.body.totals.requests === 1,
    );
  });
  afterAll(async () => {
    await api.stop();
    await upstream.stop();
  });

  it('sums the traffic in the summary, with this month against the plan', async () => {
    const { user, cost, inputTokens, outputTokens } = traffic;
    const summary = await get<UsageSummaryResponse>(user, '/api/usage/summary?days=7');
    expect(summary.status).toBe(200);
    expect(summary.body.days).toBe(7);
    expect(summary.body.totals).toMatchObject({
      requests: 6,
      successes: 5,
      successRate: 5 / 6,
      inputTokens,
      outputTokens,
      costMicros: cost,
    });
    const all = await events(user, 'pageSize=100');
    const latency = all.body.items.reduce((sum, event) => sum + event.latencyMs, 0);
    expect(summary.body.totals.averageLatencyMs).toBe(Math.round(latency / 6));
    // Four admitted generation requests count against the plan; the refused one and the model
    // list do not. Cost counts all.
    const nextMonth = new Date();
    nextMonth.setUTCDate(1);
    nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
    expect(summary.body.month).toEqual({
      planId: 'free',
      planName: 'Free',
      resetsAt: `${utcDay(nextMonth)}T00:00:00.000Z`,
      requests: { used: 4, limit: 1000, percent: 0.4 },
      costMicros: {
        used: cost,
        limit: 5_000_000,
        percent: Math.round((cost / 5_000_000) * 1000) / 10,
      },
    });
    // Defaults to 30 days.
    const byDefault = await get<UsageSummaryResponse>(user, '/api/usage/summary');
    expect(byDefault.body.days).toBe(30);
    expect(byDefault.body.totals.requests).toBe(6);
  });

  it('gives a point for every day, zero-filled, and narrows to one key', async () => {
    const { user, second, secondCost, secondTokens } = traffic;
    const daily = await get<UsageDailyResponse>(user, '/api/usage/daily?days=7');
    expect(daily.status).toBe(200);
    expect(daily.body.keyId).toBeNull();
    const days = Array.from({ length: 7 }, (_, index) =>
      utcDay(new Date(Date.now() - (6 - index) * DAY_MS)),
    );
    expect(daily.body.points.map((point) => point.day)).toEqual(days);
    for (const point of daily.body.points.slice(0, 6)) {
      expect(point).toMatchObject({ requests: 0, successes: 0, costMicros: 0, successRate: 1 });
    }
    expect(daily.body.points[6]).toMatchObject({ requests: 6, successes: 5 });

    const ninety = await get<UsageDailyResponse>(user, '/api/usage/daily?days=90');
    expect(ninety.body.points).toHaveLength(90);

    const one = await get<UsageDailyResponse>(user, `/api/usage/daily?days=7&keyId=${second.id}`);
    expect(one.body.keyId).toBe(second.id);
    expect(one.body.points.at(-1)).toMatchObject({
      requests: 3,
      successes: 3,
      inputTokens: secondTokens.input,
      outputTokens: secondTokens.output,
      costMicros: secondCost,
    });
  });

  it('breaks usage down by route and by model, from the rollups', async () => {
    const { user, cost } = traffic;
    const endpoints = await get<UsageBreakdownResponse>(user, '/api/usage/endpoints?days=7');
    expect(endpoints.status).toBe(200);
    expect(endpoints.body.rows.map((row) => [row.name, row.requests, row.successes])).toEqual([
      [CHAT, 5, 4],
      [MODELS, 1, 1],
    ]);
    expect(endpoints.body.rows[0]?.costMicros).toBe(cost);

    const models = await get<UsageBreakdownResponse>(user, '/api/usage/models?days=7');
    expect(models.status).toBe(200);
    const all = await events(user, 'pageSize=100');
    const withModel = all.body.items.filter((event) => event.model === MODEL);
    expect(models.body.rows).toHaveLength(1);
    expect(models.body.rows[0]).toMatchObject({
      name: MODEL,
      requests: withModel.length,
      costMicros: cost,
    });
    expect(withModel.length).toBeGreaterThanOrEqual(4);
  });

  it('narrows the summary and both breakdowns to one key; the plan stays whole', async () => {
    const { user, second, secondCost, secondTokens } = traffic;
    const summary = await get<UsageSummaryResponse>(
      user,
      `/api/usage/summary?days=7&keyId=${second.id}`,
    );
    expect(summary.body.keyId).toBe(second.id);
    expect(summary.body.totals).toMatchObject({
      requests: 3,
      successes: 3,
      inputTokens: secondTokens.input,
      outputTokens: secondTokens.output,
      costMicros: secondCost,
    });
    expect(summary.body.month.requests.used).toBe(4);
    const endpoints = await get<UsageBreakdownResponse>(
      user,
      `/api/usage/endpoints?days=7&keyId=${second.id}`,
    );
    expect(endpoints.body.keyId).toBe(second.id);
    expect(endpoints.body.rows.map((row) => [row.name, row.requests])).toEqual([
      [CHAT, 2],
      [MODELS, 1],
    ]);
    const models = await get<UsageBreakdownResponse>(
      user,
      `/api/usage/models?days=7&keyId=${second.id}`,
    );
    expect(models.body.rows.map((row) => [row.name, row.requests, row.costMicros])).toEqual([
      [MODEL, 2, secondCost],
    ]);
  });

  it('pages, filters and sorts raw events', async () => {
    const { user, second } = traffic;
    const first = await events(user, 'pageSize=4');
    expect(first.body).toMatchObject({ page: 1, pageSize: 4, total: 6 });
    expect(first.body.items).toHaveLength(4);
    const rest = await events(user, 'pageSize=4&page=2');
    expect(rest.body.items).toHaveLength(2);
    const ids = [...first.body.items, ...rest.body.items].map((event) => event.id);
    expect(new Set(ids).size).toBe(6);
    // Newest first by default.
    const times = first.body.items.map((event) => event.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await events(user, '')).body.pageSize).toBe(50);

    const byKey = await events(user, `keyId=${second.id}`);
    expect(byKey.body.total).toBe(3);
    expect(byKey.body.items.every((event) => event.keyId === second.id)).toBe(true);
    expect((await events(user, `route=${encodeURIComponent(MODELS)}`)).body.total).toBe(1);
    expect((await events(user, `model=${encodeURIComponent(MODEL)}&status=2xx`)).body.total).toBe(
      4,
    );
    expect((await events(user, 'status=400')).body.items.map((e) => e.errorCode)).toEqual([
      'validation_failed',
    ]);
    expect((await events(user, 'status=4xx')).body.total).toBe(1);
    expect((await events(user, 'status=2xx')).body.total).toBe(5);
    expect((await events(user, 'status=5xx')).body.total).toBe(0);
    expect((await events(user, 'success=false')).body.total).toBe(1);
    expect((await events(user, 'success=true')).body.total).toBe(5);

    const hourAhead = new Date(Date.now() + 3_600_000).toISOString();
    const dayAgo = new Date(Date.now() - DAY_MS).toISOString();
    expect((await events(user, `from=${hourAhead}`)).body.total).toBe(0);
    expect((await events(user, `from=${dayAgo}&to=${hourAhead}`)).body.total).toBe(6);
    expect((await events(user, `to=${dayAgo}`)).body.total).toBe(0);

    const sorted = async (sort: string, order: string, value: (e: UsageEventResponse) => number) =>
      (await events(user, `sort=${sort}&order=${order}`)).body.items.map(value);
    const tokens = await sorted('tokens', 'desc', (e) => e.inputTokens + e.outputTokens);
    expect(tokens).toEqual([...tokens].sort((a, b) => b - a));
    expect(tokens[0]).toBeGreaterThan(0);
    const costs = await sorted('cost', 'asc', (e) => e.costMicros);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
    const latencies = await sorted('latency', 'desc', (e) => e.latencyMs);
    expect(latencies).toEqual([...latencies].sort((a, b) => b - a));
    const oldest = await events(user, 'sort=time&order=asc');
    expect(oldest.body.items.map((e) => e.occurredAt)).toEqual(
      [...oldest.body.items.map((e) => e.occurredAt)].sort(),
    );

    // The page size is capped, and so is how deep OFFSET paging may reach.
    expect((await events(user, 'pageSize=101')).status).toBe(400);
    expect((await events(user, 'pageSize=100&page=101')).status).toBe(400);
    expect((await events(user, 'pageSize=100&page=100')).status).toBe(200);
  });

  it('exports a range as a streamed CSV file, escaped and defused', async () => {
    const { user, second } = traffic;
    const from = new Date(Date.now() - DAY_MS).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const csv = await get<string>(user, `/api/usage/export.csv?from=${from}&to=${to}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="keyward-usage-${from.slice(0, 10)}-${to.slice(0, 10)}.csv"`,
    );
    const rows = parseCsv(csv.text);
    const header = rows[0] ?? [];
    expect(header.slice(0, 6)).toEqual([
      'id',
      'occurred_at',
      'key_id',
      'route',
      'method',
      'status',
    ]);
    expect(rows).toHaveLength(7);
    const column = (name: string) => header.indexOf(name);
    const listed = await events(user, 'sort=time&order=asc');
    // Oldest first, the same events the list shows, with the same numbers.
    expect(rows.slice(1).map((row) => row[column('id')])).toEqual(
      listed.body.items.map((e) => e.id),
    );
    expect(rows.slice(1).map((row) => Number(row[column('cost_micros')]))).toEqual(
      listed.body.items.map((e) => e.costMicros),
    );
    // The hostile user agent comes back as text: an apostrophe first, quotes doubled.
    const agents = rows.slice(1).map((row) => row[column('user_agent')]);
    expect(agents).toContain(`'${EVIL_AGENT}`);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.test"",""open""),x"`);
    const attempts = rows[1]?.[column('attempts')] ?? '';
    expect(JSON.parse(attempts)).toEqual(listed.body.items[0]?.attempts);

    const oneKey = await get<string>(
      user,
      `/api/usage/export.csv?from=${from}&to=${to}&keyId=${second.id}`,
    );
    expect(parseCsv(oneKey.text)).toHaveLength(4);

    const bad = async (query: string) => {
      const result = await get(user, `/api/usage/export.csv?${query}`);
      expect(result.status).toBe(400);
      expect(result.body.code).toBe('validation_failed');
    };
    await bad(`from=${to}&to=${from}`);
    await bad('from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z');
    await bad('from=yesterday&to=today');
    const year = await get(
      user,
      '/api/usage/export.csv?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(year.status).toBe(200);
  });

  it('exports up to now, back over the retention period, when from or to is left out', async () => {
    const { user } = traffic;
    const rangeOf = (response: { headers: Headers }): string =>
      /keyward-usage-(.+)\.csv/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? '';
    /** The file name's range for `to` = `time`, `from` = the default 365 days of retention before. */
    const retentionTo = (time: number): string =>
      `${utcDay(new Date(time - 365 * DAY_MS))}-${utcDay(new Date(time))}`;

    const before = Date.now();
    const everything = await get<string>(user, '/api/usage/export.csv');
    const after = Date.now();
    expect(everything.status).toBe(200);
    expect(parseCsv(everything.text)).toHaveLength(7);
    expect([retentionTo(before), retentionTo(after)]).toContain(rangeOf(everything));

    const sinceYesterday = new Date(Date.now() - DAY_MS).toISOString();
    const fromOnly = await get<string>(user, `/api/usage/export.csv?from=${sinceYesterday}`);
    expect(fromOnly.status).toBe(200);
    expect(parseCsv(fromOnly.text)).toHaveLength(7);
    expect(rangeOf(fromOnly)).toMatch(new RegExp(`^${sinceYesterday.slice(0, 10)}-`));

    // `from` counts back from a given `to`, not from now, so it never lands after it.
    const toOnly = await get<string>(user, '/api/usage/export.csv?to=2025-06-01T00:00:00Z');
    expect(toOnly.status).toBe(200);
    expect(parseCsv(toOnly.text)).toHaveLength(1);
    expect(rangeOf(toOnly)).toBe('2024-06-01-2025-06-01');

    // A default end is checked like a given one.
    const tooLong = await get(user, '/api/usage/export.csv?from=2020-01-01T00:00:00Z');
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'validation_failed']);
    expect(tooLong.body.message).toBe('from and to may be at most 366 days apart');
    const tomorrow = new Date(Date.now() + DAY_MS).toISOString();
    const future = await get(user, `/api/usage/export.csv?from=${tomorrow}`);
    expect([future.status, future.body.message]).toEqual([400, 'from must be before to']);
  });

  it("reads one key's usage, and a key reads its own month on /v1/usage", async () => {
    const { user, second, secondCost, secondTokens, cost } = traffic;
    const keyUsage = await get<ApiKeyUsageResponse>(
      user,
      `/api/api-keys/${second.id}/usage?days=30`,
    );
    expect(keyUsage.status).toBe(200);
    expect(keyUsage.body.keyId).toBe(second.id);
    expect(keyUsage.body.points).toHaveLength(30);
    expect(keyUsage.body.totals).toMatchObject({
      requests: 3,
      successes: 3,
      costMicros: secondCost,
    });
    expect(keyUsage.body.points.at(-1)?.requests).toBe(3);
    expect((await get(user, `/api/api-keys/${second.id}/usage`)).body).toMatchObject({ days: 30 });

    const own = await get<KeyUsageResponse>(second.key, '/v1/usage');
    expect(own.status).toBe(200);
    const now = new Date();
    expect(own.body).toMatchObject({
      keyId: second.id,
      period: {
        start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
        end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      },
      key: {
        // Every request of the key, the model list included.
        requests: 3,
        inputTokens: secondTokens.input,
        outputTokens: secondTokens.output,
        costMicros: secondCost,
        budget: {
          used: secondCost,
          limit: 1_000,
          percent: Math.round((secondCost / 1_000) * 1000) / 10,
        },
      },
      // The owner's plan counts billable requests of all their keys.
      plan: { planId: 'free', requests: { used: 4, limit: 1000 }, costMicros: { used: cost } },
      rateLimit: { limit: 500, windowSeconds: 60 },
    });

    // Scopes: /v1/usage needs usage:read, the key route keys:read; console tokens are no keys.
    const generateOnly = await createKey(api.url, user.accessToken, { preset: 'generate_only' });
    const refused = await get(generateOnly.key, '/v1/usage');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    expect((await get(user, '/v1/usage')).status).toBe(401);
    const usageOnly = await createKey(api.url, user.accessToken, { scopes: ['usage:read'] });
    expect((await get(usageOnly.key, '/api/usage/summary')).status).toBe(200);
    expect((await get(usageOnly.key, `/api/api-keys/${second.id}/usage`)).status).toBe(403);
    expect((await get(generateOnly.key, '/api/usage/summary')).status).toBe(403);
  });

  it("keeps users apart: another user's key is 404, their numbers never mix", async () => {
    const { user, second } = traffic;
    const mine = await get<UsageSummaryResponse>(stranger, '/api/usage/summary?days=7');
    expect(mine.body.totals.requests).toBe(1);
    const theirs = await events(stranger, 'pageSize=100');
    expect(theirs.body.total).toBe(1);
    expect(theirs.body.items[0]?.keyId).toBe(stranger.keyId);
    const fresh = await signUp(api.url, 'nobody');
    const empty = await get<UsageSummaryResponse>(fresh, '/api/usage/summary');
    expect(empty.body.totals).toMatchObject({ requests: 0, successRate: 1, averageLatencyMs: 0 });
    expect((await get<UsageBreakdownResponse>(fresh, '/api/usage/endpoints')).body.rows).toEqual(
      [],
    );

    const from = new Date(Date.now() - DAY_MS).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    for (const path of [
      `/api/usage/summary?keyId=${second.id}`,
      `/api/usage/endpoints?keyId=${second.id}`,
      `/api/usage/models?keyId=${second.id}`,
      `/api/usage/daily?keyId=${second.id}`,
      `/api/usage/events?keyId=${second.id}`,
      `/api/usage/export.csv?from=${from}&to=${to}&keyId=${second.id}`,
      `/api/api-keys/${second.id}/usage`,
      `/api/usage/daily?keyId=key_doesnotexist`,
    ]) {
      const result = await get(stranger, path);
      expect([path, result.status, result.body.code]).toEqual([path, 404, 'not_found']);
    }
    const strangerCsv = await get<string>(stranger, `/api/usage/export.csv?from=${from}&to=${to}`);
    expect(parseCsv(strangerCsv.text)).toHaveLength(2);
    expect(strangerCsv.text).not.toContain(user.keyId);
  });

  it('answers bad input with clear 400s', async () => {
    const { user } = traffic;
    for (const path of [
      '/api/usage/summary?days=0',
      '/api/usage/summary?days=366',
      '/api/usage/summary?days=abc',
      '/api/usage/summary?days=7&extra=1',
      '/api/usage/daily?days=6',
      '/api/usage/daily?days=91',
      '/api/usage/endpoints?days=-1',
      '/api/usage/models?days=1.5',
      '/api/usage/events?status=9xx',
      '/api/usage/events?status=42',
      '/api/usage/events?status=abcd',
      '/api/usage/events?sort=name',
      '/api/usage/events?order=up',
      '/api/usage/events?success=maybe',
      '/api/usage/events?from=yesterday',
      '/api/usage/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      '/api/usage/events?page=0',
      `/api/api-keys/${traffic.second.id}/usage?days=400`,
    ]) {
      const result = await get(user, path);
      expect([path, result.status, result.body.code]).toEqual([path, 400, 'validation_failed']);
      expect(result.body.message.length).toBeGreaterThan(0);
    }
    const daily = await get(user, '/api/usage/daily?days=6');
    expect(daily.body.message).toBe('days must be between 7 and 90');
    const status = await get(user, '/api/usage/events?status=9xx');
    expect(status.body.errors).toEqual([
      { field: 'status', messages: ['status must be an HTTP status (429) or a class (4xx)'] },
    ]);
  });
});

describe('usage retention', () => {
  it('purges raw events older than USAGE_RETENTION_DAYS and keeps the rollups', async () => {
    const upstream = await startFakeUpstream();
    const first = await startApi({
      env: { ...upstream.envFor(), USAGE_FLUSH_INTERVAL_MS: '100' },
      cleanup: false,
    });
    let restarted: ApiProcess | undefined;
    try {
      const user = await gatewayUser(first, { openai: 'good' });
      const today = await call(first.url, 'POST', '/v1/chat/completions', {
        headers: withKey(user.key),
        body: { model: MODEL, messages: [{ role: 'user', content: 'today' }] },
      });
      expect(today.status).toBe(200);
      await eventually(
        () =>
          call<UsageSummaryResponse>(first.url, 'GET', '/api/usage/summary?days=1', {
            token: user.accessToken,
          }),
        (r) => r.body.totals.requests === 1,
      );
      expect(await first.stop()).toBe(0);

      // Older traffic, written as the recorder would have written it on those days.
      const tag = randomBytes(4).toString('hex');
      const old = [
        { id: `req_gone40_${tag}`, daysAgo: 40, cost: 7 },
        { id: `req_kept29_${tag}`, daysAgo: 29, cost: 11 },
        { id: `req_kept3_${tag}`, daysAgo: 3, cost: 13 },
      ];
      // One statement: each opening of the embedded database costs seconds.
      const parameters: unknown[] = [user.userId, user.keyId, CHAT, MODEL];
      const events: string[] = [];
      const rollups: string[] = [];
      for (const row of old) {
        const at = new Date(Date.now() - row.daysAgo * DAY_MS);
        const [id, time, day, price] = [1, 2, 3, 4].map((n) => `$${parameters.length + n}`);
        parameters.push(row.id, at, utcDay(at), row.cost);
        events.push(
          `(${id}, ${time}::timestamptz, $1, $2, $3, 'POST', 200, true, 20, $4, 1, 2, ${price}::bigint, true)`,
        );
        rollups.push(`($1, ${day}::date, $2, $3, $4, 1, 1, 1, 1, 2, ${price}::bigint, 20)`);
      }
      // And a burst ten days ago, larger than one export batch, three events to each microsecond:
      // the export must page through it without losing or repeating a row.
      const burstAt = new Date(Date.now() - 10 * DAY_MS);
      parameters.push(burstAt, tag);
      const [burstTime, burstTag] = [parameters.length - 1, parameters.length].map((n) => `$${n}`);
      await queryDatabase(
        first,
        `WITH events AS (
           INSERT INTO usage_events (id, occurred_at, user_id, key_id, route, method, status,
             success, latency_ms, model, input_tokens, output_tokens, cost_micros, billable)
           VALUES ${events.join(', ')}),
         burst AS (
           INSERT INTO usage_events (id, occurred_at, user_id, key_id, route, method, status,
             success, latency_ms)
           SELECT 'req_burst_' || ${burstTag}::text || '_' || lpad(n::text, 5, '0'),
                  ${burstTime}::timestamptz + (n / 3) * interval '1 microsecond', $1, $2,
                  'GET /v1/models', 'GET', 200, true, 1
             FROM generate_series(1, ${BURST}) AS n)
         INSERT INTO usage_daily (user_id, day, key_id, route, model, requests, successes,
           billable_requests, input_tokens, output_tokens, cost_micros, latency_ms_total)
         VALUES ${rollups.join(', ')}`,
        parameters,
      );

      restarted = await startApi({
        dataDir: first.dataDir,
        env: { ...upstream.envFor(), USAGE_RETENTION_DAYS: '30' },
      });
      const again = await signIn(restarted.url, user.email, user.password);
      const api = restarted;
      const list = (query: string) =>
        call<Page<UsageEventResponse>>(api.url, 'GET', `/api/usage/events?${query}`, {
          token: again.accessToken,
        });
      const ago = (days: number): string => new Date(Date.now() - days * DAY_MS).toISOString();
      // The job runs shortly after start; its log line says when it is done (or why it failed).
      const log = await eventually(
        () => Promise.resolve(api.output()),
        (output) => /Purged \d+ usage events|retention purge failed/.test(output),
        30_000,
      );
      expect(log).toMatch(/Purged \d+ usage events/);
      const older = await list(`to=${ago(20)}`);
      expect(older.body.items.map((event) => event.id)).toEqual([`req_kept29_${tag}`]);
      expect((await list('pageSize=1')).body.total).toBe(3 + BURST);
      expect((await list(`from=${ago(5)}`)).body.items.map((event) => event.id)).toContain(
        `req_kept3_${tag}`,
      );

      const csv = await call<string>(
        api.url,
        'GET',
        `/api/usage/export.csv?from=${ago(11)}&to=${ago(9)}`,
        { token: again.accessToken },
      );
      const exported = parseCsv(csv.text)
        .slice(1)
        .map((row) => row[0]);
      expect(exported).toHaveLength(BURST);
      expect(new Set(exported).size).toBe(BURST);
      expect(exported).toEqual([...exported].sort());

      // Left without a range, the export reaches back over the retention period set here (30 days).
      const kept = await call<string>(api.url, 'GET', '/api/usage/export.csv', {
        token: again.accessToken,
      });
      expect(kept.status).toBe(200);
      expect(parseCsv(kept.text)).toHaveLength(1 + 3 + BURST);
      expect(kept.headers.get('content-disposition')).toContain(
        `keyward-usage-${ago(30).slice(0, 10)}-`,
      );

      // Rollups stay: 60 days of analytics still count the purged day.
      const summary = await call<UsageSummaryResponse>(
        api.url,
        'GET',
        '/api/usage/summary?days=60',
        { token: again.accessToken },
      );
      expect(summary.body.totals.requests).toBe(4);
      const daily = await call<UsageDailyResponse>(api.url, 'GET', '/api/usage/daily?days=7', {
        token: again.accessToken,
      });
      expect(daily.body.points[3]).toMatchObject({ requests: 1, costMicros: 13 });
      expect(await restarted.stop()).toBe(0);

      const [left] = await queryDatabase<{ ids: string[]; days: string }>(
        first,
        `SELECT (SELECT array_agg(id) FROM usage_events WHERE user_id = $1) AS ids,
                (SELECT count(*) FROM usage_daily WHERE user_id = $1) AS days`,
        [user.userId],
      );
      expect(left?.ids).toHaveLength(3 + BURST);
      expect(left?.ids).not.toContain(`req_gone40_${tag}`);
      expect(Number(left?.days)).toBe(4);
    } finally {
      await restarted?.stop();
      await first.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
      await upstream.stop();
    }
  });
});
