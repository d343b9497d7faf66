import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonical-json.js';
import { auditHash, GENESIS_HASH } from './audit.service.js';

describe('canonicalJson', () => {
  it('ignores key order at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('drops undefined fields and keeps strings escaped', () => {
    expect(canonicalJson({ a: undefined, b: 'x"y' })).toBe('{"b":"x\\"y"}');
  });
});

describe('auditHash', () => {
  const event = {
    id: 'aud_1',
    sequence: 1,
    action: 'key.create' as const,
    ownerUserId: 'usr_1',
    actorUserId: 'usr_1',
    actorKeyId: null,
    targetType: 'api_key',
    targetId: 'key_1',
    ip: '127.0.0.1',
    userAgent: 'test',
    details: { name: 'k', scopes: ['generate'] },
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    prevHash: GENESIS_HASH,
  };

  it('changes when any field or the previous hash changes', () => {
    const base = auditHash(event);
    expect(auditHash({ ...event })).toBe(base);
    const variants = [
      { ...event, sequence: 2 },
      { ...event, action: 'key.revoke' as const },
      { ...event, ownerUserId: 'usr_2' },
      { ...event, targetId: 'key_2' },
      { ...event, ip: '10.0.0.1' },
      { ...event, details: { name: 'k2', scopes: ['generate'] } },
      { ...event, createdAt: new Date('2026-01-01T00:00:00.001Z') },
      { ...event, prevHash: 'f'.repeat(64) },
    ];
    for (const variant of variants) expect(auditHash(variant)).not.toBe(base);
  });

  it('does not depend on the key order of details (jsonb reorders them)', () => {
    expect(auditHash({ ...event, details: { scopes: ['generate'], name: 'k' } })).toBe(
      auditHash(event),
    );
  });
});
