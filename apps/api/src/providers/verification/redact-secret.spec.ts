import { describe, expect, it } from '@jest/globals';
import { redactSecret } from './redact-secret.js';

const OPENAI_KEY = 'sk-abcDEF0123456789ghiJKL4567wxyz';
const MISTRAL_KEY = 'Q7mZ2pX9vK4tR8wL1nB6cH3dF5gJ0sYa';

/** Every run of `length` characters of `secret` that appears in `text`. */
const leakedRuns = (text: string, secret: string, length = 8): string[] =>
  Array.from({ length: secret.length - length + 1 }, (_, start) =>
    secret.slice(start, start + length),
  ).filter((run) => text.includes(run));

describe('redactSecret', () => {
  it('removes a full echo of the key, every time it appears', () => {
    const text = `Incorrect API key provided: ${MISTRAL_KEY}. (key ${MISTRAL_KEY})`;
    const out = redactSecret(text, MISTRAL_KEY);
    expect(out).not.toContain(MISTRAL_KEY);
    expect(out).toBe('Incorrect API key provided: [redacted]. (key [redacted])');
  });

  it('removes an OpenAI-style masked echo', () => {
    const text =
      'Incorrect API key provided: sk-abc***wxyz. You can find your API key at https://platform.openai.com/account/api-keys.';
    const out = redactSecret(text, OPENAI_KEY);
    expect(out).not.toContain('sk-abc');
    expect(out).not.toContain('wxyz');
    expect(out).toContain('[redacted]');
    expect(out).toContain(
      'You can find your API key at https://platform.openai.com/account/api-keys.',
    );
  });

  it('removes masked echoes of other key formats too', () => {
    const out = redactSecret(
      'keys sk-proj-****abcd, pplx-ab12****, key_0123456789abcdef were refused',
      MISTRAL_KEY,
    );
    expect(out).toBe('keys [redacted], [redacted], [redacted] were refused');
  });

  it.each([
    ['a leading fragment', MISTRAL_KEY.slice(0, 8)],
    ['a middle fragment', MISTRAL_KEY.slice(9, 21)],
    ['a trailing fragment', MISTRAL_KEY.slice(-10)],
    ['all but one character', MISTRAL_KEY.slice(1)],
    ['a fragment longer than 24 characters', MISTRAL_KEY.slice(2, 30)],
  ])('removes %s of 8 or more characters', (_label, fragment) => {
    const out = redactSecret(`The key "${fragment}" is not valid.`, MISTRAL_KEY);
    expect(out).not.toContain(fragment);
    expect(leakedRuns(out, MISTRAL_KEY)).toEqual([]);
    expect(out).toContain('is not valid.');
  });

  it('leaves no 8-character run of the key behind, wherever the echo is cut', () => {
    for (let start = 0; start < MISTRAL_KEY.length - 8; start += 3) {
      for (let end = start + 8; end <= MISTRAL_KEY.length; end += 5) {
        const out = redactSecret(`echo: ${MISTRAL_KEY.slice(start, end)};`, MISTRAL_KEY);
        expect(leakedRuns(out, MISTRAL_KEY)).toEqual([]);
      }
    }
  });

  it('treats the key as text, not as a pattern', () => {
    const key = 'a.b*c+d?e(f)g[h]i$j^k|l\\m';
    expect(redactSecret(`got ${key} here`, key)).toBe('got [redacted] here');
  });

  it('leaves text without the key alone', () => {
    const text = 'The provider rejected this key. (invalid x-api-key)';
    expect(redactSecret(text, MISTRAL_KEY)).toBe(text);
  });

  it('does not wipe ordinary text when the secret is empty or very short', () => {
    expect(redactSecret('Unauthorized', '')).toBe('Unauthorized');
    expect(redactSecret('Unauthorized', 'ed')).toBe('Unauthorized');
  });
});
