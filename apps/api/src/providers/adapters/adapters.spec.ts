import { describe, expect, it } from '@jest/globals';
import {
  CAPABILITIES,
  PROVIDER_IDS,
  type CredentialStatus,
  type ProviderId,
} from '@keyward/shared';
import { PROVIDER_ADAPTERS } from './index.js';

type Case = [label: string, httpStatus: number, body: unknown, expected: CredentialStatus];

const openAiError = (message: string, type: string, code: string | null) => ({
  error: { message, type, param: null, code },
});
const anthropicError = (type: string, message: string) => ({
  type: 'error',
  error: { type, message },
});
const mistralError = (message: string, type: string) => ({
  object: 'error',
  message,
  type,
  param: null,
  code: null,
});
const openResty = (title: string) =>
  `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>openresty</center></body></html>`;
const modelList = (...ids: string[]) => ({
  object: 'list',
  data: ids.map((id) => ({ id, object: 'model', created: 1_721_172_741, owned_by: 'system' })),
});
const runwayOrganization = (creditBalance: number) => ({
  creditBalance,
  tier: { maxMonthlyCreditSpend: 100_000, models: { gen4_turbo: { maxDailyGenerations: 50 } } },
  usage: { models: { gen4_turbo: { dailyGenerations: 3 } } },
});

/** What each provider really answers to the verification request, and what it means. */
const CASES: Record<ProviderId, Case[]> = {
  openai: [
    ['a model list', 200, modelList('gpt-4o-mini', 'gpt-4o'), 'valid'],
    [
      'a wrong key',
      401,
      openAiError(
        'Incorrect API key provided: sk-proj***wxyz. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      ),
      'invalid',
    ],
    [
      'an exhausted quota',
      429,
      openAiError(
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota',
        'insufficient_quota',
      ),
      'insufficient_quota',
    ],
    [
      'a rate limit',
      429,
      openAiError(
        'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
        'requests',
        'rate_limit_exceeded',
      ),
      'rate_limited',
    ],
    [
      // Free-tier accounts get this wording: a rate limit, even though it mentions billing.
      'a free-tier rate limit that suggests adding a payment method',
      429,
      openAiError(
        'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Please add a payment method to your account to increase your rate limit. Visit https://platform.openai.com/account/billing to add a payment method.',
        'requests',
        'rate_limit_exceeded',
      ),
      'rate_limited',
    ],
    [
      'a server error',
      500,
      openAiError('The server had an error while processing your request.', 'server_error', null),
      'error',
    ],
    [
      'an outage',
      503,
      openAiError('The engine is currently overloaded.', 'server_error', null),
      'error',
    ],
  ],
  anthropic: [
    [
      'a model list',
      200,
      { data: [{ type: 'model', id: 'claude-3-5-haiku-20241022' }], has_more: false },
      'valid',
    ],
    ['a wrong key', 401, anthropicError('authentication_error', 'invalid x-api-key'), 'invalid'],
    [
      'a key without permission',
      403,
      anthropicError(
        'permission_error',
        'Your API key does not have permission to use the specified resource.',
      ),
      'invalid',
    ],
    [
      'a credit balance too low',
      400,
      anthropicError(
        'invalid_request_error',
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      ),
      'insufficient_quota',
    ],
    [
      'a missing version header',
      400,
      anthropicError('invalid_request_error', 'anthropic-version: header is required'),
      'error',
    ],
    [
      'a rate limit',
      429,
      anthropicError(
        'rate_limit_error',
        'This request would exceed the rate limit for your organization.',
      ),
      'rate_limited',
    ],
    ['a server error', 500, anthropicError('api_error', 'Internal server error'), 'error'],
    ['an overload', 529, anthropicError('overloaded_error', 'Overloaded'), 'error'],
  ],
  mistral: [
    ['a model list', 200, modelList('mistral-small-latest'), 'valid'],
    ['a wrong key', 401, { message: 'Unauthorized', request_id: 'abc' }, 'invalid'],
    [
      'an exhausted quota',
      429,
      mistralError('You have exceeded your monthly quota for this workspace.', 'quota_exceeded'),
      'insufficient_quota',
    ],
    [
      'a rate limit',
      429,
      mistralError('Requests rate limit exceeded', 'rate_limited'),
      'rate_limited',
    ],
    ['an outage', 503, mistralError('Service unavailable.', 'internal_server_error'), 'error'],
  ],
  deepinfra: [
    ['a model list', 200, modelList('meta-llama/Meta-Llama-3.1-8B-Instruct'), 'valid'],
    [
      'a wrong key',
      401,
      openAiError('Not authenticated', 'invalid_request_error', null),
      'invalid',
    ],
    ['a refused key', 403, { detail: { error: 'Not authenticated' } }, 'invalid'],
    [
      'an empty balance',
      402,
      openAiError('Payment required: your balance is insufficient.', 'invalid_request_error', null),
      'insufficient_quota',
    ],
    [
      'a rate limit',
      429,
      openAiError('Rate limited: too many requests.', 'rate_limit', null),
      'rate_limited',
    ],
    ['a server error', 500, openAiError('Internal server error', 'server_error', null), 'error'],
  ],
  perplexity: [
    // The empty verification request is refused as invalid only after the key was accepted.
    [
      'an authenticated but invalid request',
      400,
      {
        error: { message: '["At body -> model: Field required"]', type: 'bad_request', code: 400 },
      },
      'valid',
    ],
    [
      'an authenticated but unprocessable request',
      422,
      { detail: [{ msg: 'Field required' }] },
      'valid',
    ],
    ['a wrong key (an HTML page)', 401, openResty('401 Authorization Required'), 'invalid'],
    [
      'an exhausted quota',
      429,
      {
        error: {
          message: 'You exceeded your current quota: insufficient credits.',
          type: 'insufficient_quota',
          code: 429,
        },
      },
      'insufficient_quota',
    ],
    [
      'a rate limit',
      429,
      {
        error: {
          message: 'Rate limit exceeded. Please slow down.',
          type: 'rate_limit_exceeded',
          code: 429,
        },
      },
      'rate_limited',
    ],
    ['an outage (an HTML page)', 503, openResty('503 Service Temporarily Unavailable'), 'error'],
  ],
  runway: [
    ['an organization with credits', 200, runwayOrganization(12_500), 'valid'],
    ['an organization without credits', 200, runwayOrganization(0), 'insufficient_quota'],
    ['a wrong key', 401, { error: 'Invalid API key.' }, 'invalid'],
    [
      'a missing version header',
      400,
      { error: 'The X-Runway-Version header is required.' },
      'error',
    ],
    ['a rate limit', 429, { error: 'Too many requests. Please slow down.' }, 'rate_limited'],
    ['a server error', 500, { error: 'An unexpected error occurred.' }, 'error'],
  ],
  together: [
    [
      'a model list (a bare array)',
      200,
      [{ id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', object: 'model' }],
      'valid',
    ],
    [
      'a wrong key',
      401,
      openAiError('Invalid API key provided.', 'invalid_request_error', 'invalid_api_key'),
      'invalid',
    ],
    [
      'an exhausted credit limit',
      402,
      openAiError(
        'Credit limit exceeded. Please add credit or upgrade your plan.',
        'credit_limit',
        null,
      ),
      'insufficient_quota',
    ],
    [
      'a rate limit',
      429,
      openAiError('Request was rejected due to request rate limiting.', 'rate_limit', null),
      'rate_limited',
    ],
    [
      'an outage',
      503,
      openAiError('The server is overloaded or not ready yet.', 'server_error', null),
      'error',
    ],
  ],
};

/** A key in each provider's real format. */
const SAMPLE_KEYS: Record<ProviderId, string> = {
  openai: 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6h',
  anthropic: 'sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-_Ab3dE',
  mistral: 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
  deepinfra: 'Zy4xWv1uTs8rQp5oNm2lKj9iHg6fEd3c',
  perplexity: 'pplx-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9k',
  runway: 'key_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
  together: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
};

describe('provider adapters', () => {
  it('cover every provider, each under its own id', () => {
    expect(Object.keys(PROVIDER_ADAPTERS).sort()).toEqual([...PROVIDER_IDS].sort());
    for (const [id, adapter] of Object.entries(PROVIDER_ADAPTERS)) expect(adapter.info.id).toBe(id);
  });

  describe.each(PROVIDER_IDS)('%s', (id) => {
    const adapter = PROVIDER_ADAPTERS[id];

    // The body goes last so that the test name can show the expected status.
    const named = CASES[id].map(
      ([label, status, body, expected]): [string, number, CredentialStatus, unknown] => [
        label,
        status,
        expected,
        body,
      ],
    );
    it.each(named)(
      'reads %s (%i) as %s',
      (_label: string, httpStatus: number, expected: CredentialStatus, body: unknown) => {
        expect(adapter.classify(httpStatus, body)).toBe(expected);
      },
    );

    it('reads statuses it does not expect as errors, whatever the body', () => {
      for (const status of [404, 405, 500, 502, 504]) {
        expect(adapter.classify(status, null)).toBe('error');
        expect(adapter.classify(status, '<html>Bad Gateway</html>')).toBe('error');
      }
    });

    it('lists models named after the provider, within its capabilities, with sane prices', () => {
      const { info } = adapter;
      expect(info.models.length).toBeGreaterThan(0);
      expect(new Set(info.models.map((model) => model.id)).size).toBe(info.models.length);
      for (const capability of info.capabilities) expect(CAPABILITIES).toContain(capability);
      for (const model of info.models) {
        expect(model.id.startsWith(`${id}/`)).toBe(true);
        expect(model.id.length).toBeGreaterThan(id.length + 1);
        expect(model.name.trim()).not.toBe('');
        expect(model.capabilities.length).toBeGreaterThan(0);
        expect(info.capabilities).toEqual(expect.arrayContaining(model.capabilities));
        for (const price of [model.inputPricePerMillion, model.outputPricePerMillion]) {
          expect(Number.isFinite(price)).toBe(true);
          expect(price).toBeGreaterThanOrEqual(0);
        }
      }
    });

    it('has a key hint whose pattern compiles and accepts a real-format key', () => {
      const { pattern } = adapter.info.keyHint;
      expect(adapter.info.keyHint.description.trim()).not.toBe('');
      if (pattern === null) return;
      const regex = new RegExp(pattern);
      expect(regex.test(SAMPLE_KEYS[id])).toBe(true);
      expect(regex.test('')).toBe(false);
      expect(regex.test(`${SAMPLE_KEYS[id]} `)).toBe(false);
    });

    it('sends the key in exactly one auth header, and nowhere else', () => {
      const key = SAMPLE_KEYS[id];
      const headers = adapter.authHeaders(key);
      const carrying = Object.entries(headers).filter(([, value]) => value.includes(key));
      expect(carrying).toHaveLength(1);
      const [name, value] = carrying[0]!;
      expect([`authorization: Bearer ${key}`, `x-api-key: ${key}`]).toContain(`${name}: ${value}`);
      for (const [header, headerValue] of Object.entries(headers)) {
        expect(header).toBe(header.toLowerCase());
        expect(header).not.toContain(key);
        expect(headerValue).not.toMatch(/[\r\n]/);
      }
      expect(adapter.verification.path).not.toContain(key);
      expect(JSON.stringify(adapter.verification.body ?? null)).not.toContain(key);
    });

    it('verifies with a cheap request against an HTTPS default', () => {
      const { method, path, body } = adapter.verification;
      expect(path).toMatch(/^\/[\w/.-]+$/);
      if (method === 'GET') expect(body).toBeUndefined();
      const base = new URL(adapter.defaultBaseUrl);
      expect(base.protocol).toBe('https:');
      expect(adapter.defaultBaseUrl.endsWith('/')).toBe(false);
      expect(new URL(adapter.info.docsUrl).protocol).toBe('https:');
    });
  });

  it('send the version headers Anthropic and Runway require', () => {
    expect(PROVIDER_ADAPTERS.anthropic.authHeaders('k')['anthropic-version']).toMatch(
      /^\d{4}-\d{2}-\d{2}$/,
    );
    expect(PROVIDER_ADAPTERS.runway.authHeaders('k')['x-runway-version']).toMatch(
      /^\d{4}-\d{2}-\d{2}$/,
    );
  });
});
