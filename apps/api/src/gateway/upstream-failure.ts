import type { UsageAttempt } from '@keyward/shared';
import { AppException } from '../common/app.exception.js';
import type { ProviderAdapter } from '../providers/adapters/provider-adapter.js';

/**
 * Whether a provider's refusal is the caller's own doing (a malformed request, a model the
 * provider does not have), which another provider would refuse too. Everything else — rate
 * limits, outages, and problems with the stored credential — is worth trying elsewhere.
 */
export function isCallersFault(adapter: ProviderAdapter, status: number, body: unknown): boolean {
  if (status < 400 || status >= 500) return false;
  if (status === 401 || status === 402 || status === 403 || status === 408 || status === 429) {
    return false;
  }
  const verdict = adapter.classify(status, body);
  return verdict !== 'insufficient_quota' && verdict !== 'invalid' && verdict !== 'rate_limited';
}

/** The code recorded for a failed attempt, for usage history and the final error message. */
export function attemptErrorCode(adapter: ProviderAdapter, status: number, body: unknown): string {
  if (status === 429 && adapter.classify(status, body) !== 'insufficient_quota') {
    return 'upstream_rate_limited';
  }
  if (status === 401 || status === 403) return 'upstream_auth_failed';
  if (status === 402 || adapter.classify(status, body) === 'insufficient_quota') {
    return 'upstream_quota';
  }
  if (status >= 400 && status < 500 && isCallersFault(adapter, status, body)) {
    return 'upstream_rejected';
  }
  return 'upstream_error';
}

/** How a failed attempt reads in the error message a caller gets when every provider failed. */
export function describeAttempt(
  provider: string,
  status: number | null,
  code: string,
  cause?: string,
): string {
  switch (code) {
    case 'no_credential':
      return `${provider} has no usable credential`;
    case 'upstream_timeout':
      return `${provider} timed out`;
    case 'upstream_unreachable':
      return `${provider} could not be reached${cause ? ` (${cause})` : ''}`;
    case 'upstream_refused':
      return `${provider} is configured at an internal address Keyward may not connect to`;
    case 'unsupported_request':
      return `${provider} cannot take this request`;
    case 'upstream_too_large':
      return `${provider} answered with too much data`;
    case 'upstream_malformed':
    case 'upstream_stream_broken':
      return `${provider} answered with something unreadable`;
    default:
      return status === null ? `${provider} failed` : `${provider} answered ${status}`;
  }
}

/** Who closed a guarded call's connection before its end, from its aborted signal. */
export function hangUpCode(signal: AbortSignal): 'client_closed' | 'server_stopping' {
  return signal.reason === 'server_stopping' ? 'server_stopping' : 'client_closed';
}

/**
 * The connection closed before the answer (the caller hung up, or a stop cut it): no other
 * provider is tried for an answer nobody will read.
 */
export function callerGone(signal: AbortSignal): AppException {
  return hangUpCode(signal) === 'server_stopping'
    ? new AppException(503, 'server_stopping', 'The server stopped before the answer')
    : new AppException(499, 'client_closed', 'The caller closed the connection before the answer');
}

/**
 * The answer when no candidate served `modelId`: 400 when the owner holds no usable credential
 * for any of them, else 502 naming what each attempt met.
 */
export function allAttemptsFailed(attempts: UsageAttempt[], modelId: string): AppException {
  if (attempts.every((attempt) => attempt.errorCode === 'no_credential')) {
    return new AppException(
      400,
      'no_credential',
      `No usable ${attempts.map((a) => a.provider).join(' or ')} credential is stored for this account; add or replace one under Providers in the console`,
    );
  }
  const summary = attempts
    .map((a) => describeAttempt(a.provider, a.status, a.errorCode ?? 'upstream_error', a.cause))
    .join('; ');
  return new AppException(
    502,
    'upstream_unavailable',
    `No provider could serve ${modelId}: ${summary}`,
    undefined,
    {},
    {
      attempts: attempts.map(({ provider, model, status, errorCode, cause }) => ({
        provider,
        model,
        status,
        errorCode,
        ...(cause === undefined ? {} : { cause }),
      })),
    },
  );
}
