import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  SERVED_BY_HEADER,
  type ErrorBody,
  type GenerateResponse,
  type Page,
  type UsageEventResponse,
} from '@keyward/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { startApi, type ApiProcess } from './support/api-process.js';
import {
  ABSURD_USAGE,
  expectedReply,
  startFakeUpstream,
  STREAM_GAP_MS,
  type FakeUpstream,
  type RecordedRequest,
} from './support/fake-upstream.js';
import { eventually, gatewayUser, type GatewayUser } from './support/gateway.js';
import { queryDatabase } from './support/database.js';
import { call } from './support/http.js';
import { withKey } from './support/keys.js';
import { closedPort } from './support/tcp-proxy.js';

const UPSTREAM_TIMEOUT_MS = 1_000;

describe('guarded chat API', () => {
  let upstream: FakeUpstream;
  let api: ApiProcess;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    api = await startApi({
      env: {
        ...upstream.envFor(),
        GATEWAY_UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
        // Every test signs up users of its own, more than the default allows from one address.
        LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(async () => {
    await api.stop();
    await upstream.stop();
  });

  const sdkFor = (user: GatewayUser): OpenAI =>
    new OpenAI({ apiKey: user.key, baseURL: `${api.url}/v1`, maxRetries: 0 });
  /** What the fake received for this user's credential of `provider`, oldest first. */
  const sentBy = (user: GatewayUser): RecordedRequest[] =>
    upstream.requests.filter((request) =>
      Object.values(user.providerKeys).some(
        (key) =>
          request.headers.authorization === `Bearer ${key}` || request.headers['x-api-key'] === key,
      ),
    );
  const chat = (user: GatewayUser, body: Record<string, unknown>) =>
    call<Record<string, unknown> & ErrorBody>(api.url, 'POST', '/v1/chat/completions', {
      headers: withKey(user.key),
      body,
    });
  /** The user's usage events, once at least `count` are written. */
  const eventsOf = async (user: GatewayUser, count: number): Promise<UsageEventResponse[]> =>
    (
      await eventually(
        () =>
          call<Page<UsageEventResponse>>(api.url, 'GET', '/api/usage/events', {
            token: user.accessToken,
          }),
        (result) => result.body.items.length >= count,
        5_000,
      )
    ).body.items;
  /** An event's attempts as "provider errorCode", "ok" for the one that served. */
  const attemptsOf = (event: UsageEventResponse | undefined): string[] =>
    (event?.attempts ?? []).map((attempt) => `${attempt.provider} ${attempt.errorCode ?? 'ok'}`);

  it('works with the official openai client, plain and streamed', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    const client = sdkFor(user);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'hello there, gateway' },
    ];
    const expected = expectedReply({ messages });

    const { data, response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages })
      .withResponse();
    expect(response.headers.get(SERVED_BY_HEADER)).toBe('openai');
    expect(data.model).toBe('openai/gpt-4o-mini');
    expect(data.choices[0]?.message.content).toBe(expected.content);
    expect(data.usage).toMatchObject({
      prompt_tokens: expected.promptTokens,
      completion_tokens: expected.completionTokens,
    });
    // The provider got its own model name and the stored key, never the Keyward key.
    const [sent] = sentBy(user);
    expect(sent?.path).toBe('/openai/v1/chat/completions');
    expect(JSON.parse(sent?.body ?? '{}')).toMatchObject({ model: 'gpt-4o-mini' });
    expect(JSON.stringify(sent?.headers)).not.toContain(user.key);

    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
      expect(chunk.model).toBe('openai/gpt-4o-mini');
    }
    expect(text).toBe(expected.content);
    expect(usage).toMatchObject({
      prompt_tokens: expected.promptTokens,
      completion_tokens: expected.completionTokens,
    });

    // Without include_usage, no usage chunk reaches the caller (Keyward asked for it anyway).
    const quiet = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages,
      stream: true,
    });
    const chunks = [];
    for await (const chunk of quiet) chunks.push(chunk);
    expect(chunks.every((chunk) => !chunk.usage)).toBe(true);
    expect(JSON.parse(sentBy(user).at(-1)?.body ?? '{}')).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('translates requests to Anthropic Messages and answers back in the OpenAI shape', async () => {
    const user = await gatewayUser(api, { anthropic: 'good' });
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'first question' },
      { role: 'assistant' as const, content: 'first answer' },
      { role: 'user' as const, content: 'second question please' },
    ];
    const answer = await chat(user, {
      model: 'anthropic/claude-3-5-haiku-latest',
      messages,
      temperature: 1.5,
      stop: 'END',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get(SERVED_BY_HEADER)).toBe('anthropic');
    const sentBody = JSON.parse(sentBy(user)[0]?.body ?? '{}') as Record<string, unknown>;
    expect(sentBody).toEqual({
      model: 'claude-3-5-haiku-latest',
      system: 'You are terse.',
      messages: messages.slice(1),
      max_tokens: 4096,
      temperature: 1,
      stop_sequences: ['END'],
    });
    const expected = expectedReply({ messages: messages.slice(1), system: 'You are terse.' });
    expect(answer.body).toMatchObject({
      object: 'chat.completion',
      model: 'anthropic/claude-3-5-haiku-latest',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: expected.content },
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: expected.promptTokens,
        completion_tokens: expected.completionTokens,
        total_tokens: expected.promptTokens + expected.completionTokens,
      },
    });

    // Streamed, through the SDK, with max_tokens cutting the answer short.
    const stream = await sdkFor(user).chat.completions.create({
      model: 'anthropic/claude-3-5-haiku-latest',
      messages: [{ role: 'user', content: 'one two three four five six' }],
      // Deprecated in OpenAI's types, yet what most existing callers send: it must still work.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    const cut = expectedReply({
      messages: [{ role: 'user', content: 'one two three four five six' }],
      max_tokens: 3,
    });
    expect(text).toBe(cut.content);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({
      prompt_tokens: cut.promptTokens,
      completion_tokens: cut.completionTokens,
    });
  });

  it("keeps a finished stream's provider connection for the next call", async () => {
    // A stream left unread after its last event closed the connection, so every streamed call
    // opened a new one (to a real provider, with a TLS handshake) before its first byte. The
    // fake ends its body a moment after the last event, as a provider's end can come in a
    // packet of its own; the calls here are spaced a little longer than that.
    const models = { openai: 'openai/gpt-4o-mini', anthropic: 'anthropic/claude-3-5-haiku-latest' };
    for (const [provider, model] of Object.entries(models)) {
      const user = await gatewayUser(api, { [provider]: 'good' });
      for (let i = 0; i < 3; i++) {
        const answer = await fetch(`${api.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { ...withKey(user.key), 'content-type': 'application/json' },
          body: JSON.stringify({
            model,
            messages: [{ role: 'user', content: 'hi' }],
            stream: true,
          }),
        });
        expect(answer.status).toBe(200);
        expect(await answer.text()).toMatch(/data: \[DONE\]\n\n$/);
        await sleep(10 * STREAM_GAP_MS);
      }
      const sent = sentBy(user);
      expect(sent).toHaveLength(3);
      expect(new Set(sent.map((request) => request.clientPort)).size).toBe(1);
    }
  });

  it('refuses what Anthropic cannot take with a clear 400 before calling it', async () => {
    const user = await gatewayUser(api, { anthropic: 'good' });
    const refused = await chat(user, {
      model: 'anthropic/claude-3-5-haiku-latest',
      messages: [{ role: 'tool', content: 'result', tool_call_id: 'x' }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/Tool results cannot be sent to Anthropic/);
    // Tool calling and JSON mode would be dropped, and the answer would look like a success.
    const weather = {
      type: 'function',
      function: { name: 'weather', parameters: { type: 'object', properties: {} } },
    };
    const hi = [{ role: 'user', content: 'hi' }];
    const untranslated: [Record<string, unknown>, RegExp][] = [
      [{ messages: hi, tools: [weather] }, /tools cannot be sent/],
      [{ messages: hi, tool_choice: 'auto' }, /tool_choice cannot be sent/],
      [{ messages: hi, response_format: { type: 'json_object' } }, /response_format/],
      [
        {
          messages: [
            ...hi,
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'c1', type: 'function', function: weather.function }],
            },
          ],
        },
        /Assistant tool calls cannot be sent/,
      ],
    ];
    for (const [body, message] of untranslated) {
      const answer = await chat(user, { model: 'anthropic/claude-3-5-haiku-latest', ...body });
      expect([answer.status, answer.body.message]).toEqual([400, expect.stringMatching(message)]);
    }
    expect(sentBy(user)).toHaveLength(0);
    // Plain text, said explicitly, is what Anthropic answers anyway.
    const plain = await chat(user, {
      model: 'anthropic/claude-3-5-haiku-latest',
      messages: hi,
      response_format: { type: 'text' },
    });
    expect(plain.status).toBe(200);

    // As a fallback, such a request skips Anthropic rather than being answered without its tools.
    const failing = await gatewayUser(api, { openai: 'error', anthropic: 'good' });
    const skipped = await chat(failing, {
      model: 'openai/gpt-4o-mini',
      fallbacks: ['anthropic/claude-3-5-haiku-latest'],
      messages: hi,
      tools: [weather],
    });
    expect(skipped.status).not.toBe(200);
    expect(sentBy(failing).filter((request) => request.provider === 'anthropic')).toHaveLength(0);
  });

  it('falls back past 429, 5xx and timeouts, in the order the request names', async () => {
    const user = await gatewayUser(api, {
      openai: 'ratelimit',
      mistral: 'error',
      together: 'slow',
      anthropic: 'good',
    });
    const started = Date.now();
    const answer = await chat(user, {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'anyone there?' }],
      fallbacks: [
        'mistral/mistral-small-latest',
        'together/meta-llama/Llama-3.3-70B-Instruct-Turbo',
        'anthropic/claude-3-5-haiku-latest',
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get(SERVED_BY_HEADER)).toBe('anthropic');
    expect(answer.body.model).toBe('anthropic/claude-3-5-haiku-latest');
    expect(sentBy(user).map((request) => request.provider)).toEqual([
      'openai',
      'mistral',
      'together',
      'anthropic',
    ]);
    // The slow provider was given up after the timeout, not waited for.
    expect(Date.now() - started).toBeLessThan(UPSTREAM_TIMEOUT_MS + 2_500);
  });

  it('takes an answer whose choices are not chat messages for a failure, and falls back', async () => {
    const user = await gatewayUser(api, { openai: 'nomessage', mistral: 'good' });
    const body = {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      fallbacks: ['mistral/mistral-small-latest'],
    };
    const answer = await chat(user, body);
    expect(answer.status).toBe(200);
    expect(answer.headers.get(SERVED_BY_HEADER)).toBe('mistral');
    const generated = await call<{ text: string } & ErrorBody>(
      api.url,
      'POST',
      '/v1/models/openai/gpt-4o-mini/generate',
      { headers: withKey(user.key), body: { prompt: 'hi' } },
    );
    // Alone, the answer is a failure of the provider's, not a 500 of Keyward's.
    expect([generated.status, generated.body.code]).toEqual([502, 'upstream_unavailable']);
    const attempts = (await eventsOf(user, 2)).map(attemptsOf);
    expect(attempts).toContainEqual(['openai upstream_malformed', 'mistral ok']);
  });

  // Damaged in place, which takes a second connection to the database: PostgreSQL only.
  (process.env.TEST_DATABASE_URL ? it : it.skip)(
    'falls back past a credential it cannot decrypt',
    async () => {
      const user = await gatewayUser(api, { openai: 'good', mistral: 'good' });
      await queryDatabase(
        api,
        `UPDATE provider_credentials SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1)
          WHERE user_id = $1 AND provider = 'openai'`,
        [user.userId],
      );
      const answer = await chat(user, {
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        fallbacks: ['mistral/mistral-small-latest'],
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get(SERVED_BY_HEADER)).toBe('mistral');
      expect(sentBy(user).map((request) => request.provider)).toEqual(['mistral']);
      const [event] = await eventsOf(user, 1);
      expect(attemptsOf(event)).toEqual(['openai credential_unreadable', 'mistral ok']);
    },
  );

  it('names the field of a model that cannot chat: model, or the fallback it is in', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    const fieldOf = async (body: Record<string, unknown>) => {
      const answer = await chat(user, { messages: [{ role: 'user', content: 'hi' }], ...body });
      const error = answer.body as ErrorBody;
      return [answer.status, error.errors?.[0]?.field, error.message];
    };
    expect(await fieldOf({ model: 'runway/gen4_turbo' })).toEqual([
      400,
      'model',
      'The model runway/gen4_turbo cannot chat',
    ]);
    expect(
      await fieldOf({
        model: 'openai/gpt-4o-mini',
        fallbacks: ['mistral/mistral-small-latest', 'runway/gen4_turbo'],
      }),
    ).toEqual([400, 'fallbacks.1', 'The model runway/gen4_turbo cannot chat']);
  });

  it("falls back in the owner's provider order when the request names no fallbacks", async () => {
    const user = await gatewayUser(api, { openai: 'error', perplexity: 'good', mistral: 'good' });
    const order = await call(api.url, 'PUT', '/api/provider-preferences', {
      token: user.accessToken,
      body: { capability: 'chat', order: ['openai', 'perplexity', 'mistral'] },
    });
    expect(order.status).toBe(200);
    const answer = await chat(user, {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get(SERVED_BY_HEADER)).toBe('perplexity');
    expect(answer.body.model).toBe('perplexity/sonar');
    expect(sentBy(user).map((request) => request.provider)).toEqual(['openai', 'perplexity']);
  });

  it('does not retry what is the caller’s fault (a 400 from the provider)', async () => {
    const user = await gatewayUser(api, { openai: 'good', anthropic: 'good' });
    const answer = await chat(user, {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 200_000,
      fallbacks: ['anthropic/claude-3-5-haiku-latest'],
    });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('upstream_rejected');
    expect(answer.body.message).toMatch(/^OpenAI refused the request: .*max_tokens/);
    expect(answer.body.error?.message).toBe(answer.body.message);
    expect(sentBy(user).map((request) => request.provider)).toEqual(['openai']);
  });

  it('answers 502 upstream_unavailable naming each failure, with no provider secret', async () => {
    const user = await gatewayUser(api, {
      openai: 'ratelimit',
      mistral: 'error',
      deepinfra: 'bad',
    });
    const answer = await chat(user, {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      fallbacks: [
        'mistral/mistral-small-latest',
        'deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct',
        'anthropic/claude-3-5-haiku-latest',
      ],
    });
    expect(answer.status).toBe(502);
    expect(answer.body.code).toBe('upstream_unavailable');
    expect(answer.body.message).toBe(
      'No provider could serve openai/gpt-4o-mini: openai answered 429; mistral answered 503; deepinfra answered 401; anthropic has no usable credential',
    );
    for (const secret of Object.values(user.providerKeys)) {
      expect(answer.text).not.toContain(secret);
    }
  });

  it('checks models, allowed models and scopes before anything is sent', async () => {
    const user = await gatewayUser(
      api,
      { openai: 'good' },
      { allowedModels: ['openai/gpt-4o-mini'] },
    );
    const body = (model: string) => ({ model, messages: [{ role: 'user', content: 'x' }] });
    const unknown = await chat(user, body('openai/gpt-9'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('model_not_found');
    const bare = await chat(user, body('gpt-4o-mini'));
    expect(bare.status).toBe(404);
    expect(bare.body.message).toMatch(/provider\/model/);
    const notAllowed = await chat(user, body('openai/gpt-4o'));
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.code).toBe('model_not_allowed');
    const fallbackNotAllowed = await chat(user, {
      ...body('openai/gpt-4o-mini'),
      fallbacks: ['anthropic/claude-3-5-haiku-latest'],
    });
    expect(fallbackNotAllowed.status).toBe(403);
    const video = await chat(user, body('runway/gen4_turbo'));
    expect(video.status).toBe(400);
    expect(video.body.message).toBe('The model runway/gen4_turbo cannot chat');
    const invalid = await chat(user, { model: 'openai/gpt-4o-mini', messages: 'hello' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors?.[0]?.field).toBe('messages');
    // In the same words as the console API's routes.
    const notAnObject = await call<ErrorBody>(api.url, 'POST', '/v1/chat/completions', {
      headers: { ...withKey(user.key), 'content-type': 'application/json' },
      rawBody: '[]',
    });
    expect([notAnObject.status, notAnObject.body.message]).toEqual([
      400,
      'Request body must be a JSON object',
    ]);
    const readOnly = await call(api.url, 'POST', '/api/api-keys', {
      token: user.accessToken,
      body: { name: 'reader', preset: 'read_only' },
    });
    const readOnlyKey = (readOnly.body as { key: string }).key;
    const refused = await call<ErrorBody>(api.url, 'POST', '/v1/chat/completions', {
      headers: withKey(readOnlyKey),
      body: body('openai/gpt-4o-mini'),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    expect(sentBy(user)).toHaveLength(0);
  });

  it('generates from one prompt at /v1/models/:id/generate, with cost', async () => {
    const user = await gatewayUser(api, { deepinfra: 'good', openai: 'good' });
    for (const path of [
      '/v1/models/deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct/generate',
      `/v1/models/${encodeURIComponent('openai/gpt-4o-mini')}/generate`,
    ]) {
      const answer = await call<GenerateResponse>(api.url, 'POST', path, {
        headers: withKey(user.key),
        body: { prompt: 'write a haiku about keys', maxTokens: 50, temperature: 0.2 },
      });
      expect(answer.status).toBe(200);
      const expected = expectedReply({
        messages: [{ role: 'user', content: 'write a haiku about keys' }],
      });
      expect(answer.body).toMatchObject({
        text: expected.content,
        usage: { inputTokens: expected.promptTokens, outputTokens: expected.completionTokens },
      });
      expect(answer.body.cost).toBeGreaterThan(0);
      expect(Number.isInteger(answer.body.cost)).toBe(true);
    }
    const openAiAnswer = sentBy(user).at(-1);
    expect(JSON.parse(openAiAnswer?.body ?? '{}')).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 50,
      temperature: 0.2,
    });
    const bad = await call<ErrorBody>(api.url, 'POST', '/v1/models/openai/gpt-4o-mini/generate', {
      headers: withKey(user.key),
      body: { prompt: '' },
    });
    expect(bad.status).toBe(400);
    const wrongSuffix = await call(api.url, 'POST', '/v1/models/openai/gpt-4o-mini/complete', {
      headers: withKey(user.key),
      body: { prompt: 'x' },
    });
    expect(wrongSuffix.status).toBe(404);
  });

  it("counts a provider's absurd usage as the nearest sane figure, and records it", async () => {
    // Reported as is, a fraction or a figure beyond the usage tables' integer columns made the
    // database refuse every batch the event was in, and recording stopped for every user.
    const reportedAs = { inputTokens: 3, outputTokens: 2_147_483_647 };
    expect(Math.round(ABSURD_USAGE.promptTokens)).toBe(reportedAs.inputTokens);
    const chatBody = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
    const calls: [string, Record<string, unknown>][] = [
      ['/v1/chat/completions', { ...chatBody, stream: false }],
      [
        '/v1/chat/completions',
        { ...chatBody, stream: true, stream_options: { include_usage: true } },
      ],
      [
        '/v1/chat/completions',
        { ...chatBody, model: 'anthropic/claude-3-5-haiku-latest', stream: true },
      ],
      [
        `/v1/models/${encodeURIComponent('anthropic/claude-3-5-haiku-latest')}/generate`,
        { prompt: 'hi' },
      ],
    ];
    for (const [path, body] of calls) {
      // A user each: the first answer's cost uses up a plan's monthly cost limit.
      const user = await gatewayUser(api, { openai: 'absurd', anthropic: 'absurd' });
      const answer = await call<GenerateResponse>(api.url, 'POST', path, {
        headers: withKey(user.key),
        body,
      });
      expect(answer.status).toBe(200);
      if (path.endsWith('/generate')) expect(answer.body.usage).toEqual(reportedAs);
      const events = await eventsOf(user, 1);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event).toMatchObject({ status: 200, success: true, ...reportedAs });
      expect(Number.isSafeInteger(event?.costMicros)).toBe(true);
      expect(event?.costMicros).toBeGreaterThan(1_000_000_000);
    }
  });

  it('records a call whose caller hung up before the answer, on every guarded generation route', async () => {
    // `slow` answers after 3 s and `stall` streams a few frames and then nothing: the caller
    // gives up first in each case, and each call must still be one usage event.
    const slow = await gatewayUser(api, { openai: 'slow', anthropic: 'good' });
    const stalled = await gatewayUser(api, { openai: 'stall' });
    const hangUpAfter = async (
      user: GatewayUser,
      path: string,
      body: Record<string, unknown>,
      waitForFirstByte: boolean,
    ) => {
      const sent = sentBy(user).length;
      const hangUp = new AbortController();
      const response = fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { ...withKey(user.key), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: hangUp.signal,
      });
      if (waitForFirstByte) {
        await (await response).body?.getReader().read();
      } else {
        // Hang up once the provider has the request (well before it answers or times out).
        await eventually(
          () => Promise.resolve(sentBy(user).length),
          (count) => count > sent,
          2_000,
        );
      }
      hangUp.abort();
      await response.catch(() => undefined);
    };
    const messages = [{ role: 'user', content: 'hi' }];
    const chatBody = { model: 'openai/gpt-4o-mini', messages };
    await hangUpAfter(
      slow,
      '/v1/chat/completions',
      { ...chatBody, fallbacks: ['anthropic/claude-3-5-haiku-latest'] },
      false,
    );
    await hangUpAfter(slow, '/v1/models/openai/gpt-4o-mini/generate', { prompt: 'hi' }, false);
    await hangUpAfter(stalled, '/v1/chat/completions', { ...chatBody, stream: true }, true);
    const slowEvents = await eventsOf(slow, 2);
    expect(slowEvents.map((event) => event.route).sort()).toEqual([
      'POST /v1/chat/completions',
      'POST /v1/models/:id/generate',
    ]);
    const streamed = await eventsOf(stalled, 1);
    expect(streamed).toHaveLength(1);
    for (const event of [...slowEvents, ...streamed]) {
      expect(event).toMatchObject({ success: false, errorCode: 'client_closed' });
    }
    // Gone before any answer: 499, as proxies log it, and the fallback left untried.
    for (const event of slowEvents) {
      expect(event.status).toBe(499);
      expect(event.attempts.map((attempt) => attempt.errorCode)).toEqual(['client_closed']);
    }
    expect(sentBy(slow).every((request) => request.provider === 'openai')).toBe(true);
    expect(streamed[0]?.status).toBe(200); // the stream had begun
    // The request log has them too, the cut stream included, each marked unfinished.
    const unfinished = api
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"request"') && line.includes('"unfinished":true'));
    expect(unfinished.filter((line) => line.includes('"status":499'))).toHaveLength(2);
    expect(
      unfinished.filter(
        (line) => line.includes('"status":200') && line.includes('"url":"/v1/chat/completions"'),
      ),
    ).toHaveLength(1);
  });

  it('ends a stream that breaks mid-way with an error event, not a silent cut', async () => {
    const user = await gatewayUser(api, { openai: 'streamfail' });
    const response = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...withKey(user.key), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'a long answer please, with many words in it' }],
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"code":"upstream_stream_broken"');
    expect(text).not.toContain('[DONE]');
  });
});

describe('a provider that cannot be reached', () => {
  it('answers 502 saying why the provider could not be reached, and logs its host, once a minute', async () => {
    const port = await closedPort();
    const api = await startApi({
      env: { PROVIDER_PERPLEXITY_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' },
    });
    try {
      const user = await gatewayUser(api, { perplexity: 'good' });
      const ask = () =>
        call<ErrorBody>(api.url, 'POST', '/v1/chat/completions', {
          headers: withKey(user.key),
          body: { model: 'perplexity/sonar', messages: [{ role: 'user', content: 'hi' }] },
        });
      for (let i = 0; i < 3; i += 1) {
        const answer = await ask();
        expect([answer.status, answer.body.code]).toEqual([502, 'upstream_unavailable']);
        // The caller is told why too, in the same words, but not where.
        expect(answer.body.message).toContain(
          'perplexity could not be reached (the connection was refused (ECONNREFUSED))',
        );
        expect(answer.body.message).not.toContain(String(port));
        expect(answer.body.details?.attempts).toEqual([
          expect.objectContaining({
            errorCode: 'upstream_unreachable',
            cause: 'the connection was refused (ECONNREFUSED)',
          }),
        ]);
      }
      const lines = api
        .output()
        .split('\n')
        .filter((line) => line.includes('Could not reach the provider'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `Could not reach the provider at 127.0.0.1:${port}: the connection was refused (ECONNREFUSED)`,
      );
      expect(api.output()).not.toContain(user.providerKeys.perplexity ?? 'no key');
    } finally {
      await api.stop();
    }
  });
});
