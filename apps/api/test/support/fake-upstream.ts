import { randomInt } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PROVIDER_IDS, type ProviderId } from '@keyward/shared';
import {
  ABSURD_USAGE,
  chatCompletion,
  chatStream,
  parseChatRequest,
  type ChatFlavour,
  type ReportedUsage,
} from './fake-chat.js';

export {
  ABSURD_USAGE,
  contentText,
  countTokens,
  expectedReply,
  MAX_COMPLETION_TOKENS,
  type ChatContent,
  type ChatMessage,
  type ContentPart,
  type ExpectedReply,
  type ReplyInput,
} from './fake-chat.js';

/**
 * A local stand-in for the seven providers, for tests only. Each provider is reached under its own
 * path prefix (`${url}/openai/v1/models`) and checks method, path and authentication the way the
 * real one does; a marker word inside the key chooses the answer. Chat-capable providers also speak
 * their chat protocol (`${url}/openai/v1/chat/completions`, `${url}/anthropic/v1/messages`), streamed
 * or not, with a deterministic reply that `expectedReply` computes for tests.
 */
export const MARKERS = [
  'good',
  'bad',
  'quota',
  'ratelimit',
  'error',
  'slow',
  'redirect',
  'huge',
  'echo',
  // Chat streams (and other answers) start with 200 and then the connection drops.
  'streamfail',
  // Chat streams start with 200 and a few frames, then neither end nor drop; other answers never
  // come.
  'stall',
  // Chat answers as a working key's, reporting ABSURD_USAGE (a fraction, an out-of-range figure).
  'absurd',
  // The provider's refusal, its message carrying control characters (CONTROL_MESSAGE).
  'control',
  // Chat answers 200 in the legacy completions shape: choices with `text` and no `message`.
  'nomessage',
] as const;
export type Marker = (typeof MARKERS)[number];

export const SLOW_MS = 3_000;
/** What a `control` key's provider says: a NUL, which PostgreSQL cannot store in text, and a bell. */
export const CONTROL_MESSAGE = 'Incorrect API key\u0000 provided.\u0007 Check it.';
export const HUGE_BYTES = 5 * 1024 * 1024;
export const REDIRECT_TARGET = 'http://127.0.0.1:1/elsewhere';
/** Server-sent event frames a `streamfail` answer writes before the connection drops. */
export const STREAMFAIL_FRAMES = 2;
/** The pause between two streamed frames, so a stream really arrives in pieces. */
export const STREAM_GAP_MS = 5;

export interface RecordedRequest {
  /** The first path segment, which names the provider. */
  provider: string;
  method: string;
  /** The full request path, with the provider prefix and any query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's port: requests with the same one came over one kept-alive connection. */
  clientPort: number;
}

export interface FakeUpstream {
  url: string;
  baseUrlFor(provider: ProviderId): string;
  /** PROVIDER_<ID>_BASE_URL for every provider, for an API process started by a test. */
  envFor(): Record<string, string>;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/** A key for `provider` in its real format, carrying `marker`; the rest is digits, so unique. */
export function fakeKey(provider: ProviderId, marker: Marker): string {
  const head = `${KEY_PREFIX[provider]}${marker}`;
  const length = KEY_LENGTH[provider] ?? head.length + 40;
  return head + Array.from({ length: length - head.length }, () => randomInt(10)).join('');
}

/**
 * A key for `provider` with its real prefix, `marker` and then `body` verbatim: for tests that
 * search logs and storage for one exact, unique string.
 */
export function keyCarrying(provider: ProviderId, marker: Marker, body: string): string {
  return `${KEY_PREFIX[provider]}${marker}${body}`;
}

const KEY_PREFIX: Record<ProviderId, string> = {
  openai: 'sk-proj-',
  anthropic: 'sk-ant-api03-',
  mistral: '',
  deepinfra: '',
  perplexity: 'pplx-',
  runway: 'key_',
  together: '',
};
const KEY_LENGTH: Partial<Record<ProviderId, number>> = {
  mistral: 32,
  deepinfra: 32,
  together: 64,
};

interface Answer {
  status: number;
  /** JSON, a string sent as HTML, or raw bytes sent as JSON. */
  body: unknown;
  headers?: Record<string, string>;
}
/** A 200 answer streamed as server-sent events. */
interface StreamAnswer {
  status: 200;
  frames: string[];
}
type Reply = Answer | StreamAnswer;

type ErrorKind = 'authentication' | 'request' | 'quota' | 'rate_limit' | 'server';
/** How one provider words an error. */
type Dialect = (status: number, kind: ErrorKind, message: string) => Answer;

/** One provider's verification endpoint and its answers, as the real provider gives them. */
interface Protocol {
  method: 'GET' | 'POST';
  path: string;
  keyHeader: 'authorization' | 'x-api-key';
  /** A header the provider refuses to work without (400). */
  versionHeader?: string;
  dialect: Dialect;
  missingKey: string;
  ok(requestBody: string): Answer;
  /** What the provider says to a wrong key; OpenAI echoes part of it. */
  badKey(key: string): string;
  quota: [status: number, message: string] | Answer;
  rateLimit: string;
  failure: [status: number, message: string];
  /** The chat endpoint, for providers that chat. */
  chat?: { path: string; flavour: ChatFlavour };
}

const OPENAI_TYPES: Record<ErrorKind, [type: string, code: string | null]> = {
  authentication: ['invalid_request_error', 'invalid_api_key'],
  request: ['invalid_request_error', null],
  quota: ['insufficient_quota', 'insufficient_quota'],
  rate_limit: ['requests', 'rate_limit_exceeded'],
  server: ['server_error', null],
};
const ANTHROPIC_TYPES: Record<ErrorKind, string> = {
  authentication: 'authentication_error',
  request: 'invalid_request_error',
  quota: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  server: 'api_error',
};

const openAiDialect: Dialect = (status, kind, message) => {
  const [type, code] = OPENAI_TYPES[kind];
  return { status, body: { error: { message, type, param: null, code } } };
};
const anthropicDialect: Dialect = (status, kind, message) => ({
  status,
  body: { type: 'error', error: { type: ANTHROPIC_TYPES[kind], message } },
});
// Requests refused as malformed share OpenAI's type name across the OpenAI-shaped providers.
const errorType = (kind: ErrorKind): string =>
  kind === 'request' ? 'invalid_request_error' : kind;
const mistralDialect: Dialect = (status, kind, message) => ({
  status,
  body:
    kind === 'authentication'
      ? { message, request_id: 'fake' }
      : { object: 'error', message, type: errorType(kind), param: null, code: null },
});
// Perplexity's gateway (openresty) answers authentication and outages with an HTML page.
const perplexityDialect: Dialect = (status, kind, message) =>
  kind === 'authentication' || kind === 'server'
    ? {
        status,
        body: `<html><head><title>${status} ${message}</title></head><body><center><h1>${status} ${message}</h1></center><hr><center>openresty</center></body></html>`,
      }
    : { status, body: { error: { message, type: errorType(kind), code: status } } };
const runwayDialect: Dialect = (status, _kind, message) => ({ status, body: { error: message } });

const modelList = (owner: string, ...ids: string[]): Answer => ({
  status: 200,
  body: { object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: owner })) },
});
const runwayOrganization = (creditBalance: number): Answer => ({
  status: 200,
  body: {
    creditBalance,
    tier: { maxMonthlyCreditSpend: 100_000, models: { gen4_turbo: { maxDailyGenerations: 50 } } },
    usage: { models: { gen4_turbo: { dailyGenerations: 3 } } },
  },
});

const PROTOCOLS: Record<ProviderId, Protocol> = {
  openai: {
    method: 'GET',
    path: '/v1/models',
    keyHeader: 'authorization',
    dialect: openAiDialect,
    missingKey:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    ok: () => modelList('system', 'gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'),
    badKey: (key) =>
      `Incorrect API key provided: ${key.slice(0, 7)}***${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    quota: [
      429,
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    ],
    rateLimit:
      'Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
    failure: [500, 'The server had an error while processing your request. Sorry about that!'],
    chat: { path: '/v1/chat/completions', flavour: 'openai' },
  },
  anthropic: {
    method: 'GET',
    path: '/v1/models',
    keyHeader: 'x-api-key',
    versionHeader: 'anthropic-version',
    dialect: anthropicDialect,
    missingKey: 'x-api-key header is required',
    ok: () => ({
      status: 200,
      body: {
        data: [
          { type: 'model', id: 'claude-3-5-haiku-20241022', display_name: 'Claude Haiku 3.5' },
        ],
        has_more: false,
      },
    }),
    badKey: () => 'invalid x-api-key',
    quota: [
      400,
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
    ],
    rateLimit:
      'This request would exceed the rate limit for your organization of 50 requests per minute. Please try again later.',
    failure: [500, 'Internal server error'],
    chat: { path: '/v1/messages', flavour: 'anthropic' },
  },
  mistral: {
    method: 'GET',
    path: '/v1/models',
    keyHeader: 'authorization',
    dialect: mistralDialect,
    missingKey: 'Unauthorized',
    ok: () =>
      modelList('mistralai', 'mistral-small-latest', 'mistral-large-latest', 'mistral-embed'),
    badKey: () => 'Unauthorized',
    quota: [
      429,
      'You have exceeded your monthly quota for this workspace. Upgrade your plan in the billing settings.',
    ],
    rateLimit: 'Requests rate limit exceeded',
    failure: [503, 'Service unavailable.'],
    chat: { path: '/v1/chat/completions', flavour: 'openai' },
  },
  deepinfra: {
    method: 'GET',
    path: '/v1/openai/models',
    keyHeader: 'authorization',
    dialect: openAiDialect,
    missingKey: 'Not authenticated',
    ok: () => modelList('deepinfra', 'meta-llama/Meta-Llama-3.1-8B-Instruct'),
    badKey: () => 'Not authenticated',
    quota: [402, 'Payment required: your balance is insufficient, please add a payment method.'],
    rateLimit: 'Rate limited: too many concurrent requests.',
    failure: [500, 'Internal server error'],
    chat: { path: '/v1/openai/chat/completions', flavour: 'openai' },
  },
  perplexity: {
    method: 'POST',
    path: '/chat/completions',
    keyHeader: 'authorization',
    dialect: perplexityDialect,
    missingKey: 'Authorization Required',
    // An authenticated request without a model is refused as invalid: how a key is proven.
    ok: () => perplexityDialect(400, 'request', '["At body -> model: Field required"]'),
    badKey: () => 'Authorization Required',
    quota: [
      429,
      'You exceeded your current quota: insufficient credits. Add credits in your API settings.',
    ],
    rateLimit: 'Rate limit exceeded. Please slow down.',
    failure: [503, 'Service Temporarily Unavailable'],
    // The same endpoint as verification: a body naming a model is a chat, one without is refused.
    chat: { path: '/chat/completions', flavour: 'openai' },
  },
  runway: {
    method: 'GET',
    path: '/v1/organization',
    keyHeader: 'authorization',
    versionHeader: 'x-runway-version',
    dialect: runwayDialect,
    missingKey: 'Missing API key.',
    ok: () => runwayOrganization(12_500),
    badKey: () => 'Invalid API key.',
    // Runway keeps answering with an empty balance; the balance says it all.
    quota: runwayOrganization(0),
    rateLimit: 'Too many requests. Please slow down.',
    failure: [500, 'An unexpected error occurred.'],
  },
  together: {
    method: 'GET',
    path: '/v1/models',
    keyHeader: 'authorization',
    dialect: openAiDialect,
    missingKey: 'Missing API key.',
    // Together lists models as a bare array.
    ok: () => ({
      status: 200,
      body: [{ id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', object: 'model', type: 'chat' }],
    }),
    badKey: () =>
      'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
    quota: [
      402,
      'Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or upgrade your plan.',
    ],
    rateLimit: 'Request was rejected due to request rate limiting. Your rate limits are 60 RPM.',
    failure: [503, 'The server is overloaded or not ready yet.'],
    chat: { path: '/v1/chat/completions', flavour: 'openai' },
  },
};

function credential(protocol: Protocol, headers: IncomingHttpHeaders): string | Answer {
  const key =
    protocol.keyHeader === 'x-api-key'
      ? headers['x-api-key']
      : /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
  if (typeof key !== 'string' || !key) {
    return protocol.dialect(401, 'authentication', protocol.missingKey);
  }
  if (protocol.versionHeader && !headers[protocol.versionHeader]) {
    return protocol.dialect(400, 'request', `${protocol.versionHeader}: header is required`);
  }
  return key;
}

const markerOf = (key: string): Marker | undefined =>
  MARKERS.find((marker) => key.includes(marker));

/** What the marker in `key` makes the provider say; `ok` is the answer a working key earns. */
function answerFor(protocol: Protocol, key: string, ok: () => Reply): Reply {
  const { dialect } = protocol;
  switch (markerOf(key)) {
    case 'good':
    case 'slow':
    case 'streamfail':
    case 'stall':
    case 'absurd':
      return ok();
    case 'quota':
      return Array.isArray(protocol.quota)
        ? dialect(protocol.quota[0], 'quota', protocol.quota[1])
        : protocol.quota;
    case 'ratelimit':
      return {
        ...dialect(429, 'rate_limit', protocol.rateLimit),
        headers: { 'retry-after': '20' },
      };
    case 'error':
      return dialect(protocol.failure[0], 'server', protocol.failure[1]);
    case 'redirect':
      return { status: 302, body: 'Found', headers: { location: REDIRECT_TARGET } };
    case 'huge':
      return { status: 200, body: hugeBody() };
    case 'echo':
      return dialect(401, 'authentication', `Incorrect API key provided: ${key}.`);
    case 'control':
      return dialect(401, 'authentication', CONTROL_MESSAGE);
    default:
      // 'bad', or a key with no marker: the provider's real refusal.
      return dialect(401, 'authentication', protocol.badKey(key));
  }
}

/** A chat answer for a working key: the reply, streamed or not, or the provider's 400. */
function chatAnswer(
  protocol: Protocol,
  flavour: ChatFlavour,
  requestBody: string,
  reported?: ReportedUsage,
): Reply {
  const request = parseChatRequest(flavour, requestBody);
  if ('invalid' in request) return protocol.dialect(400, 'request', request.invalid);
  return request.stream
    ? { status: 200, frames: chatStream(flavour, request, reported) }
    : { status: 200, body: chatCompletion(flavour, request, reported) };
}

type Route = 'verification' | 'chat';

function routeFor(protocol: Protocol, method: string, path: string, body: string): Route | null {
  const { chat } = protocol;
  // Perplexity verifies on its chat endpoint; a body without a model keeps that behaviour.
  if (
    chat &&
    method === 'POST' &&
    path === chat.path &&
    (path !== protocol.path || namesModel(body))
  ) {
    return 'chat';
  }
  return method === protocol.method && path === protocol.path ? 'verification' : null;
}

function namesModel(body: string): boolean {
  try {
    const json: unknown = JSON.parse(body);
    return typeof json === 'object' && json !== null && 'model' in json;
  } catch {
    return false;
  }
}

let huge: Buffer | undefined;
const hugeBody = (): Buffer =>
  (huge ??= Buffer.from(`{"object":"list","data":[],"padding":"${'x'.repeat(HUGE_BYTES)}"}`));

function encode({ body }: Answer): { contentType: string; payload: string | Buffer } {
  if (typeof body === 'string') return { contentType: 'text/html', payload: body };
  return {
    contentType: 'application/json',
    payload: Buffer.isBuffer(body) ? body : JSON.stringify(body),
  };
}

function send(res: ServerResponse, answer: Answer): void {
  const { contentType, payload } = encode(answer);
  res.writeHead(answer.status, { 'content-type': contentType, ...answer.headers });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type Later = (ms: number, run: () => void) => void;

type StreamEnd = 'complete' | 'drop' | 'stall';

/**
 * Writes server-sent event frames `gapMs` apart; after STREAMFAIL_FRAMES frames, `drop` drops the
 * connection and `stall` writes nothing more, ever.
 */
function streamFrames(
  res: ServerResponse,
  frames: string[],
  end: StreamEnd,
  gapMs: number,
  later: Later,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const writeFrom = (index: number): void => {
    const frame = frames[index];
    if (end !== 'complete' && index === STREAMFAIL_FRAMES) {
      if (end === 'drop') res.destroy();
    } else if (frame === undefined) {
      res.end();
    } else {
      res.write(frame);
      later(gapMs, () => {
        writeFrom(index + 1);
      });
    }
  };
  writeFrom(0);
}

/** Starts `answer` as usual, then drops the connection halfway through its body. */
function sendBroken(res: ServerResponse, answer: Answer, later: Later): void {
  const { contentType, payload } = encode(answer);
  res.writeHead(answer.status, { 'content-type': contentType, ...answer.headers });
  res.write(payload.slice(0, Math.ceil(payload.length / 2)));
  later(STREAM_GAP_MS, () => res.destroy());
}

export interface FakeUpstreamOptions {
  /** Keep every request for assertions (default); a long benchmark run turns it off. */
  record?: boolean;
  /** The pause between streamed frames (STREAM_GAP_MS by default): longer makes slow streams. */
  streamGapMs?: number;
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const record = options.record ?? true;
  const streamGapMs = options.streamGapMs ?? STREAM_GAP_MS;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://fake');
    const [, first = '', ...rest] = pathname.split('/');
    const body = await readBody(req);
    const method = req.method ?? '';
    if (record) {
      requests.push({
        provider: first,
        method,
        path: req.url ?? '',
        headers: req.headers,
        body,
        clientPort: req.socket.remotePort ?? 0,
      });
    }
    const provider = PROVIDER_IDS.find((id) => id === first);
    const protocol = provider && PROTOCOLS[provider];
    const route = protocol ? routeFor(protocol, method, `/${rest.join('/')}`, body) : null;
    if (!protocol || !route) {
      send(res, { status: 404, body: { error: { message: `No route ${method} ${pathname}` } } });
      return;
    }
    const key = credential(protocol, req.headers);
    if (typeof key !== 'string') {
      send(res, key);
      return;
    }
    const { chat } = protocol;
    const marker = markerOf(key);
    const reported = marker === 'absurd' ? ABSURD_USAGE : undefined;
    const reply: Reply =
      marker === 'nomessage' && route === 'chat'
        ? { status: 200, body: { id: 'cmpl-1', choices: [{ index: 0, text: 'hi' }] } }
        : answerFor(protocol, key, () =>
            route === 'chat' && chat
              ? chatAnswer(protocol, chat.flavour, body, reported)
              : protocol.ok(body),
          );
    const later = pacer(res);
    const deliver = (): void => {
      if ('frames' in reply) {
        const end = marker === 'streamfail' ? 'drop' : marker === 'stall' ? 'stall' : 'complete';
        streamFrames(res, reply.frames, end, streamGapMs, later);
      } else if (marker === 'stall') {
        // Never answers; the client's timeout or hang-up ends it.
      } else if (marker === 'streamfail') {
        sendBroken(res, reply, later);
      } else {
        send(res, reply);
      }
    };
    if (marker === 'slow') {
      later(SLOW_MS, deliver);
    } else {
      deliver();
    }
  };

  /** Runs steps of one answer later; a client that hangs up cancels whatever is still pending. */
  const pacer = (res: ServerResponse): Later => {
    let pending: NodeJS.Timeout | undefined;
    res.on('close', () => {
      if (!pending) return;
      clearTimeout(pending);
      timers.delete(pending);
    });
    return (ms, run) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        pending = undefined;
        run();
      }, ms);
      pending = timer;
      timers.add(timer);
    };
  };

  const server = createServer((req, res) => {
    // A client that hangs up mid-answer (timeouts, bounded reads) is expected here.
    res.on('error', () => undefined);
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseUrlFor = (provider: ProviderId): string => `${url}/${provider}`;

  return {
    url,
    baseUrlFor,
    envFor: () =>
      Object.fromEntries(
        PROVIDER_IDS.map((id) => [`PROVIDER_${id.toUpperCase()}_BASE_URL`, baseUrlFor(id)]),
      ),
    requests,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Slow answers and keep-alive clients would otherwise hold the server open.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
