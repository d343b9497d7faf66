import type { AuditEventResponse, ErrorBody, LoginResponse, Page } from '@keyward/shared';
import { randomBytes } from 'node:crypto';

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

/** A tiny HTTP client for tests: JSON in, JSON (or text) out, nothing hidden. */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('application/json') && text) {
    parsed = JSON.parse(text);
  }
  return { status: response.status, body: parsed as T, headers: response.headers, text };
}

export type ErrorResult = HttpResult<ErrorBody>;

/** The audit events `token` may see, narrowed by a query string such as `?action=key.leaked`. */
export async function auditEvents(
  baseUrl: string,
  token: string,
  query = '',
): Promise<AuditEventResponse[]> {
  return (await call<Page<AuditEventResponse>>(baseUrl, 'GET', `/api/audit${query}`, { token }))
    .body.items;
}

/** The refresh cookie from a response, ready to send back as a Cookie header. */
export function refreshCookie(result: HttpResult): string | undefined {
  const setCookie = result.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith('kw_refresh='));
  if (!setCookie) return undefined;
  const pair = setCookie.split(';')[0];
  return pair === 'kw_refresh=' ? undefined : pair;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

export interface SignedIn {
  email: string;
  password: string;
  accessToken: string;
  cookie: string;
  userId: string;
}

/** Registers a fresh user and signs in. */
export async function signUp(baseUrl: string, label = 'user'): Promise<SignedIn> {
  const email = uniqueEmail(label);
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const registered = await call(baseUrl, 'POST', '/api/auth/register', {
    body: { email, password },
  });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);
  return signIn(baseUrl, email, password);
}

export async function signIn(baseUrl: string, email: string, password: string): Promise<SignedIn> {
  const login = await call<LoginResponse>(baseUrl, 'POST', '/api/auth/login', {
    body: { email, password },
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
  const cookie = refreshCookie(login);
  if (!cookie) throw new Error('login set no refresh cookie');
  return {
    email,
    password,
    accessToken: login.body.accessToken,
    cookie,
    userId: login.body.user.id,
  };
}
