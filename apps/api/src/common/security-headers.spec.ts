import { describe, expect, it } from '@jest/globals';
import { SECURITY_HEADER_OPTIONS, securityHeaders } from './security-headers.js';

describe('securityHeaders', () => {
  it("works out Helmet's headers for Keyward's settings once", () => {
    const headers = securityHeaders(SECURITY_HEADER_OPTIONS);
    const csp = headers['content-security-policy']?.split(';') ?? [];
    expect(csp).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
      ]),
    );
    expect(csp.some((directive) => directive.startsWith('upgrade-insecure-requests'))).toBe(false);
    expect(headers).toMatchObject({
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'cross-origin-opener-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    });
    expect(headers).not.toHaveProperty('cross-origin-embedder-policy');
    expect(headers).not.toHaveProperty('x-powered-by');
  });

  it('refuses settings Helmet refuses, at start rather than per request', () => {
    expect(() =>
      securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['self'] } } }),
    ).toThrow(/self/);
  });
});
