/**
 * Every error Keyward answers with has this body. `code` is stable and meant for programs;
 * `message` is for people and may change.
 */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  /** Present on validation errors: one entry per offending field. */
  errors?: FieldError[];
  /** Facts a program may act on, such as `{ limit, used, resetsAt }` on quota errors. */
  details?: Record<string, unknown>;
  /** On the guarded API (`/v1`) only: the same error in the shape OpenAI's SDKs read. */
  error?: { message: string; type: string; code: string };
}

export interface FieldError {
  field: string;
  messages: string[];
}

export const ERROR_CODES = [
  // generic
  'validation_failed',
  'bad_request',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  /** The URL and headers together pass the server's header size limit (431). */
  'headers_too_large',
  /** The request's headers did not arrive within the server's time limit (408). */
  'request_timeout',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'service_unavailable',
  /** The database cannot be reached; retry after the Retry-After header's seconds. */
  'database_unavailable',
  /** A statement ran past DATABASE_QUERY_TIMEOUT_MS and the database cancelled it. */
  'database_timeout',
  /** Another change to the same records collided with this one and won; sending it again is safe. */
  'concurrent_change',
  // console auth
  'unauthenticated',
  'token_expired',
  'invalid_token',
  'forbidden',
  'invalid_credentials',
  'account_disabled',
  'email_taken',
  'registration_disabled',
  'refresh_token_missing',
  'refresh_token_invalid',
  'refresh_token_reused',
  'session_revoked',
  'weak_password',
  'last_admin',
  // API keys
  'missing_key',
  'invalid_key',
  'key_revoked',
  'key_expired',
  'insufficient_scope',
  'model_not_allowed',
  'scope_not_held',
  'key_not_active',
  'invalid_leak_report',
  // provider vault
  'unknown_provider',
  'decryption_failed',
  // guarded API
  'model_not_found',
  'no_credential',
  'upstream_unavailable',
  /**
   * The caller hung up before the answer was ready. Nobody reads it; it names the request in usage
   * events, metrics and logs (status 499, as proxies record it).
   */
  'client_closed',
  /**
   * The server's stop reached its timeout with the request still running (a stream that did not
   * end) and cut it. Like client_closed, it names the request in usage events, metrics and logs.
   */
  'server_stopping',
  'upstream_error',
  'upstream_rejected',
  'quota_exceeded',
  'budget_exceeded',
  // plans and webhooks
  'upgrade_pending',
  /** An upgrade request already approved or declined. */
  'upgrade_decided',
  /** The user's plan changed after the request was made: approving it would undo that. */
  'plan_changed',
  /** A plan that users are on, or that new accounts start on, cannot be retired. */
  'plan_in_use',
  'webhook_url_refused',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
