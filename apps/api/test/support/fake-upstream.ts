import { randomInt } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PROVIDER_IDS, type ProviderId } from '@keyward/shared';

/**
 * A local stand-in for the seven providers, for tests only. Each provider is reached under its own
 * path prefix (`${url}/openai/v1/models`) and checks method, path and authentication the way the
 * real one does; a marker word inside the key chooses the answer.
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
] as const;
export type Marker = (typeof MARKERS)[number];

export const SLOW_MS = 3_000;
export const HUGE_BYTES = 5 * 1024 * 1024;
export const REDIRECT_TARGET = 'http://127.0.0.1:1/elsewhere';

export interface RecordedRequest {
  /** The first path segment, which names the provider. */
  provider: string;
  method: string;
  /** The full request path, with the provider prefix and any query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
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
const mistralDialect: Dialect = (status, kind, message) => ({
  status,
  body:
    kind === 'authentication'
      ? { message, request_id: 'fake' }
      : { object: 'error', message, type: kind, param: null, code: null },
});
// Perplexity's gateway (openresty) answers authentication and outages with an HTML page.
const perplexityDialect: Dialect = (status, kind, message) =>
  kind === 'authentication' || kind === 'server'
    ? {
        status,
        body: `<html><head><title>${status} ${message}</title></head><body><center><h1>${status} ${message}</h1></center><hr><center>openresty</center></body></html>`,
      }
    : { status, body: { error: { message, type: kind, code: status } } };
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

function answerFor(protocol: Protocol, key: string, requestBody: string): Answer {
  const { dialect } = protocol;
  switch (MARKERS.find((marker) => key.includes(marker))) {
    case 'good':
    case 'slow':
      return protocol.ok(requestBody);
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
    default:
      // 'bad', or a key with no marker: the provider's real refusal.
      return dialect(401, 'authentication', protocol.badKey(key));
  }
}

let huge: Buffer | undefined;
const hugeBody = (): Buffer =>
  (huge ??= Buffer.from(`{"object":"list","data":[],"padding":"${'x'.repeat(HUGE_BYTES)}"}`));

function send(res: ServerResponse, { status, body, headers }: Answer): void {
  const html = typeof body === 'string';
  res.writeHead(status, { 'content-type': html ? 'text/html' : 'application/json', ...headers });
  res.end(html || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://fake');
    const [, first = '', ...rest] = pathname.split('/');
    const body = await readBody(req);
    const method = req.method ?? '';
    requests.push({ provider: first, method, path: req.url ?? '', headers: req.headers, body });
    const provider = PROVIDER_IDS.find((id) => id === first);
    const protocol = provider && PROTOCOLS[provider];
    if (!protocol || method !== protocol.method || `/${rest.join('/')}` !== protocol.path) {
      send(res, { status: 404, body: { error: { message: `No route ${method} ${pathname}` } } });
      return;
    }
    const key = credential(protocol, req.headers);
    if (typeof key !== 'string') {
      send(res, key);
      return;
    }
    const answer = answerFor(protocol, key, body);
    if (!key.includes('slow')) {
      send(res, answer);
      return;
    }
    const timer = setTimeout(() => {
      send(res, answer);
    }, SLOW_MS);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
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
