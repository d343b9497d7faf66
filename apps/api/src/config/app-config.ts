import type { ProviderId } from '@keyward/shared';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSchema, type Env } from './env.schema.js';
import { loadOrCreateSecret } from './embedded-secrets.js';
import { NetworkAllowList } from '../network/allow-list.js';
import { isSpelledInternal } from '../network/outbound-guard.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The validated, typed configuration every module reads. Built once, at start. */
export interface AppConfig {
  env: Env['NODE_ENV'];
  http: {
    host: string;
    port: number;
    corsOrigins: string[];
    trustProxy: boolean;
    bodyLimitBytes: number;
    /** How long a stop waits for in-flight requests (streams included) before cutting them. */
    shutdownTimeoutMs: number;
  };
  database:
    | {
        kind: 'postgres';
        url: string;
        /** How long a statement may go unanswered before its connection is given up. */
        queryTimeoutMs: number;
      }
    | { kind: 'pglite'; dataDir: string };
  redisUrl: string | undefined;
  /** Namespaces every Redis key, so deployments (or test runs) can share one server. */
  redisKeyPrefix: string;
  dataDir: string;
  /** Names this process's own files in DATA_DIR; stable across restarts of one deployment slot. */
  instanceId: string;
  auth: {
    jwtSecret: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlDays: number;
    /** How long an exchanged refresh token may be presented again (a reload mid-refresh). */
    refreshReuseGraceSeconds: number;
    registrationEnabled: boolean;
    loginMaxPerIpPerMinute: number;
    loginMaxPerAccountPer15Minutes: number;
  };
  admin: { email: string | undefined; password: string | undefined };
  keys: {
    defaultPrefix: string;
    cacheTtlSeconds: number;
    activityFlushMs: number;
    lastUsedResolutionSeconds: number;
    invalidKeyMaxPerIpPerMinute: number;
  };
  leaks: {
    /** PEM public keys that may sign secret-scanning reports, by key identifier. */
    publicKeys: Record<string, string>;
    /** A shared bearer token accepted instead of a signature (for scanners without keys). */
    token: string | undefined;
  };
  providers: {
    /** Master keys by version; `current` seals new data keys. */
    masterKeys: { current: string; keys: Record<string, Buffer> };
    /** Where the embedded default keeps its generated master keys, when used. */
    masterKeyFile: string | null;
    baseUrls: Partial<Record<ProviderId, string>>;
    /** Internal networks and names provider calls may reach; everything else must be public. */
    allowedPrivateNetworks: NetworkAllowList;
    verifyTimeoutMs: number;
    reverifyIntervalMinutes: number;
  };
  gateway: {
    /** Until the provider's headers arrive, and between two chunks of its body. */
    upstreamTimeoutMs: number;
    maxResponseBytes: number;
    connectionsPerOrigin: number;
  };
  usageRecording: {
    /** Off only to measure what recording costs: no events, so no analytics and no seeds. */
    enabled: boolean;
    flushIntervalMs: number;
    flushBatchSize: number;
    /** Beyond this many unwritten events (a long database outage) the oldest are dropped. */
    bufferMaxEvents: number;
    /** Raw events older than this are purged daily; the daily rollups stay. */
    retentionDays: number;
  };
  /** Bearer token for `GET /metrics`; null keeps the endpoint off. */
  metricsToken: string | null;
  alerts: {
    /** How often the scheduled alert rules run; 0 turns the job off. */
    checkIntervalSeconds: number;
  };
  webhooks: {
    /** How often due deliveries are looked for; 0 turns the dispatcher off. */
    pollMs: number;
    timeoutMs: number;
    /** The first retry waits this long, each later one twice as long as the one before. */
    retryBaseMs: number;
    maxAttempts: number;
    /** Operator allow-list: lets webhook URLs reach loopback and private networks. */
    allowPrivateNetworks: boolean;
  };
  logLevel: Env['LOG_LEVEL'];
  webDistDir: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

const here = dirname(fileURLToPath(import.meta.url));
/** apps/api/dist/config -> apps/web/dist */
const DEFAULT_WEB_DIST = resolve(here, '../../../web/dist');

/**
 * Parses and checks the environment. Any problem stops start-up with a message naming the
 * variable; values are never included, since several are secrets.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, the way most deployment tools write optional variables.
  const raw = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  const production = env.NODE_ENV === 'production';

  // With the embedded database a generated secret beside the data is as safe as the data itself.
  // With a real database in production, replicas must share one secret, so it must be given.
  if (production && env.DATABASE_URL && !env.JWT_SECRET) {
    throw new ConfigError([
      'JWT_SECRET: required when NODE_ENV=production and DATABASE_URL is set (replicas must share it)',
    ]);
  }
  const jwtSecret = env.JWT_SECRET ?? loadOrCreateSecret(dataDir, 'jwt-secret');
  // Generated master keys are per data directory: with a shared database, replicas (or a restart
  // without the same DATA_DIR) would seal with keys the others cannot open.
  if (env.DATABASE_URL && !env.ENCRYPTION_KEYS) {
    throw new ConfigError([
      'ENCRYPTION_KEYS: required when DATABASE_URL is set (every replica must share the master keys)',
    ]);
  }
  const masterKeyFile = env.ENCRYPTION_KEYS ? null : join(dataDir, 'encryption-keys');
  const masterKeys = parseMasterKeys(
    env.ENCRYPTION_KEYS ??
      loadOrCreateSecret(
        dataDir,
        'encryption-keys',
        32,
        (bytes) => `v1:${bytes.toString('base64')}`,
      ),
  );

  const baseUrls: Partial<Record<ProviderId, string>> = {
    openai: env.PROVIDER_OPENAI_BASE_URL,
    anthropic: env.PROVIDER_ANTHROPIC_BASE_URL,
    mistral: env.PROVIDER_MISTRAL_BASE_URL,
    deepinfra: env.PROVIDER_DEEPINFRA_BASE_URL,
    perplexity: env.PROVIDER_PERPLEXITY_BASE_URL,
    runway: env.PROVIDER_RUNWAY_BASE_URL,
    together: env.PROVIDER_TOGETHER_BASE_URL,
  };
  const allowedPrivateNetworks = checkProviderAddresses(
    baseUrls,
    env.PROVIDER_ALLOWED_PRIVATE_NETWORKS,
  );

  return {
    env: env.NODE_ENV,
    http: {
      host: env.HOST,
      port: env.PORT,
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    database: env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL, queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS }
      : { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    dataDir,
    instanceId: env.INSTANCE_ID ?? defaultInstanceId(hostname(), env.PORT),
    auth: {
      jwtSecret,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
      refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      registrationEnabled: env.REGISTRATION_ENABLED,
      loginMaxPerIpPerMinute: env.LOGIN_MAX_PER_IP_PER_MINUTE,
      loginMaxPerAccountPer15Minutes: env.LOGIN_MAX_PER_ACCOUNT_PER_15_MINUTES,
    },
    admin: { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD },
    keys: {
      defaultPrefix: env.API_KEY_DEFAULT_PREFIX,
      cacheTtlSeconds: env.KEY_CACHE_TTL_SECONDS,
      activityFlushMs: env.KEY_ACTIVITY_FLUSH_MS,
      lastUsedResolutionSeconds: env.KEY_LAST_USED_RESOLUTION_SECONDS,
      invalidKeyMaxPerIpPerMinute: env.INVALID_KEY_MAX_PER_IP_PER_MINUTE,
    },
    leaks: { publicKeys: parseLeakKeys(env.LEAK_REPORT_PUBLIC_KEYS), token: env.LEAK_REPORT_TOKEN },
    providers: {
      masterKeys,
      masterKeyFile,
      baseUrls,
      allowedPrivateNetworks,
      verifyTimeoutMs: env.PROVIDER_VERIFY_TIMEOUT_MS,
      reverifyIntervalMinutes: env.PROVIDER_REVERIFY_INTERVAL_MINUTES,
    },
    gateway: {
      upstreamTimeoutMs: env.GATEWAY_UPSTREAM_TIMEOUT_MS,
      maxResponseBytes: env.GATEWAY_MAX_RESPONSE_BYTES,
      connectionsPerOrigin: env.GATEWAY_CONNECTIONS_PER_ORIGIN,
    },
    usageRecording: {
      enabled: env.USAGE_RECORDING === 'on',
      flushIntervalMs: env.USAGE_FLUSH_INTERVAL_MS,
      flushBatchSize: env.USAGE_FLUSH_BATCH_SIZE,
      bufferMaxEvents: env.USAGE_BUFFER_MAX_EVENTS,
      retentionDays: env.USAGE_RETENTION_DAYS,
    },
    metricsToken: env.METRICS_TOKEN ?? null,
    alerts: { checkIntervalSeconds: env.ALERT_CHECK_INTERVAL_SECONDS },
    webhooks: {
      pollMs: env.WEBHOOK_POLL_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    },
    logLevel: env.LOG_LEVEL,
    webDistDir: env.WEB_DIST_DIR ? resolve(env.WEB_DIST_DIR) : DEFAULT_WEB_DIST,
  };
}

/**
 * Parses PROVIDER_ALLOWED_PRIVATE_NETWORKS and refuses a provider base URL that names an internal
 * address outright (any spelling the URL parser reads as one, or `localhost`) unless it is
 * listed: provider calls carry users' credentials, so an override pointing inside the network
 * is a mistake unless the operator says otherwise. Names are checked again at every connection.
 */
function checkProviderAddresses(
  baseUrls: Partial<Record<ProviderId, string>>,
  rawAllowList: string | undefined,
): NetworkAllowList {
  const { list, problems } = NetworkAllowList.parse(rawAllowList);
  const messages = problems.map((problem) => `PROVIDER_ALLOWED_PRIVATE_NETWORKS: ${problem}`);
  for (const provider of Object.keys(baseUrls) as ProviderId[]) {
    const url = baseUrls[provider];
    if (url !== undefined && isSpelledInternal(new URL(url), list)) {
      messages.push(
        `PROVIDER_${provider.toUpperCase()}_BASE_URL: points at a loopback, private, link-local or reserved address; add it to PROVIDER_ALLOWED_PRIVATE_NETWORKS if that is intended`,
      );
    }
  }
  if (messages.length > 0) throw new ConfigError(messages);
  return list;
}

/**
 * A restarted process on the same host and port is the same deployment slot (a container keeps
 * its hostname across restarts), so it finds what its predecessor left in DATA_DIR.
 */
export function defaultInstanceId(host: string, port: number): string {
  const name = host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 50) || 'host';
  return `${name}-${port}`;
}

/**
 * LEAK_REPORT_PUBLIC_KEYS is a JSON object `{ "<key identifier>": "<PEM public key>" }`, the form
 * in which GitHub publishes its secret-scanning signing keys.
 */
function parseLeakKeys(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(['LEAK_REPORT_PUBLIC_KEYS: must be a JSON object of key id to PEM']);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((pem) => typeof pem === 'string' && pem.includes('PUBLIC KEY'))
  ) {
    throw new ConfigError(['LEAK_REPORT_PUBLIC_KEYS: must be a JSON object of key id to PEM']);
  }
  return parsed as Record<string, string>;
}

/**
 * `ENCRYPTION_KEYS` is `version:base64key[,version:base64key…]`; the first one seals new data
 * keys, the others only open what they sealed before a rotation.
 */
export function parseMasterKeys(raw: string): { current: string; keys: Record<string, Buffer> } {
  const keys: Record<string, Buffer> = {};
  let current: string | undefined;
  for (const pair of raw.split(/[\s,]+/).filter(Boolean)) {
    const separator = pair.indexOf(':');
    const version = pair.slice(0, separator);
    const key = Buffer.from(pair.slice(separator + 1), 'base64');
    if (separator < 1 || key.length !== 32) {
      throw new ConfigError([
        'ENCRYPTION_KEYS: every key must be version:base64 of exactly 32 bytes',
      ]);
    }
    if (keys[version]) throw new ConfigError([`ENCRYPTION_KEYS: version ${version} appears twice`]);
    keys[version] = key;
    current ??= version;
  }
  if (!current) throw new ConfigError(['ENCRYPTION_KEYS: no key given']);
  return { current, keys };
}
