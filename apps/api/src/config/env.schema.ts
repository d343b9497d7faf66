import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .min(1)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.join(' or ')}//`,
    )
    .optional();

/**
 * Every environment variable Keyward reads, in one place. Names here are the public
 * configuration reference (README, docker-compose.yml and its check all follow this list).
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,32}$/, 'must be 1-32 letters, digits, colons, dashes or underscores')
    .default('kw:'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
    .optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  ADMIN_EMAIL: z.email('must be an email address').trim().toLowerCase().optional(),
  ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  REGISTRATION_ENABLED: booleanFlag.default(true),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .refine(
      (origins) =>
        origins.every((origin) => {
          try {
            const url = new URL(origin);
            return url.origin === origin;
          } catch {
            return false;
          }
        }),
      'must be a comma-separated list of origins like https://console.example.com',
    ),
  /** Enables `GET /metrics` for scrapers presenting it as a bearer token; off when unset. */
  METRICS_TOKEN: z
    .string()
    .trim()
    .min(16, 'METRICS_TOKEN must be at least 16 characters')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanFlag.default(false),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  LOGIN_MAX_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  LOGIN_MAX_PER_ACCOUNT_PER_15_MINUTES: z.coerce.number().int().min(1).max(10_000).default(10),
  API_KEY_DEFAULT_PREFIX: z
    .string()
    .regex(/^[a-z0-9]{1,12}$/, 'must be 1-12 lowercase letters or digits')
    .default('kw'),
  KEY_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  KEY_ACTIVITY_FLUSH_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  KEY_LAST_USED_RESOLUTION_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  INVALID_KEY_MAX_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  LEAK_REPORT_PUBLIC_KEYS: z.string().optional(),
  LEAK_REPORT_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ENCRYPTION_KEYS: z
    .string()
    .regex(
      /^\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{40,}\s*(,\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{40,}\s*)*$/,
      'must be a comma-separated list of version:base64key pairs (32-byte keys)',
    )
    .optional(),
  PROVIDER_VERIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  PROVIDER_REVERIFY_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(10_080).default(360),
  PROVIDER_OPENAI_BASE_URL: optionalUrl(['http:', 'https:']),
  PROVIDER_ANTHROPIC_BASE_URL: optionalUrl(['http:', 'https:']),
  PROVIDER_MISTRAL_BASE_URL: optionalUrl(['http:', 'https:']),
  PROVIDER_DEEPINFRA_BASE_URL: optionalUrl(['http:', 'https:']),
  PROVIDER_PERPLEXITY_BASE_URL: optionalUrl(['http:', 'https:']),
  PROVIDER_RUNWAY_BASE_URL: optionalUrl(['http:', 'https:']),
  PROVIDER_TOGETHER_BASE_URL: optionalUrl(['http:', 'https:']),
  /** Internal CIDRs, addresses and names providers may be reached at (parsed in app-config). */
  PROVIDER_ALLOWED_PRIVATE_NETWORKS: z.string().optional(),
  // Guarded API (gateway) and usage recording
  GATEWAY_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  GATEWAY_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  GATEWAY_CONNECTIONS_PER_ORIGIN: z.coerce.number().int().min(1).max(10_000).default(128),
  USAGE_RECORDING: z.enum(['on', 'off']).default('on'),
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  USAGE_FLUSH_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(2_000),
  USAGE_BUFFER_MAX_EVENTS: z.coerce.number().int().min(100).max(10_000_000).default(200_000),
  USAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  // Alerts and webhooks
  ALERT_CHECK_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  WEBHOOK_POLL_MS: z.coerce
    .number()
    .int()
    .refine((value) => value === 0 || (value >= 50 && value <= 600_000), 'must be 0 or 50-600000')
    .default(2_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: booleanFlag.default(false),
  WEB_DIST_DIR: z.string().trim().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;

/** Variables whose values must never be printed, logged or echoed. */
export const SENSITIVE_ENV = new Set<keyof Env>([
  'JWT_SECRET',
  'ADMIN_PASSWORD',
  'DATABASE_URL',
  'REDIS_URL',
  'LEAK_REPORT_TOKEN',
  'ENCRYPTION_KEYS',
]);
