import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signature's time may be from the receiver's clock, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The value of the `x-keyward-signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>` of
 * `"<t>.<body>"` under the webhook's secret. Signing the time with the body lets a receiver refuse
 * a captured request replayed later.
 */
export function signWebhook(secret: string, body: string, timestamp = nowSeconds()): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export interface VerifyOptions {
  toleranceSeconds?: number;
  /** The receiver's clock, in unix seconds (for tests). */
  now?: number;
}

/**
 * True when `header` carries a v1 signature of exactly `body` (the raw bytes received, before
 * any JSON parsing) under `secret`, made within the tolerance. Compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  options: VerifyOptions = {},
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    // Several v1 values may appear (a receiver may see one per secret during a rotation).
    if (name === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs((options.now ?? nowSeconds()) - timestamp) > tolerance) return false;
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  return signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
