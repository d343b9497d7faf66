import { describe, expect, it } from '@jest/globals';
import type { LoginResponse } from '@keyward/shared';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ENTRY, startApi } from './support/api-process.js';
import { call, signUp } from './support/http.js';

describe('process lifecycle', () => {
  it('keeps users and sessions across a restart, with a generated JWT secret kept at mode 0600', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-restart-'));
    try {
      // No JWT_SECRET: it is generated into the data directory. On the embedded database the
      // master key is generated too; a real database requires ENCRYPTION_KEYS, so it stays given.
      const embedded = !process.env.TEST_DATABASE_URL;
      const secrets = {
        JWT_SECRET: undefined,
        ...(embedded ? { ENCRYPTION_KEYS: undefined } : {}),
      };
      const first = await startApi({ dataDir, env: secrets });
      const user = await signUp(first.url);
      expect(await first.stop()).toBe(0);
      expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
      if (embedded) expect(statSync(join(dataDir, 'encryption-keys')).mode & 0o777).toBe(0o600);

      const second = await startApi({ dataDir, env: secrets });
      try {
        expect(
          (await call(second.url, 'GET', '/api/auth/me', { token: user.accessToken })).status,
        ).toBe(200);
        const refreshed = await call<LoginResponse>(second.url, 'POST', '/api/auth/refresh', {
          cookie: user.cookie,
        });
        expect(refreshed.status).toBe(200);
        expect(refreshed.body.user.email).toBe(user.email);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('creates a first admin with a generated password printed once, and not again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-admin-'));
    // A separate embedded database: the shared PostgreSQL of the run already has an admin.
    const env = { ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined, DATABASE_URL: undefined };
    try {
      const first = await startApi({ dataDir, env });
      const printed = /Password \(shown once[^)]*\): (\S+)/.exec(first.output())?.[1];
      expect(printed).toBeDefined();
      const login = await call(first.url, 'POST', '/api/auth/login', {
        body: { email: 'admin@keyward.local', password: printed },
      });
      expect(login.status).toBe(200);
      expect(first.output()).toContain(`running at http://127.0.0.1:${first.port}`);
      await first.stop();
      const second = await startApi({ dataDir, env });
      expect(second.output()).not.toContain(printed!);
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on bad configuration, naming the variable but not its value', () => {
    const secretMarker = 'short-secret-marker';
    const result = spawnSync(process.execPath, [API_ENTRY], {
      env: {
        PATH: process.env.PATH,
        PORT: 'not-a-port',
        JWT_SECRET: secretMarker,
        DATA_DIR: tmpdir(),
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('JWT_SECRET');
    expect(result.stderr + result.stdout).not.toContain(secretMarker);
  });

  it('requires JWT_SECRET in production with a real database', () => {
    const result = spawnSync(process.execPath, [API_ENTRY], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        DATA_DIR: tmpdir(),
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET: required/);
  });
});
