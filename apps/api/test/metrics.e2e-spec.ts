import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import type { Page, UsageEventResponse } from '@keyward/shared';
import { startApi, type ApiProcess } from './support/api-process.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { eventually, gatewayUser } from './support/gateway.js';
import { call } from './support/http.js';
import { withKey } from './support/keys.js';

const TOKEN = 'metrics-token-for-tests-0123456789';

describe('GET /metrics', () => {
  let upstream: FakeUpstream;
  let api: ApiProcess;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    api = await startApi({ env: { ...upstream.envFor(), METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await api.stop();
    await upstream.stop();
  });

  const scrape = (token?: string) =>
    call<string>(api.url, 'GET', '/metrics', token ? { token } : {});

  it('is refused without the configured token and never shows the token', async () => {
    const anonymous = await scrape();
    expect(anonymous.status).toBe(401);
    const wrong = await scrape('metrics-token-for-tests-0123456788');
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain(TOKEN);
  });

  it('counts guarded requests by route pattern, the key cache, the usage buffer and providers', async () => {
    const user = await gatewayUser(api, { openai: 'good', anthropic: 'ratelimit' });
    for (let i = 0; i < 3; i++) {
      const models = await call(api.url, 'GET', '/v1/models', { headers: withKey(user.key) });
      expect(models.status).toBe(200);
    }
    const chat = await call(api.url, 'POST', '/v1/chat/completions', {
      headers: withKey(user.key),
      body: {
        model: 'anthropic/claude-3-5-haiku-latest',
        messages: [{ role: 'user', content: 'hello' }],
        fallbacks: ['openai/gpt-4o-mini'],
      },
    });
    expect(chat.status).toBe(200);
    await call(api.url, 'GET', '/v1/models/nothing-here', { headers: withKey(user.key) });

    const scraped = await scrape(TOKEN);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    const text = scraped.text;
    const requests = (route: string, status: string): number =>
      Number(
        new RegExp(
          `keyward_http_requests_total\\{route="${route.replace(/[/]/g, '\\/')}",method="GET",status="${status}",outcome="[a-z]+"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    expect(requests('/v1/models', '2xx')).toBe(3);
    // Unknown paths share one label instead of adding a series per URL.
    expect(text).toMatch(/route="unmatched",method="GET",status="4xx",outcome="refused"\} 1/);
    expect(text).not.toContain('nothing-here');
    expect(text).toMatch(/keyward_key_cache_lookups_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/keyward_key_cache_hit_ratio 0\.\d+|keyward_key_cache_hit_ratio 1/);
    expect(text).toMatch(/keyward_usage_buffer_events \d+/);
    expect(text).toMatch(
      /keyward_upstream_duration_seconds_count\{provider="anthropic",outcome="[a-z_]+"\} 1/,
    );
    expect(text).toMatch(
      /keyward_upstream_duration_seconds_count\{provider="openai",outcome="ok"\} 1/,
    );
    expect(text).toContain('keyward_process_resident_memory_bytes');
    // Nothing secret reaches the scrape.
    expect(text).not.toContain(user.key);
    expect(text).not.toContain(user.providerKeys.openai ?? 'unset');
  });
  it('counts answers whose connection closed before their end as unfinished, pipelined ones too', async () => {
    // `stall` streams a few frames and then nothing, or never answers a plain call. Three
    // requests go pipelined on one connection: two streams, then a plain call. The later ones'
    // responses wait behind the first and never close by themselves when the connection drops
    // (Node destroys only the requests).
    const user = await gatewayUser(api, { openai: 'stall' });
    const bodyOf = (stream: boolean) =>
      JSON.stringify({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream,
      });
    const unfinished = () =>
      scrape(TOKEN).then((scraped) =>
        Number(
          /route="\/v1\/chat\/completions",method="POST",status="2xx",outcome="unfinished"\} (\d+)/.exec(
            scraped.text,
          )?.[1] ?? 0,
        ),
      );
    const unfinishedBefore = await unfinished();
    const headers = Object.entries(withKey(user.key))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const request = (body: string) =>
      `POST /v1/chat/completions HTTP/1.1\r\nhost: keyward\r\n${headers}` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const { port } = new URL(api.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    socket.write(request(bodyOf(true)) + request(bodyOf(true)) + request(bodyOf(false)));
    const providerKey = user.providerKeys.openai ?? '';
    await eventually(
      () =>
        Promise.resolve(
          upstream.requests.filter((sent) => sent.headers.authorization === `Bearer ${providerKey}`)
            .length,
        ),
      (count) => count === 3,
    );
    await eventually(
      () => Promise.resolve(received),
      (text) => text.includes('data: '),
    );
    socket.destroy();

    expect(await eventually(unfinished, (count) => count >= unfinishedBefore + 2)).toBe(
      unfinishedBefore + 2,
    );
    const events = await eventually(
      () =>
        call<Page<UsageEventResponse>>(api.url, 'GET', '/api/usage/events', {
          token: user.accessToken,
        }),
      (result) => result.body.items.length >= 3,
    );
    const outcomes = events.body.items.map((event) => `${event.status} ${event.errorCode ?? ''}`);
    expect(outcomes.sort()).toEqual([
      '200 client_closed',
      '200 client_closed',
      '499 client_closed',
    ]);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  it('does not exist', async () => {
    const api = await startApi();
    try {
      const scraped = await call(api.url, 'GET', '/metrics');
      expect(scraped.status).toBe(404);
    } finally {
      await api.stop();
    }
  });
});
