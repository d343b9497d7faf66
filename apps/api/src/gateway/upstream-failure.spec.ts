import { describe, expect, it } from '@jest/globals';
import { anthropic } from '../providers/adapters/anthropic.adapter.js';
import { openai } from '../providers/adapters/openai.adapter.js';
import { attemptErrorCode, callerGone, isCallersFault } from './upstream-failure.js';

const openAiError = (type: string, code: string | null, message = 'x') => ({
  error: { message, type, code },
});

describe('isCallersFault', () => {
  it('keeps malformed requests and unknown models with the caller', () => {
    expect(isCallersFault(openai, 400, openAiError('invalid_request_error', null))).toBe(true);
    expect(
      isCallersFault(openai, 404, openAiError('invalid_request_error', 'model_not_found')),
    ).toBe(true);
    expect(isCallersFault(openai, 422, null)).toBe(true);
  });

  it('sends rate limits, outages and credential problems to the next provider', () => {
    expect(isCallersFault(openai, 429, openAiError('requests', 'rate_limit_exceeded'))).toBe(false);
    expect(
      isCallersFault(openai, 429, openAiError('insufficient_quota', 'insufficient_quota')),
    ).toBe(false);
    expect(
      isCallersFault(openai, 401, openAiError('invalid_request_error', 'invalid_api_key')),
    ).toBe(false);
    expect(isCallersFault(openai, 500, null)).toBe(false);
    expect(isCallersFault(anthropic, 529, null)).toBe(false);
    expect(isCallersFault(openai, 302, null)).toBe(false);
  });

  it("reads Anthropic's empty balance (a 400) as the credential's problem", () => {
    const body = {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'Your credit balance is too low' },
    };
    expect(isCallersFault(anthropic, 400, body)).toBe(false);
    expect(attemptErrorCode(anthropic, 400, body)).toBe('upstream_quota');
  });
});

describe('attemptErrorCode', () => {
  it('names each kind of failure', () => {
    expect(attemptErrorCode(openai, 429, openAiError('requests', 'rate_limit_exceeded'))).toBe(
      'upstream_rate_limited',
    );
    expect(
      attemptErrorCode(openai, 429, openAiError('insufficient_quota', 'insufficient_quota')),
    ).toBe('upstream_quota');
    expect(attemptErrorCode(openai, 401, null)).toBe('upstream_auth_failed');
    expect(attemptErrorCode(openai, 503, null)).toBe('upstream_error');
    expect(attemptErrorCode(openai, 400, openAiError('invalid_request_error', null))).toBe(
      'upstream_rejected',
    );
  });
});

describe('callerGone', () => {
  const closedWith = (reason?: string) => {
    const hangUp = new AbortController();
    hangUp.abort(reason);
    return callerGone(hangUp.signal);
  };

  it('tells a caller who hung up from a stop that cut the request', () => {
    expect(closedWith('client_closed')).toMatchObject({ statusCode: 499, code: 'client_closed' });
    expect(closedWith()).toMatchObject({ statusCode: 499, code: 'client_closed' });
    expect(closedWith('server_stopping')).toMatchObject({
      statusCode: 503,
      code: 'server_stopping',
    });
  });
});
