import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  countTokens,
  expectedReply,
  fakeKey,
  MAX_COMPLETION_TOKENS,
  SLOW_MS,
  startFakeUpstream,
  type ChatMessage,
  type FakeUpstream,
  type Marker,
} from './support/fake-upstream.js';

/** Each chat-capable provider's chat endpoint. */
const CHAT_PATH = {
  openai: '/v1/chat/completions',
  mistral: '/v1/chat/completions',
  deepinfra: '/v1/openai/chat/completions',
  together: '/v1/chat/completions',
  perplexity: '/chat/completions',
  anthropic: '/v1/messages',
} as const;
type ChatProvider = keyof typeof CHAT_PATH;
const OPENAI_SHAPED = ['openai', 'mistral', 'deepinfra', 'together', 'perplexity'] as const;

/** A `chat.completion.chunk`, as far as these tests read it. */
interface Chunk {
  object: string;
  model: string;
  choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: unknown;
}
interface AnthropicEvent {
  type: string;
  message?: unknown;
  delta?: { type?: string; text?: string };
}

interface SseFrame {
  event?: string;
  data: string;
}

/** Splits a server-sent event body into frames. */
function parseSse(text: string): SseFrame[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const frame: SseFrame = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) frame.event = line.slice('event: '.length);
        if (line.startsWith('data: ')) frame.data += line.slice('data: '.length);
      }
      return frame;
    });
}

describe('the fake upstream’s chat protocols', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream.stop();
  });

  /** Posts `body` to the provider's chat endpoint with a fresh key carrying `marker`. */
  async function chat(
    provider: ChatProvider,
    marker: Marker,
    body: unknown,
  ): Promise<{ key: string; response: Response }> {
    const key = fakeKey(provider, marker);
    const headers: Record<string, string> =
      provider === 'anthropic'
        ? { 'x-api-key': key, 'anthropic-version': '2023-06-01' }
        : { authorization: `Bearer ${key}` };
    const response = await fetch(`${upstream.baseUrlFor(provider)}${CHAT_PATH[provider]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { key, response };
  }

  const conversation = (text: string): ChatMessage[] => [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'An earlier question' },
    { role: 'assistant', content: 'An earlier answer' },
    { role: 'user', content: text },
  ];

  it('counts whitespace-separated words as tokens', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('  \n ')).toBe(0);
    expect(countTokens(' one  two\nthree ')).toBe(3);
  });

  it('computes the reply from the last user message, cut to max_tokens words', () => {
    const messages = conversation('what is  the time');
    expect(expectedReply({ messages })).toEqual({
      content: 'Echo: what is  the time',
      promptTokens: 3 + 3 + 3 + 4,
      completionTokens: 5,
      truncated: false,
    });
    expect(expectedReply({ messages, max_tokens: 3 })).toMatchObject({
      content: 'Echo: what is',
      completionTokens: 3,
      truncated: true,
    });
    expect(
      expectedReply({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look at' },
              { type: 'image_url' },
              { type: 'text', text: 'this' },
            ],
          },
        ],
      }).content,
    ).toBe('Echo: look at this');
  });

  describe.each(OPENAI_SHAPED)('%s (OpenAI shape)', (provider) => {
    const model = `${provider}-test-model`;

    it('answers a chat with the deterministic reply and its usage', async () => {
      const messages = conversation(`hello from ${provider}`);
      const { response } = await chat(provider, 'good', { model, messages });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      const reply = expectedReply({ messages });
      expect(body).toMatchObject({
        object: 'chat.completion',
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content },
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: reply.promptTokens,
          completion_tokens: reply.completionTokens,
          total_tokens: reply.promptTokens + reply.completionTokens,
        },
      });
      expect(body.id).toMatch(/^chatcmpl-/);
      expect(typeof body.created).toBe('number');
    });

    it('streams the same reply word by word', async () => {
      const messages = conversation('one two three four');
      const plain = await chat(provider, 'good', { model, messages });
      const { choices } = (await plain.response.json()) as {
        choices: { message: { content: string } }[];
      };

      const { response } = await chat(provider, 'good', { model, messages, stream: true });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const frames = parseSse(await response.text());
      expect(frames.at(-1)?.data).toBe('[DONE]');
      const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.data) as Chunk);
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks.every((chunk) => chunk.model === model)).toBe(true);
      expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
      expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
      const deltas = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(deltas).toBe(choices[0]!.message.content);
      // One chunk per word, between the role chunk and the finishing one.
      expect(chunks).toHaveLength(countTokens(deltas) + 2);
      expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
    });

    it('adds a usage chunk only when asked to', async () => {
      const messages = conversation('count me in');
      const { response } = await chat(provider, 'good', {
        model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      const frames = parseSse(await response.text());
      expect(frames.at(-1)?.data).toBe('[DONE]');
      const last = JSON.parse(frames.at(-2)!.data);
      const reply = expectedReply({ messages });
      expect(last).toMatchObject({
        choices: [],
        usage: {
          prompt_tokens: reply.promptTokens,
          completion_tokens: reply.completionTokens,
          total_tokens: reply.promptTokens + reply.completionTokens,
        },
      });
    });

    it('cuts the reply at max_tokens and says so', async () => {
      const messages = conversation('a long answer please');
      const { response } = await chat(provider, 'good', { model, messages, max_tokens: 2 });
      expect(await response.json()).toMatchObject({
        choices: [{ message: { content: 'Echo: a' }, finish_reason: 'length' }],
        usage: { completion_tokens: 2 },
      });
    });

    it.each<[string, unknown]>([
      ['a body that is not JSON', '{"model": '],
      ['no messages', { model }],
      ['empty messages', { model, messages: [] }],
      ['a message without content', { model, messages: [{ role: 'user' }] }],
      ['content that is a number', { model, messages: [{ role: 'user', content: 7 }] }],
      [
        'max_tokens over the limit',
        { model, messages: conversation('hi'), max_tokens: MAX_COMPLETION_TOKENS * 2 },
      ],
    ])('refuses %s with 400', async (_case, body) => {
      const { response } = await chat(provider, 'good', body);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('invalid_request_error');
    });

    it('names the limit when max_tokens is too large', async () => {
      const { response } = await chat(provider, 'good', {
        model,
        messages: conversation('hi'),
        max_tokens: 200_000,
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(
        'max_tokens is too large: 200000. This model supports at most 100000 completion tokens',
      );
    });

    it.each<[Marker, number]>([
      ['bad', 401],
      ['quota', provider === 'deepinfra' || provider === 'together' ? 402 : 429],
      ['ratelimit', 429],
      ['error', provider === 'openai' || provider === 'deepinfra' ? 500 : 503],
    ])('answers a %s key with %i', async (marker, status) => {
      const { response } = await chat(provider, marker, { model, messages: conversation('hi') });
      expect(response.status).toBe(status);
      if (marker === 'ratelimit') expect(response.headers.get('retry-after')).toBe('20');
      await response.arrayBuffer();
    });
  });

  describe('anthropic (Messages API)', () => {
    const model = 'claude-test-model';
    const messages: ChatMessage[] = [
      { role: 'user', content: 'An earlier question' },
      { role: 'assistant', content: [{ type: 'text', text: 'An earlier answer' }] },
      { role: 'user', content: 'tell me a story' },
    ];
    const system = 'You are a careful narrator.';

    it('answers a message with the reply and its usage, and records the system prompt', async () => {
      const { key, response } = await chat('anthropic', 'good', {
        model,
        system,
        messages,
        max_tokens: 1024,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      const reply = expectedReply({ messages, system });
      expect(reply.promptTokens).toBe(3 + 3 + 4 + 5);
      expect(body).toEqual({
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: 'Echo: tell me a story' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: reply.promptTokens, output_tokens: reply.completionTokens },
      });
      const recorded = upstream.requests.find((request) => request.headers['x-api-key'] === key);
      expect(recorded?.path).toBe('/anthropic/v1/messages');
      expect(JSON.parse(recorded!.body).system).toBe(system);
    });

    it('streams the real event sequence', async () => {
      const { response } = await chat('anthropic', 'good', {
        model,
        system,
        messages,
        max_tokens: 3,
        stream: true,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const frames = parseSse(await response.text());
      const reply = expectedReply({ messages, system, max_tokens: 3 });
      expect(reply).toMatchObject({ content: 'Echo: tell me', truncated: true });

      expect(frames.map((frame) => frame.event)).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      const events = frames.map((frame) => JSON.parse(frame.data) as AnthropicEvent);
      expect(events.map((event) => event.type)).toEqual(frames.map((frame) => frame.event));
      expect(events[0]!.message).toMatchObject({
        model,
        content: [],
        usage: { input_tokens: reply.promptTokens, output_tokens: 1 },
      });
      const text = events
        .filter((event) => event.type === 'content_block_delta')
        .map((event) => {
          expect(event.delta?.type).toBe('text_delta');
          return event.delta?.text;
        })
        .join('');
      expect(text).toBe(reply.content);
      expect(events.at(-2)).toEqual({
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens', stop_sequence: null },
        usage: { output_tokens: 3 },
      });
    });

    it.each<[string, unknown, string]>([
      [
        'a system message inside messages',
        { model, max_tokens: 10, messages: [{ role: 'system', content: system }, ...messages] },
        'top-level `system` parameter',
      ],
      ['no max_tokens', { model, messages }, 'max_tokens: Field required'],
      [
        'max_tokens over the limit',
        { model, messages, max_tokens: 200_000 },
        'max_tokens is too large: 200000. This model supports at most 100000 completion tokens',
      ],
      ['no model', { messages, max_tokens: 10 }, 'model: Field required'],
      [
        'a role other than user or assistant',
        { model, max_tokens: 10, messages: [{ role: 'tool', content: 'x' }] },
        "Input should be 'user' or 'assistant'",
      ],
    ])('refuses %s with 400', async (_case, body, message) => {
      const { response } = await chat('anthropic', 'good', body);
      expect(response.status).toBe(400);
      const error = (await response.json()) as { type: string; error: Record<string, string> };
      expect(error.type).toBe('error');
      expect(error.error.type).toBe('invalid_request_error');
      expect(error.error.message).toContain(message);
    });

    it('requires the anthropic-version header', async () => {
      const response = await fetch(`${upstream.baseUrlFor('anthropic')}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': fakeKey('anthropic', 'good') },
        body: JSON.stringify({ model, messages, max_tokens: 10 }),
      });
      expect(response.status).toBe(400);
      await response.arrayBuffer();
    });

    it.each<[Marker, number, string]>([
      ['bad', 401, 'authentication_error'],
      ['quota', 400, 'invalid_request_error'],
      ['ratelimit', 429, 'rate_limit_error'],
      ['error', 500, 'api_error'],
    ])('answers a %s key with %i %s', async (marker, status, type) => {
      const { response } = await chat('anthropic', marker, { model, messages, max_tokens: 10 });
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ type: 'error', error: { type } });
    });
  });

  describe('perplexity verification on the chat endpoint', () => {
    it('still refuses a body without a model as invalid', async () => {
      const { response } = await chat('perplexity', 'good', {});
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('model: Field required');
    });

    it('still refuses a bad key with its HTML page', async () => {
      const { response } = await chat('perplexity', 'bad', {});
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('text/html');
      await response.arrayBuffer();
    });
  });

  it('answers a slow key only after the delay', async () => {
    const started = Date.now();
    const { response } = await chat('openai', 'slow', {
      model: 'gpt-test',
      messages: conversation('take your time'),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      choices: [{ message: { content: 'Echo: take your time' } }],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS - 50);
  });

  it.each<ChatProvider>(['openai', 'anthropic'])(
    'breaks a %s stream off after it started',
    async (provider) => {
      const { response } = await chat(provider, 'streamfail', {
        model: 'any-model',
        messages: [{ role: 'user', content: 'this stream will not finish' }],
        max_tokens: 100,
        stream: true,
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const received: string[] = [];
      const failure = await (async (): Promise<unknown> => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return null;
            received.push(Buffer.from(value).toString('utf8'));
          }
        } catch (error) {
          return error;
        }
      })();
      // undici reports a connection dropped mid-body as "terminated".
      expect(String(failure)).toMatch(/terminated/);
      const frames = parseSse(received.join(''));
      expect(frames.length).toBeGreaterThanOrEqual(1);
      expect(
        frames.some((frame) => frame.data === '[DONE]' || frame.event === 'message_stop'),
      ).toBe(false);
    },
  );
});
