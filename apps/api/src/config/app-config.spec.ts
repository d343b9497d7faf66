import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'keyward-config-'));

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies documented defaults on a bare environment, choosing the embedded database', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.http.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    expect(config.redisUrl).toBeUndefined();
    expect(config.auth.accessTokenTtlSeconds).toBe(900);
    expect(config.auth.registrationEnabled).toBe(true);
    expect(config.http.corsOrigins).toEqual([]);
  });

  it('names every bad variable, and never includes a value', () => {
    const problems = problemsOf({
      PORT: '70000',
      DATABASE_URL: 'mysql://secret-in-url@host/db',
      JWT_SECRET: 'too-short-marker',
      CORS_ORIGINS: 'https://ok.example, not a url',
      LOG_LEVEL: 'loud',
    });
    const text = problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'CORS_ORIGINS', 'LOG_LEVEL']) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain('secret-in-url');
    expect(text).not.toContain('too-short-marker');
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: '', PORT: '' });
    expect(config.database.kind).toBe('pglite');
    expect(config.http.port).toBe(3000);
  });

  it('parses CORS origins and boolean flags', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      CORS_ORIGINS: 'https://a.example, http://localhost:5173',
      REGISTRATION_ENABLED: 'false',
    });
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(config.auth.registrationEnabled).toBe(false);
  });

  it('generates the JWT secret once with mode 0600 and reuses it', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir }).auth.jwtSecret;
    const second = loadConfig({ DATA_DIR: dataDir }).auth.jwtSecret;
    expect(first).toHaveLength(64);
    expect(second).toBe(first);
    const path = join(dataDir, 'jwt-secret');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first);
  });

  it('tightens a secret file that became readable by others', () => {
    const dataDir = tempDir();
    loadConfig({ DATA_DIR: dataDir });
    const path = join(dataDir, 'jwt-secret');
    chmodSync(path, 0o644);
    loadConfig({ DATA_DIR: dataDir });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a truncated secret file instead of using a weak key', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'jwt-secret'), 'short', { mode: 0o600 });
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(/shorter than 32/);
  });

  it('prefers a given JWT_SECRET and writes no file', () => {
    const dataDir = tempDir();
    const secret = 'x'.repeat(40);
    expect(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: secret }).auth.jwtSecret).toBe(secret);
    expect(() => statSync(join(dataDir, 'jwt-secret'))).toThrow();
  });

  it('requires shared master keys whenever a real database is used', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://db/keyward', DATA_DIR: tempDir() })).toEqual([
      expect.stringContaining('ENCRYPTION_KEYS'),
    ]);
    const keys = `v2:${Buffer.alloc(32, 2).toString('base64')},v1:${Buffer.alloc(32, 1).toString('base64')}`;
    const config = loadConfig({
      DATABASE_URL: 'postgres://db/keyward',
      ENCRYPTION_KEYS: keys,
      DATA_DIR: tempDir(),
    });
    expect(config.providers.masterKeys.current).toBe('v2');
    expect(Object.keys(config.providers.masterKeys.keys)).toEqual(['v2', 'v1']);
    expect(config.providers.masterKeyFile).toBeNull();
  });

  it('refuses malformed or duplicated master keys', () => {
    const short = `v1:${Buffer.alloc(16).toString('base64')}`;
    expect(problemsOf({ ENCRYPTION_KEYS: short, DATA_DIR: tempDir() }).join()).toContain(
      'ENCRYPTION_KEYS',
    );
    const key = Buffer.alloc(32, 3).toString('base64');
    expect(
      problemsOf({ ENCRYPTION_KEYS: `v1:${key},v1:${key}`, DATA_DIR: tempDir() }).join(),
    ).toContain('twice');
  });

  it('requires JWT_SECRET in production with a real database, but not on the embedded one', () => {
    expect(
      problemsOf({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/keyward',
        DATA_DIR: tempDir(),
      }),
    ).toEqual([expect.stringContaining('JWT_SECRET')]);
    expect(loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir() }).auth.jwtSecret).toHaveLength(
      64,
    );
  });

  it('refuses provider base URLs at internal addresses, in any spelling, unless allow-listed', () => {
    const problems = problemsOf({
      DATA_DIR: tempDir(),
      PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
      PROVIDER_ANTHROPIC_BASE_URL: 'http://2130706433/',
      PROVIDER_MISTRAL_BASE_URL: 'http://[::1]:9000',
      PROVIDER_DEEPINFRA_BASE_URL: 'http://169.254.169.254/latest',
      PROVIDER_PERPLEXITY_BASE_URL: 'http://localhost:11434',
      PROVIDER_RUNWAY_BASE_URL: 'https://10.20.30.40',
      PROVIDER_TOGETHER_BASE_URL: 'http://[::ffff:7f00:1]/',
    });
    expect(problems).toHaveLength(7);
    for (const id of ['OPENAI', 'ANTHROPIC', 'MISTRAL', 'DEEPINFRA', 'PERPLEXITY', 'RUNWAY']) {
      expect(problems.join('\n')).toContain(`PROVIDER_${id}_BASE_URL: points at a loopback`);
    }
    expect(
      loadConfig({
        DATA_DIR: tempDir(),
        PROVIDER_OPENAI_BASE_URL: 'https://api.example.com/v1',
        PROVIDER_ANTHROPIC_BASE_URL: 'http://models.corp:8080',
      }).providers.baseUrls,
    ).toMatchObject({ openai: 'https://api.example.com/v1', anthropic: 'http://models.corp:8080' });
  });

  it('lets through exactly what PROVIDER_ALLOWED_PRIVATE_NETWORKS lists', () => {
    const allowList = '10.20.0.0/16, llm.localhost';
    const config = loadConfig({
      DATA_DIR: tempDir(),
      PROVIDER_ALLOWED_PRIVATE_NETWORKS: allowList,
      PROVIDER_OPENAI_BASE_URL: 'http://10.20.30.40/v1',
      PROVIDER_MISTRAL_BASE_URL: 'http://llm.localhost:8080',
    });
    expect(config.providers.allowedPrivateNetworks.allowsAddress('10.20.1.1')).toBe(true);
    expect(
      problemsOf({
        DATA_DIR: tempDir(),
        PROVIDER_ALLOWED_PRIVATE_NETWORKS: allowList,
        PROVIDER_OPENAI_BASE_URL: 'http://10.21.0.1/v1',
        PROVIDER_MISTRAL_BASE_URL: 'http://other.localhost:8080',
      }),
    ).toEqual([
      expect.stringMatching(/^PROVIDER_OPENAI_BASE_URL: points at/),
      expect.stringMatching(/^PROVIDER_MISTRAL_BASE_URL: points at/),
    ]);
  });

  it('stops on a malformed allow-list entry, naming the variable', () => {
    expect(
      problemsOf({
        DATA_DIR: tempDir(),
        PROVIDER_ALLOWED_PRIVATE_NETWORKS: '10.0.0.0/8, 10.0.0.0/40',
      }),
    ).toEqual([
      'PROVIDER_ALLOWED_PRIVATE_NETWORKS: "10.0.0.0/40" is not a CIDR (10.0.0.0/8), an IP address or a host name',
    ]);
  });

  it('still refuses provider base URLs with other schemes', () => {
    expect(
      problemsOf({ DATA_DIR: tempDir(), PROVIDER_OPENAI_BASE_URL: 'file:///etc/passwd' }).join(),
    ).toMatch(/^PROVIDER_OPENAI_BASE_URL: must be a URL starting with http: or https:/);
  });
});
