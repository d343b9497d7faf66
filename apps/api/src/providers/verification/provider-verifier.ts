import type { CredentialStatus } from '@keyward/shared';
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { connectionFailure } from '../../network/connection-failure.js';
import { refusalIn } from '../../network/outbound-guard.js';
import type { ProviderAdapter } from '../adapters/provider-adapter.js';
import { errorText } from '../adapters/provider-adapter.js';
import { redactSecret } from './redact-secret.js';

export interface VerificationOutcome {
  status: CredentialStatus;
  httpStatus: number | null;
  latencyMs: number;
  /** A short, secret-free summary for people. */
  message: string;
}

export interface VerifyOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  /** Connections to the providers, refusing addresses they may not have (ProviderNetwork). */
  dispatcher: Dispatcher;
}

const SUMMARY: Record<CredentialStatus, string> = {
  valid: 'The key works.',
  invalid: 'The provider rejected this key.',
  insufficient_quota: 'The key works but its account has no quota or credit left.',
  rate_limited: 'The provider is rate limiting this key; try again later.',
  error: 'The provider answered with an error.',
  unverified: 'Not verified yet.',
};

/**
 * Sends the adapter's read-only verification request to the configured base URL: with a timeout,
 * without following redirects (undici's `request` follows none), only to addresses the
 * dispatcher allows, reading at most `maxBodyBytes` of the answer. The key never
 * appears in the returned message.
 */
export async function verifyCredential(
  adapter: ProviderAdapter,
  baseUrl: string,
  apiKey: string,
  options: VerifyOptions,
): Promise<VerificationOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const { method, path, body } = adapter.verification;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(joinUrl(baseUrl, path), {
      method,
      dispatcher: options.dispatcher,
      headers: {
        accept: 'application/json',
        'user-agent': 'Keyward/0.1 (credential check)',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...adapter.authHeaders(apiKey),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: deadline,
    });
    const text = await readBounded(response.body, options.maxBodyBytes);
    const parsed = parseJson(text);
    if (response.statusCode >= 300 && response.statusCode < 400) {
      return {
        status: 'error',
        httpStatus: response.statusCode,
        latencyMs: elapsed(),
        message: 'The provider answered with a redirect, which Keyward does not follow.',
      };
    }
    const status = adapter.classify(response.statusCode, parsed);
    // Only the provider's own error wording is shown; a raw body (HTML, account JSON) is not.
    const detail =
      status === 'valid' || typeof parsed !== 'object' ? '' : summarise(errorText(parsed), apiKey);
    return {
      status,
      httpStatus: response.statusCode,
      latencyMs: elapsed(),
      message: detail ? `${SUMMARY[status]} (${detail})` : SUMMARY[status],
    };
  } catch (error) {
    if (refusalIn(error)) {
      return {
        status: 'error',
        httpStatus: null,
        latencyMs: elapsed(),
        message:
          'The provider is configured at an internal network address, which Keyward may not connect to.',
      };
    }
    // Undici's own timeouts and the abort signal both end up here; the signal says which.
    const timedOut = deadline.aborted || performance.now() - started >= options.timeoutMs;
    return {
      status: 'error',
      httpStatus: null,
      latencyMs: elapsed(),
      message: timedOut
        ? `The provider did not answer within ${options.timeoutMs} ms.`
        : unreachable(connectionFailure(error)),
    };
  }
}

function unreachable(cause: string | null): string {
  return cause
    ? `The provider could not be reached: ${cause}.`
    : 'The provider could not be reached.';
}

/** Joins a base URL that may carry a path prefix (`https://gateway/openai`) with the adapter's path. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

async function readBounded(
  body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void },
  max: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk);
    const room = max - size;
    chunks.push(room < buffer.length ? buffer.subarray(0, room) : buffer);
    size += Math.min(buffer.length, room);
    if (size >= max) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** At most 200 characters of the provider's wording, with any echo of the key removed. */
function summarise(text: string, apiKey: string): string {
  // Control characters go with the whitespace: they mean nothing to a reader, and PostgreSQL
  // refuses a NUL in text, which would fail the check's own record.
  const clean = redactSecret(text.replace(/[\s\p{Cc}]+/gu, ' ').trim(), apiKey);
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}
