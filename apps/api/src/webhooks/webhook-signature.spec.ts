import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

const SECRET = 'whsec_test-secret';
const BODY = '{"id":"ntf_1","kind":"key_leaked"}';
const T = 1_800_000_000;

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256, in the documented header format', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(SECRET, BODY, header, { now: T })).toBe(true);
    expect(verifyWebhookSignature(SECRET, BODY, header, { now: T + 300 })).toBe(true);
    expect(verifyWebhookSignature(SECRET, BODY, header, { now: T - 300 })).toBe(true);
  });

  it('refuses an old or future timestamp (replays)', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(SECRET, BODY, header, { now: T + 301 })).toBe(false);
    expect(verifyWebhookSignature(SECRET, BODY, header, { now: T - 301 })).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, BODY, header, { now: T + 3600, toleranceSeconds: 3600 }),
    ).toBe(true);
  });

  it('refuses another body, another secret, or a moved timestamp', () => {
    const header = signWebhook(SECRET, BODY, T);
    expect(verifyWebhookSignature(SECRET, `${BODY} `, header, { now: T })).toBe(false);
    expect(verifyWebhookSignature('whsec_other', BODY, header, { now: T })).toBe(false);
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifyWebhookSignature(SECRET, BODY, moved, { now: T })).toBe(false);
  });

  it('refuses malformed headers without throwing', () => {
    for (const header of [
      undefined,
      null,
      '',
      'garbage',
      `t=${T}`,
      'v1=00',
      `t=${T},v1=zz`,
      `t=abc,v1=${'0'.repeat(64)}`,
      `t=${T},v1=${'0'.repeat(63)}`,
    ]) {
      expect(verifyWebhookSignature(SECRET, BODY, header, { now: T })).toBe(false);
    }
  });

  it('accepts the header when any one of several v1 values matches', () => {
    const good = signWebhook(SECRET, BODY, T).split(',')[1];
    const header = `t=${T},v1=${'0'.repeat(64)},${good}`;
    expect(verifyWebhookSignature(SECRET, BODY, header, { now: T })).toBe(true);
  });
});
