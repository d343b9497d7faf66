import { timingSafeEqual, verify } from 'node:crypto';
import { AppException } from '../common/app.exception.js';
import type { AppConfig } from '../config/app-config.js';

export interface LeakReportCredentials {
  keyIdentifier: string | undefined;
  signature: string | undefined;
  authorization: string | undefined;
}

/**
 * Checks who sent a secret-scanning report, when the operator configured a way to tell:
 * GitHub-style ECDSA signatures over the raw body (`Github-Public-Key-Identifier` and
 * `Github-Public-Key-Signature`), or a shared bearer token. With neither configured any sender is
 * accepted: a report can only revoke a key by quoting its full secret, which a sender who has it
 * could abuse anyway.
 */
export function assertTrustedReport(
  config: AppConfig['leaks'],
  rawBody: Buffer | undefined,
  credentials: LeakReportCredentials,
): void {
  const keysConfigured = Object.keys(config.publicKeys).length > 0;
  if (!keysConfigured && !config.token) return;

  if (config.token && credentials.authorization?.startsWith('Bearer ')) {
    const given = Buffer.from(credentials.authorization.slice(7));
    const expected = Buffer.from(config.token);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  if (keysConfigured && credentials.keyIdentifier && credentials.signature && rawBody) {
    const pem = config.publicKeys[credentials.keyIdentifier];
    if (pem) {
      if (verifiesSignature(rawBody, pem, credentials.signature)) return;
    }
  }
  throw new AppException(
    401,
    'invalid_leak_report',
    'The report is not signed by a trusted sender',
  );
}

function verifiesSignature(body: Buffer, pem: string, signature: string): boolean {
  try {
    return verify('sha256', body, pem, Buffer.from(signature, 'base64'));
  } catch {
    // A malformed key or signature is simply not a valid signature.
    return false;
  }
}
