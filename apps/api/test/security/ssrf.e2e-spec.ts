import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  SERVED_BY_HEADER,
  type ErrorBody,
  type ProviderId,
  type ProviderKeyResponse,
} from '@keyward/shared';
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ENTRY, freePort, startApi, type ApiProcess } from '../support/api-process.js';
import { fakeKey, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { gatewayUser, type GatewayUser } from '../support/gateway.js';
import { call, signUp } from '../support/http.js';
import { withKey } from '../support/keys.js';

/**
 * Provider base URLs are operator settings, but provider calls carry users' credentials from
 * inside the deployment: an internal address must be allow-listed (PROVIDER_ALLOWED_PRIVATE_
 * NETWORKS) to be reached, at start-up by its spelling and at every connection by what the name
 * resolves to. The other test files allow 127.0.0.0/8 (test/support/api-process.ts); these start
 * APIs without it. Only local listeners are targets.
 */

/** The machine's own name, when it resolves to loopback only (a name no check can see through). */
async function nameResolvingToLoopback(): Promise<string | null> {
  const name = hostname().toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return null;
  try {
    const addresses = await lookup(name, { all: true });
    return addresses.length > 0 && addresses.every(({ address }) => address === '127.0.0.1')
      ? name
      : null;
  } catch {
    return null;
  }
}
/** PGlite's first start can take long on a busy machine. */
const API_START_TIMEOUT_MS = 90_000;

const loopbackName = await nameResolvingToLoopback();
const describeByName = loopbackName ? describe : describe.skip;

/** Runs the built API with `env` only (no allow-list), expecting it to stop before listening. */
async function refusedStart(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-ssrf-'));
  const child = spawn(process.execPath, [API_ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  // Only a hang is killed; loading the API's modules takes a while on a busy machine.
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  rmSync(dataDir, { recursive: true, force: true });
  return { code, output };
}

interface Listener {
  url: string;
  /** `METHOD path` of every request that reached it. */
  received: string[];
  stop(): Promise<void>;
}

/** A local listener counting what reaches it; `answer` decides the reply. */
async function listener(
  host: string,
  answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> },
): Promise<Listener> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    received.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const { status, headers } = answer(req);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const chat = (api: ApiProcess, user: GatewayUser, body: Record<string, unknown>) =>
  call<Record<string, unknown> & ErrorBody>(api.url, 'POST', '/v1/chat/completions', {
    headers: withKey(user.key),
    body: { messages: [{ role: 'user', content: 'hello' }], ...body },
  });

/** Adds a credential with verification on, as a person does in the console. */
async function addVerified(
  api: ApiProcess,
  provider: ProviderId,
): Promise<{ key: string; added: ProviderKeyResponse }> {
  const user = await signUp(api.url, 'ssrf');
  const key = fakeKey(provider, 'good');
  const result = await call<ProviderKeyResponse>(api.url, 'POST', '/api/provider-keys', {
    token: user.accessToken,
    body: { provider, name: 'checked', apiKey: key },
  });
  expect(result.status).toBe(201);
  return { key, added: result.body };
}

describe('provider base URLs at internal addresses', () => {
  describe('at start-up', () => {
    // Each process stops at the configuration check; they run side by side to save time.
    let spellings: Record<string, string>;
    let refused: Awaited<ReturnType<typeof refusedStart>>[];

    beforeAll(async () => {
      spellings = {
        PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
        PROVIDER_ANTHROPIC_BASE_URL: 'http://2130706433/',
        PROVIDER_MISTRAL_BASE_URL: 'http://[::1]:9000',
        PROVIDER_DEEPINFRA_BASE_URL: 'http://169.254.169.254/latest/meta-data',
        PROVIDER_PERPLEXITY_BASE_URL: 'http://localhost:11434',
        PROVIDER_RUNWAY_BASE_URL: 'https://10.1.2.3',
        PROVIDER_TOGETHER_BASE_URL: 'http://[::ffff:127.0.0.1]/',
      };
      refused = await Promise.all([
        refusedStart(spellings),
        refusedStart({
          PROVIDER_ALLOWED_PRIVATE_NETWORKS: '127.0.0.1/32, 10.0.0.0/33',
          PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.2:8080',
          // The listed address itself, in hex: accepted.
          PROVIDER_ANTHROPIC_BASE_URL: 'http://0x7f.1:8080',
          PROVIDER_MISTRAL_BASE_URL: 'http://0177.0.0.2/',
          PROVIDER_DEEPINFRA_BASE_URL: 'http://192.168.0.10/',
          PROVIDER_PERPLEXITY_BASE_URL: 'http://[fd00::1]/',
          PROVIDER_RUNWAY_BASE_URL: 'http://100.64.0.1/',
          PROVIDER_TOGETHER_BASE_URL: 'http://0.0.0.0:8000/',
        }),
        refusedStart({ PROVIDER_OPENAI_BASE_URL: 'file:///etc/passwd' }),
      ]);
    });

    it('refuses loopback, private, link-local and metadata addresses in any spelling', () => {
      const [first] = refused;
      expect(first?.code).toBe(1);
      for (const name of Object.keys(spellings)) {
        expect(first?.output).toContain(`${name}: points at a loopback, private, link-local`);
      }
      expect(first?.output).toContain('PROVIDER_ALLOWED_PRIVATE_NETWORKS');
      expect(first?.output).not.toContain('Keyward is listening');
    });

    it('lets through exactly the listed network, and stops on a malformed entry', () => {
      const listed = refused[1];
      expect(listed?.code).toBe(1);
      expect(listed?.output).toContain(
        'PROVIDER_ALLOWED_PRIVATE_NETWORKS: "10.0.0.0/33" is not a CIDR',
      );
      const named = [...(listed?.output ?? '').matchAll(/(PROVIDER_\w+)_BASE_URL: points at/g)];
      expect(named.map((match) => match[1])).toEqual([
        'PROVIDER_OPENAI',
        'PROVIDER_MISTRAL',
        'PROVIDER_DEEPINFRA',
        'PROVIDER_PERPLEXITY',
        'PROVIDER_RUNWAY',
        'PROVIDER_TOGETHER',
      ]);
    });

    it('refuses other schemes', () => {
      const scheme = refused[2];
      expect(scheme?.code).toBe(1);
      expect(scheme?.output).toContain(
        'PROVIDER_OPENAI_BASE_URL: must be a URL starting with http:',
      );
    });
  });

  describe('at connection time', () => {
    let upstream: FakeUpstream;
    let elsewhere: Listener;
    let redirector: Listener;
    let api: ApiProcess;

    beforeAll(async () => {
      upstream = await startFakeUpstream();
      // A second loopback address, the only one listed: the redirect's target is allowed too, so
      // only not following the redirect keeps requests from it.
      elsewhere = await listener('127.0.0.2', () => ({ status: 200 }));
      redirector = await listener('127.0.0.2', (req) => ({
        status: 302,
        headers: { location: `${elsewhere.url}${req.url ?? '/'}` },
      }));
      const port = new URL(upstream.url).port;
      api = await startApi({
        env: {
          // The fake upstream's 127.0.0.1 is listed only under the name `localhost`: the same
          // address under another name is refused.
          PROVIDER_ALLOWED_PRIVATE_NETWORKS: 'localhost, 127.0.0.2/32',
          PROVIDER_OPENAI_BASE_URL: `http://${loopbackName ?? 'unknown.invalid'}:${port}/openai`,
          PROVIDER_ANTHROPIC_BASE_URL: `http://localhost:${port}/anthropic`,
          PROVIDER_MISTRAL_BASE_URL: `${redirector.url}/mistral`,
        },
        startTimeoutMs: API_START_TIMEOUT_MS,
      });
    });
    afterAll(async () => {
      // Listeners are closed even when the API did not start, or the run would never end.
      try {
        await api.stop();
      } finally {
        await Promise.all([upstream.stop(), elsewhere.stop(), redirector.stop()]);
      }
    });

    const sentWith = (key: string) =>
      upstream.requests.filter((request) => JSON.stringify(request.headers).includes(key));
    /** Every provider credential these tests stored, none of which may reach the log. */
    const credentials: string[] = [];

    describeByName(`by a name resolving to loopback (${String(loopbackName)})`, () => {
      it('refuses the connection for a credential check, saying why, sending nothing', async () => {
        const { key, added } = await addVerified(api, 'openai');
        credentials.push(key);
        expect(added.status).toBe('error');
        expect(added.lastError).toMatch(/internal network address/);
        expect(sentWith(key)).toEqual([]);
      });

      it('fails over to the next provider, and names the refused one when none is left', async () => {
        const user = await gatewayUser(api, { openai: 'good', anthropic: 'good' });
        credentials.push(...Object.values(user.providerKeys));
        const servedElsewhere = await chat(api, user, {
          model: 'openai/gpt-4o-mini',
          fallbacks: ['anthropic/claude-3-5-haiku-latest'],
        });
        // `localhost`, listed by name, is served; the same address by another name is not.
        expect(servedElsewhere.status).toBe(200);
        expect(servedElsewhere.headers.get(SERVED_BY_HEADER)).toBe('anthropic');

        const alone = await chat(api, user, { model: 'openai/gpt-4o-mini' });
        expect(alone.status).toBe(502);
        expect(alone.body.code).toBe('upstream_unavailable');
        expect(alone.body.message).toBe(
          'No provider could serve openai/gpt-4o-mini: openai is configured at an internal address Keyward may not connect to',
        );
        expect(alone.body.details?.attempts).toEqual([
          expect.objectContaining({
            provider: 'openai',
            status: null,
            errorCode: 'upstream_refused',
          }),
        ]);
        // Where the provider points stays with the operator.
        expect(alone.text).not.toContain(`${String(loopbackName)}:${new URL(upstream.url).port}`);
        expect(sentWith(user.providerKeys.openai ?? 'missing')).toEqual([]);
        expect(sentWith(user.providerKeys.anthropic ?? 'missing')).toHaveLength(1);
      });

      it('logs the refusal once, naming the host and the variable, without a credential', () => {
        const lines = api
          .output()
          .split('\n')
          .filter((line) => line.includes('Refused to connect to a provider'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`at ${String(loopbackName)} (127.0.0.1)`);
        expect(lines[0]).toContain('PROVIDER_ALLOWED_PRIVATE_NETWORKS');
        expect(credentials).toHaveLength(3);
        for (const credential of credentials) expect(api.output()).not.toContain(credential);
      });
    });

    it('does not follow a redirect from a credential check', async () => {
      const before = redirector.received.length;
      const { added } = await addVerified(api, 'mistral');
      expect(added.status).toBe('error');
      expect(added.lastError).toMatch(/redirect/);
      expect(redirector.received.length).toBe(before + 1);
      expect(elsewhere.received).toEqual([]);
    });

    it('does not follow a redirect from a chat call: a failure of that provider', async () => {
      const user = await gatewayUser(api, { mistral: 'good', anthropic: 'good' });
      const before = redirector.received.length;
      const fallenBack = await chat(api, user, {
        model: 'mistral/mistral-small-latest',
        fallbacks: ['anthropic/claude-3-5-haiku-latest'],
      });
      expect(fallenBack.status).toBe(200);
      expect(fallenBack.headers.get(SERVED_BY_HEADER)).toBe('anthropic');

      const alone = await chat(api, user, { model: 'mistral/mistral-small-latest', stream: true });
      expect(alone.status).toBe(502);
      expect(alone.body.message).toBe(
        'No provider could serve mistral/mistral-small-latest: mistral answered 302',
      );
      expect(redirector.received.slice(before)).toEqual([
        'POST /mistral/v1/chat/completions',
        'POST /mistral/v1/chat/completions',
      ]);
      expect(elsewhere.received).toEqual([]);
    });
  });
});
