import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PROVIDER_IDS, type CredentialStatus, type ProviderId } from '@keyward/shared';
import { Agent } from 'undici';
import { NetworkAllowList } from '../src/network/allow-list.js';
import { OutboundAddressGuard } from '../src/network/outbound-guard.js';
import { PROVIDER_ADAPTERS } from '../src/providers/adapters/index.js';
import {
  verifyCredential,
  type VerificationOutcome,
  type VerifyOptions,
} from '../src/providers/verification/provider-verifier.js';
import {
  fakeKey,
  REDIRECT_TARGET,
  SLOW_MS,
  startFakeUpstream,
  type FakeUpstream,
  type Marker,
  type RecordedRequest,
} from './support/fake-upstream.js';

/** Connections as the API makes them, with the fake upstream's loopback network allowed. */
const agentAllowing = (allowList: string): Agent =>
  new Agent({
    connect: new OutboundAddressGuard({
      allowList: NetworkAllowList.parse(allowList).list,
    }).connector(),
  });
const loopbackAgent = agentAllowing('127.0.0.0/8');
const OPTIONS: VerifyOptions = {
  timeoutMs: 2_000,
  maxBodyBytes: 64 * 1024,
  dispatcher: loopbackAgent,
};

/** Where each provider expects the key; everything else must not carry it. */
const KEY_HEADER: Record<ProviderId, 'authorization' | 'x-api-key'> = {
  openai: 'authorization',
  anthropic: 'x-api-key',
  mistral: 'authorization',
  deepinfra: 'authorization',
  perplexity: 'authorization',
  runway: 'authorization',
  together: 'authorization',
};

const STATUS_BY_MARKER: [Marker, CredentialStatus][] = [
  ['good', 'valid'],
  ['bad', 'invalid'],
  ['quota', 'insufficient_quota'],
  ['ratelimit', 'rate_limited'],
  ['error', 'error'],
];

describe('provider verification against a fake upstream', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await loopbackAgent.close();
    await upstream.stop();
  });

  const recordedWith = (key: string): RecordedRequest[] =>
    upstream.requests.filter((request) => JSON.stringify(request).includes(key));

  /** Verifies a fresh key carrying `marker`, and checks the key travelled only where it should. */
  async function verify(
    provider: ProviderId,
    marker: Marker,
    options: VerifyOptions = OPTIONS,
  ): Promise<{ key: string; outcome: VerificationOutcome }> {
    const key = fakeKey(provider, marker);
    const adapter = PROVIDER_ADAPTERS[provider];
    const outcome = await verifyCredential(adapter, upstream.baseUrlFor(provider), key, options);
    const recorded = recordedWith(key);
    expect(recorded).toHaveLength(1);
    const [request] = recorded;
    expect(request!.provider).toBe(provider);
    expect(request!.method).toBe(adapter.verification.method);
    expect(request!.path).toBe(`/${provider}${adapter.verification.path}`);
    for (const [name, value] of Object.entries(adapter.authHeaders(key))) {
      expect(request!.headers[name]).toBe(value);
    }
    const carrying = Object.entries(request!.headers).filter(([, value]) =>
      String(value).includes(key),
    );
    expect(carrying.map(([name]) => name)).toEqual([KEY_HEADER[provider]]);
    expect(request!.body).not.toContain(key);
    expect(outcome.message).not.toContain(key);
    return { key, outcome };
  }

  describe.each(PROVIDER_IDS)('%s', (provider) => {
    it('uses a key in the provider’s real format', () => {
      const { pattern } = PROVIDER_ADAPTERS[provider].info.keyHint;
      if (pattern !== null) expect(fakeKey(provider, 'good')).toMatch(new RegExp(pattern));
    });

    it.each(STATUS_BY_MARKER)('reads a %s key as %s', async (marker, expected) => {
      const { outcome } = await verify(provider, marker);
      expect(outcome.status).toBe(expected);
      expect(outcome.httpStatus).not.toBeNull();
      expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
      if (expected === 'valid') expect(outcome.message).toBe('The key works.');
    });

    it('gives up on a provider that does not answer in time', async () => {
      const started = Date.now();
      const { outcome } = await verify(provider, 'slow', { ...OPTIONS, timeoutMs: 500 });
      expect(outcome).toMatchObject({ status: 'error', httpStatus: null });
      expect(Date.now() - started).toBeLessThan(SLOW_MS / 2);
    });

    it('does not follow a redirect', async () => {
      const before = upstream.requests.length;
      const { outcome } = await verify(provider, 'redirect');
      expect(outcome).toMatchObject({ status: 'error', httpStatus: 302 });
      expect(outcome.message).toMatch(/redirect/i);
      expect(upstream.requests.length).toBe(before + 1);
      expect(upstream.requests.some((request) => request.path.includes('/elsewhere'))).toBe(false);
      expect(REDIRECT_TARGET).toContain('/elsewhere');
    });

    it('reads only the start of a huge answer', async () => {
      const started = Date.now();
      const { outcome } = await verify(provider, 'huge');
      expect(outcome).toMatchObject({ status: 'valid', httpStatus: 200 });
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('never repeats a key the provider echoed back', async () => {
      const { key, outcome } = await verify(provider, 'echo');
      expect(outcome.status).toBe('invalid');
      expect(outcome.httpStatus).toBe(401);
      expect(outcome.message).not.toContain(key);
      expect(outcome.message).not.toContain(key.slice(-12));
    });

    it('accepts a base URL with a trailing slash', async () => {
      const key = fakeKey(provider, 'good');
      const outcome = await verifyCredential(
        PROVIDER_ADAPTERS[provider],
        `${upstream.baseUrlFor(provider)}/`,
        key,
        OPTIONS,
      );
      expect(outcome.status).toBe('valid');
      expect(recordedWith(key)[0]?.path).toBe(
        `/${provider}${PROVIDER_ADAPTERS[provider].verification.path}`,
      );
    });
  });

  it('says that the provider timed out, not that it could not be reached', async () => {
    const { outcome } = await verify('openai', 'slow', { ...OPTIONS, timeoutMs: 500 });
    expect(outcome).toMatchObject({ status: 'error', httpStatus: null });
    expect(outcome.message).toBe('The provider did not answer within 500 ms.');
  });

  it('reports an unreachable provider without an HTTP status, saying why', async () => {
    const outcome = await verifyCredential(
      PROVIDER_ADAPTERS.openai,
      'http://127.0.0.1:1',
      fakeKey('openai', 'good'),
      OPTIONS,
    );
    expect(outcome).toMatchObject({ status: 'error', httpStatus: null });
    expect(outcome.message).toBe(
      'The provider could not be reached: the connection was refused (ECONNREFUSED).',
    );
  });

  it('connects to no internal address outside the allow-list, saying why', async () => {
    const strict = agentAllowing('');
    try {
      const key = fakeKey('openai', 'good');
      const outcome = await verifyCredential(
        PROVIDER_ADAPTERS.openai,
        upstream.baseUrlFor('openai'),
        key,
        { ...OPTIONS, dispatcher: strict },
      );
      expect(outcome).toMatchObject({ status: 'error', httpStatus: null });
      expect(outcome.message).toMatch(/internal network address/);
      expect(recordedWith(key)).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  describe('the fake itself', () => {
    it('refuses a wrong path or method with 404', async () => {
      const headers = { authorization: `Bearer ${fakeKey('openai', 'good')}` };
      const wrongPath = await fetch(`${upstream.baseUrlFor('openai')}/v1/chat`, { headers });
      const wrongMethod = await fetch(`${upstream.baseUrlFor('openai')}/v1/models`, {
        method: 'POST',
        headers,
      });
      const unknown = await fetch(`${upstream.url}/nowhere/v1/models`, { headers });
      expect([wrongPath.status, wrongMethod.status, unknown.status]).toEqual([404, 404, 404]);
    });

    it('insists on the auth and version headers the real providers require', async () => {
      const anthropicKey = fakeKey('anthropic', 'good');
      const noVersion = await fetch(`${upstream.baseUrlFor('anthropic')}/v1/models`, {
        headers: { 'x-api-key': anthropicKey },
      });
      expect(noVersion.status).toBe(400);
      const bearerInstead = await fetch(`${upstream.baseUrlFor('anthropic')}/v1/models`, {
        headers: { authorization: `Bearer ${anthropicKey}`, 'anthropic-version': '2023-06-01' },
      });
      expect(bearerInstead.status).toBe(401);
      const runwayNoVersion = await fetch(`${upstream.baseUrlFor('runway')}/v1/organization`, {
        headers: { authorization: `Bearer ${fakeKey('runway', 'good')}` },
      });
      expect(runwayNoVersion.status).toBe(400);
    });

    it('names a base URL for every provider', () => {
      expect(upstream.envFor()).toEqual(
        Object.fromEntries(
          PROVIDER_IDS.map((id) => [
            `PROVIDER_${id.toUpperCase()}_BASE_URL`,
            `${upstream.url}/${id}`,
          ]),
        ),
      );
    });
  });
});
