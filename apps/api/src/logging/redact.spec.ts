import { describe, expect, it } from '@jest/globals';
import { generateApiKey } from '../keys/key-format.js';
import { REDACTED, redactSensitive, redactUrl } from './redact.js';

describe('redactSensitive', () => {
  it('replaces credentials at any depth and keeps everything else', () => {
    const input = {
      user: 'ada@example.test',
      password: 'p1',
      headers: {
        authorization: 'Bearer t',
        cookie: 'kw_refresh=r',
        'x-api-key': 'k',
        accept: 'json',
      },
      nested: [{ apiKey: 'k2', jwtSecret: 's', refreshToken: 'r2', count: 3 }],
      providerCredential: 'c',
    };
    expect(redactSensitive(input)).toEqual({
      user: 'ada@example.test',
      password: REDACTED,
      headers: { authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, accept: 'json' },
      nested: [{ apiKey: REDACTED, jwtSecret: REDACTED, refreshToken: REDACTED, count: 3 }],
      providerCredential: REDACTED,
    });
  });

  it('does not change the object it was given, and survives cycles', () => {
    const input: Record<string, unknown> = { password: 'p' };
    input.self = input;
    const output = redactSensitive(input) as Record<string, unknown>;
    expect(input.password).toBe('p');
    expect(output.self).toBe('[circular]');
  });

  it('keeps an error as type, message and stack', () => {
    const output = redactSensitive({ err: new TypeError('boom') }) as {
      err: Record<string, unknown>;
    };
    expect(output.err.type).toBe('TypeError');
    expect(output.err.message).toBe('boom');
  });
});

describe('redactUrl', () => {
  it('hides sensitive query values and leaves others', () => {
    expect(redactUrl('/v1/models?api_key=abc&limit=5&token=x')).toBe(
      '/v1/models?api_key=%5Bredacted%5D&limit=5&token=%5Bredacted%5D',
    );
    expect(redactUrl('/api/health')).toBe('/api/health');
    expect(redactUrl('/a?b=1')).toBe('/a?b=1');
  });

  it('hides a Keyward key anywhere in the URL, and only a real one', () => {
    const key = generateApiKey('kw').plaintext;
    expect(redactUrl(`/api/api-keys/${key}`)).toBe(`/api/api-keys/${REDACTED}`);
    expect(redactUrl(`/v1/models?q=${key}&limit=5`)).toBe(`/v1/models?q=${REDACTED}&limit=5`);
    // Same shape, wrong checksum: an id or a typo, kept for debugging.
    const mistyped = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(redactUrl(`/api/api-keys/${mistyped}`)).toBe(`/api/api-keys/${mistyped}`);
    expect(redactUrl('/api/api-keys/key_01m8svsrpr4wga64t6rcs2hns8')).toBe(
      '/api/api-keys/key_01m8svsrpr4wga64t6rcs2hns8',
    );
  });
});
