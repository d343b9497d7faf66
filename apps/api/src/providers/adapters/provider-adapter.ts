import type { CredentialStatus, ProviderInfo } from '@keyward/shared';

/** The cheapest request that proves a key works, without reading or writing user data. */
export interface VerificationRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/**
 * How a provider takes chat requests: most speak OpenAI's Chat Completions shape at some path;
 * Anthropic speaks its own Messages API, which the gateway translates to and from.
 */
export interface ChatEndpoint {
  protocol: 'openai' | 'anthropic';
  path: string;
}

/**
 * Everything Keyward knows about one provider. Adding a provider is one file implementing this,
 * one line in `index.ts`, and its cases in the adapter spec.
 */
export interface ProviderAdapter {
  info: ProviderInfo;
  defaultBaseUrl: string;
  /** How the key travels (and any version header the provider requires). */
  authHeaders(apiKey: string): Record<string, string>;
  verification: VerificationRequest;
  /** Absent for providers that cannot chat (e.g. video generation). */
  chat?: ChatEndpoint;
  /** Reads the verification answer. `body` is the parsed JSON, or the text, or null. */
  classify(httpStatus: number, body: unknown): CredentialStatus;
}

const QUOTA_WORDS = /quota|billing|credit|insufficient|balance|payment/i;

/** The answer most providers give, which adapters refine where theirs differs. */
export function classifyCommon(httpStatus: number, body: unknown): CredentialStatus {
  if (httpStatus >= 200 && httpStatus < 300) return 'valid';
  if (httpStatus === 401 || httpStatus === 403) return 'invalid';
  if (httpStatus === 402) return 'insufficient_quota';
  if (httpStatus === 429) return isQuotaError(body) ? 'insufficient_quota' : 'rate_limited';
  return 'error';
}

/**
 * A 429 means "slow down" unless the provider says the money ran out. Its machine-readable code
 * or type decides first: OpenAI's plain rate-limit message also talks about billing.
 */
function isQuotaError(body: unknown): boolean {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const { code, type } = error as { code?: unknown; type?: unknown };
    const label = [code, type].filter((part) => typeof part === 'string').join(' ');
    if (/quota|billing|credit|balance/i.test(label)) return true;
    if (/rate_limit|requests|tokens/i.test(label)) return false;
  }
  return QUOTA_WORDS.test(errorText(body));
}

/** The provider's own error wording, wherever its JSON puts it. */
export function errorText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body === null || typeof body !== 'object') return '';
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const inner = error as Record<string, unknown>;
    return [inner.code, inner.type, inner.message]
      .filter((part) => typeof part === 'string')
      .join(' ');
  }
  const detail = record.detail ?? record.message;
  return typeof detail === 'string' ? detail : '';
}

export const bearer = (apiKey: string): Record<string, string> => ({
  authorization: `Bearer ${apiKey}`,
});
