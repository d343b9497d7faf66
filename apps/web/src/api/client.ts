import type {
  ApiKeyResponse,
  ApiKeyUsageResponse,
  ApiKeyStatus,
  AuditEventResponse,
  AuditVerifyResponse,
  ChangePasswordRequest,
  CreateApiKeyRequest,
  CreatedApiKeyResponse,
  CreateProviderKeyRequest,
  ErrorBody,
  ErrorCode,
  FieldError,
  HealthResponse,
  LoginResponse,
  MeResponse,
  NotificationResponse,
  PlanResponse,
  UpgradeRequestResponse,
  UpsertPlanRequest,
  UsageBreakdownResponse,
  UsageDailyResponse,
  UsageEventResponse,
  UsageEventSort,
  UsageSummaryResponse,
  WebhookResponse,
  WebhookTestResponse,
  WebhookWithSecretResponse,
  Page,
  ProviderInfo,
  ProviderKeyResponse,
  ProviderKeyTestResponse,
  ProviderPreferencesRequest,
  ProviderPreferencesResponse,
  ProviderStatusEntry,
  RefreshResponse,
  RegenerateApiKeyRequest,
  RegeneratedApiKeyResponse,
  RegisterResponse,
  Role,
  ScopeCatalogueResponse,
  UpdateApiKeyRequest,
  UpdateProfileRequest,
  UpdateProviderKeyRequest,
  UserResponse,
} from '@keyward/shared';
import { refreshEndsSession } from '@keyward/shared';

/**
 * The one typed client for the Keyward API.
 *
 * The access token lives only in this module's memory: never in localStorage, sessionStorage,
 * cookies readable by script, or URLs. The refresh token is an httpOnly cookie the browser sends
 * to /api/auth on its own, so a reload restores the session by calling /api/auth/refresh.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  /** Seconds from a Retry-After header (429), when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(body: ErrorBody, retryAfterSeconds?: number) {
    super(body.message);
    this.name = 'ApiError';
    this.status = body.statusCode;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get code(): ErrorCode {
    return this.body.code;
  }

  get fieldErrors(): FieldError[] {
    return this.body.errors ?? [];
  }
}

export type Session =
  | { status: 'unknown' }
  /** `signedOut`: the user ended the session here (not an expiry), for the sign-in page to say. */
  | { status: 'anonymous'; signedOut?: boolean }
  | { status: 'authenticated'; user: UserResponse }
  /**
   * On load, the server could not say whether the session is still valid (it was unreachable,
   * restarting or overloaded): the cookie may well be good, so this is not a sign-out.
   */
  | { status: 'unreachable'; message: string };

let accessToken: string | null = null;
let session: Session = { status: 'unknown' };
const listeners = new Set<() => void>();
let refreshInFlight: Promise<Session> | null = null;

function setSession(next: Session, token: string | null): void {
  accessToken = token;
  // Requests still in flight when the user signs out come back 401 just after; the session stays
  // "signed out" rather than "expired", so the sign-in page still says why it is shown.
  const stillSignedOut =
    next.status === 'anonymous' && session.status === 'anonymous' && session.signedOut === true;
  session = stillSignedOut ? { status: 'anonymous', signedOut: true } : next;
  for (const listener of listeners) listener();
}

/** For useSyncExternalStore. */
export function getSession(): Session {
  return session;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Keeps the signed-in user's details fresh (e.g. after /me) without touching the token. */
export function updateSessionUser(user: UserResponse): void {
  if (session.status === 'authenticated') {
    setSession({ status: 'authenticated', user }, accessToken);
  }
}

const RETRYABLE_AUTH_CODES: ReadonlySet<ErrorCode> = new Set(['token_expired', 'invalid_token']);

type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  /** Send the access token and recover from an expired one (default true). */
  auth?: boolean;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

async function toApiError(response: Response): Promise<ApiError> {
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    // A proxy error page or an empty body: fall through to a generic error.
  }
  return apiErrorFrom(response, parsed);
}

function apiErrorFrom(response: Response, parsed: unknown): ApiError {
  const retryAfter = Number(response.headers.get('Retry-After'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  if (isErrorBody(parsed)) {
    return new ApiError({ ...parsed, statusCode: response.status }, retryAfterSeconds);
  }
  return new ApiError(
    {
      statusCode: response.status,
      code: response.status >= 500 ? 'internal_error' : 'bad_request',
      message: `The server answered ${response.status} ${response.statusText}`.trim(),
    },
    retryAfterSeconds,
  );
}

function isHealthReport(value: unknown): value is HealthResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    'database' in value &&
    typeof value.database === 'string'
  );
}

async function send(method: HttpMethod, path: string, options: RequestOptions): Promise<Response> {
  const headers = new Headers({ Accept: 'application/json' });
  if (options.body !== undefined) headers.set('Content-Type', 'application/json');
  if ((options.auth ?? true) && accessToken) headers.set('Authorization', `Bearer ${accessToken}`);
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError({
      statusCode: 0,
      code: 'service_unavailable',
      message: 'Could not reach the Keyward server. Check your connection and try again.',
    });
  }
}

async function request<T>(
  method: HttpMethod,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const useAuth = options.auth ?? true;
  let response = await send(method, path, options);

  if (response.status === 401 && useAuth) {
    const error = await toApiError(response);
    if (!RETRYABLE_AUTH_CODES.has(error.code)) {
      setSession({ status: 'anonymous' }, null);
      throw error;
    }
    // Expired or unreadable access token: refresh once through the cookie, then retry once.
    const refreshed = await refreshSession();
    if (refreshed.status !== 'authenticated') throw error;
    response = await send(method, path, options);
    if (response.status === 401) {
      setSession({ status: 'anonymous' }, null);
      throw await toApiError(response);
    }
  }

  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function signedIn(body: LoginResponse): LoginResponse {
  setSession({ status: 'authenticated', user: body.user }, body.accessToken);
  return body;
}

/** From the "unreachable" page: asks the server again. */
export function retrySessionRestore(): void {
  setSession({ status: 'unknown' }, null);
  refreshSession().catch(() => {
    // The session shows the outcome (unreachable again, signed in, or signed out).
  });
}

/** How long a tab waits for its turn to refresh (see oneTabAtATime). */
const TAB_TURN_WAIT_MS = 15_000;

/**
 * Runs `work` while no other tab of this console runs it. The refresh cookie is shared by every
 * tab and rotates at each use: two tabs refreshing at once would present the same token, and
 * whichever answer the browser stored last could be a token the other exchange had already spent,
 * which the server takes for a stolen one at the next refresh and ends the session. Taking turns,
 * the second tab presents the cookie the first one just got. Web Locks need a secure context
 * (HTTPS or localhost); elsewhere each tab refreshes on its own, as before.
 */
async function oneTabAtATime<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (typeof navigator === 'undefined' || !('locks' in navigator)) return work();
  try {
    return await navigator.locks.request(
      name,
      { signal: AbortSignal.timeout(TAB_TURN_WAIT_MS) },
      work,
    );
  } catch (error) {
    // Another tab's refresh is stuck (its server stopped answering): go on without the turn
    // rather than wait behind it. Errors of `work` itself pass through.
    if (error instanceof DOMException && error.name === 'TimeoutError') return work();
    throw error;
  }
}

/**
 * Exchanges the refresh cookie for a new access token. Concurrent callers share one request, and
 * tabs take turns (see oneTabAtATime): refresh tokens rotate, so two parallel refreshes would
 * look like token reuse to the server.
 */
export function refreshSession(): Promise<Session> {
  refreshInFlight ??= (async (): Promise<Session> => {
    try {
      const body = await oneTabAtATime('keyward-session-refresh', () =>
        request<RefreshResponse>('POST', '/api/auth/refresh', { auth: false }),
      );
      signedIn(body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (refreshEndsSession(error.body)) {
        setSession({ status: 'anonymous' }, null);
      } else {
        // The server could not answer (down, restarting in a deploy, overloaded): the session
        // stays as it was, so a signed-in page keeps its state and the call that needed the
        // refresh fails with this error; a page load says the server is unreachable.
        if (session.status !== 'authenticated') {
          setSession({ status: 'unreachable', message: error.message }, null);
        }
        throw error;
      }
    } finally {
      refreshInFlight = null;
    }
    return session;
  })();
  return refreshInFlight;
}

export interface LoginInput {
  email: string;
  password: string;
}

export interface RegisterInput extends LoginInput {
  name?: string;
}

export interface UpdateUserInput {
  role?: Role;
  disabled?: boolean;
  planId?: string;
}

export interface PageParams {
  page: number;
  pageSize: number;
}

export interface ApiKeyListParams extends PageParams {
  status?: ApiKeyStatus | undefined;
  name?: string | undefined;
}

export interface AuditListParams extends PageParams {
  /** An action (key.create) or a prefix (key) for every action under it. */
  action?: string | undefined;
  /** ISO 8601 instants: from is inclusive, to is exclusive. */
  from?: string | undefined;
  to?: string | undefined;
}

export interface UsageEventParams extends PageParams {
  keyId?: string | undefined;
  route?: string | undefined;
  model?: string | undefined;
  /** An exact status (429) or a class (4xx). */
  status?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  sort?: UsageEventSort | undefined;
  order?: 'asc' | 'desc' | undefined;
}

export interface UsageExportParams {
  from: string;
  to: string;
  keyId?: string | undefined;
}

export interface DownloadedFile {
  blob: Blob;
  /** The name the server suggests (Content-Disposition), when it gives one. */
  filename: string | null;
}

/** A query string from the parameters that are set; empty strings and undefined are left out. */
function queryString(params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

/**
 * Downloads a file the API answers with (a CSV export) through the same authenticated fetch as
 * every other call. The access token travels in the Authorization header, never in a URL that
 * a link, the history or a proxy log could keep.
 */
async function download(path: string): Promise<DownloadedFile> {
  let response = await send('GET', path, {});
  if (response.status === 401) {
    const refreshed = await refreshSession();
    if (refreshed.status !== 'authenticated') throw await toApiError(response);
    response = await send('GET', path, {});
  }
  if (!response.ok) throw await toApiError(response);
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null;
  return { blob: await response.blob(), filename };
}

const keyPath = (id: string): string => `/api/api-keys/${encodeURIComponent(id)}`;
const providerKeyPath = (id: string): string => `/api/provider-keys/${encodeURIComponent(id)}`;
const adminPlanPath = (id: string): string => `/api/admin/plans/${encodeURIComponent(id)}`;

export const api = {
  health: async (): Promise<HealthResponse> => {
    const response = await send('GET', '/api/health', { auth: false });
    const parsed: unknown = await response.json().catch(() => null);
    // A 503 carries the same report, saying what is down: shown as "Degraded", not as a failure
    // beside the last good report.
    if ((response.ok || response.status === 503) && isHealthReport(parsed)) return parsed;
    throw apiErrorFrom(response, parsed);
  },

  auth: {
    register: (input: RegisterInput): Promise<RegisterResponse> =>
      request('POST', '/api/auth/register', { body: input, auth: false }),

    login: async (input: LoginInput): Promise<LoginResponse> =>
      signedIn(
        await request<LoginResponse>('POST', '/api/auth/login', { body: input, auth: false }),
      ),

    refresh: refreshSession,

    logout: async (): Promise<void> => {
      try {
        await request<undefined>('POST', '/api/auth/logout', { auth: false });
      } finally {
        // Even if the server call fails, forget the token here.
        setSession({ status: 'anonymous', signedOut: true }, null);
      }
    },

    me: async (): Promise<MeResponse> => {
      const body = await request<MeResponse>('GET', '/api/auth/me');
      updateSessionUser(body.user);
      return body;
    },

    updateProfile: async (input: UpdateProfileRequest): Promise<MeResponse> => {
      const body = await request<MeResponse>('PATCH', '/api/auth/me', { body: input });
      updateSessionUser(body.user);
      return body;
    },

    // The current session stays signed in; every other session of the user ends.
    changePassword: (input: ChangePasswordRequest): Promise<void> =>
      request('POST', '/api/auth/password', { body: input }),
  },

  audit: {
    list: ({
      page,
      pageSize,
      action,
      from,
      to,
    }: AuditListParams): Promise<Page<AuditEventResponse>> => {
      const query = new URLSearchParams({ page: String(page), pageSize: String(pageSize) });
      if (action) query.set('action', action);
      if (from) query.set('from', from);
      if (to) query.set('to', to);
      return request('GET', `/api/audit?${query.toString()}`);
    },

    verify: (): Promise<AuditVerifyResponse> => request('GET', '/api/audit/verify'),
  },

  usage: {
    summary: (days: number, keyId?: string): Promise<UsageSummaryResponse> =>
      request('GET', `/api/usage/summary${queryString({ days, keyId })}`),

    daily: (days: number, keyId?: string): Promise<UsageDailyResponse> =>
      request('GET', `/api/usage/daily${queryString({ days, keyId })}`),

    endpoints: (days: number, keyId?: string): Promise<UsageBreakdownResponse> =>
      request('GET', `/api/usage/endpoints${queryString({ days, keyId })}`),

    models: (days: number, keyId?: string): Promise<UsageBreakdownResponse> =>
      request('GET', `/api/usage/models${queryString({ days, keyId })}`),

    events: ({ page, pageSize, ...filters }: UsageEventParams): Promise<Page<UsageEventResponse>> =>
      request('GET', `/api/usage/events${queryString({ page, pageSize, ...filters })}`),

    exportCsv: ({ from, to, keyId }: UsageExportParams): Promise<DownloadedFile> =>
      download(`/api/usage/export.csv${queryString({ from, to, keyId })}`),

    forKey: (id: string, days: number): Promise<ApiKeyUsageResponse> =>
      request('GET', `${keyPath(id)}/usage${queryString({ days })}`),
  },

  notifications: {
    unread: (): Promise<Page<NotificationResponse>> =>
      request('GET', '/api/notifications?unread=true&page=1&pageSize=5'),

    markRead: (id: string): Promise<NotificationResponse> =>
      request('POST', `/api/notifications/${encodeURIComponent(id)}/read`),

    markAllRead: (): Promise<void> => request('POST', '/api/notifications/read-all'),
  },

  webhook: {
    // 404 means none is set; the hook turns that into null.
    get: (): Promise<WebhookResponse> => request('GET', '/api/settings/webhook'),

    // The secret comes back only when the webhook is new; changing the URL keeps it.
    set: (url: string): Promise<WebhookResponse | WebhookWithSecretResponse> =>
      request('PUT', '/api/settings/webhook', { body: { url } }),

    remove: (): Promise<void> => request('DELETE', '/api/settings/webhook'),

    rotateSecret: (): Promise<WebhookWithSecretResponse> =>
      request('POST', '/api/settings/webhook/rotate-secret'),

    test: (): Promise<WebhookTestResponse> => request('POST', '/api/settings/webhook/test'),
  },

  plans: {
    list: (): Promise<PlanResponse[]> => request('GET', '/api/plans'),

    ownUpgradeRequests: (): Promise<UpgradeRequestResponse[]> =>
      request('GET', '/api/plans/upgrade-requests'),

    requestUpgrade: (input: {
      planId: string;
      message?: string;
    }): Promise<UpgradeRequestResponse> =>
      request('POST', '/api/plans/upgrade-requests', { body: input }),
  },

  admin: {
    // Every plan, retired ones included: open ones first, then retired ones.
    plans: (): Promise<PlanResponse[]> => request('GET', '/api/admin/plans'),

    // Saving a retired plan opens it again.
    savePlan: (id: string, input: UpsertPlanRequest): Promise<PlanResponse> =>
      request('PUT', adminPlanPath(id), { body: input }),

    // Refused (409 plan_in_use) while users are on the plan or new accounts start on it.
    retirePlan: (id: string): Promise<PlanResponse> => request('DELETE', adminPlanPath(id)),

    upgradeRequests: (
      status?: UpgradeRequestResponse['status'],
    ): Promise<UpgradeRequestResponse[]> =>
      request('GET', `/api/admin/upgrade-requests${queryString({ status })}`),

    decideUpgrade: (id: string, status: 'approved' | 'declined'): Promise<UpgradeRequestResponse> =>
      request('POST', `/api/admin/upgrade-requests/${encodeURIComponent(id)}/decision`, {
        body: { status },
      }),

    listUsers: ({ page, pageSize }: PageParams): Promise<Page<UserResponse>> => {
      const query = new URLSearchParams({ page: String(page), pageSize: String(pageSize) });
      return request('GET', `/api/admin/users?${query.toString()}`);
    },

    updateUser: (id: string, input: UpdateUserInput): Promise<UserResponse> =>
      request('PATCH', `/api/admin/users/${encodeURIComponent(id)}`, { body: input }),
  },

  // Secrets travel only in request and response bodies, never in a URL.
  keys: {
    scopes: (): Promise<ScopeCatalogueResponse> => request('GET', '/api/api-keys/scopes'),

    list: ({ page, pageSize, status, name }: ApiKeyListParams): Promise<Page<ApiKeyResponse>> => {
      const query = new URLSearchParams({ page: String(page), pageSize: String(pageSize) });
      if (status) query.set('status', status);
      if (name) query.set('name', name);
      return request('GET', `/api/api-keys?${query.toString()}`);
    },

    create: (input: CreateApiKeyRequest): Promise<CreatedApiKeyResponse> =>
      request('POST', '/api/api-keys', { body: input }),

    update: (id: string, input: UpdateApiKeyRequest): Promise<ApiKeyResponse> =>
      request('PATCH', keyPath(id), { body: input }),

    revoke: (id: string): Promise<void> => request('DELETE', keyPath(id)),

    regenerate: (id: string, input: RegenerateApiKeyRequest): Promise<RegeneratedApiKeyResponse> =>
      request('POST', `${keyPath(id)}/regenerate`, { body: input }),
  },

  providers: {
    catalogue: (): Promise<ProviderInfo[]> => request('GET', '/api/providers'),

    status: (): Promise<ProviderStatusEntry[]> => request('GET', '/api/providers/status'),

    listKeys: (): Promise<ProviderKeyResponse[]> => request('GET', '/api/provider-keys'),

    createKey: (input: CreateProviderKeyRequest): Promise<ProviderKeyResponse> =>
      request('POST', '/api/provider-keys', { body: input }),

    updateKey: (id: string, input: UpdateProviderKeyRequest): Promise<ProviderKeyResponse> =>
      request('PUT', providerKeyPath(id), { body: input }),

    deleteKey: (id: string): Promise<void> => request('DELETE', providerKeyPath(id)),

    testKey: (id: string): Promise<ProviderKeyTestResponse> =>
      request('POST', `${providerKeyPath(id)}/test`),

    preferences: (): Promise<ProviderPreferencesResponse> =>
      request('GET', '/api/provider-preferences'),

    savePreferences: (input: ProviderPreferencesRequest): Promise<ProviderPreferencesResponse> =>
      request('PUT', '/api/provider-preferences', { body: input }),
  },
} as const;
